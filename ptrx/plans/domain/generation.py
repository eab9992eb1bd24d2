"""Plan generation: the involved branches' protocols merged into one phased plan draft.

Pure and deterministic (CLINICAL.md §2-3, DESIGN.md "Plan generation"): the same
context, catalogue, protocols and start date always give an equal PlanDraft.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from types import MappingProxyType

from ptrx.plans.domain.types import (
    NAMED_CATEGORIES,
    Catalogue,
    DomainError,
    PatientContext,
    PhaseDraft,
    PlanDraft,
    PrescriptionDraft,
    Protocol,
    ProtocolEntry,
    ProtocolPhase,
)


@dataclass(frozen=True, slots=True)
class BranchRule:
    """Branch-specific policy; the only place the generator branches on a branch name."""

    no_sitting_in_phase_1: bool
    # Categories the branch leans on (CLINICAL.md §3). When two branches bring the
    # same ladder at the same level, the dose of a branch that emphasises it wins.
    emphasis: frozenset[str]


BRANCH_RULES: Mapping[str, BranchRule] = MappingProxyType(
    {
        "superior": BranchRule(
            no_sitting_in_phase_1=False,
            emphasis=frozenset({"rotational_stretch", "mobility", "core_strength"}),
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
        ),
    }
)

# Spread sessions over the week; strength days stay non-consecutive where the
# count allows (CLINICAL.md §2, ACSM: 2-3 non-consecutive days).
DAYS_OF_WEEK: Mapping[int, tuple[int, ...]] = MappingProxyType(
    {
        1: (2,),
        2: (1, 4),
        3: (0, 2, 4),
        4: (0, 1, 3, 4),
        5: (0, 1, 2, 3, 4),
        6: (0, 1, 2, 3, 4, 5),
        7: (0, 1, 2, 3, 4, 5, 6),
    }
)

# The order a patient works through a session: learn, breathe, move, then load.
CATEGORY_ORDER = (
    "education",
    "breathing",
    "mobility",
    "rotational_stretch",
    "neurodynamic_glide",
    "core_strength",
    "gluteal_strength",
)

# High irritability (CLINICAL.md §3: "starts at the bottom of each ladder with lower
# volume and a longer phase 1"). The numbers are our choice: 70% of the reps,
# rounded up so no exercise vanishes; sets, holds and frequency stay, because
# shorter holds or fewer sessions would change the exercise rather than ease it.
HIGH_IRRITABILITY_REPS_FACTOR = 0.7
HIGH_IRRITABILITY_EXTRA_WEEKS_PHASE_1 = 1


def generate_plan(
    context: PatientContext,
    catalogue: Catalogue,
    protocols: Mapping[str, Protocol],
    *,
    start: date,
) -> PlanDraft:
    """Merge the protocols of the patient's branches into a plan draft starting on `start`."""
    branches = context.ordered_branches
    phase_sets = _phases_by_number(branches, protocols)
    high = context.irritability == "high"
    # Low irritability gets the moderate plan: no evidence supports a faster
    # start, and the progression engine advances a patient who is ready.
    no_sitting_first = any(BRANCH_RULES[branch].no_sitting_in_phase_1 for branch in branches)

    # The protocols' own dose and notes for each exercise (earliest phase first),
    # used when an adjustment moves an entry to another rung of its ladder.
    known: dict[str, ProtocolEntry] = {}
    for _, phases in phase_sets:
        for phase in phases:
            for entry in phase.entries:
                known.setdefault(entry.exercise, entry)

    entries_by_phase: list[tuple[ProtocolEntry, ...]] = []
    for number, phases in phase_sets:
        offered = []
        for branch, phase in zip(branches, phases, strict=True):
            for entry in phase.entries:
                adjusted = _adjusted(
                    entry,
                    catalogue,
                    known,
                    high=high,
                    no_sitting=number == 1 and no_sitting_first,
                    first_phase=number == 1,
                )
                if adjusted is not None:
                    offered.append((branch, adjusted))
        entries_by_phase.append(_one_per_ladder(offered, catalogue))
    entries_by_phase = _keep_gains(entries_by_phase, catalogue)
    _check_coverage(entries_by_phase, catalogue, branches)

    phase_drafts = []
    for (number, phases), entries in zip(phase_sets, entries_by_phase, strict=True):
        extra = HIGH_IRRITABILITY_EXTRA_WEEKS_PHASE_1 if high and number == 1 else 0
        phase_drafts.append(
            PhaseDraft(
                number=number,
                # Name and goal read the same for every branch; take the first.
                name=phases[0].name,
                goal=phases[0].goal,
                min_weeks=max(phase.min_weeks for phase in phases) + extra,
                typical_weeks=max(phase.typical_weeks for phase in phases) + extra,
                prescriptions=_prescriptions(entries, catalogue, context.side),
            )
        )
    return PlanDraft(
        # Shown to the patient: neutral, no diagnosis or branch in it.
        title=f"Home exercise plan from {start.isoformat()}",
        branches=branches,
        side=context.side,
        irritability=context.irritability,
        start=start,
        phases=tuple(phase_drafts),
    )


