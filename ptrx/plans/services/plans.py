"""Generating plans and moving them through their life: draft, active, paused, completed."""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ptrx.exercises.models import Exercise
from ptrx.plans.domain import DomainError, PatientContext, generate_plan
from ptrx.plans.domain.red_flags import positive_red_flags
from ptrx.plans.models import Patient, Phase, Plan, PlanStatus, Prescription
from ptrx.plans.selectors import catalogue_load, protocols_load

# Which status each action may start from; one table, so the admin, the API and
# the jobs agree on what is allowed.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    PlanStatus.ACTIVE: (PlanStatus.DRAFT, PlanStatus.PAUSED),
    PlanStatus.PAUSED: (PlanStatus.ACTIVE,),
    PlanStatus.COMPLETED: (PlanStatus.ACTIVE, PlanStatus.PAUSED),
    PlanStatus.CANCELLED: (PlanStatus.DRAFT, PlanStatus.ACTIVE, PlanStatus.PAUSED),
}


def plan_generate(
    *,
    patient: Patient,
    start: dt.date,
    branches: list[str] | None = None,
    side: str | None = None,
    irritability: str | None = None,
    created_by: Any = None,
) -> Plan:
    """Generate a draft plan from the protocols for the patient's branches (or the given ones)."""
    try:
        context = PatientContext(
            branches=frozenset(branches or patient.branches),
            side=side or patient.side,
            irritability=irritability or patient.irritability,
        )
        draft = generate_plan(context, catalogue_load(), protocols_load(), start=start)
    except DomainError as exc:
        raise ValidationError(str(exc)) from exc
    slugs = {p.exercise for phase in draft.phases for p in phase.prescriptions}
    exercise_ids = dict(Exercise.objects.filter(slug__in=slugs).values_list("slug", "id"))
    with transaction.atomic():
        plan = Plan.objects.create(
            patient=patient,
            title=draft.title,
            branches=list(draft.branches),
            side=draft.side,
            irritability=draft.irritability,
            start_date=draft.start,
            created_by=created_by,
        )
        phases = Phase.objects.bulk_create(
            Phase(
                plan=plan,
                number=phase.number,
                name=phase.name,
                goal=phase.goal,
                min_weeks=phase.min_weeks,
                typical_weeks=phase.typical_weeks,
            )
            for phase in draft.phases
        )
        Prescription.objects.bulk_create(
            Prescription(
                phase=phase,
                exercise_id=exercise_ids[item.exercise],
                sets=item.sets,
                reps=item.reps,
                hold_seconds=item.hold_seconds,
                side=item.side,
                sessions_per_day=item.sessions_per_day,
                days_of_week=list(item.days_of_week),
                notes=item.notes,
                order=item.order,
            )
            for phase, phase_draft in zip(phases, draft.phases, strict=True)
            for item in phase_draft.prescriptions
        )
    return plan


def plan_activation_problem(plan: Plan) -> str | None:
    """Why this plan cannot be activated now, or None when it can."""
    if plan.status not in TRANSITIONS[PlanStatus.ACTIVE]:
        return (
            f"Only a draft or paused plan can be activated; this plan is {plan.get_status_display().lower()}."
        )
    flags = positive_red_flags(plan.patient.red_flags)
    if flags:
        return (
            "The red-flag screen has a positive answer (" + ", ".join(flags) + "): the patient needs "
            "medical review before exercise. Record a clear screen on the patient first."
        )
    other = (
        Plan.objects.filter(patient_id=plan.patient_id, status=PlanStatus.ACTIVE).exclude(pk=plan.pk).first()
    )
    if other is not None:
        return f'This patient already has an active plan ("{other.title}"); pause or complete it first.'
    return None


def plan_activate(*, plan: Plan, today: dt.date | None = None) -> Plan:
    """Make the plan the patient's active plan; refuses with the reason when it must not."""
    today = today or timezone.localdate()
    with transaction.atomic():
        # Locking the patient serialises activations of their plans, so the second
        # of two concurrent activations sees the first and gets the clear reason.
        Patient.objects.select_for_update().filter(pk=plan.patient_id).first()
        plan = Plan.objects.select_related("patient").select_for_update(of=("self",)).get(pk=plan.pk)
        problem = plan_activation_problem(plan)
        if problem:
            raise ValidationError(problem, code="activation_refused")
        plan.status = PlanStatus.ACTIVE
        plan.status_reason = ""
        try:
            with transaction.atomic():
                plan.save(update_fields=["status", "status_reason", "updated_at"])
        except IntegrityError as exc:
            raise ValidationError(
                "This patient already has an active plan; pause or complete it first.",
                code="activation_refused",
            ) from exc
        Phase.objects.filter(plan=plan, number=plan.current_phase, started_on__isnull=True).update(
            started_on=max(plan.start_date, today)
        )
    return plan


