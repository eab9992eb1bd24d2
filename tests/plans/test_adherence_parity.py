"""One adherence figure (CLINICAL.md §4, §6): the same plan, with advice items and a gap,
gives the same percent through every caller; advice items never count."""

import datetime as dt

import pytest
import time_machine

from ptrx.plans.domain import ADVICE, adherence_percent, evaluate_progress
from ptrx.plans.models import AdherenceSnapshot, Notification, Patient, Prescription, TherapistDigest
from ptrx.plans.reminders import reminders_dispatch
from ptrx.plans.selectors import patient_list_follow_up, today_for
from ptrx.plans.services.logs import completion_log
from ptrx.plans.services.progress_inputs import progress_input
from ptrx.plans.services.tracking import adherence_snapshots_take, therapist_digests_prepare
from tests.conftest import client_for
from tests.factories import make_active_plan, make_patient

pytestmark = pytest.mark.django_db

START = dt.date(2026, 3, 2)  # a Monday
WINDOW = [START + dt.timedelta(days=n) for n in range(1, 8)]  # the 7 days judged
LOGGED = WINDOW[:3]  # then a gap: nothing logged on the last four days


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def exercise_items(plan, day: dt.date) -> list[Prescription]:  # type: ignore[no-untyped-def]
    return [
        p
        for p in Prescription.objects.filter(phase__plan=plan, phase__number=1).select_related("exercise")
        if day.weekday() in p.days_of_week
    ]


def log_exercises(patient: Patient, plan, day: dt.date) -> None:  # type: ignore[no-untyped-def]
    for p in exercise_items(plan, day):
        if today_kind(p) == ADVICE:
            continue  # advice left untouched, as a patient who only exercises does
        for session in range(1, p.sessions_per_day + 1):
            completion_log(
                patient=patient,
                prescription_id=p.pk,
                date=day,
                session=session,
                sets_done=p.sets,
                pain_during=2,
            )


def today_kind(prescription: Prescription) -> str:
    return prescription.kind


def test_every_caller_gives_the_same_adherence(library, therapist) -> None:
    patient = make_patient(therapist=therapist, branches=["inferior"], side="left", timezone_name="UTC")
    plan = make_active_plan(patient, start=START)
    for day in LOGGED:
        log_exercises(patient, plan, day)
    prescribed = completed = with_advice = 0
    for day in WINDOW:
        for p in exercise_items(plan, day):
            if today_kind(p) == ADVICE:
                with_advice += p.sessions_per_day
                continue
            prescribed += p.sessions_per_day
            completed += p.sessions_per_day if day in LOGGED else 0
    expected = adherence_percent(prescribed=prescribed, completed=completed)
    assert with_advice > 0  # the plan has advice items, and counting them would change the figure
    assert expected != adherence_percent(prescribed=prescribed + with_advice, completed=completed)
    assert expected < 50  # low enough for the digest to report it

    with time_machine.travel(at(WINDOW[-1], 20), tick=False):
        api = client_for(patient.user).get("/api/v1/me/adherence/", {"days": 7}).json()
    assert (api["prescribed"], api["completed"], api["percent"]) == (prescribed, completed, expected)

    morning = START + dt.timedelta(days=8)
    with time_machine.travel(at(morning, 7), tick=False):
        adherence_snapshots_take()
        therapist_digests_prepare()
    snapshots = AdherenceSnapshot.objects.filter(plan=plan, date__in=WINDOW)
    assert snapshots.count() == 7
    assert (
        adherence_percent(
            prescribed=sum(s.prescribed for s in snapshots), completed=sum(s.completed for s in snapshots)
        )
        == expected
    )
    listed = patient_list_follow_up(patients=Patient.objects.filter(pk=patient.pk), now=at(morning, 7)).get()
    assert listed.adherence_7d == expected
    digest = TherapistDigest.objects.get(therapist=therapist)
    assert f"{patient}: {expected}%" in digest.body

    decision = evaluate_progress(progress_input(plan=plan, on=morning))
    low = next(reason for reason in decision.reasons if reason.code == "low_adherence")
    assert low.text.startswith(f"{expected}% ")


def test_a_patient_who_did_every_exercise_is_done_whatever_the_advice(library, therapist, settings) -> None:
    patient = make_patient(
        therapist=therapist, branches=["inferior"], side="left", timezone_name="UTC", reminder_time=dt.time(9)
    )
    plan = make_active_plan(patient, start=START)
    day = WINDOW[0]
    today_items = exercise_items(plan, day)
    assert {today_kind(p) for p in today_items} == {"exercise", ADVICE}
    log_exercises(patient, plan, day)
    with time_machine.travel(at(day, 20), tick=False):
        client = client_for(patient.user)
        today = client.get("/api/v1/me/today/").json()
        adherence = client.get("/api/v1/me/adherence/", {"days": 1}).json()
    assert today["complete"] is True
    assert {item["kind"] for item in today["items"]} == {"exercise", "advice"}
    assert all(item["done"] for item in today["items"] if item["kind"] == "exercise")
    assert adherence["percent"] == 100
    assert today_for(patient=patient, day=day).complete
    # Nor does the sweep nag a patient who did everything (10:00, an hour after 09:00),
    # while one who did nothing is reminded.
    idle = make_patient(
        therapist=therapist, branches=["inferior"], side="left", timezone_name="UTC", reminder_time=dt.time(9)
    )
    make_active_plan(idle, start=START)
    with time_machine.travel(at(day, 10), tick=False):
        reminders_dispatch()
    assert list(Notification.objects.values_list("patient_id", flat=True)) == [idle.pk]
