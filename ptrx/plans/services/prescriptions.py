"""Changing a plan's prescriptions: dose, days, side and order; adding and removing exercises."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from ptrx.exercises.models import Exercise, Position
from ptrx.plans.domain import DAYS_OF_WEEK
from ptrx.plans.domain.branches import no_sitting_in_phase, no_sitting_on_step_down
from ptrx.plans.models import Phase, Plan, PlanStatus, Prescription, Side

# Finished plans are the record of what was prescribed; they are not edited.
EDITABLE_STATUSES = (PlanStatus.DRAFT, PlanStatus.ACTIVE, PlanStatus.PAUSED)

EASIER, HARDER = "easier", "harder"


def prescription_validate(
    *,
    sets: Any,
    reps: Any,
    hold_seconds: Any,
    sessions_per_day: Any,
    days_of_week: Any,
    side: Any,
) -> None:
    """Raise a ValidationError keyed by field unless the dose is one a patient can follow."""
    errors: dict[str, list[str]] = {}
    for field, value, minimum in (
        ("sets", sets, 1),
        ("reps", reps, 1),
        ("hold_seconds", hold_seconds, 0),
        ("sessions_per_day", sessions_per_day, 1),
    ):
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            errors[field] = [f"Give a whole number of at least {minimum}."]
    if (
        not isinstance(days_of_week, list | tuple)
        or not days_of_week
        or any(not isinstance(day, int) or isinstance(day, bool) or not 0 <= day <= 6 for day in days_of_week)
        or len(set(days_of_week)) != len(days_of_week)
    ):
        errors["days_of_week"] = ["Choose at least one day, each from 0 (Monday) to 6 (Sunday), once."]
    if side not in ("", *Side.values):
        errors["side"] = [f'"{side}" is not a side; use {", ".join(Side.values)} or leave it blank.']
    if errors:
        raise ValidationError(errors)


def _check_editable(phase: Phase) -> None:
    if phase.plan.status not in EDITABLE_STATUSES:
        raise ValidationError(
            f"A {phase.plan.get_status_display().lower()} plan cannot be changed.", code="plan_closed"
        )


def prescription_check_exercise(
    *, phase: Phase, exercise: Exercise, prescription: Prescription | None = None
) -> None:
    """Refuse a retired exercise, a seated one where the plan's branches keep sitting out
    of the phase (the generator's rule), or one the phase already has (other than
    `prescription`)."""
    if not exercise.is_active:
        raise ValidationError({"exercise": [f"{exercise.name} is retired from the library."]})
    if exercise.position == Position.SITTING and no_sitting_in_phase(phase.plan.branches, phase.number):
        raise ValidationError(
            {
                "exercise": [
                    f"{exercise.name} is done sitting, and sitting loads the inferior cluneal nerve: "
                    f"no seated exercise in phase {phase.number} for this plan's branches."
                ]
            }
        )
    clash = Prescription.objects.filter(phase=phase, exercise=exercise)
    if prescription is not None and prescription.pk is not None:
        clash = clash.exclude(pk=prescription.pk)
    if clash.exists():
        raise ValidationError({"exercise": [f"{exercise.name} is already in phase {phase.number}."]})


def prescription_defaults(*, phase: Phase, exercise: Exercise) -> dict[str, Any]:
    """The dose a new prescription starts from: the library's default for the exercise,
    on the plan's side when it is done one side at a time."""
    return {
        "sets": exercise.sets,
        "reps": exercise.reps,
        "hold_seconds": exercise.hold_seconds,
        "sessions_per_day": exercise.sessions_per_day,
        "days_of_week": list(DAYS_OF_WEEK.get(exercise.days_per_week, DAYS_OF_WEEK[7])),
        "side": phase.plan.side if exercise.per_side else "",
    }


def prescription_add(
    *,
    phase: Phase,
    exercise: Exercise,
    sets: int | None = None,
    reps: int | None = None,
    hold_seconds: int | None = None,
    sessions_per_day: int | None = None,
    days_of_week: list[int] | None = None,
    side: str | None = None,
    notes: str = "",
    order: int | None = None,
) -> Prescription:
    """Add an exercise to a phase, last unless `order` says otherwise. A dose field left
    None takes the library's default; a per-side exercise follows the plan's side."""
    _check_editable(phase)
    prescription_check_exercise(phase=phase, exercise=exercise)
    given = {
        "sets": sets,
        "reps": reps,
        "hold_seconds": hold_seconds,
        "sessions_per_day": sessions_per_day,
        "days_of_week": days_of_week,
        "side": side,
    }
    dose = {
        name: default if given[name] is None else given[name]
        for name, default in prescription_defaults(phase=phase, exercise=exercise).items()
    }
    prescription = Prescription(phase=phase, exercise=exercise, notes=notes, **dose)
    prescription_validate(**dose)
    with transaction.atomic():
        if order is None:
            last = Prescription.objects.filter(phase=phase).aggregate(last=Max("order"))["last"]
            order = (last or 0) + 1
        prescription.order = order
        prescription.save()
    return prescription


