"""Selectors with a batched form give, for many plans at once, what the one-plan form gives."""

import datetime as dt

import pytest

from ptrx.plans.models import Phase, Prescription
from ptrx.plans.selectors import adherence_by_day_many, adherence_summary
from ptrx.plans.services.plans import plan_set_phase
from ptrx.plans.services.reports import completion_log
from tests.factories import make_active_plan, make_patient

pytestmark = pytest.mark.django_db

START = dt.date(2026, 3, 2)  # a Monday


def log(patient, plan, day: dt.date, every: int) -> None:  # type: ignore[no-untyped-def]
    """Log session 1 of every `every`-th prescription in force."""
    prescriptions = Prescription.objects.filter(phase__plan=plan, phase__number=plan.current_phase)
    for index, prescription in enumerate(prescriptions.order_by("order", "pk")):
        if index % every == 0 and day.weekday() in prescription.days_of_week:
            completion_log(
                patient=patient, prescription_id=prescription.pk, date=day, sets_done=1, pain_during=1
            )


def test_adherence_by_day_many_matches_adherence_summary(library, therapist):
    plans = []
    for index, branches in enumerate((["inferior"], ["superior", "middle"], ["middle"])):
        patient = make_patient(therapist=therapist, branches=branches, timezone_name="UTC")
        plan = make_active_plan(patient, start=START)
        for offset in range(10):
            log(patient, plan, START + dt.timedelta(days=offset), every=index + 1)
        plans.append((patient, plan))
    # The second plan moved up a phase on day 5, and logged there too.
    patient, moved = plans[1]
    moved = plan_set_phase(plan=moved, number=2, on=START + dt.timedelta(days=5))
    for offset in range(5, 12):
        log(patient, moved, START + dt.timedelta(days=offset), every=1)
    plans[1] = (patient, moved)
    # The third plan's first phase was emptied by its therapist.
    Phase.objects.get(plan=plans[2][1], number=1).prescriptions.all().delete()

    windows = [
        (plans[0][1], START - dt.timedelta(days=2), START + dt.timedelta(days=6)),
        (plans[1][1], START + dt.timedelta(days=3), START + dt.timedelta(days=13)),
        (plans[2][1], START, START + dt.timedelta(days=4)),
    ]
    batched = adherence_by_day_many(windows=windows)
    for plan, start, end in windows:
        assert batched[plan.pk] == adherence_summary(plan=plan, start=start, end=end).by_day
    assert any(completed for _day, _prescribed, completed in batched[plans[1][1].pk])
    assert adherence_by_day_many(windows=[]) == {}
