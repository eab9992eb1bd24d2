"""What the generator does differently for each cluneal branch (CLINICAL.md §1-3)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class BranchRule:
    """Branch-specific policy; the only place the generator branches on a branch name."""

    no_sitting_in_phase_1: bool
    # Categories the branch leans on (CLINICAL.md §3). When branches bring the same
    # ladder, the rung and dose of a branch that emphasises its category win; the
    # other branches' entries do not cap it.
    emphasis: frozenset[str]
    # Sitting loads this branch's nerve: a step down the ladder never lands on a
    # seated rung, in any phase.
    no_sitting_step_down: bool = False
    # A category that meets the glide requirement for this branch (CLINICAL.md §2).
    glide_stand_in: str | None = None


BRANCH_RULES: Mapping[str, BranchRule] = MappingProxyType(
    {
        # No validated glide for the superior branch: fascia mobility (cat-camel,
        # side-bending) meets the glide category instead of a borrowed sciatic slider.
        "superior": BranchRule(
            no_sitting_in_phase_1=False,
            emphasis=frozenset({"rotational_stretch", "mobility", "core_strength"}),
            glide_stand_in="mobility",
        ),
        "middle": BranchRule(
            no_sitting_in_phase_1=False,
            emphasis=frozenset({"core_strength", "gluteal_strength"}),
        ),
        # Sitting loads the inferior cluneal nerve at the ischium (CLINICAL.md §1),
        # so nothing is done seated while symptoms are settling.
        "inferior": BranchRule(
            no_sitting_in_phase_1=True,
            emphasis=frozenset({"neurodynamic_glide", "gluteal_strength", "education"}),
            no_sitting_step_down=True,
        ),
    }
)


def no_sitting_in_phase(branches: list[str] | tuple[str, ...], phase_number: int) -> bool:
    """Whether these branches keep seated exercises out of this phase (the generator's
    rule, and the plan editor's)."""
    return phase_number == 1 and any(BRANCH_RULES[branch].no_sitting_in_phase_1 for branch in branches)


def no_sitting_on_step_down(branches: list[str] | tuple[str, ...]) -> bool:
    """Whether a step down the ladder must not land on a seated rung, in any phase."""
    return any(BRANCH_RULES[branch].no_sitting_step_down for branch in branches)
