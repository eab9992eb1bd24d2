"""The patient API contract (DESIGN.md "The patient API"): fields, codes, rules."""

import datetime as dt

import pytest
import time_machine

from ptrx.plans.domain import EXERCISE_CATEGORIES
from ptrx.plans.models import CheckIn, Completion, Notification, Phase, Plan, PlanStatus, Prescription
from tests.factories import CLEAR_SCREEN
from tests.plans.api.conftest import START, plan_with_prescriptions

pytestmark = pytest.mark.django_db


def first_item(api, day: dt.date) -> dict:
    return api.get(f"/api/v1/me/today/?date={day.isoformat()}").json()["items"][0]


# --- me -------------------------------------------------------------------------------


def test_me_shows_and_updates_settings(api, patient):
    body = api.get("/api/v1/me/").json()
    assert body == {
        "username": patient.user.username,
        "first_name": "Sam",
        "timezone": "Europe/London",
        "reminder_time": "09:00",
        "reminders_enabled": True,
        "reminder_channel": "email",
    }
    answer = api.patch(
        "/api/v1/me/", {"timezone": "Asia/Tokyo", "reminder_time": "07:15", "reminders_enabled": False}
    )
    assert answer.status_code == 200
    assert answer.json()["reminder_time"] == "07:15"
    patient.refresh_from_db()
    assert (patient.timezone, str(patient.reminder_time), patient.reminders_enabled) == (
        "Asia/Tokyo",
        "07:15:00",
        False,
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": "Europe/London\x00"}, "timezone"),
        ({"reminder_time": "25:00"}, "reminder_time"),
        ({"reminder_time": "7pm"}, "reminder_time"),
        ({"reminders_enabled": "perhaps"}, "reminders_enabled"),
    ],
)
def test_me_rejects_bad_settings_and_keeps_the_old_ones(api, patient, body, field):
    answer = api.patch("/api/v1/me/", body)
    assert answer.status_code == 400
    assert field in answer.json()
    patient.refresh_from_db()
    assert (patient.timezone, str(patient.reminder_time)) == ("Europe/London", "09:00:00")


def test_a_therapist_token_is_not_a_patient(make_client, therapist):
    answer = make_client(therapist).get("/api/v1/me/")
    assert answer.status_code == 403


# --- plans ------------------------------------------------------------------------------


def test_plan_list_and_detail(api, started_plan):
    listing = api.get("/api/v1/me/plans/").json()
    assert listing["count"] == 1
    assert listing["results"][0] == {
        "id": started_plan.pk,
        "title": started_plan.title,
        "status": "active",
        "branches": ["inferior"],
        "side": "left",
        "start_date": START.isoformat(),
        "current_phase": 1,
    }
    detail = api.get(f"/api/v1/me/plans/{started_plan.pk}/").json()
    assert [p["status"] for p in detail["phases"]] == ["current", "upcoming", "upcoming", "upcoming"]
    prescription = detail["phases"][0]["prescriptions"][0]
    assert set(prescription) == {
        "id", "kind", "exercise", "sets", "reps", "hold_seconds", "side", "sessions_per_day", "days_of_week",
        "notes",
    }  # fmt: skip
    assert set(prescription["exercise"]) == {
        "slug",
        "name",
        "category",
        "summary",
        "equipment",
        "instructions",
        "cues",
        "cautions",
        "media_url",
        "regression",
    }


def test_drafts_are_not_shown_to_patients(api, patient):
    from ptrx.plans.services.plans import plan_generate

    draft = plan_generate(patient=patient, start=START)
    assert api.get("/api/v1/me/plans/").json()["count"] == 0
    assert api.get(f"/api/v1/me/plans/{draft.pk}/").status_code == 404


@pytest.mark.parametrize("count", [5, 60])
def test_plan_detail_and_today_queries_do_not_grow_with_prescriptions(
    api, patient, count, django_assert_num_queries
):
    plan = plan_with_prescriptions(patient, count)
    # token with user and patient, plan, phases, prescriptions+exercises
    with django_assert_num_queries(4):
        body = api.get(f"/api/v1/me/plans/{plan.pk}/").json()
    assert len(body["phases"][0]["prescriptions"]) == count
    # token with user and patient, the current phase's prescriptions with plan, phase,
    # exercise and today's count, the questionnaires with the patient's latest answers
    with django_assert_num_queries(3):
        body = api.get(f"/api/v1/me/today/?date={START.isoformat()}").json()
    assert len(body["items"]) == count


