"""The nightly jobs read plans in chunks: their queries do not grow with the number of plans,
and a chunk's inputs are those each plan would get alone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ptrx.plans.models import Phase, Plan
from ptrx.plans.services.logs import checkin_record, completion_log
from ptrx.plans.services.progress_inputs import progress_input, progress_inputs
from ptrx.plans.services.progression import progression_evaluate_due
from ptrx.plans.services.tracking import adherence_snapshots_take
from tests.factories import CLEAR_SCREEN, make_active_plan, make_patient

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 6, 20, 3, 0, tzinfo=dt.UTC)
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Pacific/Auckland"]


def make_plans(count: int) -> list[Plan]:
    """Plans in several zones, started three weeks before NOW, with some sessions and
    check-ins (calm ones: every decision is a hold without warning signs)."""
    plans = []
    for n in range(count):
        patient = make_patient(timezone_name=ZONES[n % len(ZONES)])
        plan = make_active_plan(patient, start=dt.date(2025, 5, 30))
        phase = Phase.objects.get(plan=plan, number=plan.current_phase)
        for back in range(1, 8):
            day = dt.date(2025, 6, 19) - dt.timedelta(days=back)
            checkin_record(
                red_flags=CLEAR_SCREEN, patient=patient, date=day, pain_now=2, pain_next_morning=n % 3
            )
            for prescription in phase.prescriptions.all()[: n % 3]:
                completion_log(
                    patient=patient,
                    prescription_id=prescription.pk,
                    date=day,
                    session=1,
                    sets_done=1,
                    pain_during=(n + back) % 3,
                )
        plans.append(plan)
    return plans


def queries(job: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as captured:
        job()
    return len(captured)


@pytest.mark.parametrize(
    "job",
    [lambda: adherence_snapshots_take(now=NOW), lambda: progression_evaluate_due(now=NOW)],
    ids=["snapshots", "progression"],
)
def test_the_nightly_jobs_queries_do_not_grow_with_the_plans(library: None, job: Callable[[], Any]) -> None:
    make_plans(3)
    few = queries(job)
    Plan.objects.all().delete()
    make_plans(12)
    assert queries(job) == few


def test_a_chunk_gets_the_inputs_each_plan_gets_alone(library: None) -> None:
    plans = make_plans(8)
    due = [(plan, dt.date(2025, 6, 20)) for plan in plans]
    assert progress_inputs(due=due) == {plan.pk: progress_input(plan=plan, on=on) for plan, on in due}
