"""Enqueueing notification sends once the current transaction commits."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from ptrx.iterables import batched
from ptrx.plans.outbox.delivery import SEND_BATCH_SIZE
from ptrx.plans.queue import SEND_NOTIFICATIONS, on_commit, task_send

logger = logging.getLogger(__name__)


def notifications_enqueue(ids: Sequence[int]) -> None:
    """Enqueue sends for these rows in batches once the current transaction commits.

    A broker that is down is logged, not raised: the rows stay `pending` and the next
    sweep queues them again, so callers (and API requests) never wait on the broker.
    """
    if ids:
        ids = list(ids)
        on_commit(lambda: _publish(ids))


def _publish(ids: list[int]) -> None:
    for number, batch in enumerate(batched(ids, SEND_BATCH_SIZE)):
        try:
            task_send(SEND_NOTIFICATIONS, args=[batch])
        except Exception:
            logger.warning(
                "Broker unavailable: %d notification(s) stay pending for the next sweep.",
                len(ids) - number * SEND_BATCH_SIZE,
                exc_info=True,
            )
            return
