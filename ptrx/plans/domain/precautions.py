"""Precautions before exercise (CLINICAL.md §9): what each one rules out, and the plan
generator's inputs and output adjusted to respect them.

Each library exercise lists the precautions that rule it out. Before generation those
exercises are spliced out of their ladders and every protocol entry naming one is swapped
for the nearest allowed rung of its ladder (the easier one on a tie), else the lowest
allowed exercise of the same category, else left out (also when the stand-in's ladder is
already in the phase: it never displaces a rung the phase has); the generator keeps its own
invariants over what is left. Every swap is recorded with its precautions, for the
therapist. A precaution that only blocks activation (a recent procedure) changes no
exercise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

from ptrx.plans.domain.adherence import counts_for_adherence
from ptrx.plans.domain.types import (
    Catalogue,
    CatalogueExercise,
    PlanDraft,
    Protocol,
    ProtocolEntry,
)


@dataclass(frozen=True, slots=True)
class Precaution:
    code: str
    label: str
    # What it rules out, in the therapist's words (shown beside each swap).
    rule: str
    # No plan is activated until the therapist records clearance.
    needs_clearance: bool = False
    # Holds are capped at this many seconds, with a cue to keep breathing.
    max_hold_seconds: int | None = None
    # A cue on every exercise done in this position (the exercise is allowed, briefly).
    position_cue: tuple[str, str] | None = None


# Our wording of "no prolonged lying flat on the back" for the exercises that stay supine
# (each is brief; the exercises that keep the patient on their back longest are tagged).
SHORT_SPELLS_ON_THE_BACK = "Keep each spell on your back short: roll onto your side to rest between sets."

PRECAUTIONS: Mapping[str, Precaution] = MappingProxyType(
    {
        p.code: p
        for p in (
            Precaution(
                "pregnancy",
                "Pregnancy past the first trimester",
                "no prolonged lying flat on the back, no lying face down, no loaded abdominal work",
                position_cue=("supine", SHORT_SPELLS_ON_THE_BACK),
            ),
            Precaution(
                "postpartum",
                "First 6 weeks after giving birth",
                "no prolonged lying flat on the back, no lying face down, no loaded abdominal work",
                position_cue=("supine", SHORT_SPELLS_ON_THE_BACK),
            ),
            Precaution(
                "posterior_hip_replacement",
                "Posterior-approach hip replacement in the last 3 months",
                "no hip flexion past 90 degrees, no crossing the midline, no inward rotation",
            ),
            Precaution(
                "osteoporosis",
                "Osteoporosis or a fragility fracture",
                "no loaded or end-range spinal flexion or twisting",
            ),
            Precaution(
                "recent_procedure",
                "Spinal or pelvic surgery, or a cluneal nerve injection, ablation or neurolysis, "
                "in the last 6 weeks",
                "no plan is activated until the therapist records clearance",
                needs_clearance=True,
            ),
            Precaution(
                "uncontrolled_hypertension",
                "Uncontrolled high blood pressure",
                "no breath-holding: holds at most 10 seconds, breathing all the way through",
                max_hold_seconds=10,
            ),
        )
    }
)
PRECAUTION_CODES = tuple(PRECAUTIONS)
# Told to the patient on every prescription with a hold, under a hold cap: it names no condition.
BREATHE_NOTE = "Breathe normally all the way through each hold; never hold your breath."

SWAPPED = "swapped"
LEFT_OUT = "left_out"
HOLD_CAPPED = "hold_capped"


@dataclass(frozen=True, slots=True)
class Adjustment:
    """One change a precaution made to the generated plan, for the therapist."""

    phase: int
    exercise: str
    action: str  # SWAPPED, LEFT_OUT or HOLD_CAPPED
    replacement: str | None
    precautions: tuple[str, ...]

    @property
    def reason(self) -> str:
        return "; ".join(f"{PRECAUTIONS[code].label}: {PRECAUTIONS[code].rule}" for code in self.precautions)


@dataclass(frozen=True, slots=True)
class Restricted:
    """The generator's inputs with the precautions applied, and the swaps made."""

    precautions: frozenset[str]
    catalogue: Catalogue
    protocols: Mapping[str, Protocol]
    swaps: tuple[Adjustment, ...]


def unknown_precautions(codes: Iterable[str]) -> list[str]:
    return sorted(set(codes) - set(PRECAUTIONS))


def clearance_needed(codes: Iterable[str]) -> list[str]:
    """The precautions that block activation until the therapist records clearance."""
    return [code for code in PRECAUTION_CODES if code in set(codes) and PRECAUTIONS[code].needs_clearance]


def _ruled_out(exercise: CatalogueExercise, precautions: frozenset[str]) -> tuple[str, ...]:
    return tuple(code for code in PRECAUTION_CODES if code in exercise.precautions & precautions)


def _spliced(catalogue: Catalogue, precautions: frozenset[str]) -> Catalogue:
    """The catalogue without the ruled-out exercises, each ladder closed over the gap."""

    def allowed(slug: str | None, step: str) -> str | None:
        while slug is not None and _ruled_out(catalogue.get(slug), precautions):
            slug = getattr(catalogue.get(slug), step)
        return slug

    return Catalogue.of(
        replace(
            exercise,
            progression=allowed(exercise.progression, "progression"),
            regression=allowed(exercise.regression, "regression"),
        )
        for exercise in catalogue.exercises.values()
        if not _ruled_out(exercise, precautions)
    )


