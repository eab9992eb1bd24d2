"""The daily progression job over many plans at once: the plans whose decision moves
them or alerts the therapist are recorded together, in a number of queries that does
not grow with them, and a plan changed since its chunk was read is decided afresh."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ptrx.plans.domain import evaluate_progress as decide
from ptrx.plans.models import Notification, NotificationKind, Patient, Phase, Plan, ProgressionDecision
from ptrx.plans.services.plans import plan_set_phase
from ptrx.plans.services.progress_inputs import progress_input
from ptrx.plans.services.progression import _eventful_record, progression_evaluate_due
from tests.jobs.test_progression import log_week, patient_in_phase

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _not_near_midnight() -> None:
    if dt.datetime.now(dt.UTC).time() > dt.time(23, 58):
        pytest.skip("too close to midnight UTC")


def population(today: dt.date, *, each: int) -> dict[str, list[Patient]]:
    """`each` patients ready to advance, to step back, to advance on review, and to hold."""
    kinds: dict[str, list[Patient]] = {"advance": [], "regress": [], "review": [], "hold": []}
    for _ in range(each):
        patient = patient_in_phase(today, phase=1)
        log_week(patient, today)
        kinds["advance"].append(patient)
        patient = patient_in_phase(today, phase=3, auto_progress=False)
        log_week(patient, today, pain={3: 7})
        kinds["regress"].append(patient)
        patient = patient_in_phase(today, phase=1, auto_progress=False)
        log_week(patient, today)
        kinds["review"].append(patient)
        patient = patient_in_phase(today, phase=2)
        log_week(patient, today, skip={1, 3, 5, 6})
        kinds["hold"].append(patient)
    return kinds


def run_due(today: dt.date) -> int:
    with CaptureQueriesContext(connection) as queries:
        progression_evaluate_due(now=dt.datetime.combine(today, dt.time(12, 0), tzinfo=dt.UTC))
    return len(queries)


def phase_of(patient: Patient) -> int:
    return Plan.objects.get(patient=patient).current_phase


def test_every_kind_of_decision_is_applied_in_one_pass(library: None) -> None:
    today = dt.datetime.now(dt.UTC).date()
    kinds = population(today, each=2)

    run_due(today)

    assert [phase_of(p) for p in kinds["advance"]] == [2, 2]
    assert [phase_of(p) for p in kinds["regress"]] == [2, 2]
    assert [phase_of(p) for p in kinds["review"]] == [1, 1]
    assert [phase_of(p) for p in kinds["hold"]] == [2, 2]
    for patient in kinds["advance"] + kinds["regress"]:
        plan = Plan.objects.get(patient=patient)
        started = Phase.objects.get(plan=plan, number=plan.current_phase).started_on
        assert started == today
    outcomes = {
        (decision.plan.patient_id, decision.outcome, decision.applied)
        for decision in ProgressionDecision.objects.select_related("plan")
    }
    assert outcomes == (
        {(p.pk, "advance", True) for p in kinds["advance"]}
        | {(p.pk, "regress", True) for p in kinds["regress"]}
        | {(p.pk, "advance", False) for p in kinds["review"]}
        | {(p.pk, "hold", False) for p in kinds["hold"]}
    )
    alerted = set(
        Notification.objects.filter(kind=NotificationKind.THERAPIST_ALERT).values_list(
            "patient_id", flat=True
        )
    )
    assert alerted == {p.pk for p in kinds["regress"] + kinds["review"]}

    # A second run the same day decides nothing again and moves nothing.
    run_due(today)
    assert ProgressionDecision.objects.count() == 8
    assert [phase_of(p) for p in kinds["regress"]] == [2, 2]


def test_the_queries_do_not_grow_with_the_plans_that_change(library: None) -> None:
    today = dt.datetime.now(dt.UTC).date()
    population(today, each=1)
    few = run_due(today)
    ProgressionDecision.objects.all().delete()
    Notification.objects.all().delete()
    Plan.objects.all().delete()

    population(today, each=3)
    many = run_due(today)

    assert ProgressionDecision.objects.count() == 12
    assert many == few


def test_a_plan_moved_since_it_was_read_is_decided_afresh(library: None) -> None:
    today = dt.datetime.now(dt.UTC).date()
    patient = patient_in_phase(today, phase=3, auto_progress=False)
    log_week(patient, today, pain={3: 7})
    read = Plan.objects.get(patient=patient)
    decision = decide(progress_input(plan=read, on=today))
    assert decision.outcome == "regress"
    # Meanwhile the therapist stepped the plan back to phase 1 themselves.
    plan_set_phase(plan=Plan.objects.get(pk=read.pk), number=1, on=today)

    (record,) = _eventful_record([(read, today, decision)])

    # Judged again from phase 1 (nothing of it logged yet), not stepped back from 3 to 2.
    assert (record.from_phase, record.to_phase) == (1, 1)
    assert phase_of(patient) == 1


def test_auto_progress_turned_off_since_the_read_is_respected(library: None) -> None:
    today = dt.datetime.now(dt.UTC).date()
    patient = patient_in_phase(today, phase=1)
    log_week(patient, today)
    read = Plan.objects.get(patient=patient)
    decision = decide(progress_input(plan=read, on=today))
    assert decision.outcome == "advance" and read.auto_progress
    # Meanwhile the therapist decided to review every step themselves.
    Plan.objects.filter(pk=read.pk).update(auto_progress=False)

    (record,) = _eventful_record([(read, today, decision)])

    assert (record.outcome, record.applied) == ("advance", False)
    assert phase_of(patient) == 1
    assert Notification.objects.filter(kind=NotificationKind.THERAPIST_ALERT, patient=patient).exists()
