"""Fixtures for the job tests: a Celery app on a private queue, real workers (a thread
from celery.contrib.testing, or a `celery worker` subprocess), patients due now.

The broker is the real one: Redis when REDIS_URL is set, otherwise kombu's
filesystem transport in the test's own folder. No eager mode anywhere.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
import zoneinfo
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from celery import Celery, Task, signals
from celery import current_app as celery_current_app
from celery.app.autoretry import add_autoretry_behaviour
from celery.contrib.testing.worker import start_worker
from celery.worker import state as worker_state
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

import ptrx.plans.tasks  # noqa: F401  (registers the shared tasks on every app)
from ptrx.plans.models import Patient, Plan, Prescription
from tests.conftest import HAS_REDIS
from tests.factories import make_active_plan, make_patient

BASE_DIR = Path(settings.BASE_DIR)
EVERY_DAY = list(range(7))


def wait_until(predicate: Callable[[], Any], *, timeout: float = 20.0, interval: float = 0.05) -> Any:
    """Poll until `predicate()` is truthy and return it; fail the test on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {getattr(predicate, '__name__', predicate)}")
        time.sleep(interval)


@pytest.fixture
def broker_dir(tmp_path: Path) -> Path:
    """VAR_DIR of this test: the filesystem broker's folders live under it, as in settings."""
    var = tmp_path / "var"
    for folder in ("broker", "broker-control", "outbox"):
        (var / folder).mkdir(parents=True)
    return var


@pytest.fixture
def make_celery_app(broker_dir: Path) -> Iterator[Callable[..., Celery]]:
    """Build a Celery app configured from the Django settings, on a queue of its own,
    and make it the current app (shared tasks resolve to it; services publish through it)."""
    previous = celery_current_app._get_current_object()  # type: ignore[attr-defined]
    made: list[Celery] = []

    def make(broker_url: str | None = None) -> Celery:
        app = Celery("ptrx-test", set_as_current=False)
        # The production configuration (CELERY_* settings), then this test's broker and queue.
        conf: dict[str, Any] = {
            name.removeprefix("CELERY_").lower(): getattr(settings, name)
            for name in dir(settings)
            if name.startswith("CELERY_")
        }
        conf["task_default_queue"] = f"ptrx-test-{uuid.uuid4().hex[:10]}"
        # Leave pytest's log capture in place when a worker starts.
        conf["worker_hijack_root_logger"] = False
        if broker_url:
            conf["broker_url"] = broker_url
            conf["broker_transport_options"] = {"visibility_timeout": 3600}
        elif not HAS_REDIS:
            conf["broker_transport_options"] = {
                "data_folder_in": str(broker_dir / "broker"),
                "data_folder_out": str(broker_dir / "broker"),
                "control_folder": str(broker_dir / "broker-control"),
                "polling_interval": 0.05,
            }
        app.config_from_object(conf)
        app.task(name=WAKE_TASK, ignore_result=True, shared=False)(_wake)
        app.set_current()
        app.set_default()
        made.append(app)
        return app

    yield make
    for app in made:
        app.close()
    previous.set_current()
    previous.set_default()


@pytest.fixture
def celery_app(make_celery_app: Callable[..., Celery]) -> Celery:
    return make_celery_app()


WAKE_TASK = "tests.jobs.wake"


def _wake() -> None:
    """Does nothing: a message for it ends a worker's wait for the broker at once."""


def _close_thread_connections(**_kwargs: Any) -> None:
    # A worker thread's database connections would outlive the test (and keep
    # PostgreSQL from dropping the test database): close them after each task.
    connections.close_all()


def retry_at_once(task: Task) -> None:
    """Declare the task's retries again with no wait between tries (the schedule itself is
    checked in test_settings). Celery's autoretry fixes its backoff when it wraps the task,
    so changing `retry_backoff` afterwards changes nothing."""
    task.run = task._orig_run  # type: ignore[attr-defined]
    del task._orig_run  # type: ignore[attr-defined]
    add_autoretry_behaviour(task, retry_backoff=False, retry_kwargs={"countdown": 0})


