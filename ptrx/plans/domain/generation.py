"""Plan generation: the involved branches' protocols merged into one phased plan draft.

Pure and deterministic (CLINICAL.md §2-3, DESIGN.md "Plan generation"): the same
context, catalogue, protocols and start date always give an equal PlanDraft.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date

from ptrx.plans.domain.adherence import counts_for_adherence
from ptrx.plans.domain.branches import BRANCH_RULES, no_sitting_in_phase, no_sitting_on_step_down
from ptrx.plans.domain.session import (
    BOTH_SIDES,
    SessionItem,
    item_seconds,
)
from ptrx.plans.domain.types import (
    NAMED_CATEGORIES,
    Catalogue,
    CatalogueExercise,
    DomainError,
    Dose,
    PatientContext,
    PhaseDraft,
    PlanDraft,
    PrescriptionDraft,
    Protocol,
    ProtocolEntry,
    ProtocolPhase,
)
from ptrx.plans.domain.week import Placed, fit_sessions

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
# volume and a longer phase 1"). The numbers are our choice: in phase 1 only, 70% of
# the reps, rounded up so no exercise vanishes; sets, holds and frequency stay,
# because shorter holds or fewer sessions would change the exercise rather than ease
# it. Later phases are eased by the rung below, not by less volume.
HIGH_IRRITABILITY_REPS_FACTOR = 0.7
HIGH_IRRITABILITY_EXTRA_WEEKS_PHASE_1 = 1
# Strength work is never cut below the CLINICAL.md §2 floors: 2 x 10 at first,
# 3 x 8 later (ACSM novice strength).
STRENGTH_CATEGORIES = frozenset({"core_strength", "gluteal_strength"})
STRENGTH_FLOOR_REPS = {2: 10, 3: 8}
# A hold this short is a pause at the top of a repetition, not an isometric hold.
HOLD_IS_A_PAUSE = 2
# Sliders come before tensioners (CLINICAL.md §2, §4): the library names each glide
# a slider or a tensioner in its slug (tests/exercises check it).
TENSIONER_SUFFIX = "-tensioner"
FALLBACK_NOTE = (
    "Your fallback: do this gentler nerve glide first. If the harder one stirs up "
    "symptoms, do only this one and tell your therapist."
)


def is_tensioner(slug: str) -> bool:
    return slug.endswith(TENSIONER_SUFFIX)


def generate_plan(
    context: PatientContext,
    catalogue: Catalogue,
    protocols: Mapping[str, Protocol],
    *,
    start: date,
) -> PlanDraft:
    """Merge the protocols of the patient's branches into a plan draft starting on `start`."""
    branches = context.ordered_branches
    rules = [BRANCH_RULES[branch] for branch in branches]
    phase_sets = _phases_by_number(branches, protocols)
    high = context.irritability == "high"
    # Low irritability gets the moderate plan: no evidence supports a faster
    # start, and the progression engine advances a patient who is ready.
    no_sitting_down = no_sitting_on_step_down(branches)
    emphasis = frozenset().union(*(rule.emphasis for rule in rules))

    # The protocols' own dose and notes for each exercise (earliest phase first),
    # used when an adjustment moves an entry to another rung of its ladder.
    known: dict[str, ProtocolEntry] = {}
    for _, phases in phase_sets:
        for phase in phases:
            for entry in phase.entries:
                if not entry.optional:
                    known.setdefault(entry.exercise, entry)

    entries_by_phase: list[tuple[ProtocolEntry, ...]] = []
    for number, phases in phase_sets:
        offered = []
        for branch, phase in zip(branches, phases, strict=True):
            for entry in phase.entries:
                if entry.optional:
                    continue  # the therapist's to add (shown on the plan page)
                adjusted = _adjusted(
                    entry,
                    catalogue,
                    known,
                    high=high,
                    phase_number=number,
                    no_sitting=no_sitting_in_phase(branches, number),
                    no_sitting_down=no_sitting_down,
                )
                if adjusted is not None:
                    offered.append((branch, adjusted))
        entries_by_phase.append(_one_per_ladder(offered, catalogue))
    entries_by_phase = _keep_gains(entries_by_phase, catalogue)
    entries_by_phase = _with_slider_fallback(
        entries_by_phase, catalogue, known, no_sitting_down=no_sitting_down
    )

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
                prescriptions=_prescriptions(entries, catalogue, context.side, emphasis),
            )
        )
    _check_coverage(phase_drafts, catalogue, branches)
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


