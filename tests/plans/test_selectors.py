"""Selectors with a batched form give, for many plans at once, what the one-plan form gives."""

import datetime as dt

import pytest

from ptrx.plans.models import Completion, Phase, Prescription
from ptrx.plans.selectors import adherence_by_day_many, adherence_summary
from ptrx.plans.services.logs import completion_log
from ptrx.plans.services.plans import plan_set_phase
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
    # What the counts leave out: a session logged on a rest day of its exercise, one of
    # a phase no longer in force, and a second session of an exercise since cut to one.
    patient, plan = plans[0]
    in_force = list(Prescription.objects.filter(phase__plan=plan, phase__number=1).order_by("order", "pk"))
    Prescription.objects.filter(pk=in_force[1].pk).update(days_of_week=[0, 2, 4])
    completion_log(  # a Tuesday, a rest day of this exercise now
        patient=patient,
        prescription_id=in_force[1].pk,
        date=START + dt.timedelta(days=1),
        sets_done=1,
        pain_during=1,
    )
    patient, moved = plans[1]
    left_behind = Prescription.objects.filter(phase__plan=moved, phase__number=1).first()
    assert left_behind is not None
    completion_log(
        patient=patient,
        prescription_id=left_behind.pk,
        date=START + dt.timedelta(days=8),
        sets_done=1,
        pain_during=1,
    )
    cut = in_force[0]
    Prescription.objects.filter(pk=cut.pk).update(sessions_per_day=2)
    for session in (1, 2):
        completion_log(
            patient=plans[0][0], prescription_id=cut.pk, date=START + dt.timedelta(days=1), session=session,
            sets_done=1, pain_during=1,
        )  # fmt: skip
    # Only a second session logged, then the exercise cut to one a day: nothing counts.
    gap = in_force[2]
    Completion.objects.filter(prescription=gap, date=START + dt.timedelta(days=2)).delete()
    Prescription.objects.filter(pk=gap.pk).update(sessions_per_day=2)
    completion_log(
        patient=plans[0][0], prescription_id=gap.pk, date=START + dt.timedelta(days=2), session=2,
        sets_done=1, pain_during=1,
    )  # fmt: skip
    Prescription.objects.filter(pk__in=[cut.pk, gap.pk]).update(sessions_per_day=1)
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