@contextmanager
def running_worker(app: Celery, *, pool: str = "solo", concurrency: int = 1) -> Iterator[Any]:
    """A real Celery worker consuming the app's queue in a thread of this process."""
    signals.task_postrun.connect(_close_thread_connections, weak=False)
    try:
        with start_worker(
            app,
            pool=pool,
            concurrency=concurrency,
            perform_ping_check=False,
            shutdown_timeout=30,
            loglevel="WARNING",
        ) as worker:
            try:
                yield worker
            finally:
                # Ask the worker to stop, then wake it: otherwise it notices only
                # after its poll of the broker times out, and its loop polls once
                # more after noticing (seconds each on the filesystem): two messages.
                worker_state.should_terminate = 0
                app.send_task(WAKE_TASK)
                app.send_task(WAKE_TASK)
    finally:
        signals.task_postrun.disconnect(_close_thread_connections)


@contextmanager
def finished_tasks() -> Iterator[Counter[str]]:
    """Counts the tasks that workers finish (by task name) while the block runs."""
    finished: Counter[str] = Counter()

    def count(sender: Any = None, **_kwargs: Any) -> None:
        finished[sender.name] += 1

    signals.task_postrun.connect(count, weak=False)
    try:
        yield finished
    finally:
        signals.task_postrun.disconnect(count)


def database_url() -> str:
    """The test database, as a URL a worker subprocess can be given."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


class WorkerProcess:
    """`celery worker` in a subprocess (its own process group, so SIGKILL takes it all)."""

    def __init__(self, app: Celery, var_dir: Path, maildir: Path, *, mail_delay: float = 0.0) -> None:
        env = {
            **os.environ,
            "DEBUG": "1",
            "DATABASE_URL": database_url(),
            "VAR_DIR": str(var_dir),
            "EMAIL_BACKEND": "tests.jobs.mail.RecordingBackend",
            "PTRX_TEST_MAILDIR": str(maildir),
            "PTRX_TEST_MAIL_DELAY": str(mail_delay),
            "CELERY_SKIP_CHECKS": "1",
            "PYTHONPATH": str(BASE_DIR),
        }
        env.pop("EMAIL_URL", None)
        queue = app.conf.task_default_queue
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "--app",
                "ptrx",
                "worker",
                "--pool",
                "solo",
                "--queues",
                queue,
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                "WARNING",
            ],
            cwd=BASE_DIR,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def kill(self) -> None:
        """SIGKILL the worker and everything it started: no shutdown, no acks."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


@pytest.fixture
def worker_processes() -> Iterator[list[WorkerProcess]]:
    """Worker subprocesses started by the test, all killed at its end (the test has
    waited for what it needed; a warm shutdown would only cost seconds)."""
    started: list[WorkerProcess] = []
    yield started
    for process in started:
        if process.process.poll() is None:
            process.kill()


# --- patients -------------------------------------------------------------------------


def local_now(zone: str) -> dt.datetime:
    return timezone.now().astimezone(zoneinfo.ZoneInfo(zone))


def minutes_from_now(zone: str, minutes: float) -> dt.time:
    """The local wall time `minutes` from now in `zone`, to the minute."""
    return (local_now(zone) + dt.timedelta(minutes=minutes)).time().replace(second=0, microsecond=0)


def reminded_patient(
    *, zone: str, reminder_time: dt.time, start: dt.date | None = None, **fields: Any
) -> Patient:
    """A patient with an active plan in which every prescription is due every day."""
    patient = make_patient(timezone_name=zone, reminder_time=reminder_time, **fields)
    plan = make_active_plan(patient, start=start)
    Prescription.objects.filter(phase__plan=plan).update(days_of_week=EVERY_DAY)
    return patient


def active_plan(patient: Patient) -> Plan:
    return Plan.objects.get(patient=patient, status="active")


def zones_with_local_time_between(zones: list[str], earliest: dt.time, latest: dt.time) -> list[str]:
    """The zones whose local time now is within [earliest, latest] (keeps tests away from midnight)."""
    return [zone for zone in zones if earliest <= local_now(zone).time() <= latest]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # Every patient here is made with a password; the job tests make dozens.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
