"""Generating plans and moving them through their life: draft, active, paused, completed."""

import contextlib
import datetime as dt
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from ptrx.plans.domain import DomainError, PatientContext, PlanDraft, generate_plan
from ptrx.plans.domain.precautions import (
    PRECAUTIONS,
    Adjustment,
    clearance_needed,
    precautions_finish,
    precautions_restrict,
)
from ptrx.plans.domain.red_flags import positive_red_flags
from ptrx.plans.models import Patient, Phase, Plan, PlanStatus, Prescription
from ptrx.plans.selectors import patient_local_today, plan_sources_load

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
        sources = plan_sources_load()
        context = PatientContext(
            branches=frozenset(branches or patient.branches),
            side=side or patient.side,
            irritability=irritability or patient.irritability,
        )
        restricted = precautions_restrict(
            sources.catalogue, sources.protocols, patient.precautions, branches=context.branches
        )
        draft = generate_plan(context, restricted.catalogue, restricted.protocols, start=start)
        draft, changes = precautions_finish(draft, restricted)
    except DomainError as exc:
        raise ValidationError(str(exc)) from exc
    plan = plan_unsaved(patient=patient, draft=draft, created_by=created_by)
    # The PostgreSQL insert is one statement, atomic alone; a precautions record joins it
    # in one transaction (only then).
    with transaction.atomic() if changes else contextlib.nullcontext():
        if connection.vendor == "postgresql":
            _plan_insert_postgresql(plan=plan, draft=draft, exercise_ids=sources.exercise_ids)
        else:
            _plan_insert_orm(plan=plan, draft=draft, exercise_ids=sources.exercise_ids)
        _plan_record_changes(plan=plan, changes=changes)
    return plan


def plan_unsaved(*, patient: Patient, draft: PlanDraft, created_by: Any = None) -> Plan:
    """The plan row of a draft, not saved yet."""
    return Plan(
        patient=patient,
        title=draft.title,
        branches=list(draft.branches),
        side=draft.side,
        irritability=draft.irritability,
        start_date=draft.start,
        created_by=created_by,
    )


def _plan_insert_orm(*, plan: Plan, draft: PlanDraft, exercise_ids: Mapping[str, int]) -> None:
    """Save the new `plan` with the draft's phases and prescriptions through the ORM."""
    with transaction.atomic():
        plan.save(force_insert=True)
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


def _plan_record_changes(*, plan: Plan, changes: Sequence[Adjustment]) -> None:
    """Keep on the plan what the patient's precautions changed, for the therapist."""
    if not changes:
        return
    plan.precaution_changes = [
        {
            "phase": change.phase,
            "exercise": change.exercise,
            "action": change.action,
            "replacement": change.replacement,
            "precautions": list(change.precautions),
        }
        for change in changes
    ]
    Plan.objects.filter(pk=plan.pk).update(precaution_changes=plan.precaution_changes)


# A whole plan written on PostgreSQL in one statement, so in one round trip and atomic
# without BEGIN and COMMIT: the plan, its phases with the plan's new id, and the
# prescriptions joined to their phase's new id by number. Phases and prescriptions come
# as a JSON document each, so psycopg quotes 15 values rather than 400 and parses
# the statement once per process. Every column the ORM would write is written, with the
# same values (tests/plans/test_sql_parity.py runs both paths and compares the rows).
_PG_PLAN_INSERT = f"""
WITH plan AS (
    INSERT INTO {Plan._meta.db_table} (patient_id, title, status, branches, side, irritability, start_date,
                            current_phase, auto_progress, status_reason, created_by_id, created_at,
                            updated_at)
    VALUES (%(patient_id)s, %(title)s, %(status)s, %(branches)s::jsonb, %(side)s, %(irritability)s,
            %(start_date)s, %(current_phase)s, %(auto_progress)s, %(status_reason)s, %(created_by_id)s,
            %(created_at)s, %(updated_at)s)
    RETURNING id
), phase AS (
    INSERT INTO {Phase._meta.db_table} (plan_id, number, name, goal, min_weeks, typical_weeks)
    SELECT plan.id, p.number, p.name, p.goal, p.min_weeks, p.typical_weeks
    FROM plan, jsonb_to_recordset(%(phases)s::jsonb)
         AS p(number int, name text, goal text, min_weeks int, typical_weeks int)
    ORDER BY p.number
    RETURNING id, number
), prescription AS (
    INSERT INTO {Prescription._meta.db_table} (phase_id, exercise_id, sets, reps, hold_seconds, side,
                                    sessions_per_day, days_of_week, notes, "order")
    SELECT phase.id, r.exercise_id, r.sets, r.reps, r.hold_seconds, r.side, r.sessions_per_day,
           r.days_of_week, r.notes, r."order"
    FROM jsonb_to_recordset(%(prescriptions)s::jsonb)
         AS r(n int, phase int, exercise_id bigint, sets int, reps int, hold_seconds int, side text,
              sessions_per_day int, days_of_week jsonb, notes text, "order" int)
    JOIN phase ON phase.number = r.phase
    ORDER BY r.n
)
SELECT id FROM plan
"""  # noqa: S608 (the table names are the models' own)