def _rung_below(catalogue: Catalogue, slug: str, *, no_sitting: bool) -> str | None:
    """The nearest easier rung, skipping seated ones when sitting is to be avoided."""
    below = catalogue.step_down(slug)
    while no_sitting and below is not None and catalogue.get(below).position == "sitting":
        below = catalogue.step_down(below)
    return below


def _adjusted(
    entry: ProtocolEntry,
    catalogue: Catalogue,
    known: Mapping[str, ProtocolEntry],
    *,
    high: bool,
    phase_number: int,
    no_sitting: bool,
    no_sitting_down: bool,
) -> ProtocolEntry | None:
    """The entry after the patient's adjustments, or None when no rung of it fits."""
    slug: str | None = entry.exercise
    if high:
        # CLINICAL.md §3: high irritability starts at the bottom of each ladder;
        # later phases still progress, one rung below the protocol.
        if phase_number == 1:
            slug = catalogue.ladder_root(entry.exercise)
        else:
            slug = _rung_below(catalogue, entry.exercise, no_sitting=no_sitting_down) or entry.exercise
    # Step down until the exercise is not done seated; drop it if none is.
    if no_sitting and slug is not None and catalogue.get(slug).position == "sitting":
        slug = _rung_below(catalogue, slug, no_sitting=True)
    if slug is None:
        return None
    if slug != entry.exercise:
        # Another rung takes the dose and notes the protocols give it; failing that
        # it keeps this entry's dose, but not its notes, which may name the harder
        # exercise ("a low step") and would mislead on the easier one.
        entry = known.get(slug) or replace(entry, exercise=slug, notes="")
    if high and phase_number == 1:
        entry = replace(entry, dose=_eased(entry.dose, catalogue.get(slug).category))
    return entry


def _eased(dose: Dose, category: str) -> Dose:
    """High irritability's lower volume (phase 1): fewer reps, never below the strength floor."""
    reps = max(1, math.ceil(dose.reps * HIGH_IRRITABILITY_REPS_FACTOR))
    if category in STRENGTH_CATEGORIES and dose.hold_seconds <= HOLD_IS_A_PAUSE:
        floor = STRENGTH_FLOOR_REPS[min(max(dose.sets, 2), 3)]
        reps = max(reps, min(dose.reps, floor))
    return replace(dose, reps=reps)


def _one_per_ladder(
    offered: Iterable[tuple[str, ProtocolEntry]], catalogue: Catalogue
) -> tuple[ProtocolEntry, ...]:
    """At most one entry per ladder. A branch that emphasises the ladder's category sets
    its rung; among equals the lowest level (conservative), then the smaller volume;
    remaining ties keep the first branch in canonical order."""
    best: dict[str, tuple[tuple[bool, int, int], ProtocolEntry]] = {}
    for branch, entry in offered:
        exercise = catalogue.get(entry.exercise)
        emphasised = exercise.category in BRANCH_RULES[branch].emphasis
        rank = (not emphasised, exercise.level, entry.dose.volume)
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


