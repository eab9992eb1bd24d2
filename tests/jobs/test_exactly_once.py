"""Every due reminder is sent exactly once, whatever Celery's at-least-once delivery does:
two sweeps at once, a send delivered twice, a worker killed mid-batch, mail errors."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from pathlib import Path

import pytest
from celery import Celery
from django.core import mail
from django.db import connections
from django.utils import timezone

from ptrx.plans.models import Notification, NotificationStatus, Patient
from ptrx.plans.outbox import SENDING_LEASE, outbox_claim
from ptrx.plans.reminders import reminders_dispatch
from ptrx.plans.tasks import send_notifications
from tests.jobs.conftest import (
    WorkerProcess,
    local_now,
    minutes_from_now,
    reminded_patient,
    retry_at_once,
    running_worker,
    wait_until,
)
from tests.jobs.mail import FlakyBackend, outbox_recipients, recorded

pytestmark = pytest.mark.django_db(transaction=True)

ZONES = ["UTC", "Asia/Kolkata", "America/Los_Angeles"]


@pytest.fixture(autouse=True)
def _not_near_local_midnight() -> None:
    for zone in ZONES:
        if local_now(zone).time() < dt.time(0, 10):
            pytest.skip(f"too close to midnight in {zone} for a reminder five minutes ago")


def due_patients(count: int) -> list[Patient]:
    return [
        reminded_patient(
            zone=ZONES[n % len(ZONES)], reminder_time=minutes_from_now(ZONES[n % len(ZONES)], -5)
        )
        for n in range(count)
    ]


def sent_count() -> int:
    return Notification.objects.filter(status=NotificationStatus.SENT).count()


def test_two_sweeps_at_the_same_moment_queue_and_send_each_reminder_once(
    library: None, celery_app: Celery
) -> None:
    patients = due_patients(6)
    now = timezone.now()
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            start.wait()
            reminders_dispatch(now=now)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    with running_worker(celery_app):
        sweeps = [threading.Thread(target=sweep) for _ in range(2)]
        for thread in sweeps:
            thread.start()
        for thread in sweeps:
            thread.join()
        assert errors == []
        wait_until(lambda: sent_count() == len(patients))

    assert Notification.objects.count() == len(patients)
    assert sorted(outbox_recipients()) == sorted(patient.user.email for patient in patients)


def test_a_send_delivered_three_times_to_a_concurrent_worker_sends_each_row_once(
    library: None, celery_app: Celery
) -> None:
    patients = due_patients(5)
    # The sweep enqueues one send on commit; the broker then "redelivers" it twice.
    report = reminders_dispatch()
    ids = report.enqueued_ids
    assert len(ids) == len(patients)
    send_notifications.delay(ids)
    send_notifications.delay(ids)

    with running_worker(celery_app, pool="threads", concurrency=4):
        wait_until(lambda: sent_count() == len(patients))

    assert Counter(outbox_recipients()) == Counter({patient.user.email: 1 for patient in patients})
    # One claim per row: the other deliveries found nothing to claim.
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}


def test_a_sender_claims_its_batch_but_not_the_rows_another_sender_holds(
    library: None, celery_app: Celery
) -> None:
    patients = due_patients(4)
    ids = reminders_dispatch().enqueued_ids
    assert len(ids) == len(patients)
    # Another sender has claimed one of the rows, and is still sending it.
    claimed_at = timezone.now()
    assert outbox_claim(Notification, [ids[1]], claimed_at) == {ids[1]: 1}

    with running_worker(celery_app):
        wait_until(lambda: sent_count() == len(patients) - 1)

    held = Notification.objects.get(pk=ids[1])
    assert (held.status, held.attempts, held.claimed_at) == (NotificationStatus.SENDING, 1, claimed_at)
    assert sorted(outbox_recipients()) == sorted(
        patient.user.email for patient in patients if patient.pk != held.patient_id
    )


def test_a_worker_killed_mid_batch_and_restarted_sends_every_reminder_once(
    library: None, celery_app: Celery, broker_dir: Path, tmp_path: Path, worker_processes: list[WorkerProcess]
) -> None:
    maildir = tmp_path / "mail"
    maildir.mkdir()
    patients = due_patients(6)
    # A slow mail server (0.4 s a message) so the kill lands inside the batch.
    worker_processes.append(WorkerProcess(celery_app, broker_dir, maildir, mail_delay=0.4))
    reminders_dispatch()

    def in_the_middle() -> bool:
        statuses = Counter(Notification.objects.values_list("status", flat=True))
        return statuses[NotificationStatus.SENT] == 2

    wait_until(in_the_middle, timeout=60, interval=0.02)
    worker_processes[0].kill()
    # The sender claimed its whole batch: the row in flight and the four it had not
    # reached stay `sending` (none is `pending` for another sender to take early).
    statuses = Counter(Notification.objects.values_list("status", flat=True))
    assert statuses == {NotificationStatus.SENT: 2, NotificationStatus.SENDING: 4}
    assert len(recorded(maildir)) == 2

    worker_processes.append(WorkerProcess(celery_app, broker_dir, maildir))
    # The next sweep past the lease: the abandoned rows go again.
    report = reminders_dispatch(now=timezone.now() + SENDING_LEASE + dt.timedelta(minutes=1))
    assert report.requeued == 4
    wait_until(lambda: sent_count() == len(patients), timeout=60)

    assert Counter(recorded(maildir)) == Counter({patient.user.email: 1 for patient in patients})
    assert Counter(Notification.objects.values_list("attempts", flat=True)) == {1: 2, 2: 4}


def test_transport_errors_are_retried_with_backoff_and_the_reminder_goes_out_once(
    library: None, celery_app: Celery, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.EMAIL_BACKEND = "tests.jobs.mail.FlakyBackend"
    FlakyBackend.failures, FlakyBackend.attempts = 2, 0
    task = celery_app.tasks[send_notifications.name]
    retry_at_once(task)  # the schedule is exercised in test_settings; here, no waiting
    patients = due_patients(3)

    with running_worker(celery_app):
        reminders_dispatch()
        wait_until(lambda: sent_count() == len(patients))

    assert FlakyBackend.attempts == 2 + len(patients)
    assert Counter(outbox_recipients()) == Counter({patient.user.email: 1 for patient in patients})
    first = Notification.objects.order_by("pk").first()
    assert first is not None
    assert first.attempts == 3
    # The rest of the batch was claimed with it each time, handed back untried: not an attempt.
    assert sorted(Notification.objects.values_list("attempts", flat=True)) == [1, 1, 3]


def test_after_the_last_retry_the_rows_are_marked_failed(library: None, celery_app: Celery, settings) -> None:  # type: ignore[no-untyped-def]
    settings.EMAIL_BACKEND = "tests.jobs.mail.FlakyBackend"
    FlakyBackend.failures, FlakyBackend.attempts = 1000, 0
    task = celery_app.tasks[send_notifications.name]
    retry_at_once(task)
    task.max_retries = 2
    patients = due_patients(2)

    with running_worker(celery_app):
        reminders_dispatch()
        wait_until(
            lambda: Notification.objects.filter(status=NotificationStatus.FAILED).count() == len(patients)
        )

    assert FlakyBackend.attempts == 3  # the first try and two retries
    assert mail.outbox == []
