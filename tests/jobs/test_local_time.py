"""Reminders go out at each patient's local reminder time: many zones, and the two
nights a year the clocks change."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from celery import Celery
from django.core import mail
from django.utils import timezone

from ptrx.plans.domain.local_time import due_window, reminder_instant
from ptrx.plans.models import Notification, NotificationStatus
from ptrx.plans.outbox import notifications_send
from ptrx.plans.reminders import reminders_dispatch
from ptrx.plans.tasks import dispatch_due_reminders
from tests.jobs.conftest import (
    minutes_from_now,
    reminded_patient,
    running_worker,
    wait_until,
    zones_with_local_time_between,
)
from tests.jobs.mail import outbox_recipients

UTC = dt.UTC
ZONES = [
    "Pacific/Auckland",
    "Pacific/Chatham",
    "Australia/Lord_Howe",
    "Asia/Tokyo",
    "Asia/Kathmandu",
    "Asia/Kolkata",
    "Africa/Nairobi",
    "Europe/London",
    "America/Sao_Paulo",
    "America/St_Johns",
    "America/New_York",
    "America/Los_Angeles",
    "Pacific/Honolulu",
]


def _utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "day", "at", "expected"),
    [
        # Spring forward: 02:00 -> 03:00, so 02:30 does not exist: the next valid minute, 03:00 EDT.
        ("America/New_York", dt.date(2025, 3, 9), dt.time(2, 30), _utc(2025, 3, 9, 7, 0)),
        ("America/New_York", dt.date(2025, 3, 9), dt.time(2, 0), _utc(2025, 3, 9, 7, 0)),
        ("America/New_York", dt.date(2025, 3, 9), dt.time(3, 0), _utc(2025, 3, 9, 7, 0)),
        ("America/New_York", dt.date(2025, 3, 9), dt.time(1, 59), _utc(2025, 3, 9, 6, 59)),
        # London: 01:00 -> 02:00; 01:15 is sent at 02:00 BST.
        ("Europe/London", dt.date(2025, 3, 30), dt.time(1, 15), _utc(2025, 3, 30, 1, 0)),
        # Lord Howe moves by half an hour: 02:00 -> 02:30.
        ("Australia/Lord_Howe", dt.date(2025, 10, 5), dt.time(2, 10), _utc(2025, 10, 4, 15, 30)),
        # Fall back: 01:30 happens twice; the first time (EDT) counts.
        ("America/New_York", dt.date(2025, 11, 2), dt.time(1, 30), _utc(2025, 11, 2, 5, 30)),
        ("Europe/London", dt.date(2025, 10, 26), dt.time(1, 30), _utc(2025, 10, 26, 0, 30)),
        # Ordinary days and zones with odd offsets.
        ("Asia/Kathmandu", dt.date(2025, 6, 1), dt.time(9, 0), _utc(2025, 6, 1, 3, 15)),
        ("Pacific/Chatham", dt.date(2025, 6, 1), dt.time(9, 0), _utc(2025, 5, 31, 20, 15)),
    ],
)
def test_reminder_instant_follows_the_clock_change_rule(
    zone: str, day: dt.date, at: dt.time, expected: dt.datetime
) -> None:
    assert reminder_instant(day=day, at=at, zone=zoneinfo.ZoneInfo(zone)) == expected


def test_due_window_is_the_reminder_times_of_the_last_hours() -> None:
    london = zoneinfo.ZoneInfo("Europe/London")
    due = due_window(zone=london, now=_utc(2025, 6, 1, 12, 0), window=dt.timedelta(hours=3))
    assert due is not None
    # 13:00 BST now: reminder times after 10:00 and up to 13:00 are due.
    assert (due.local_date, due.earliest, due.latest) == (
        dt.date(2025, 6, 1),
        dt.time(10, 0, 1),
        dt.time(13, 0),
    )
    # Just after local midnight, yesterday's late reminders are not today's: nothing due.
    early = due_window(zone=london, now=_utc(2025, 6, 1, 23, 0, 30), window=dt.timedelta(hours=3))
    assert early is not None
    assert (early.earliest, early.latest) == (dt.time(0, 0), dt.time(0, 0, 30))


@pytest.mark.parametrize(
    ("zone", "day", "at", "sent_at"),
    [
        ("America/New_York", dt.date(2025, 3, 9), dt.time(2, 30), _utc(2025, 3, 9, 7, 0)),
        ("Australia/Lord_Howe", dt.date(2025, 10, 5), dt.time(2, 10), _utc(2025, 10, 4, 15, 30)),
        ("America/New_York", dt.date(2025, 11, 2), dt.time(1, 30), _utc(2025, 11, 2, 5, 30)),
        ("Europe/London", dt.date(2025, 10, 26), dt.time(1, 30), _utc(2025, 10, 26, 0, 30)),
    ],
    ids=["spring-forward-new-york", "spring-forward-lord-howe", "fall-back-new-york", "fall-back-london"],
)
def test_a_sweep_every_five_minutes_through_a_clock_change_sends_once(
    library: None, zone: str, day: dt.date, at: dt.time, sent_at: dt.datetime
) -> None:
    patient = reminded_patient(zone=zone, reminder_time=at, start=day)
    created_at = []
    sent = []
    moment = sent_at - dt.timedelta(hours=2)
    # Four hours of sweeps, through the repeated or skipped hour.
    while moment <= sent_at + dt.timedelta(hours=2):
        report = reminders_dispatch(now=moment)
        if report.created:
            created_at.append(moment)
        sent += notifications_send(ids=report.enqueued_ids, now=moment).sent
        moment += dt.timedelta(minutes=5)

    assert created_at == [sent_at]
    assert len(sent) == 1
    row = Notification.objects.get(patient=patient)
    assert (row.local_date, row.status, row.sent_at) == (day, NotificationStatus.SENT, sent_at)
    assert outbox_recipients() == [patient.user.email]


@pytest.mark.django_db(transaction=True)
def test_the_beat_sweep_reminds_patients_in_many_zones_at_their_local_time(
    library: None, celery_app: Celery
) -> None:
    # Zones where it is at least 04:30 and before 23:00, so "four hours ago" and
    # "in half an hour" are the same local date as now.
    zones = zones_with_local_time_between(ZONES, dt.time(4, 30), dt.time(23, 0))
    assert len(zones) >= 5
    due, not_due = [], []
    for zone in zones:
        due.append(reminded_patient(zone=zone, reminder_time=minutes_from_now(zone, -5)))
        not_due.append(reminded_patient(zone=zone, reminder_time=minutes_from_now(zone, 30)))
        # Past the three-hour window: would be a stale reminder, so none.
        not_due.append(reminded_patient(zone=zone, reminder_time=minutes_from_now(zone, -4 * 60)))

    with running_worker(celery_app):
        dispatch_due_reminders.delay()
        wait_until(lambda: Notification.objects.filter(status=NotificationStatus.SENT).count() == len(due))

    assert sorted(outbox_recipients()) == sorted(patient.user.email for patient in due)
    rows = Notification.objects.filter(patient__in=due)
    today = {
        patient.pk: timezone.now().astimezone(zoneinfo.ZoneInfo(patient.timezone)).date() for patient in due
    }
    assert {(row.patient_id, row.local_date) for row in rows} == set(today.items())
    assert not Notification.objects.filter(patient__in=not_due).exists()
    assert len(mail.outbox) == len(due)
