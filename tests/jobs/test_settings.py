"""The worker settings that the exactly-once design relies on (DESIGN.md, "Jobs")."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings

from ptrx.celery import app
from ptrx.plans import tasks
from ptrx.plans.outbox import TRANSPORT_ERRORS

JOB_TASKS = [
    tasks.dispatch_due_reminders,
    tasks.send_notifications,
    tasks.snapshot_adherence,
    tasks.evaluate_progress,
    tasks.therapist_digest,
    tasks.delete_expired_tokens,
]


def setting_with(name: str, **environment: str) -> object:
    """The setting `name` as a fresh process reads it with these variables set."""
    read = f"from django.conf import settings; import json; print(json.dumps(settings.{name}))"
    result = subprocess.run(
        [sys.executable, "-c", read],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "ptrx.settings", **environment},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


@pytest.mark.parametrize("task", JOB_TASKS, ids=lambda task: task.name.rsplit(".", 1)[-1])
def test_every_job_is_acknowledged_late_and_handed_back_when_its_worker_dies(task) -> None:  # type: ignore[no-untyped-def]
    registered = app.tasks[task.name]
    assert registered.acks_late is True
    assert registered.reject_on_worker_lost is True
    assert task.__doc__ and "Twice is safe" in task.__doc__


def test_one_message_at_a_time_in_json_with_time_limits() -> None:
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert 0 < app.conf.task_soft_time_limit < app.conf.task_time_limit


@pytest.mark.parametrize("task", [tasks.send_notifications, tasks.therapist_digest], ids=["send", "digest"])
def test_mail_retries_back_off_with_jitter_and_stay_inside_the_visibility_timeout(task) -> None:  # type: ignore[no-untyped-def]
    registered = app.tasks[task.name]
    # Celery retries transport errors only, never a domain error.
    assert registered.autoretry_for == TRANSPORT_ERRORS
    assert isinstance(registered.max_retries, int) and registered.max_retries > 0
    assert registered.retry_backoff > 0
    assert registered.retry_jitter is True
    # Redis re-delivers an unacknowledged message after the visibility timeout: a
    # retry countdown longer than that would run the task twice in parallel.
    transport = setting_with("CELERY_BROKER_TRANSPORT_OPTIONS", REDIS_URL="redis://127.0.0.1:6379/1")
    assert isinstance(transport, dict)
    visibility_timeout = transport["visibility_timeout"]
    assert registered.retry_backoff_max < visibility_timeout
    # The countdowns Celery's autoretry chooses from these declarations.
    countdowns = set()
    for retries in range(registered.max_retries + 3):
        countdown = get_exponential_backoff_interval(
            factor=registered.retry_backoff,
            retries=retries,
            maximum=registered.retry_backoff_max,
            full_jitter=registered.retry_jitter,
        )
        assert 0 <= countdown <= registered.retry_backoff_max
        countdowns.add(countdown)
    assert len(countdowns) > 1


def test_one_beat_entry_for_the_sweep_and_hourly_idempotent_jobs() -> None:
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert {entry["task"] for entry in schedule.values()} == {task.name for task in JOB_TASKS} - {
        tasks.send_notifications.name
    }
    sweep = schedule["dispatch-due-reminders"]
    assert sweep["schedule"].total_seconds() == settings.REMINDER_SWEEP_SECONDS
    # A sweep left waiting in the queue past the next one is dropped, not run late.
    assert sweep["options"]["expires"] <= settings.REMINDER_SWEEP_SECONDS
    for entry in schedule.values():
        assert entry["options"]["expires"] < 3600
