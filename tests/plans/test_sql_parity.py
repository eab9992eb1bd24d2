"""The PostgreSQL statements kept for the benchmarks give what their ORM twins give.

Each test runs both paths on the same PostgreSQL data: the plan insert, the sweep's
"left today" and the reminder insert.
"""

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from ptrx.plans.models import Notification, NotificationKind, Phase, Plan, Prescription
from ptrx.plans.reminders.bodies import ReminderBodies
from ptrx.plans.reminders.candidates import Candidate
from ptrx.plans.reminders.left_today import _left_today, _left_today_postgresql
from ptrx.plans.reminders.storing import _reminders_insert_orm, _reminders_insert_postgresql
from ptrx.plans.reminders.sweep import _reminder_rows
from ptrx.plans.selectors import plan_sources_load
from ptrx.plans.services.logs import completion_log
from ptrx.plans.services.plans import _plan_insert_orm, _plan_insert_postgresql, plan_unsaved
from tests.factories import make_active_plan, make_patient

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

START = dt.date(2026, 3, 2)  # a Monday


def _plan_rows(plan: Plan) -> tuple[Any, ...]:
    saved = Plan.objects.values().get(pk=plan.pk)
    for column in ("id", "created_at", "updated_at"):
        saved.pop(column)
    phases = list(Phase.objects.filter(plan=plan).order_by("number").values().iterator())
    for phase in phases:
        phase.pop("id"), phase.pop("plan_id")
    prescriptions = list(
        Prescription.objects.filter(phase__plan=plan)
        .order_by("phase__number", "order", "id")
        .values("phase__number", *(f.attname for f in Prescription._meta.concrete_fields))
    )
    for prescription in prescriptions:
        prescription.pop("id"), prescription.pop("phase_id")
    return saved, phases, prescriptions


def test_the_plan_insert_writes_what_the_orm_writes(library: Any, therapist: Any) -> None:
    from ptrx.plans.domain import PatientContext, generate_plan

    patient = make_patient(therapist=therapist, branches=["inferior", "middle"], side="bilateral")
    sources = plan_sources_load()
    draft = generate_plan(
        PatientContext(branches=frozenset(patient.branches), side=patient.side, irritability="high"),
        sources.catalogue,
        sources.protocols,
        start=START,
    )
    rows = []
    for insert in (_plan_insert_orm, _plan_insert_postgresql):
        plan = plan_unsaved(patient=patient, draft=draft, created_by=therapist)
        insert(plan=plan, draft=draft, exercise_ids=sources.exercise_ids)
        rows.append(_plan_rows(plan))
    assert rows[0] == rows[1]
    assert len(rows[0][2]) > 20  # a whole plan, not an empty one


def _candidates(plans: list[Plan], day: dt.date) -> list[Candidate]:
    return [
        Candidate(
            plan_id=plan.pk,
            patient_id=plan.patient_id,
            first_name=plan.patient.user.first_name,
            channel=plan.patient.reminder_channel,
            start_date=plan.start_date,
            local_date=day,
            send_before=timezone.now() + dt.timedelta(hours=3),
            current_phase=plan.current_phase,
            branches=plan.branches,
        )
        for plan in plans
    ]


@pytest.fixture
def plans_with_history(library: Any, therapist: Any) -> list[Plan]:
    """Plans in different states on the days after START: nothing logged, partly and
    wholly logged days, advice acknowledged, a recent nudge, a later phase."""
    plans = [
        make_active_plan(make_patient(therapist=therapist, branches=branches, side=side), start=START)
        for branches, side in (
            (["inferior"], "left"),
            (["superior"], "right"),
            (["middle", "inferior"], "bilateral"),
            (["superior", "middle", "inferior"], "bilateral"),
        )
    ]
    first, second, third, fourth = plans
    for prescription in Prescription.objects.filter(phase__plan=second, phase__number=1):
        for day in (START, START + dt.timedelta(days=3)):
            if day.weekday() in prescription.days_of_week:
                for session in range(1, prescription.sessions_per_day + 1):
                    completion_log(
                        patient=second.patient,
                        prescription_id=prescription.pk,
                        date=day,
                        session=session,
                        sets_done=1,
                        pain_during=2,
                    )
    one = Prescription.objects.filter(phase__plan=third, phase__number=1).order_by("order").first()
    assert one is not None
    completion_log(
        patient=third.patient,
        prescription_id=one.pk,
        date=START + dt.timedelta(days=3),
        sets_done=1,
        pain_during=1,
    )
    Notification.objects.create(
        patient=first.patient,
        plan=first,
        kind=NotificationKind.MISSED,
        local_date=START + dt.timedelta(days=2),
        send_before=timezone.now(),
    )
    Plan.objects.filter(pk=fourth.pk).update(current_phase=3)
    return list(Plan.objects.filter(pk__in=[p.pk for p in plans]).select_related("patient__user"))


def test_left_today_in_sql_is_the_orms_left_today(plans_with_history: list[Plan]) -> None:
    found_something = False
    for offset in range(7):  # every weekday: rest days, logged days and days with work left
        candidates = _candidates(plans_with_history, START + dt.timedelta(days=offset + 3))
        orm = _left_today(candidates)
        assert _left_today_postgresql(candidates) == orm, offset
        found_something |= bool(orm)
    assert found_something


def test_the_reminder_insert_writes_what_the_orm_writes(plans_with_history: list[Plan]) -> None:
    candidates = _candidates(plans_with_history, START + dt.timedelta(days=4))
    bodies = ReminderBodies()
    rows = _reminder_rows(candidates, bodies)
    assert rows
    written = []
    for insert in (_reminders_insert_orm, _reminders_insert_postgresql):
        Notification.objects.filter(local_date=START + dt.timedelta(days=4)).delete()
        insert(rows, bodies)
        saved = list(
            Notification.objects.filter(local_date=START + dt.timedelta(days=4))
            .order_by("patient_id", "kind")
            .values()
        )
        for row in saved:
            row.pop("id"), row.pop("created_at")
        written.append(saved)
    assert written[0] == written[1]
    assert len(written[0]) == len(rows)