def _plan_move(*, plan: Plan, to: str, reason: str = "") -> Plan:
    with transaction.atomic():
        plan = Plan.objects.select_for_update().get(pk=plan.pk)
        if plan.status not in TRANSITIONS[to]:
            raise ValidationError(
                f"A {plan.get_status_display().lower()} plan cannot be {PlanStatus(to).label.lower()}.",
                code="invalid_transition",
            )
        plan.status = to
        plan.status_reason = reason[:240]
        plan.save(update_fields=["status", "status_reason", "updated_at"])
    return plan


def plan_pause(*, plan: Plan, reason: str = "") -> Plan:
    """Pause an active plan (reminders stop, nothing is due)."""
    return _plan_move(plan=plan, to=PlanStatus.PAUSED, reason=reason)


def plans_pause_for_red_flags(*, patient: Patient, flags: tuple[str, ...], source: str) -> list[Plan]:
    """Pause the patient's active plan because of positive red flags (CLINICAL.md §5);
    returns the plans paused. `source` says who reported them, for the reason shown."""
    reason = f"Red flag {source}: " + ", ".join(flags)
    active = Plan.objects.filter(patient=patient, status=PlanStatus.ACTIVE)
    return [plan_pause(plan=plan, reason=reason) for plan in active]


def plan_complete(*, plan: Plan) -> Plan:
    """Mark an active or paused plan as finished."""
    return _plan_move(plan=plan, to=PlanStatus.COMPLETED)


def plan_cancel(*, plan: Plan, reason: str = "") -> Plan:
    """Withdraw a plan that will not be (or no longer is) followed."""
    return _plan_move(plan=plan, to=PlanStatus.CANCELLED, reason=reason)


def plan_set_phase(*, plan: Plan, number: int, on: dt.date) -> Plan:
    """Move the plan to phase `number` from date `on` (used by progression decisions)."""
    with transaction.atomic():
        plan = Plan.objects.select_for_update().get(pk=plan.pk)
        if not Phase.objects.filter(plan=plan, number=number).exists():
            raise ValidationError(f"This plan has no phase {number}.", code="no_such_phase")
        if number == plan.current_phase:
            return plan
        Phase.objects.filter(plan=plan, number=plan.current_phase).update(ended_on=on)
        Phase.objects.filter(plan=plan, number=number).update(started_on=on, ended_on=None)
        plan.current_phase = number
        plan.save(update_fields=["current_phase", "updated_at"])
    return plan


def plan_duplicate(*, plan: Plan, patient: Patient, start: dt.date, created_by: Any = None) -> Plan:
    """Copy a plan's phases and prescriptions as a draft for another (or the same) patient."""
    source = Plan.objects.prefetch_related("phases__prescriptions__exercise").get(pk=plan.pk)
    with transaction.atomic():
        copy = Plan.objects.create(
            patient=patient,
            title=source.title,
            branches=source.branches,
            side=patient.side,
            irritability=source.irritability,
            start_date=start,
            auto_progress=source.auto_progress,
            created_by=created_by,
        )
        for phase in source.phases.all():
            new_phase = Phase.objects.create(
                plan=copy,
                number=phase.number,
                name=phase.name,
                goal=phase.goal,
                min_weeks=phase.min_weeks,
                typical_weeks=phase.typical_weeks,
            )
            Prescription.objects.bulk_create(
                Prescription(
                    phase=new_phase,
                    exercise=item.exercise,
                    sets=item.sets,
                    reps=item.reps,
                    hold_seconds=item.hold_seconds,
                    # Sided exercises follow the new patient's side.
                    side=patient.side if item.exercise.per_side else "",
                    sessions_per_day=item.sessions_per_day,
                    days_of_week=item.days_of_week,
                    notes=item.notes,
                    order=item.order,
                )
                for item in phase.prescriptions.all()
            )
    return copy