def _phases_by_number(
    branches: Sequence[str], protocols: Mapping[str, Protocol]
) -> list[tuple[int, tuple[ProtocolPhase, ...]]]:
    """Phase k of every involved branch's protocol, side by side, in phase order."""
    chosen = []
    for branch in branches:
        protocol = protocols.get(branch)
        if protocol is None:
            raise DomainError(f"No protocol for the {branch} branch.")
        if protocol.branch != branch:
            raise DomainError(f"The protocol stored for {branch} is for {protocol.branch}.")
        chosen.append({phase.number: phase for phase in protocol.phases})
    numbers = sorted(chosen[0])
    if not numbers:
        raise DomainError(f"The {branches[0]} protocol has no phases.")
    for branch, phases in zip(branches, chosen, strict=True):
        if sorted(phases) != numbers:
            raise DomainError(f"The {branch} protocol has phases {sorted(phases)}; expected {numbers}.")
    return [(number, tuple(phases[number] for phases in chosen)) for number in numbers]


def _adjusted(
    entry: ProtocolEntry,
    catalogue: Catalogue,
    known: Mapping[str, ProtocolEntry],
    *,
    high: bool,
    no_sitting: bool,
    first_phase: bool,
) -> ProtocolEntry | None:
    """The entry after the patient's adjustments, or None when no rung of it fits."""
    slug: str | None = entry.exercise
    if high:
        # CLINICAL.md §3: high irritability starts at the bottom of each ladder;
        # later phases still progress, one rung below the protocol.
        if first_phase:
            slug = catalogue.ladder_root(entry.exercise)
        else:
            slug = catalogue.step_down(entry.exercise) or entry.exercise
    # Step down until the exercise is not done seated; drop it if none is.
    while no_sitting and slug is not None and catalogue.get(slug).position == "sitting":
        slug = catalogue.step_down(slug)
    if slug is None:
        return None
    if slug != entry.exercise:
        # Another rung takes the dose and notes the protocols give it; failing that
        # it keeps this entry's dose, but not its notes, which may name the harder
        # exercise ("a low step") and would mislead on the easier one.
        entry = known.get(slug) or replace(entry, exercise=slug, notes="")
    if high:
        reps = max(1, math.ceil(entry.dose.reps * HIGH_IRRITABILITY_REPS_FACTOR))
        entry = replace(entry, dose=replace(entry.dose, reps=reps))
    return entry


def _one_per_ladder(
    offered: Iterable[tuple[str, ProtocolEntry]], catalogue: Catalogue
) -> tuple[ProtocolEntry, ...]:
    """At most one entry per ladder: the lowest level (conservative) with its own dose.

    At the same level, the dose of a branch emphasising the category wins, then the
    smaller volume; remaining ties keep the first branch in canonical order.
    """
    best: dict[str, tuple[tuple[int, bool, int], ProtocolEntry]] = {}
    for branch, entry in offered:
        exercise = catalogue.get(entry.exercise)
        emphasised = exercise.category in BRANCH_RULES[branch].emphasis
        rank = (exercise.level, not emphasised, entry.dose.volume)
        ladder = catalogue.ladder_root(entry.exercise)
        if ladder not in best or rank < best[ladder][0]:
            best[ladder] = (rank, entry)
    return tuple(entry for _, entry in best.values())


def _keep_gains(
    entries_by_phase: Sequence[tuple[ProtocolEntry, ...]], catalogue: Catalogue
) -> list[tuple[ProtocolEntry, ...]]:
    """Level, then volume, never drops along a ladder from one phase to a later one.

    The adjustments (stepping down, merging, leaving out sitting) work phase by phase and
    could undo a progression; an entry below what the patient already reached on its
    ladder is raised to that exercise and dose. Going back is the progression
    engine's recorded decision, never a side effect of generation.
    """
    reached: dict[str, ProtocolEntry] = {}
    result = []
    for entries in entries_by_phase:
        kept = []
        for entry in entries:
            ladder = catalogue.ladder_root(entry.exercise)
            previous = reached.get(ladder)
            if previous is not None and _rank(entry, catalogue) < _rank(previous, catalogue):
                entry = previous
            reached[ladder] = entry
            kept.append(entry)
        result.append(tuple(kept))
    return result


def _rank(entry: ProtocolEntry, catalogue: Catalogue) -> tuple[int, int]:
    # Within one ladder a level names one exercise, so (level, volume) orders entries.
    return (catalogue.get(entry.exercise).level, entry.dose.volume)


def _check_coverage(
    entries_by_phase: Iterable[tuple[ProtocolEntry, ...]],
    catalogue: Catalogue,
    branches: Sequence[str],
) -> None:
    covered = {catalogue.get(entry.exercise).category for entries in entries_by_phase for entry in entries}
    missing = [category for category in NAMED_CATEGORIES if category not in covered]
    if missing:
        raise DomainError(
            f"The plan for {', '.join(branches)} has no {', '.join(missing)} exercise; "
            "the protocols must cover every named category."
        )


def _prescriptions(
    entries: Iterable[ProtocolEntry], catalogue: Catalogue, side: str
) -> tuple[PrescriptionDraft, ...]:
    def session_order(entry: ProtocolEntry) -> tuple[int, str]:
        return (CATEGORY_ORDER.index(catalogue.get(entry.exercise).category), entry.exercise)

    return tuple(
        PrescriptionDraft(
            exercise=entry.exercise,
            sets=entry.dose.sets,
            reps=entry.dose.reps,
            hold_seconds=entry.dose.hold_seconds,
            side=side if catalogue.get(entry.exercise).per_side else "",
            sessions_per_day=entry.dose.sessions_per_day,
            days_of_week=DAYS_OF_WEEK[entry.dose.days_per_week],
            notes=entry.notes,
            order=order,
        )
        for order, entry in enumerate(sorted(entries, key=session_order), start=1)
    )
