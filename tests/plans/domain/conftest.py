"""Shared inputs for the pure plan-domain tests: no Django, no database."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pytest

from ptrx.plans.domain import (
    BRANCHES,
    Catalogue,
    Protocol,
    catalogue_from_json,
    protocols_from_json,
)

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures"

# The authoritative exercise catalogue (the design brief's table), embedded so these
# tests do not depend on the library fixture's prose content.
# slug|category|level|progression (next harder)|position|per_side|branches
CATALOGUE_TABLE = """
diaphragmatic-breathing-supine|breathing|1|diaphragmatic-breathing-sitting|supine|no|superior,middle,inferior
diaphragmatic-breathing-sitting|breathing|2|diaphragmatic-breathing-standing|sitting|no|all
diaphragmatic-breathing-standing|breathing|3|breathing-with-core-hold|standing|no|all
breathing-with-core-hold|breathing|4|-|supine|no|all
lower-trunk-rotation-rocking|rotational_stretch|1|lower-trunk-rotation-hold|supine|no|superior,middle
lower-trunk-rotation-hold|rotational_stretch|2|lower-trunk-rotation-stretch|supine|yes|superior,middle
lower-trunk-rotation-stretch|rotational_stretch|3|-|supine|yes|superior,middle
single-knee-to-chest|rotational_stretch|1|knee-to-opposite-shoulder|supine|yes|superior,middle,inferior
knee-to-opposite-shoulder|rotational_stretch|2|-|supine|yes|superior,middle
supine-sciatic-slider|neurodynamic_glide|1|seated-slump-slider|supine|yes|inferior,middle
seated-slump-slider|neurodynamic_glide|2|supine-sciatic-tensioner|sitting|yes|inferior,middle
supine-sciatic-tensioner|neurodynamic_glide|3|seated-slump-tensioner|supine|yes|inferior,middle
seated-slump-tensioner|neurodynamic_glide|4|-|sitting|yes|inferior,middle
cat-camel|mobility|1|-|quadruped|no|superior,middle
standing-side-bend|mobility|1|-|standing|yes|superior
abdominal-draw-in|core_strength|1|dead-bug-ball-squeeze|supine|no|all
dead-bug-ball-squeeze|core_strength|2|dead-bug-alternating-march|supine|no|all
dead-bug-alternating-march|core_strength|3|dead-bug-90-90-arm-press|supine|no|all
dead-bug-90-90-arm-press|core_strength|4|dead-bug-full|supine|no|all
dead-bug-full|core_strength|5|-|supine|no|all
bird-dog|core_strength|1|bird-dog-banded|quadruped|yes|all
bird-dog-banded|core_strength|2|-|quadruped|yes|all
mcgill-curl-up|core_strength|1|-|supine|no|superior,middle
side-bridge-knees|core_strength|1|side-bridge-full|side_lying|yes|superior,middle
side-bridge-full|core_strength|2|-|side_lying|yes|superior,middle
bridge|gluteal_strength|1|marching-bridge|supine|no|all
marching-bridge|gluteal_strength|2|single-leg-bridge|supine|no|all
single-leg-bridge|gluteal_strength|3|step-up|supine|yes|all
step-up|gluteal_strength|4|single-leg-deadlift|standing|yes|middle,inferior
single-leg-deadlift|gluteal_strength|5|-|standing|yes|middle,inferior
clam|gluteal_strength|1|banded-clam|side_lying|yes|all
banded-clam|gluteal_strength|2|side-lying-hip-abduction|side_lying|yes|all
side-lying-hip-abduction|gluteal_strength|3|single-leg-squat|side_lying|yes|all
single-leg-squat|gluteal_strength|4|-|standing|yes|middle,inferior
prone-hip-extension|gluteal_strength|1|-|prone|yes|all
sitting-modification|education|1|-||no|all
posture-lumbar-roll|education|1|-||no|superior,middle
pacing-activity|education|1|-||no|all
ice-or-heat|education|1|-||no|all
"""


def catalogue_records() -> list[dict[str, object]]:
    """The table in exercise_library.json's shape, so the tests exercise the loader too."""
    records: list[dict[str, object]] = []
    for line in CATALOGUE_TABLE.strip().splitlines():
        slug, category, level, progression, position, per_side, branches = (
            cell.strip() for cell in line.split("|")
        )
        records.append(
            {
                "slug": slug,
                "category": category,
                "level": int(level),
                "progression": None if progression == "-" else progression,
                "position": position,
                "per_side": per_side == "yes",
                "branches": list(BRANCHES) if branches == "all" else branches.split(","),
            }
        )
    return records


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return catalogue_from_json(catalogue_records())


@pytest.fixture(scope="session")
def protocols_json() -> list[dict[str, object]]:
    data: list[dict[str, object]] = json.loads((FIXTURES / "protocols.json").read_text())
    return data


@pytest.fixture(scope="session")
def protocols(protocols_json: list[dict[str, object]], catalogue: Catalogue) -> Mapping[str, Protocol]:
    return protocols_from_json(protocols_json, catalogue=catalogue)