# --- today ------------------------------------------------------------------------------


def test_today_lists_what_is_due_and_tracks_sessions(api, started_plan):
    body = api.get(f"/api/v1/me/today/?date={START.isoformat()}").json()
    assert body["date"] == START.isoformat()
    assert body["plan"] == started_plan.pk
    assert body["phase"] == 1
    assert body["items"]
    assert body["complete"] is False
    assert set(body["items"][0]) == {
        "prescription", "kind", "exercise", "sets", "reps", "hold_seconds", "side", "sessions_per_day",
        "sessions_done", "done",
    }  # fmt: skip
    for item in body["items"]:
        for session in range(1, item["sessions_per_day"] + 1):
            logged = api.post(
                "/api/v1/me/completions/",
                {
                    "prescription": item["prescription"],
                    "date": START.isoformat(),
                    "session": session,
                    "sets_done": 1,
                    "pain_during": 2,
                },
            )
            assert logged.status_code == 201
    after = api.get(f"/api/v1/me/today/?date={START.isoformat()}").json()
    assert all(item["done"] and item["sessions_done"] == item["sessions_per_day"] for item in after["items"])
    assert after["complete"] is True


def test_today_is_empty_on_a_rest_day_and_without_an_active_plan(api, started_plan):
    phase = Phase.objects.get(plan=started_plan, number=1)
    phase.prescriptions.update(days_of_week=[0, 2, 4])  # Mon, Wed, Fri
    tuesday = START + dt.timedelta(days=1)
    body = api.get(f"/api/v1/me/today/?date={tuesday.isoformat()}").json()
    assert body["items"] == []
    assert body["complete"] is False
    Plan.objects.filter(pk=started_plan.pk).update(status=PlanStatus.PAUSED)
    body = api.get(f"/api/v1/me/today/?date={START.isoformat()}").json()
    assert (body["plan"], body["items"]) == (None, [])


def test_today_rejects_a_bad_date(api, started_plan):
    for bad in ("2026-02-30", "yesterday", "2026-11-02\x00"):
        answer = api.get("/api/v1/me/today/", {"date": bad})
        assert answer.status_code == 400
        assert "date" in answer.json()


# --- completions ------------------------------------------------------------------------


def test_completion_is_idempotent(api, started_plan):
    item = first_item(api, START)
    body = {
        "prescription": item["prescription"],
        "date": START.isoformat(),
        "sets_done": 2,
        "reps_done": 10,
        "pain_during": 3,
    }
    first = api.post("/api/v1/me/completions/", body)
    assert first.status_code == 201
    again = api.post("/api/v1/me/completions/", {**body, "pain_during": 4})
    assert again.status_code == 200
    assert again.json() == first.json()
    assert Completion.objects.count() == 1


def test_completion_defaults_to_the_patients_local_today(api, started_plan, patient):
    patient.timezone = "Pacific/Auckland"
    patient.save()
    item = first_item(api, START)
    # 11:30 UTC on 10 Nov is 00:30 on 11 Nov in Auckland (UTC+13 in November).
    with time_machine.travel(dt.datetime(2026, 11, 10, 11, 30, tzinfo=dt.UTC), tick=False):
        answer = api.post(
            "/api/v1/me/completions/",
            {"prescription": item["prescription"], "sets_done": 1, "pain_during": 1},
        )
        today = api.get("/api/v1/me/today/").json()
    assert answer.status_code == 201
    assert answer.json()["date"] == "2026-11-11"
    assert today["date"] == "2026-11-11"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"pain_during": 11}, "pain_during"),
        ({"pain_during": -1}, "pain_during"),
        ({"date": "2099-01-01"}, "date"),
        ({"date": "2026-10-01"}, "date"),
        ({"session": 9}, "session"),
        ({"note": "a\x00b"}, "note"),
        ({"sets_done": "many"}, "sets_done"),
    ],
)
def test_completion_bad_input_is_a_400_and_writes_nothing(api, started_plan, change, field):
    item = first_item(api, START)
    body = {
        "prescription": item["prescription"],
        "date": START.isoformat(),
        "sets_done": 1,
        "pain_during": 2,
        **change,
    }
    answer = api.post("/api/v1/me/completions/", body)
    assert answer.status_code == 400
    assert field in answer.json()
    assert not Completion.objects.exists()


