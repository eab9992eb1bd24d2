"""Claiming outbox rows: recover, claim, mark, release and unclaim, each one statement.

Celery delivers at least once, so every effect is made once by the database: a
conditional update (`pending -> sending`) lets only one sender claim a row.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence

from django.db import connections, models
from django.db.models import F, Q

from ptrx.plans.models import NotificationStatus

logger = logging.getLogger(__name__)

# A pending row this old that nobody claimed has lost its message: queue it again.
# Short, so a red-flag alert queued by a check-in goes out with the next sweep.
PENDING_GRACE = dt.timedelta(seconds=60)
# A `sending` row claimed this long ago belongs to a sender that died. Longer than
# the task hard time limit (CELERY_TASK_TIME_LIMIT), so a live sender is never overtaken.
SENDING_LEASE = dt.timedelta(minutes=10)
# Claims per row before it is marked `failed` (covers a row that kills its worker).
MAX_ATTEMPTS = 8


def outbox_recover(model: type[models.Model], *, now: dt.datetime) -> tuple[int, int, list[int]]:
    """Expire rows past their send window, give up on rows claimed too often, release
    rows whose sender died, and return the ids whose message was lost.

    Returns (expired, failed, ids to queue again).
    """
    stale = now - SENDING_LEASE
    outbox = model._default_manager
    abandoned = Q(status=NotificationStatus.SENDING, claimed_at__lte=stale)
    waiting = Q(status=NotificationStatus.PENDING)
    expired = outbox.filter(waiting | abandoned, send_before__lte=now).update(
        status=NotificationStatus.EXPIRED
    )
    failed = outbox.filter(waiting | abandoned, attempts__gte=MAX_ATTEMPTS).update(
        status=NotificationStatus.FAILED
    )
    outbox.filter(abandoned).update(status=NotificationStatus.PENDING)
    lost = outbox.filter(
        Q(claimed_at__isnull=True, created_at__lte=now - PENDING_GRACE) | Q(claimed_at__lte=stale),
        status=NotificationStatus.PENDING,
    )
    ids = list(lost.order_by("pk").values_list("pk", flat=True))
    if expired or failed or ids:
        logger.info(
            "%s outbox: %d expired, %d failed, %d queued again.", model.__name__, expired, failed, len(ids)
        )
    return expired, failed, ids


def _outbox_sql(model: type[models.Model], statement: str, **lists: int) -> str:
    """`statement` for the outbox table of `model`, with `{name}` replaced by that many
    %s placeholders for each list given. Every value goes in as a parameter."""
    db = connections[model._default_manager.db]
    placeholders = {name: ", ".join(["%s"] * length) for name, length in lists.items()}
    return statement.format(table=db.ops.quote_name(model._meta.db_table), **placeholders)


# UPDATE ... RETURNING (PostgreSQL, SQLite >= 3.35): the rows this statement changed are
# exactly the ones claimed, whatever other senders do at the same moment.
_CLAIM = """
UPDATE {table} SET status = %s, claimed_at = %s, attempts = attempts + 1
WHERE id IN ({pks}) AND status = %s AND attempts < %s AND (send_before IS NULL OR send_before > %s)
RETURNING id, attempts
"""


def outbox_claim(model: type[models.Model], pks: Sequence[int], now: dt.datetime) -> dict[int, int]:
    """Take the pending rows among `pks` for sending, with one conditional update (the
    claim); returns {pk: attempts, counting this claim} of the rows taken. A row another
    sender holds, a row already done and a row past its send window are not taken."""
    if not pks:
        return {}
    db = connections[model._default_manager.db]
    claimed_at = db.ops.adapt_datetimefield_value(now)
    with db.cursor() as cursor:
        cursor.execute(
            _outbox_sql(model, _CLAIM, pks=len(pks)),
            [
                NotificationStatus.SENDING.value,
                claimed_at,
                *pks,
                NotificationStatus.PENDING.value,
                MAX_ATTEMPTS,
                claimed_at,
            ],
        )
        return dict(cursor.fetchall())


_MARK = "UPDATE {table} SET status = %s, sent_at = %s WHERE id = %s AND status = %s AND claimed_at = %s"
# On PostgreSQL, the mark commits without waiting for the WAL flush: set_config(..., true)
# is SET LOCAL synchronous_commit TO OFF, for the statement's own (autocommit) transaction
# and in the same round trip. See outbox_mark for what this risks.
_MARK_UNFLUSHED = """
WITH unflushed AS (SELECT set_config('synchronous_commit', 'off', true))
UPDATE {table} SET status = %s, sent_at = %s FROM unflushed
WHERE id = %s AND status = %s AND claimed_at = %s
"""


def outbox_mark(
    model: type[models.Model],
    pk: int,
    claimed_at: dt.datetime,
    status: str,
    *,
    sent_at: dt.datetime | None = None,
) -> None:
    """Record the outcome of our claim (a no-op when the lease passed and it was re-taken).

    Committed at once, row by row, so a sender killed later sends this row no more
    (without waiting for the WAL flush on PostgreSQL: docs/PERFORMANCE.md, "Commits
    that do not wait"). Inside a caller's transaction the mark commits with that
    transaction. `sent_at` is None for an outcome other than `sent`.
    """
    db = connections[model._default_manager.db]
    unflushed = db.vendor == "postgresql" and not db.in_atomic_block
    adapt = db.ops.adapt_datetimefield_value
    with db.cursor() as cursor:
        cursor.execute(
            _outbox_sql(model, _MARK_UNFLUSHED if unflushed else _MARK),
            [status, adapt(sent_at), pk, NotificationStatus.SENDING.value, adapt(claimed_at)],
        )


def outbox_release(model: type[models.Model], pk: int, claimed_at: dt.datetime, attempts: int) -> None:
    """Hand a row back after a transport error (the task retries it), or give up on it."""
    status = NotificationStatus.FAILED if attempts >= MAX_ATTEMPTS else NotificationStatus.PENDING
    outbox_mark(model, pk, claimed_at, status)


def outbox_unclaim(model: type[models.Model], pks: Iterable[int], claimed_at: dt.datetime) -> None:
    """Hand back rows we claimed but never tried to send, as if unclaimed (the claim is not
    counted as an attempt)."""
    model._default_manager.filter(
        pk__in=list(pks), status=NotificationStatus.SENDING, claimed_at=claimed_at
    ).update(status=NotificationStatus.PENDING, attempts=F("attempts") - 1)