def _replacement(slug: str, branch: str, catalogue: Catalogue, allowed: Catalogue) -> str | None:
    """The nearest allowed rung of the ladder (the easier on a tie), else the lowest
    allowed exercise of the category, one for the branch first."""
    exercise = catalogue.get(slug)
    rungs: list[tuple[int, int, str]] = []
    for step, easier in (("regression", 0), ("progression", 1)):
        current = getattr(exercise, step)
        while current is not None:
            if current in allowed.exercises:
                rungs.append((abs(catalogue.get(current).level - exercise.level), easier, current))
                break
            current = getattr(catalogue.get(current), step)
    if rungs:
        return min(rungs)[2]
    same_category = sorted(
        (branch not in other.branches, other.level, other.slug)
        for other in allowed.exercises.values()
        if other.category == exercise.category
    )
    return same_category[0][2] if same_category else None


def precautions_restrict(
    catalogue: Catalogue,
    protocols: Mapping[str, Protocol],
    precautions: Iterable[str],
    *,
    branches: Iterable[str],
) -> Restricted:
    """The catalogue and protocols the generator may use under `precautions`; the swaps
    recorded are those in the protocols of the patient's `branches`."""
    involved = frozenset(branches)
    active = frozenset(precautions)
    if not any(exercise.precautions & active for exercise in catalogue.exercises.values()):
        return Restricted(precautions=active, catalogue=catalogue, protocols=protocols, swaps=())
    allowed = _spliced(catalogue, active)
    # The protocols' own dose and notes for an exercise, earliest phase first.
    known: dict[str, ProtocolEntry] = {}
    for protocol in protocols.values():
        for phase in protocol.phases:
            for entry in phase.entries:
                if not entry.optional:
                    known.setdefault(entry.exercise, entry)
    swaps: list[Adjustment] = []
    restricted: dict[str, Protocol] = {}
    for branch, protocol in protocols.items():
        phases = []
        for phase in protocol.phases:
            entries = []
            # A stand-in never displaces the rung the phase already has on its ladder.
            ladders = {
                catalogue.ladder_root(entry.exercise)
                for entry in phase.entries
                if not entry.optional and not _ruled_out(catalogue.get(entry.exercise), active)
            }
            for entry in phase.entries:
                ruled_out = _ruled_out(catalogue.get(entry.exercise), active)
                if not ruled_out:
                    entries.append(entry)
                    continue
                if entry.optional:
                    continue  # an option the therapist adds by hand: simply not offered
                slug = _replacement(entry.exercise, branch, catalogue, allowed)
                if slug is not None and catalogue.ladder_root(slug) in ladders:
                    slug = None
                if slug is not None:
                    ladders.add(catalogue.ladder_root(slug))
                    entries.append(known.get(slug) or replace(entry, exercise=slug, notes=""))
                if branch not in involved:
                    continue
                swaps.append(
                    Adjustment(
                        phase=phase.number,
                        exercise=entry.exercise,
                        action=SWAPPED if slug else LEFT_OUT,
                        replacement=slug,
                        precautions=ruled_out,
                    )
                )
            phases.append(replace(phase, entries=tuple(entries)))
        restricted[branch] = replace(protocol, phases=tuple(phases))
    return Restricted(
        precautions=active, catalogue=allowed, protocols=MappingProxyType(restricted), swaps=tuple(swaps)
    )


def precautions_finish(draft: PlanDraft, restricted: Restricted) -> tuple[PlanDraft, tuple[Adjustment, ...]]:
    """The generated plan with the hold caps applied, and what changed, once per
    (phase, exercise): a swap whose replacement the generator did not keep reads as
    left out, and a swap into an exercise another branch already brings is still one."""
    in_phase = {phase.number: {p.exercise for p in phase.prescriptions} for phase in draft.phases}
    adjustments: dict[tuple[int, str], Adjustment] = {}
    for swap in restricted.swaps:
        if swap.replacement is not None and swap.replacement not in in_phase.get(swap.phase, ()):
            swap = replace(swap, action=LEFT_OUT, replacement=None)
        adjustments.setdefault((swap.phase, swap.exercise), swap)
    caps = [PRECAUTIONS[code].max_hold_seconds for code in PRECAUTION_CODES if code in restricted.precautions]
    limit = min((seconds for seconds in caps if seconds is not None), default=None)
    capping = tuple(
        code
        for code in PRECAUTION_CODES
        if code in restricted.precautions and PRECAUTIONS[code].max_hold_seconds is not None
    )
    position_cues: dict[str, list[str]] = {}
    for code in PRECAUTION_CODES:
        cue = PRECAUTIONS[code].position_cue
        if code in restricted.precautions and cue is not None and cue[1] not in position_cues.get(cue[0], []):
            position_cues.setdefault(cue[0], []).append(cue[1])
    if limit is None and not position_cues:
        return draft, tuple(sorted(adjustments.values(), key=lambda a: (a.phase, a.exercise)))
    phases = []
    for phase in draft.phases:
        prescriptions = []
        for item in phase.prescriptions:
            exercise = restricted.catalogue.get(item.exercise)
            if not counts_for_adherence(exercise.category):
                prescriptions.append(item)
                continue
            cues = list(position_cues.get(exercise.position, []))
            hold = item.hold_seconds
            if limit is not None and hold > 0:
                cues.append(BREATHE_NOTE)
                if hold > limit:
                    hold = limit
                    adjustments.setdefault(
                        (phase.number, item.exercise),
                        Adjustment(phase.number, item.exercise, HOLD_CAPPED, item.exercise, capping),
                    )
            if cues:
                # The cues first: a prescription's notes hold 240 characters.
                notes = " ".join([*cues, item.notes]).strip()[:240]
                item = replace(item, hold_seconds=hold, notes=notes)
            prescriptions.append(item)
        phases.append(replace(phase, prescriptions=tuple(prescriptions)))
    draft = replace(draft, phases=tuple(phases))
    ordered = sorted(adjustments.values(), key=lambda a: (a.phase, a.exercise))
    return draft, tuple(ordered)
