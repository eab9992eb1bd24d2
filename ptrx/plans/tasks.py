"""Celery tasks: thin wrappers over the services (DESIGN.md, "Jobs").

Celery delivers at least once: a killed worker, a Redis visibility timeout or a
retry can run a task twice. Every task here is idempotent (each docstring says
why), so each is acknowledged late and handed back if its worker is lost.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task

from ptrx.authentication import expired_tokens_delete
from ptrx.plans.outbox import TRANSPORT_ERRORS, notifications_fail, notifications_send
from ptrx.plans.queue import SEND_NOTIFICATIONS
from ptrx.plans.reminders import reminders_dispatch
from ptrx.plans.services.progression import progression_evaluate_due
from ptrx.plans.services.tracking import (
    adherence_snapshots_take,
    therapist_digests_fail,
    therapist_digests_prepare,
    therapist_digests_send,
)

logger = logging.getLogger(__name__)

# Acknowledged after the task ran, and requeued when the worker process dies, so a
# lost worker delays the work instead of losing it. Only for idempotent tasks.
IDEMPOTENT: dict[str, Any] = {"acks_late": True, "reject_on_worker_lost": True}
# Celery retries the mail transport's errors (never a domain error): exponential backoff
# from 30 s with full jitter, never more than 5 min between tries (far below the Redis
# visibility timeout), 5 times.
MAIL_RETRY: dict[str, Any] = {
    "autoretry_for": TRANSPORT_ERRORS,
    "max_retries": 5,
    "retry_backoff": 30,
    "retry_backoff_max": 300,
    "retry_jitter": True,
}


def _last_try(task: Task) -> bool:
    """Whether a transport error now ends the task instead of being retried."""
    return task.max_retries is not None and task.request.retries >= task.max_retries


@shared_task(**IDEMPOTENT)
def dispatch_due_reminders() -> dict[str, int]:
    """Queue the reminders due now and enqueue their sends (beat, every REMINDER_SWEEP_SECONDS).

    Twice is safe: rows are inserted under the unique (patient, kind, local date) key,
    and a row is only sent by the one sender that claims it.
    """
    report = reminders_dispatch()
    return {
        "created": report.created,
        "requeued": report.requeued,
        "expired": report.expired,
        "failed": report.failed,
    }


@shared_task(name=SEND_NOTIFICATIONS, bind=True, **IDEMPOTENT, **MAIL_RETRY)
def send_notifications(self: Task, notification_ids: list[int]) -> dict[str, int]:
    """Send these outbox rows over one mail connection; retry transport errors, then mark failed.

    Twice is safe: each row is claimed with a conditional update (pending -> sending)
    before it is sent, so a second delivery finds nothing left to claim.
    """
    try:
        report = notifications_send(ids=notification_ids)
    except TRANSPORT_ERRORS as exc:
        if _last_try(self):
            failed = notifications_fail(ids=notification_ids)
            logger.error("Gave up on %d notification(s) after %s retries: %s", failed, self.max_retries, exc)
        raise
    return {"sent": len(report.sent), "failed": len(report.failed), "expired": report.expired}


@shared_task(**IDEMPOTENT)
def snapshot_adherence() -> int:
    """Write the adherence snapshot of each active plan's finished local day (hourly).

    Twice is safe: snapshots are unique per (plan, date) and existing ones are skipped.
    """
    return adherence_snapshots_take()


@shared_task(**IDEMPOTENT)
def evaluate_progress() -> int:
    """Decide advance / hold / regress once per active plan and local day (hourly).

    Twice is safe: a plan already decided for its local today is skipped, and the
    system's decision is unique per (plan, date).
    """
    return len(progression_evaluate_due())


@shared_task(bind=True, **IDEMPOTENT, **MAIL_RETRY)
def therapist_digest(self: Task) -> int:
    """Write and send today's therapist digests (hourly; written from DIGEST_HOUR_UTC on).

    Twice is safe: one digest per therapist and UTC date (unique key), each claimed
    before it is sent.
    """
    ids = therapist_digests_prepare()
    try:
        return len(therapist_digests_send(ids=ids))
    except TRANSPORT_ERRORS:
        if _last_try(self):
            therapist_digests_fail(ids=ids)
        raise


@shared_task(**IDEMPOTENT)
def delete_expired_tokens() -> int:
    """Delete the API tokens past their expiry (hourly); a token is refused once expired anyway.

    Twice is safe: a deleted token is not there to delete again.
    """
    return expired_tokens_delete()