def _with_slider_fallback(
    entries_by_phase: Sequence[tuple[ProtocolEntry, ...]],
    catalogue: Catalogue,
    known: Mapping[str, ProtocolEntry],
    *,
    no_sitting_down: bool,
) -> list[tuple[ProtocolEntry, ...]]:
    """The first phase that brings a tensioner keeps a slider of its ladder as the
    fallback (CLINICAL.md §4): the one done in the phase before, else the nearest
    slider below. Whether the tensioner stays is decided when the phase starts."""
    result = [tuple(entries) for entries in entries_by_phase]
    seen: set[str] = set()
    previous: dict[str, ProtocolEntry] = {}
    for index, entries in enumerate(entries_by_phase):
        for entry in entries:
            ladder = catalogue.ladder_root(entry.exercise)
            if is_tensioner(entry.exercise) and ladder not in seen:
                seen.add(ladder)
                slider = previous.get(ladder)
                if slider is None or is_tensioner(slider.exercise):
                    slug = _rung_below(catalogue, entry.exercise, no_sitting=no_sitting_down)
                    while slug is not None and is_tensioner(slug):
                        slug = _rung_below(catalogue, slug, no_sitting=no_sitting_down)
                    slider = None if slug is None else known.get(slug)
                if slider is not None:
                    result[index] = (*result[index], replace(slider, notes=FALLBACK_NOTE))
        previous.update((catalogue.ladder_root(entry.exercise), entry) for entry in entries)
    return result


def _check_coverage(phases: Iterable[PhaseDraft], catalogue: Catalogue, branches: Sequence[str]) -> None:
    covered = {catalogue.get(p.exercise).category for phase in phases for p in phase.prescriptions}
    stand_ins = {BRANCH_RULES[branch].glide_stand_in for branch in branches}
    # A plan for the superior branch alone meets the glide category with fascia mobility.
    if len(stand_ins) == 1 and None not in stand_ins and stand_ins & covered:
        covered.add("neurodynamic_glide")
    missing = [category for category in NAMED_CATEGORIES if category not in covered]
    if missing:
        raise DomainError(
            f"The plan for {', '.join(branches)} has no {', '.join(missing)} exercise that fits "
            "a home session; the protocols must cover every named category (CLINICAL.md §2, §8)."
        )


def _side(exercise: CatalogueExercise, side: str) -> str:
    """Glides follow the affected side; other exercises done per side are done on both
    (strength and stretching stay balanced)."""
    if not exercise.per_side:
        return ""
    return side if exercise.category == "neurodynamic_glide" else BOTH_SIDES


def _prescriptions(
    entries: Iterable[ProtocolEntry], catalogue: Catalogue, side: str, emphasis: frozenset[str]
) -> tuple[PrescriptionDraft, ...]:
    """The phase's prescriptions in session order, each day kept to what a home session
    can hold (CLINICAL.md §8)."""
    placed = fit_sessions(_items(entries, catalogue, side, emphasis))

    def session_order(placed_item: tuple[Placed, tuple[int, ...]]) -> tuple[int, bool, str]:
        item = placed_item[0]
        # A fallback slider comes before its tensioner.
        return (CATEGORY_ORDER.index(item.category), is_tensioner(item.entry.exercise), item.entry.exercise)

    return tuple(
        PrescriptionDraft(
            exercise=item.entry.exercise,
            sets=item.entry.dose.sets,
            reps=item.entry.dose.reps,
            hold_seconds=item.entry.dose.hold_seconds,
            side=item.side,
            sessions_per_day=item.entry.dose.sessions_per_day,
            days_of_week=days,
            notes=item.entry.notes,
            order=order,
        )
        for order, (item, days) in enumerate(sorted(placed, key=session_order), start=1)
    )


def _items(
    entries: Iterable[ProtocolEntry], catalogue: Catalogue, side: str, emphasis: frozenset[str]
) -> list[Placed]:
    entries = list(entries)
    glides = [e for e in entries if catalogue.get(e.exercise).category == "neurodynamic_glide"]
    paired = len(glides) > 1 and any(is_tensioner(e.exercise) for e in glides)
    items = []
    for entry in entries:
        exercise = catalogue.get(entry.exercise)
        item_side = _side(exercise, side)
        item = SessionItem(
            category=exercise.category,
            sets=entry.dose.sets,
            reps=entry.dose.reps,
            hold_seconds=entry.dose.hold_seconds,
            per_side=exercise.per_side,
            side=item_side,
        )
        items.append(
            Placed(
                entry=entry,
                category=exercise.category,
                level=exercise.level,
                side=item_side,
                seconds=item_seconds(item),
                counts=counts_for_adherence(exercise.category),
                emphasised=exercise.category in emphasis,
                protected=paired and exercise.category == "neurodynamic_glide",
            )
        )
    return items
