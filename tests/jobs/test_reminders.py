"""Who gets a reminder, what it says, and where else it shows (the patient's feed)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from ptrx.plans.models import (
    Completion,
    Notification,
    NotificationKind,
    NotificationStatus,
    Patient,
    Prescription,
)
from ptrx.plans.outbox import notifications_send
from ptrx.plans.reminders import reminders_dispatch
from ptrx.plans.selectors import patient_local_today, today_for
from ptrx.plans.services.logs import completion_log
from ptrx.plans.services.plans import plan_pause
from tests.jobs.conftest import active_plan, minutes_from_now, reminded_patient

# Words that would name the diagnosis or a branch (DESIGN.md: bodies name neither).
DIAGNOSIS_WORDS = re.compile(r"cluneal|nerve|superior|middle|inferior|entrapment|sciatic", re.IGNORECASE)
ZONE = "UTC"


def due_patient(**fields):  # type: ignore[no-untyped-def]
    return reminded_patient(zone=ZONE, reminder_time=minutes_from_now(ZONE, -5), **fields)


def log_all_of_today(patient) -> None:  # type: ignore[no-untyped-def]
    today = patient_local_today(patient=patient)
    for item in today_for(patient=patient).items:
        for session in range(1, item.prescription.sessions_per_day + 1):
            completion_log(
                patient=patient,
                prescription_id=item.prescription.pk,
                date=today,
                session=session,
                sets_done=item.prescription.sets,
                pain_during=2,
            )


@pytest.fixture(autouse=True)
def _not_near_midnight() -> None:
    # "Five minutes ago" must be today in UTC for these tests.
    if timezone.now().time() < dt.time(0, 10):
        pytest.skip("too close to midnight UTC for a reminder five minutes ago")


def test_a_due_patient_gets_one_daily_reminder_that_greets_them_and_links_to_the_app(library: None) -> None:
    patient = due_patient(first_name="Robin")
    report = reminders_dispatch()
    row = Notification.objects.get(patient=patient)
    assert row.kind == NotificationKind.DAILY
    assert row.status == NotificationStatus.PENDING
    assert report.enqueued_ids == [row.pk]

    notifications_send(ids=[row.pk])

    (message,) = mail.outbox
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert message.to == [patient.user.email]
    assert message.body.startswith("Hi Robin,")
    assert "Hi Robin," in html
    assert settings.APP_URL in message.body
    for body in (message.body, html):
        # Inferior phase 1: breathing (3 a day), the slider (2) and the draw-in (1); advice apart.
        assert "3 exercises" in body
        assert "6 sessions" in body
        assert "breathing" in body
        assert not DIAGNOSIS_WORDS.search(body)
        assert not DIAGNOSIS_WORDS.search(message.subject)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (NotificationStatus.SENT, 1)
    assert row.sent_at is not None


@override_settings(APP_URL="https://clinic.example.org/")
def test_the_reminder_links_to_the_patient_app_on_the_configured_site(library: None) -> None:
    due_patient()
    report = reminders_dispatch()
    notifications_send(ids=report.enqueued_ids)
    (message,) = mail.outbox
    assert "https://clinic.example.org/app/\n" in message.body
    assert 'href="https://clinic.example.org/app/"' in message.alternatives[0][0]


def test_the_reminder_says_what_is_left_for_today(library: None) -> None:
    patient = due_patient()
    breathing = Prescription.objects.get(
        phase__plan=active_plan(patient), phase__number=1, exercise__category="breathing"
    )
    for session in (1, 2, 3):
        completion_log(
            patient=patient, prescription_id=breathing.pk, session=session, sets_done=1, pain_during=1
        )
    reminders_dispatch()
    body = Notification.objects.get(patient=patient).body
    assert "2 exercises" in body
    assert "3 sessions" in body
    assert "breathing" not in body


def test_no_reminder_on_a_rest_day_a_finished_day_with_reminders_off_or_without_an_active_plan(
    library: None,
) -> None:
    weekday = timezone.now().weekday()
    resting = due_patient()
    Prescription.objects.filter(phase__plan=active_plan(resting)).update(
        days_of_week=[day for day in range(7) if day != weekday]
    )
    finished = due_patient()
    log_all_of_today(finished)
    due_patient(reminders_enabled=False)
    paused = due_patient()
    plan_pause(plan=active_plan(paused), reason="holiday")
    not_started = reminded_patient(
        zone=ZONE,
        reminder_time=minutes_from_now(ZONE, -5),
        start=timezone.now().date() + dt.timedelta(days=2),
    )
    reminded = due_patient()

    reminders_dispatch()

    assert list(Notification.objects.values_list("patient_id", flat=True)) == [reminded.pk]
    # The sweep's set-based rule agrees with what the app shows the patient today.
    for patient in (resting, finished, reminded):
        today = today_for(patient=patient)
        assert bool(today.items and not today.complete) == (patient == reminded)
    assert not_started.plans.get().status == "active"


def test_the_sweep_takes_the_same_number_of_queries_for_three_patients_or_fifteen(library: None) -> None:
    def sweep_queries(zones: list[str], per_zone: int) -> tuple[int, int]:
        Notification.objects.all().delete()
        for zone in zones:
            for _ in range(per_zone):
                reminded_patient(zone=zone, reminder_time=minutes_from_now(zone, -5))
        with CaptureQueriesContext(connection) as queries:
            report = reminders_dispatch()
        return len(queries), report.created

    few, created = sweep_queries([ZONE], 3)
    assert created == 3
    many, created = sweep_queries([ZONE], 12)
    assert created == 15
    assert many == few


def test_a_send_takes_a_fixed_number_of_queries_and_one_more_per_message(library: None) -> None:
    def send_queries(count: int) -> int:
        for _ in range(count):
            due_patient()
        report = reminders_dispatch()
        with CaptureQueriesContext(connection) as queries:
            result = notifications_send(ids=report.enqueued_ids)
        assert len(result.sent) == count
        return len(queries)

    # The claim of the whole batch, then one mark per message sent.
    assert send_queries(6) - send_queries(3) == 6 - 3


def test_the_missed_session_nudge_after_three_scheduled_days_without_a_log_at_most_every_three_days(
    library: None,
) -> None:
    now = timezone.now()
    start = now.date() - dt.timedelta(days=3)
    idle = reminded_patient(zone=ZONE, reminder_time=minutes_from_now(ZONE, -5), start=start)
    active = reminded_patient(zone=ZONE, reminder_time=minutes_from_now(ZONE, -5), start=start)
    breathing = Prescription.objects.get(
        phase__plan=active_plan(active), phase__number=1, exercise__category="breathing"
    )
    completion_log(
        patient=active,
        prescription_id=breathing.pk,
        date=now.date() - dt.timedelta(days=2),
        sets_done=1,
        pain_during=1,
    )
    # Seven days of sweeps at the same time of day, nothing logged from now on.
    for day in range(7):
        reminders_dispatch(now=now + dt.timedelta(days=day))

    def kinds(patient) -> list[str]:  # type: ignore[no-untyped-def]
        rows = Notification.objects.filter(patient=patient).order_by("local_date")
        return [row.kind for row in rows]

    assert kinds(idle) == ["missed", "daily", "daily", "missed", "daily", "daily", "missed"]
    # Logged two days ago: the first nudge waits until three scheduled days are empty.
    assert kinds(active) == ["daily", "daily", "missed", "daily", "daily", "missed", "daily"]
    nudge = Notification.objects.filter(patient=idle, kind=NotificationKind.MISSED).first()
    assert nudge is not None
    assert "pick it up again" in nudge.body
    assert not DIAGNOSIS_WORDS.search(nudge.body + nudge.html_body + nudge.subject)


def test_only_logs_on_scheduled_days_hold_back_the_missed_session_nudge(library: None) -> None:
    today = timezone.now().date()
    start = today - dt.timedelta(days=10)
    # Every other day: the last three scheduled days are 2, 4 and 6 days ago.
    scheduled = sorted({(today - dt.timedelta(days=back)).weekday() for back in (0, 2, 4, 6)})

    def patient_who_logged(*days_ago: int):  # type: ignore[no-untyped-def]
        patient = reminded_patient(zone=ZONE, reminder_time=minutes_from_now(ZONE, -5), start=start)
        prescription = Prescription.objects.filter(phase__plan=active_plan(patient), phase__number=1).first()
        assert prescription is not None
        for back in days_ago:
            completion_log(
                patient=patient,
                prescription_id=prescription.pk,
                date=today - dt.timedelta(days=back),
                sets_done=1,
                pain_during=1,
            )
        Prescription.objects.filter(phase__plan=active_plan(patient)).update(days_of_week=scheduled)
        return patient

    day_off_only = patient_who_logged(1, 3)  # days off, after the oldest scheduled day
    scheduled_day = patient_who_logged(4)
    both = patient_who_logged(1, 4)
    long_ago = patient_who_logged(8)

    reminders_dispatch()

    kinds = dict(Notification.objects.values_list("patient_id", "kind"))
    assert kinds == {
        day_off_only.pk: NotificationKind.MISSED,
        scheduled_day.pk: NotificationKind.DAILY,
        both.pk: NotificationKind.DAILY,
        long_ago.pk: NotificationKind.MISSED,
    }


def test_every_reminder_is_in_the_patients_notification_feed(library: None, make_client) -> None:  # type: ignore[no-untyped-def]
    patient = due_patient(first_name="Kai")
    report = reminders_dispatch()
    notifications_send(ids=report.enqueued_ids)
    client: APIClient = make_client(patient.user)
    answer = client.get("/api/v1/me/notifications/")
    assert answer.status_code == 200
    (entry,) = answer.json()["results"]
    assert entry["kind"] == "daily"
    assert entry["status"] == "sent"
    assert entry["body"].startswith("Hi Kai,")
    assert entry["body"] == mail.outbox[0].body


def test_a_row_past_its_send_window_is_expired_by_the_sender_not_sent(library: None) -> None:
    patient = due_patient()
    report = reminders_dispatch()
    late = timezone.now() + dt.timedelta(hours=4)
    result = notifications_send(ids=report.enqueued_ids, now=late)
    assert (result.sent, result.expired) == ([], 1)
    assert Notification.objects.get(patient=patient).status == NotificationStatus.EXPIRED
    assert mail.outbox == []


def test_a_sweep_after_the_window_expires_what_was_never_sent(library: None) -> None:
    patient = due_patient()
    reminders_dispatch()
    later = reminders_dispatch(now=timezone.now() + dt.timedelta(hours=4))
    assert later.expired == 1
    assert later.enqueued_ids == []
    assert Notification.objects.get(patient=patient).status == NotificationStatus.EXPIRED


def test_a_completed_session_is_not_reminded_by_later_sweeps(library: None) -> None:
    patient = due_patient()
    log_all_of_today(patient)
    for minutes in (0, 5, 10):
        reminders_dispatch(now=timezone.now() + dt.timedelta(minutes=minutes))
    assert not Notification.objects.filter(patient=patient).exists()
    assert Completion.objects.filter(plan__patient=patient).count() == 9


def test_a_patient_whose_stored_zone_is_unknown_is_reminded_in_utc_as_the_api_dates_them(
    library: None,
) -> None:
    # Zones are validated when saved; a row that holds an unknown one anyway (an older
    # tzdata on a new node) counts in UTC everywhere, the sweep included.
    patient = due_patient()
    Patient.objects.filter(pk=patient.pk).update(timezone="Mars/Olympus_Mons")
    patient.refresh_from_db()
    reminders_dispatch()
    row = Notification.objects.get(patient=patient)
    assert row.local_date == patient_local_today(patient=patient) == timezone.now().date()
