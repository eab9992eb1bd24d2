"""A broker outage: requests keep working, reminders wait in the outbox and go out when
Redis is back, and nothing past its send window goes out at all.

Runs against a private redis-server started here (never the machine's own Redis),
stopped and started again in the middle of the test.
"""

from __future__ import annotations

import datetime as dt
import shutil
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from celery import Celery
from django.core import mail
from django.utils import timezone

from ptrx.plans.models import (
    Completion,
    Notification,
    NotificationKind,
    NotificationStatus,
    Prescription,
)
from ptrx.plans.outbox import PENDING_GRACE
from ptrx.plans.reminders import reminders_dispatch
from ptrx.plans.tasks import send_notifications
from tests.factories import CLEAR_SCREEN, make_therapist
from tests.jobs.conftest import (
    active_plan,
    local_now,
    minutes_from_now,
    reminded_patient,
    running_worker,
    wait_until,
)
from tests.jobs.mail import outbox_recipients

REDIS_SERVER = shutil.which("redis-server")

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(REDIS_SERVER is None, reason="needs the redis-server binary"),
    pytest.mark.django_db(transaction=True),
]

ZONES = ["Europe/London", "Asia/Tokyo", "America/Chicago", "Australia/Sydney", "America/Sao_Paulo"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PrivateRedis:
    """A throw-away redis-server on its own port, with no persistence."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert REDIS_SERVER is not None
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            cwd=self.directory,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self._answers, timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


def zone_after(hour: int) -> str:
    """A zone where it is now past `hour` and before 23:00 local time."""
    for zone in ZONES:
        if dt.time(hour) <= local_now(zone).time() < dt.time(23):
            return zone
    pytest.skip("no zone at a suitable local time")


def test_reminders_wait_out_a_broker_outage_and_stale_ones_never_go(
    library: None,
    private_redis: PrivateRedis,
    make_celery_app: Callable[..., Celery],
    make_client,  # type: ignore[no-untyped-def]
) -> None:
    app = make_celery_app(private_redis.url)
    zone = zone_after(4)
    on_time = reminded_patient(zone=zone, reminder_time=minutes_from_now(zone, -5))
    # Due three and a half hours ago: its window closes during the outage.
    overdue = reminded_patient(zone=zone, reminder_time=minutes_from_now(zone, -3.5 * 60 - 5))
    reporter = reminded_patient(
        zone=zone,
        reminder_time=minutes_from_now(zone, 60),
        therapist=make_therapist(email="therapist@clinic.example"),
    )
    client = make_client(reporter.user)
    now = timezone.now()

    with running_worker(app):
        private_redis.stop()

        # Sweeps during the outage queue rows but cannot enqueue them; they do not fail.
        reminders_dispatch(now=now - dt.timedelta(hours=3.5))
        overdue_row = Notification.objects.get(patient=overdue)
        assert overdue_row.status == NotificationStatus.PENDING
        reminders_dispatch(now=now)
        # Three and a half hours on, the first reminder's window has closed: expired, not sent late.
        assert dict(Notification.objects.values_list("patient_id", "status")) == {
            overdue.pk: NotificationStatus.EXPIRED,
            on_time.pk: NotificationStatus.PENDING,
        }
        # Requests never wait on the broker.
        prescription = Prescription.objects.filter(phase__plan=active_plan(reporter), phase__number=1).first()
        assert prescription is not None
        logged = client.post(
            "/api/v1/me/completions/",
            {"prescription": prescription.pk, "sets_done": 1, "pain_during": 3},
            format="json",
        )
        checked_in = client.post(
            "/api/v1/me/checkins/",
            {
                "pain_now": 4,
                "red_flags": {**CLEAR_SCREEN, "saddle_numbness": True},
            },
            format="json",
        )
        assert (logged.status_code, checked_in.status_code) == (201, 201), checked_in.content
        assert checked_in.json()["action"] == "seek_urgent_care"
        assert Completion.objects.filter(plan__patient=reporter).count() == 1

        private_redis.start()

        # The next sweeps (beat runs them every few minutes) queue the waiting rows again.
        def all_sent() -> bool:
            reminders_dispatch(now=timezone.now() + PENDING_GRACE)
            return not Notification.objects.filter(status=NotificationStatus.PENDING).exists()

        wait_until(all_sent, timeout=30, interval=0.5)
        wait_until(lambda: not Notification.objects.filter(status=NotificationStatus.SENDING).exists())
        # A send for the expired row (say, a message that outlived the outage) sends nothing.
        send_notifications.delay([overdue_row.pk])
        send_notifications.delay([on_time_row_id := Notification.objects.get(patient=on_time).pk])
        wait_until(lambda: len(mail.outbox) >= 2)
        time.sleep(0.5)

    statuses = dict(Notification.objects.values_list("patient_id", "status"))
    assert statuses[on_time.pk] == NotificationStatus.SENT
    assert Notification.objects.get(pk=on_time_row_id).attempts == 1
    assert statuses[overdue.pk] == NotificationStatus.EXPIRED
    alert = Notification.objects.get(patient=reporter, kind=NotificationKind.RED_FLAG)
    assert alert.status == NotificationStatus.SENT
    assert Counter(outbox_recipients()) == Counter({on_time.user.email: 1, "therapist@clinic.example": 1})