def prescription_update(
    *,
    prescription: Prescription,
    phase: Phase | None = None,
    exercise: Exercise | None = None,
    sets: int | None = None,
    reps: int | None = None,
    hold_seconds: int | None = None,
    sessions_per_day: int | None = None,
    days_of_week: list[int] | None = None,
    side: str | None = None,
    notes: str | None = None,
    order: int | None = None,
) -> Prescription:
    """Change a prescription; arguments left None stay as they are. A new phase must
    belong to the same plan."""
    current = Prescription.objects.select_related("phase__plan", "exercise").get(pk=prescription.pk)
    _check_editable(current.phase)
    phase = phase or current.phase
    exercise = exercise or current.exercise
    if phase.plan_id != current.phase.plan_id:
        raise ValidationError({"phase": ["Choose a phase of the same plan."]})
    if phase.pk != current.phase_id or exercise.pk != current.exercise_id:
        prescription_check_exercise(phase=phase, exercise=exercise, prescription=current)
    values = {
        "sets": current.sets if sets is None else sets,
        "reps": current.reps if reps is None else reps,
        "hold_seconds": current.hold_seconds if hold_seconds is None else hold_seconds,
        "sessions_per_day": current.sessions_per_day if sessions_per_day is None else sessions_per_day,
        "days_of_week": current.days_of_week if days_of_week is None else list(days_of_week),
        "side": current.side if side is None else side,
    }
    prescription_validate(**values)
    for name, value in values.items():
        setattr(prescription, name, value)
    prescription.phase = phase
    prescription.exercise = exercise
    prescription.notes = current.notes if notes is None else notes
    prescription.order = current.order if order is None else order
    prescription.save()
    return prescription


def prescription_step(*, prescription: Prescription, direction: str) -> Prescription:
    """Move a prescription to the previous (`easier`) or next (`harder`) rung of its
    exercise's ladder, through prescription_update and its checks."""
    current = Prescription.objects.select_related(
        "phase__plan", "exercise__progression", "exercise__regression"
    ).get(pk=prescription.pk)
    exercise = current.exercise
    if direction == EASIER:
        rung = exercise.regression_or_none
    elif direction == HARDER:
        rung = exercise.progression
    else:
        raise ValidationError({"direction": [f'"{direction}" is not a direction; use {EASIER} or {HARDER}.']})
    if rung is None:
        raise ValidationError(f"{exercise.name} has no {direction} rung in the library.", code="no_rung")
    # A step down never lands on a seated rung for these branches, as in the generator.
    if (
        direction == EASIER
        and rung.position == Position.SITTING
        and no_sitting_on_step_down(current.phase.plan.branches)
    ):
        raise ValidationError(
            f"The easier rung, {rung.name}, is done sitting, which this plan's branches rule out.",
            code="seated_rung",
        )
    # The new rung starts from its library default dose, not the old rung's: the old
    # numbers were set for another exercise, and the default is the conservative choice.
    # The days stay as scheduled (the week was laid out to fit a home session), and the
    # notes go, as they may name the old exercise.
    dose = prescription_defaults(phase=current.phase, exercise=rung)
    dose["days_of_week"] = current.days_of_week
    with transaction.atomic():
        stepped = prescription_update(prescription=current, exercise=rung, notes="", **dose)
        # As a save of the plan's page does: the plan shows when it last changed.
        Plan.objects.filter(pk=current.phase.plan_id).update(updated_at=timezone.now())
    return stepped


def prescription_removal_problem(prescription: Prescription) -> str | None:
    """Why the prescription cannot be removed, or None when it can."""
    logged = prescription.completions.count()
    if logged:
        # Completions cascade with their prescription: removing it would erase the
        # patient's record and rewrite their adherence.
        return (
            f"{prescription.exercise.name} has {logged} logged session(s); removing it would erase "
            "them. Duplicate the plan to prescribe a new version instead."
        )
    return None


def prescription_remove(*, prescription: Prescription) -> None:
    """Take an exercise out of a plan; refused once the patient has logged it."""
    _check_editable(prescription.phase)
    problem = prescription_removal_problem(prescription)
    if problem:
        raise ValidationError(problem, code="has_completions")
    prescription.delete()


def prescription_reorder(*, phase: Phase, prescription_ids: list[int]) -> None:
    """Number the phase's prescriptions 1..n in the given order (every one, once)."""
    _check_editable(phase)
    prescriptions = Prescription.objects.in_bulk(prescription_ids)
    if len(prescription_ids) != len(set(prescription_ids)) or set(prescription_ids) != set(
        Prescription.objects.filter(phase=phase).values_list("pk", flat=True)
    ):
        raise ValidationError("Give every prescription of the phase exactly once.", code="reorder")
    for position, pk in enumerate(prescription_ids, start=1):
        prescriptions[pk].order = position
    Prescription.objects.bulk_update(prescriptions.values(), ["order"])
