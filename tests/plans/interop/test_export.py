"""`me/export/`: everything held about the patient as one JSON document, in the API's
own shapes, in a fixed number of queries."""

import datetime as dt

import pytest

from ptrx.plans.models import Notification, Prescription, ProgressionDecision
from ptrx.plans.services.logs import checkin_record, completion_log
from tests.factories import CLEAR_SCREEN, make_active_plan, make_patient, make_therapist

pytestmark = pytest.mark.django_db


def log_days(patient, plan, days: int, *, since: int = 0) -> None:
    for days_ago in range(since, since + days):
        day = dt.date.today() - dt.timedelta(days=days_ago)
        for prescription in Prescription.objects.filter(phase__plan=plan, phase__number=1).exclude(
            exercise__category="education"
        ):
            completion_log(
                patient=patient, prescription_id=prescription.pk, date=day, sets_done=1, pain_during=2
            )
        checkin_record(patient=patient, date=day, pain_now=3, red_flags=CLEAR_SCREEN, note=f"day {days_ago}")
        Notification.objects.create(
            patient=patient, plan=plan, kind="daily", local_date=day, body="Time to move"
        )


def test_the_export_holds_the_profile_plans_and_everything_logged(api, patient):
    plan = make_active_plan(patient, start=dt.date.today() - dt.timedelta(days=3))
    log_days(patient, plan, 2)
    ProgressionDecision.objects.create(
        plan=plan, date=dt.date.today(), outcome="hold", reasons=[{"code": "min_weeks", "text": "Too soon"}],
        from_phase=1, to_phase=1,
    )  # fmt: skip
    api.get("/api/v1/me/calendar/")
    answer = api.get("/api/v1/me/export/")
    assert answer.status_code == 200
    assert "no-store" in answer["Cache-Control"]
    assert answer["Content-Disposition"] == 'attachment; filename="ptrx-export.json"'
    data = answer.json()
    assert set(data) == {
        "exported_at", "profile", "plans", "progression_decisions", "completions", "checkins",
        "notifications", "calendar_feed",
    }  # fmt: skip
    profile = data["profile"]
    assert profile["username"] == patient.user.username and profile["first_name"] == "Sam"
    assert profile["email"] == patient.user.email
    assert profile["branches"] == ["inferior"] and profile["side"] == "left"
    assert profile["therapist"] == patient.therapist.get_username()
    (exported_plan,) = data["plans"]
    # The plan as the API shows it.
    assert exported_plan == api.get(f"/api/v1/me/plans/{plan.pk}/").json()
    exercises = Prescription.objects.filter(phase__plan=plan, phase__number=1).exclude(
        exercise__category="education"
    )
    assert len(data["completions"]) == 2 * exercises.count()
    assert {c["note"] for c in data["checkins"]} == {"day 0", "day 1"}
    assert [n["body"] for n in data["notifications"]] == ["Time to move", "Time to move"]
    assert data["progression_decisions"][0]["reasons"] == [{"code": "min_weeks", "text": "Too soon"}]
    assert data["calendar_feed"]["created_at"]


def test_nothing_of_another_patients_is_exported(api, plan, library):
    other = make_patient(therapist=make_therapist(), first_name="Someone-else")
    log_days(other, make_active_plan(other), 1)
    text = api.get("/api/v1/me/export/").content.decode()
    assert "Someone-else" not in text and "day 0" not in text


def test_the_export_takes_the_same_queries_however_much_there_is(api, patient, django_assert_num_queries):
    plan = make_active_plan(patient, start=dt.date.today() - dt.timedelta(days=12))
    log_days(patient, plan, 1)
    with django_assert_num_queries(10) as small_run:
        assert api.get("/api/v1/me/export/").status_code == 200
    log_days(patient, plan, 10, since=1)
    with django_assert_num_queries(len(small_run.captured_queries)):
        assert api.get("/api/v1/me/export/").status_code == 200