def _plan_insert_postgresql(*, plan: Plan, draft: PlanDraft, exercise_ids: Mapping[str, int]) -> None:
    """Save the new `plan` with the draft's phases and prescriptions as plain rows, without
    model instances: a plan has about 40 prescriptions, and building and preparing them
    through the ORM cost more than the rest of `plan_generate` (PERFORMANCE.md §3)."""
    plan.created_at = plan.updated_at = timezone.now()
    phases = [
        {
            "number": phase.number,
            "name": phase.name,
            "goal": phase.goal,
            "min_weeks": phase.min_weeks,
            "typical_weeks": phase.typical_weeks,
        }
        for phase in draft.phases
    ]
    prescriptions = [
        {
            "n": n,
            "phase": number,
            "exercise_id": exercise_ids[item.exercise],
            "sets": item.sets,
            "reps": item.reps,
            "hold_seconds": item.hold_seconds,
            "side": item.side,
            "sessions_per_day": item.sessions_per_day,
            "days_of_week": item.days_of_week,
            "notes": item.notes,
            "order": item.order,
        }
        for n, (number, item) in enumerate(
            (phase.number, item) for phase in draft.phases for item in phase.prescriptions
        )
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            _PG_PLAN_INSERT,
            {
                "patient_id": plan.patient_id,
                "title": plan.title,
                "status": str(plan.status),
                "branches": json.dumps(plan.branches),
                "side": plan.side,
                "irritability": plan.irritability,
                "start_date": plan.start_date,
                "current_phase": plan.current_phase,
                "auto_progress": plan.auto_progress,
                "status_reason": plan.status_reason,
                "created_by_id": plan.created_by_id,
                "created_at": plan.created_at,
                "updated_at": plan.updated_at,
                "phases": json.dumps(phases),
                "prescriptions": json.dumps(prescriptions),
            },
        )
        (plan.pk,) = cursor.fetchone()
    # Now a saved instance, as Model.from_db marks the ones it loads.
    plan._state.adding = False
    plan._state.db = connection.alias


def plan_activation_problem(plan: Plan) -> str | None:
    """Why this plan cannot be activated now, or None when it can."""
    if plan.status not in TRANSITIONS[PlanStatus.ACTIVE]:
        return (
            f"Only a draft or paused plan can be activated; this plan is {plan.get_status_display().lower()}."
        )
    waiting = clearance_needed(plan.patient.precautions)
    if waiting and plan.patient.precautions_cleared_on is None:
        return (
            "The precaution screen records "
            + "; ".join(PRECAUTIONS[code].label.lower() for code in waiting)
            + ": record the clearance date on the patient before activating a plan."
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
        today = today or patient_local_today(patient=plan.patient)
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
        if number == plan.current_phase:
            return plan
        plans_move_phase(moves=[(plan.pk, plan.current_phase, number, on)])
        plan.refresh_from_db(fields=["current_phase", "updated_at"])
    return plan


def plans_move_phase(*, moves: Sequence[tuple[int, int, int, dt.date]]) -> None:
    """Move each (plan id, from phase, to phase, date): the old phase ends on the date and
    the new one starts then. Three statements per distinct (from, to, date), however many
    plans; the caller holds the plans' locks, in a transaction."""
    groups: dict[tuple[int, int, dt.date], list[int]] = defaultdict(list)
    for plan_id, from_phase, to_phase, on in moves:
        groups[(from_phase, to_phase, on)].append(plan_id)
    for (from_phase, to_phase, on), plan_ids in groups.items():
        # The new phase first: a plan without it refuses the whole move (the caller's
        # transaction rolls back what was moved before). The one check of that rule.
        moved = Phase.objects.filter(plan_id__in=plan_ids, number=to_phase).update(
            started_on=on, ended_on=None
        )
        if moved != len(plan_ids):
            raise ValidationError(f"This plan has no phase {to_phase}.", code="no_such_phase")
        Phase.objects.filter(plan_id__in=plan_ids, number=from_phase).update(ended_on=on)
        Plan.objects.filter(pk__in=plan_ids).update(current_phase=to_phase, updated_at=timezone.now())


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
