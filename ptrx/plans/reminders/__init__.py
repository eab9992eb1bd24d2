"""Patient reminders: the sweep that queues them in the outbox (ptrx.plans.outbox sends them).

The unique key (patient, kind, local date) lets a reminder be queued only once. A
reminder is due for the patient's current local date only, while its instant
(ptrx.plans.domain.local_time) <= now < instant + REMINDER_SEND_WINDOW_HOURS, so a
broker outage never ends in a reminder sent in the small hours: past the window the
row is marked `expired`.
"""

from ptrx.plans.reminders.bodies import CATEGORY_WORDS, join_words
from ptrx.plans.reminders.sweep import DispatchReport, reminders_dispatch

__all__ = ["CATEGORY_WORDS", "DispatchReport", "join_words", "reminders_dispatch"]