def test_malformed_json_is_a_400(api, started_plan):
    answer = api.generic(
        "POST", "/api/v1/me/completions/", '{"prescription": ', content_type="application/json"
    )
    assert answer.status_code == 400
    assert "detail" in answer.json()


def test_completion_list_filters_by_date(api, started_plan):
    item = first_item(api, START)
    for offset in range(3):
        day = START + dt.timedelta(days=offset)
        api.post(
            "/api/v1/me/completions/",
            {"prescription": item["prescription"], "date": day.isoformat(), "sets_done": 1, "pain_during": 2},
        )
    second = (START + dt.timedelta(days=1)).isoformat()
    body = api.get(f"/api/v1/me/completions/?from={second}&to={second}").json()
    assert [c["date"] for c in body["results"]] == [second]
    assert api.get(f"/api/v1/me/completions/?from={second}&to={START.isoformat()}").status_code == 400


# --- check-ins --------------------------------------------------------------------------


def test_checkin_without_red_flags(api, started_plan):
    answer = api.post(
        "/api/v1/me/checkins/",
        {"red_flags": CLEAR_SCREEN, "pain_now": 3, "pain_next_morning": 2, "flare": False},
    )
    assert answer.status_code == 201
    assert answer.json()["action"] is None
    started_plan.refresh_from_db()
    assert started_plan.status == PlanStatus.ACTIVE


def test_red_flag_checkin_pauses_the_plan_and_alerts_the_therapist(api, started_plan, patient):
    answer = api.post(
        "/api/v1/me/checkins/",
        {
            "pain_now": 6,
            "red_flags": {**CLEAR_SCREEN, "bladder_bowel": True, "night_pain": False},
        },
    )
    assert answer.status_code == 201
    assert answer.json()["action"] == "seek_urgent_care"
    started_plan.refresh_from_db()
    assert started_plan.status == PlanStatus.PAUSED
    alert = Notification.objects.get(patient=patient, kind="red_flag")
    assert alert.status == "pending"
    assert "bladder" in alert.body
    # The flag stays on the patient's screen: the plan cannot simply be restarted.
    from django.core.exceptions import ValidationError

    from ptrx.plans.services.plans import plan_activate

    with pytest.raises(ValidationError, match="red-flag"):
        plan_activate(plan=started_plan)
    # Therapist alerts are not in the patient's own feed.
    assert api.get("/api/v1/me/notifications/").json()["count"] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"pain_now": 12}, "pain_now"),
        ({"pain_now": 2, "pain_next_morning": 11}, "pain_next_morning"),
        ({"pain_now": 2, "red_flags": {**CLEAR_SCREEN, "headache": True}}, "red_flags"),
        ({"pain_now": 2, "red_flags": {**CLEAR_SCREEN, "bladder_bowel": "yes please"}}, "red_flags"),
        ({"pain_now": 2, "red_flags": ["bladder_bowel"]}, "red_flags"),
        ({"pain_now": 2, "date": "2099-01-01", "red_flags": CLEAR_SCREEN}, "date"),
        ({"pain_now": 2}, "red_flags"),
        ({"pain_now": 2, "red_flags": {"bladder_bowel": False}}, "red_flags"),
        ({}, "pain_now"),
    ],
)
def test_checkin_bad_input(api, started_plan, body, field):
    answer = api.post("/api/v1/me/checkins/", body)
    assert answer.status_code == 400
    assert field in answer.json()
    assert not CheckIn.objects.exists()


# --- adherence, notifications -----------------------------------------------------------


