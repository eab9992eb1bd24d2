"""The outbox: rows written in a transaction, sent after it commits, each exactly once.

The Notification table is the outbox and the source of truth (DESIGN.md, "Jobs"),
and the therapist digest uses the same engine. Celery delivers at least once, so a
conditional update (`pending -> sending`) lets only one sender claim a row.
"""

from ptrx.plans.outbox.claims import PENDING_GRACE, SENDING_LEASE, outbox_claim, outbox_recover
from ptrx.plans.outbox.delivery import TRANSPORT_ERRORS, SendReport, outbox_deliver
from ptrx.plans.outbox.enqueue import notifications_enqueue
from ptrx.plans.outbox.message import OutboxEmail
from ptrx.plans.outbox.notifications import notifications_fail, notifications_recover, notifications_send

__all__ = [
    "PENDING_GRACE",
    "SENDING_LEASE",
    "TRANSPORT_ERRORS",
    "OutboxEmail",
    "SendReport",
    "notifications_enqueue",
    "notifications_fail",
    "notifications_recover",
    "notifications_send",
    "outbox_claim",
    "outbox_deliver",
    "outbox_recover",
]
