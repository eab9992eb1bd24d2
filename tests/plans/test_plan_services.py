"""Plan services: generation writes a whole plan, activation refuses with a reason,
one active plan per patient (also under concurrent activation on PostgreSQL)."""

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from ptrx.plans.domain import PatientContext, generate_plan
from ptrx.plans.models import Phase, Plan, PlanStatus, Prescription
from ptrx.plans.selectors import catalogue_load, protocols_load
from ptrx.plans.services.plans import (
    plan_activate,
    plan_cancel,
    plan_complete,
    plan_duplicate,
    plan_generate,
    plan_pause,
)
from tests.factories import make_patient

pytestmark = pytest.mark.django_db

START = dt.date(2026, 11, 2)


def test_generate_writes_phases_and_prescriptions_as_a_draft(patient):
    plan = plan_generate(patient=patient, start=START)
    assert plan.status == PlanStatus.DRAFT
    assert plan.branches == ["inferior"]
    assert list(plan.phases.values_list("number", flat=True)) == [1, 2, 3, 4]
    first = Prescription.objects.filter(phase__plan=plan, phase__number=1).select_related("exercise")
    assert first.exists()
    assert not [p for p in first if p.exercise.position == "sitting"]
    sided = [p for p in first if p.exercise.per_side]
    assert sided
    assert {p.side for p in sided} == {"left"}


def test_generate_follows_given_branches_and_refuses_unknown_ones(patient):
    plan = plan_generate(patient=patient, start=START, branches=["superior", "inferior"], side="bilateral")
    assert plan.branches == ["superior", "inferior"]
    with pytest.raises(ValidationError, match="Unknown branch"):
        plan_generate(patient=patient, start=START, branches=["lateral"])
    assert Plan.objects.filter(patient=patient).count() == 1


def test_activation_refused_on_a_positive_red_flag(library, therapist):
    patient = make_patient(therapist=therapist, red_flags={"saddle_numbness": True})
    plan = plan_generate(patient=patient, start=START)
    with pytest.raises(ValidationError, match="red-flag screen"):
        plan_activate(plan=plan)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT


def test_activation_refused_while_another_plan_is_active(patient):
    first = plan_activate(plan=plan_generate(patient=patient, start=START), today=START)
    second = plan_generate(patient=patient, start=START)
    with pytest.raises(ValidationError, match="already has an active plan"):
        plan_activate(plan=second, today=START)
    plan_pause(plan=first, reason="holiday")
    plan_activate(plan=second, today=START)
    assert Plan.objects.get(pk=second.pk).status == PlanStatus.ACTIVE
    assert Phase.objects.get(plan=second, number=1).started_on == START


def test_database_refuses_two_active_plans(patient):
    plan_activate(plan=plan_generate(patient=patient, start=START), today=START)
    other = plan_generate(patient=patient, start=START)
    with pytest.raises(IntegrityError), transaction.atomic():
        Plan.objects.filter(pk=other.pk).update(status=PlanStatus.ACTIVE)


def test_life_cycle_transitions_and_refusals(patient):
    plan = plan_generate(patient=patient, start=START)
    with pytest.raises(ValidationError, match="cannot be paused"):
        plan_pause(plan=plan)
    plan_activate(plan=plan, today=START)
    plan_pause(plan=plan, reason="flare-up review")
    assert Plan.objects.get(pk=plan.pk).status_reason == "flare-up review"
    plan_complete(plan=plan)
    with pytest.raises(ValidationError, match="Only a draft or paused plan"):
        plan_activate(plan=plan)
    with pytest.raises(ValidationError):
        plan_cancel(plan=plan)


def test_duplicate_copies_prescriptions_for_another_patients_side(patient, therapist):
    source = plan_generate(patient=patient, start=START)
    other = make_patient(therapist=therapist, side="right")
    copy = plan_duplicate(plan=source, patient=other, start=START + dt.timedelta(days=7))
    assert copy.status == PlanStatus.DRAFT
    assert copy.patient == other
    original = Prescription.objects.filter(phase__plan=source).count()
    assert Prescription.objects.filter(phase__plan=copy).count() == original
    assert set(
        Prescription.objects.filter(phase__plan=copy, exercise__per_side=True).values_list("side", flat=True)
    ) == {"right"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_activations_leave_exactly_one_active_plan(library, therapist):
    patient = make_patient(therapist=therapist)
    plans = [plan_generate(patient=patient, start=START) for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def activate(plan: Plan) -> None:
        try:
            barrier.wait()
            plan_activate(plan=plan, today=START)
            outcomes.append("activated")
        except ValidationError as exc:
            outcomes.append(exc.messages[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=activate, args=(plan,)) for plan in plans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("activated") == 1
    assert any("already has an active plan" in outcome for outcome in outcomes)
    assert Plan.objects.filter(patient=patient, status=PlanStatus.ACTIVE).count() == 1


def test_generate_writes_the_draft_and_returns_the_saved_plan(patient, therapist):
    # On PostgreSQL the rows are written by hand-made SQL: they must be what the ORM writes.
    plan = plan_generate(patient=patient, start=START, created_by=therapist)
    saved = Plan.objects.get(pk=plan.pk)
    assert not plan._state.adding
    assert plan.patient is patient
    for column in Plan._meta.concrete_fields:
        assert getattr(plan, column.attname) == getattr(saved, column.attname), column.name
    assert saved.status == PlanStatus.DRAFT and saved.created_by == therapist
    context = PatientContext(
        branches=frozenset(patient.branches), side=patient.side, irritability=patient.irritability
    )
    draft = generate_plan(context, catalogue_load(), protocols_load(), start=START)
    assert list(
        saved.phases.order_by("id").values_list(
            "number", "name", "goal", "min_weeks", "typical_weeks", "started_on", "ended_on"
        )
    ) == [
        (phase.number, phase.name, phase.goal, phase.min_weeks, phase.typical_weeks, None, None)
        for phase in draft.phases
    ]
    assert list(
        Prescription.objects.filter(phase__plan=plan)
        .order_by("id")
        .values_list(
            "phase__number",
            "exercise__slug",
            "sets",
            "reps",
            "hold_seconds",
            "side",
            "sessions_per_day",
            "days_of_week",
            "notes",
            "order",
        )
    ) == [
        (
            phase.number,
            item.exercise,
            item.sets,
            item.reps,
            item.hold_seconds,
            item.side,
            item.sessions_per_day,
            list(item.days_of_week),
            item.notes,
            item.order,
        )
        for phase in draft.phases
        for item in phase.prescriptions
    ]