def test_adherence_counts_session_items_and_streak(api, started_plan, patient):
    phase = Phase.objects.get(plan=started_plan, number=1)
    # Only exercise items count; advice items are left to themselves.
    prescriptions = list(phase.prescriptions.filter(exercise__category__in=EXERCISE_CATEGORIES))
    Prescription.objects.filter(phase=phase).update(days_of_week=list(range(7)))
    per_day = sum(p.sessions_per_day for p in prescriptions)
    # Days 1-3 fully done, day 4 one session only.
    for offset in range(3):
        day = START + dt.timedelta(days=offset)
        for p in prescriptions:
            for session in range(1, p.sessions_per_day + 1):
                api.post(
                    "/api/v1/me/completions/",
                    {
                        "prescription": p.pk,
                        "date": day.isoformat(),
                        "session": session,
                        "sets_done": 1,
                        "pain_during": 1,
                    },
                )
    fourth = START + dt.timedelta(days=3)
    api.post(
        "/api/v1/me/completions/",
        {"prescription": prescriptions[0].pk, "date": fourth.isoformat(), "sets_done": 1, "pain_during": 1},
    )
    with time_machine.travel(dt.datetime(2026, 11, 6, 12, 0, tzinfo=dt.UTC), tick=False):  # Fri 6 Nov, day 5
        body = api.get("/api/v1/me/adherence/?days=5").json()
    assert (body["from"], body["to"]) == ("2026-11-02", "2026-11-06")
    assert body["prescribed"] == per_day * 5
    assert body["completed"] == per_day * 3 + 1
    assert body["percent"] == round(100 * (per_day * 3 + 1) / (per_day * 5))
    # Friday is not over yet, Thursday was incomplete: no streak.
    assert body["streak_days"] == 0
    by_exercise = {e["exercise"]: e for e in body["by_exercise"]}
    first = by_exercise[prescriptions[0].exercise.slug]
    assert first["completed"] == prescriptions[0].sessions_per_day * 3 + 1
    with time_machine.travel(dt.datetime(2026, 11, 4, 20, 0, tzinfo=dt.UTC), tick=False):
        assert api.get("/api/v1/me/adherence/?days=3").json()["streak_days"] == 3


@pytest.mark.parametrize("days", ["0", "91", "seven", "7\x00"])
def test_adherence_window_is_validated(api, started_plan, days):
    answer = api.get("/api/v1/me/adherence/", {"days": days})
    assert answer.status_code == 400
    assert "days" in answer.json()


def test_notifications_feed_lists_patient_messages(api, patient, started_plan):
    Notification.objects.create(
        patient=patient, plan=started_plan, kind="daily", local_date=START, body="Time for your exercises"
    )
    Notification.objects.create(
        patient=patient, plan=started_plan, kind="therapist_alert", local_date=START, body="internal"
    )
    body = api.get("/api/v1/me/notifications/").json()
    assert [n["kind"] for n in body["results"]] == ["daily"]


def test_writes_are_throttled_with_retry_after(api, started_plan, monkeypatch):
    from ptrx.plans.api.views import WriteRateThrottle

    monkeypatch.setattr(
        WriteRateThrottle, "THROTTLE_RATES", {**WriteRateThrottle.THROTTLE_RATES, "writes": "3/min"}
    )
    codes = [
        api.post("/api/v1/me/checkins/", {"red_flags": CLEAR_SCREEN, "pain_now": 1}).status_code
        for _ in range(4)
    ]
    assert codes == [201, 201, 201, 429]
    assert (
        int(api.post("/api/v1/me/checkins/", {"red_flags": CLEAR_SCREEN, "pain_now": 1})["Retry-After"]) > 0
    )
    assert api.get("/api/v1/me/").status_code == 200  # reads are not counted


def test_writes_succeed_while_the_broker_is_down(api, started_plan, monkeypatch):
    from ptrx.celery import app as celery_app

    # Nothing listens on port 1: any request that touched the broker would fail.
    for key in ("broker_url", "broker_write_url", "broker_read_url"):
        monkeypatch.setitem(celery_app.conf, key, "redis://127.0.0.1:1/0")
    item = first_item(api, START)
    logged = api.post(
        "/api/v1/me/completions/",
        {"prescription": item["prescription"], "date": START.isoformat(), "sets_done": 1, "pain_during": 2},
    )
    flagged = api.post(
        "/api/v1/me/checkins/",
        {"pain_now": 5, "red_flags": {**CLEAR_SCREEN, "saddle_numbness": True}},
    )
    assert (logged.status_code, flagged.status_code) == (201, 201)
    assert flagged.json()["action"] == "seek_urgent_care"
    assert Notification.objects.filter(kind="red_flag", status="pending").count() == 1


def test_logging_a_completion_takes_a_fixed_handful_of_queries(
    api, started_plan, django_assert_max_num_queries
):
    item = first_item(api, START)
    body = {"prescription": item["prescription"], "date": START.isoformat(), "sets_done": 1, "pain_during": 2}
    # token, prescription with plan and exercise, get, savepoint, insert, release
    with django_assert_max_num_queries(6):
        assert api.post("/api/v1/me/completions/", body).status_code == 201
