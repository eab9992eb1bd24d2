"""Precautions in plan generation (CLINICAL.md §9), without a database: every plan made
under any set of precautions keeps the generator's invariants and holds no exercise a
precaution rules out; each swap is recorded with its reason."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ptrx.plans.domain import (
    BRANCHES,
    IRRITABILITIES,
    SIDES,
    Catalogue,
    PatientContext,
    PlanDraft,
    Protocol,
    catalogue_from_json,
    counts_for_adherence,
    generate_plan,
    protocols_from_json,
)
from ptrx.plans.domain.precautions import (
    BREATHE_NOTE,
    HOLD_CAPPED,
    PRECAUTION_CODES,
    SWAPPED,
    Adjustment,
    clearance_needed,
    precautions_finish,
    precautions_restrict,
    unknown_precautions,
)
from tests.plans.domain.conftest import FIXTURES
from tests.plans.domain.test_generation import assert_invariants

START = date(2026, 11, 2)


@pytest.fixture(scope="module")
def library() -> Catalogue:
    """The shipped library, with its precaution tags."""
    return catalogue_from_json(json.loads((FIXTURES / "exercise_library.json").read_text()))


@pytest.fixture(scope="module")
def shipped_protocols(library: Catalogue) -> Mapping[str, Protocol]:
    return protocols_from_json(json.loads((FIXTURES / "protocols.json").read_text()), catalogue=library)


def generate(
    library: Catalogue,
    protocols: Mapping[str, Protocol],
    precautions: frozenset[str],
    branches: frozenset[str] = frozenset({"inferior"}),
    side: str = "left",
    irritability: str = "moderate",
) -> tuple[PlanDraft, tuple[Adjustment, ...]]:
    restricted = precautions_restrict(library, protocols, precautions, branches=branches)
    context = PatientContext(branches, side, irritability)
    return precautions_finish(
        generate_plan(context, restricted.catalogue, restricted.protocols, start=START), restricted
    )


def ruled_out(plan: PlanDraft, library: Catalogue, precautions: frozenset[str]) -> list[str]:
    return [
        item.exercise
        for phase in plan.phases
        for item in phase.prescriptions
        if library.get(item.exercise).precautions & precautions
    ]


@settings(max_examples=150, deadline=None)
@given(
    precautions=st.sets(st.sampled_from(PRECAUTION_CODES)).map(frozenset),
    branches=st.sets(st.sampled_from(BRANCHES), min_size=1).map(frozenset),
    side=st.sampled_from(SIDES),
    irritability=st.sampled_from(IRRITABILITIES),
)
def test_property_any_precautions_keep_the_invariants_and_rule_out_their_exercises(
    library: Catalogue,
    shipped_protocols: Mapping[str, Protocol],
    precautions: frozenset[str],
    branches: frozenset[str],
    side: str,
    irritability: str,
) -> None:
    plan, changes = generate(library, shipped_protocols, precautions, branches, side, irritability)
    assert_invariants(plan, library)
    assert ruled_out(plan, library, precautions) == []
    for change in changes:
        assert set(change.precautions) <= precautions and change.reason
    if "uncontrolled_hypertension" in precautions:
        assert all(
            item.hold_seconds <= 10 and BREATHE_NOTE in item.notes for item in exercise_holds(plan, library)
        )


def exercise_holds(plan: PlanDraft, library: Catalogue) -> list:
    """Prescriptions with a hold, advice (ice or heat for 15 minutes) aside."""
    return [
        item
        for phase in plan.phases
        for item in phase.prescriptions
        if item.hold_seconds and counts_for_adherence(library.get(item.exercise).category)
    ]


def test_without_precautions_the_plan_is_unchanged(library, shipped_protocols):
    context = PatientContext(frozenset({"middle"}), "left", "moderate")
    plain = generate_plan(context, library, shipped_protocols, start=START)
    plan, changes = generate(library, shipped_protocols, frozenset(), frozenset({"middle"}))
    assert (plan, changes) == (plain, ())


def test_pregnancy_breathes_sitting_and_leaves_out_lying_face_down(library, shipped_protocols):
    plan, changes = generate(library, shipped_protocols, frozenset({"pregnancy"}), frozenset({"middle"}))
    by_exercise = {(c.phase, c.exercise): c for c in changes}
    breathing = by_exercise[(1, "diaphragmatic-breathing-supine")]
    assert (breathing.action, breathing.replacement) == (SWAPPED, "diaphragmatic-breathing-sitting")
    assert "no prolonged lying flat on the back" in breathing.reason
    assert "prone-hip-extension" in {c.exercise for c in changes}
    assert "diaphragmatic-breathing-sitting" in {p.exercise for p in plan.phases[0].prescriptions}


def test_a_hip_replacement_swaps_knee_to_chest_for_the_nearest_allowed_stretch(library, shipped_protocols):
    plan, changes = generate(library, shipped_protocols, frozenset({"posterior_hip_replacement"}))
    swap = next(c for c in changes if c.exercise == "single-knee-to-chest")
    # No other rung of its ladder is allowed: the lowest stretch of the category stands in.
    assert swap.replacement == "lower-trunk-rotation-rocking"
    assert "no hip flexion past 90 degrees" in swap.reason
    assert "seated-slump-slider" not in {p.exercise for phase in plan.phases for p in phase.prescriptions}


def test_a_hold_cap_is_recorded_and_cued(library, shipped_protocols):
    plan, changes = generate(
        library, shipped_protocols, frozenset({"uncontrolled_hypertension"}), frozenset({"superior"})
    )
    capped = [c for c in changes if c.action == HOLD_CAPPED]
    assert capped and all(c.replacement == c.exercise for c in capped)
    assert max(p.hold_seconds for p in exercise_holds(plan, library)) == 10


def test_codes_and_clearance():
    assert unknown_precautions(["pregnancy", "flying"]) == ["flying"]
    assert clearance_needed(["osteoporosis", "recent_procedure"]) == ["recent_procedure"]
    assert clearance_needed(["osteoporosis"]) == []


def test_a_stand_in_never_displaces_the_rung_a_phase_already_has(library, shipped_protocols):
    context = frozenset({"middle"})
    plain = generate_plan(
        PatientContext(context, "left", "moderate"), library, shipped_protocols, start=START
    )
    plan, changes = generate(library, shipped_protocols, frozenset({"pregnancy"}), context)
    swap = next(c for c in changes if (c.phase, c.exercise) == (3, "prone-hip-extension"))
    assert (swap.action, swap.replacement) == ("left_out", None)
    phase_3 = {p.exercise for p in plan.phases[2].prescriptions}
    assert "marching-bridge" in phase_3 and "marching-bridge" in {
        p.exercise for p in plain.phases[2].prescriptions
    }
