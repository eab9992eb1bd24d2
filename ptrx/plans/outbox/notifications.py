"""The notifications' outbox (reminders and therapist alerts): recover, send, give up."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils import timezone

from ptrx.plans.models import PATIENT_KINDS, Notification, NotificationStatus
from ptrx.plans.outbox.claims import outbox_recover
from ptrx.plans.outbox.delivery import SendReport, outbox_deliver


def notifications_recover(*, now: dt.datetime) -> tuple[int, int, list[int]]:
    """outbox_recover for the notifications (reminders and therapist alerts)."""
    return outbox_recover(Notification, now=now)


def _recipient(notification: Notification) -> str:
    if notification.kind in PATIENT_KINDS:
        return notification.patient.user.email
    return notification.patient.therapist.email


def notifications_send(*, ids: Sequence[int], now: dt.datetime | None = None) -> SendReport:
    """Send the notifications among `ids` that this call can claim (see outbox_deliver);
    rows past their send window are marked expired instead."""
    clock = (lambda: now) if now is not None else timezone.now
    expired = Notification.objects.filter(
        pk__in=ids, status=NotificationStatus.PENDING, send_before__lte=clock()
    ).update(status=NotificationStatus.EXPIRED)
    rows = list(
        Notification.objects.filter(pk__in=ids, status=NotificationStatus.PENDING)
        .select_related("patient__user", "patient__therapist")
        .only("kind", "subject", "body", "html_body", "patient__user__email", "patient__therapist__email")
        .order_by("pk")
    )
    report = outbox_deliver(Notification, rows, recipient=_recipient, kind="notification", clock=clock)
    report.expired = expired
    return report


def notifications_fail(*, ids: Sequence[int]) -> int:
    """Give up on the rows of a send whose retries ran out (rows others hold are left alone)."""
    return Notification.objects.filter(pk__in=ids, status=NotificationStatus.PENDING).update(
        status=NotificationStatus.FAILED
    )
