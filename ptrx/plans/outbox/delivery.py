"""Delivering outbox rows over one mail connection."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from smtplib import SMTPException, SMTPRecipientsRefused
from typing import Any

from django.core.mail import get_connection
from django.db import models

from ptrx.iterables import batched
from ptrx.plans.models import NotificationStatus
from ptrx.plans.outbox.claims import outbox_claim, outbox_mark, outbox_release, outbox_unclaim
from ptrx.plans.outbox.message import outbox_message

logger = logging.getLogger(__name__)

# Ids per send task, and so per mail connection.
SEND_BATCH_SIZE = 100


# Errors of the mail transport (SMTPException and ConnectionError are OSErrors):
# worth retrying. Anything else is a bug or a domain error and is not retried.
TRANSPORT_ERRORS: tuple[type[Exception], ...] = (SMTPException, ConnectionError, OSError)


@dataclass
class SendReport:
    sent: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    expired: int = 0


def outbox_deliver(
    model: type[models.Model],
    rows: Sequence[Any],
    *,
    recipient: Callable[[Any], str],
    kind: str,
    clock: Callable[[], dt.datetime],
) -> SendReport:
    """Send outbox rows (with subject, body, html_body) over one mail connection.

    The rows are claimed SEND_BATCH_SIZE at a time with one conditional update, and
    each is recorded (outbox_mark) just after it is sent. A sender that dies mid-batch
    leaves its claimed rows `sending`: they are taken again after SENDING_LEASE, so up
    to a batch is delayed by the lease, and only the one message in flight can go out
    twice. A transport error hands that row and the batch's untried rows back and is
    raised for the task to retry; a refused recipient fails that row only.
    """
    report = SendReport()
    connection: Any = None
    try:
        for batch in batched(rows, SEND_BATCH_SIZE):
            claimed_at = clock()
            claimed = outbox_claim(model, [row.pk for row in batch], claimed_at)
            untried = set(claimed)  # rows claimed and not handed to the mail server
            try:
                for row in batch:
                    if row.pk not in claimed:
                        report.skipped.append(row.pk)
                        continue
                    to = recipient(row)
                    if not to:
                        logger.warning("%s %s has no email address to go to.", model.__name__, row.pk)
                        untried.discard(row.pk)
                        outbox_mark(model, row.pk, claimed_at, NotificationStatus.FAILED)
                        report.failed.append(row.pk)
                        continue
                    message = outbox_message(
                        kind=kind,
                        pk=row.pk,
                        to=to,
                        subject=row.subject,
                        body=row.body,
                        html_body=row.html_body,
                    )
                    if connection is None:
                        connection = get_connection()
                        connection.open()
                    message.connection = connection
                    untried.discard(row.pk)  # from here on, the mail server may have it
                    try:
                        message.send()
                    except SMTPRecipientsRefused:
                        logger.warning("%s %s: the recipient was refused.", model.__name__, row.pk)
                        outbox_mark(model, row.pk, claimed_at, NotificationStatus.FAILED)
                        report.failed.append(row.pk)
                        continue
                    except TRANSPORT_ERRORS:
                        outbox_release(model, row.pk, claimed_at, claimed[row.pk])
                        raise
                    outbox_mark(model, row.pk, claimed_at, NotificationStatus.SENT, sent_at=clock())
                    report.sent.append(row.pk)
            finally:
                # After an error, the untried rows go back; the row in flight stays `sending`.
                if untried:
                    outbox_unclaim(model, untried, claimed_at)
    finally:
        if connection is not None:
            try:
                connection.close()
            except TRANSPORT_ERRORS:
                logger.warning("Closing the mail connection failed.", exc_info=True)
    return report
