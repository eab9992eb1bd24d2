"""The reminder sweep: queue today's due reminders and enqueue their sends."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from ptrx.db import postgresql_set_local
from ptrx.iterables import batched
from ptrx.outcomes.domain import Timing
from ptrx.outcomes.selectors import questionnaire_day, questionnaire_timings
from ptrx.plans.models import Completion, NotificationKind, Plan
from ptrx.plans.outbox import notifications_enqueue, notifications_recover
from ptrx.plans.reminders.bodies import ReminderBodies, ReminderRow, reminder_row
from ptrx.plans.reminders.candidates import Candidate, candidates_due, due_windows
from ptrx.plans.reminders.left_today import (
    MISSED_AFTER_DAYS,
    MISSED_LOOKBACK_DAYS,
    LeftToday,
    plans_left_today,
)
from ptrx.plans.reminders.storing import pending_ids_for, reminders_insert

# Candidate plans handled per set of queries. On SQLite this keeps the statements under
# its oldest limit of 999 parameters (the prescription query binds each plan id twice);
# on PostgreSQL larger chunks mean fewer round trips, commits and query compilations.
CANDIDATE_CHUNK = 400
CANDIDATE_CHUNK_POSTGRESQL = 2000

# Zones per candidate query (one OR term each).
ZONES_PER_QUERY = 50


@dataclass
class DispatchReport:
    """What one sweep did. `created` counts the reminders it inserted or found inserted
    by a concurrent sweep (the unique key keeps one); `enqueued_ids` are the rows it
    handed to the broker (or tried to, when the broker is down)."""

    created: int = 0
    requeued: int = 0
    expired: int = 0
    failed: int = 0
    enqueued_ids: list[int] = field(default_factory=list)


def reminders_dispatch(*, now: dt.datetime | None = None) -> DispatchReport:
    """Queue today's due reminders, recover stuck rows and enqueue sends after commit.

    Safe to run twice or concurrently: rows are inserted under the unique key
    (conflicts ignored) and a send only happens to the sender that claims the row.
    """
    now = now or timezone.now()
    window = dt.timedelta(hours=settings.REMINDER_SEND_WINDOW_HOURS)
    report = DispatchReport()
    expired, failed, requeue_ids = notifications_recover(now=now)
    report.expired, report.failed, report.requeued = expired, failed, len(requeue_ids)
    notifications_enqueue(requeue_ids)
    report.enqueued_ids.extend(requeue_ids)

    windows = due_windows(now=now, window=window)
    bodies = ReminderBodies()
    # When questionnaires fall due: one query a sweep, and only when a zone is due.
    timings = questionnaire_timings() if windows else []
    chunk = CANDIDATE_CHUNK_POSTGRESQL if connection.vendor == "postgresql" else CANDIDATE_CHUNK
    for zone_batch in batched(windows, ZONES_PER_QUERY):
        for candidates in batched(candidates_due(zone_batch, now=now, window=window), chunk):
            with transaction.atomic():
                _chunk_settings()
                rows = _reminder_rows(candidates, bodies, timings)
                ids = reminders_insert(rows, bodies)
                if ids is None or len(ids) < len(rows):  # not known, or some were a concurrent sweep's
                    ids = pending_ids_for(rows)
                notifications_enqueue(ids)
            report.created += len(rows)
            report.enqueued_ids.extend(ids)
    return report


def _chunk_settings() -> None:
    """Settings for the transaction of one chunk of the sweep on PostgreSQL: no wait for
    the WAL flush and no JIT (docs/PERFORMANCE.md, "Commits that do not wait")."""
    postgresql_set_local(synchronous_commit="off", jit="off")


def _reminder_rows(
    candidates: Sequence[Candidate], bodies: ReminderBodies, timings: Sequence[Timing] = ()
) -> list[ReminderRow]:
    """The reminders to insert for these candidates, in a fixed number of queries.

    Skips a rest day, a day whose sessions are all logged, and a patient who already
    has today's reminder; sends the missed-session nudge instead of the daily
    reminder after MISSED_AFTER_DAYS scheduled days with nothing logged.
    """
    left_today = plans_left_today(candidates)
    # The scheduled days that decide the missed-session nudge (no query needed for those).
    due: list[tuple[Candidate, LeftToday, tuple[dt.date, ...]]] = []
    scheduled_cache: dict[tuple[frozenset[int], dt.date, dt.date], tuple[dt.date, ...]] = {}
    for candidate in candidates:
        left = left_today.get(candidate.plan_id)
        if left is None or candidate.local_date < candidate.start_date:
            continue
        key = (left.weekdays, candidate.local_date, candidate.start_date)
        scheduled = scheduled_cache.get(key)
        if scheduled is None:
            scheduled = scheduled_cache[key] = _last_scheduled_days(*key)
        due.append((candidate, left, scheduled))
    # Nothing logged on those days earns the nudge. The last day with a log mostly
    # tells; only a log on a day off after the oldest of them needs the logs read.
    logged_plans = set()
    to_read = {}
    for candidate, left, scheduled in due:
        if len(scheduled) < MISSED_AFTER_DAYS or left.nudged_lately:
            continue
        if left.last_logged in scheduled:
            logged_plans.add(candidate.plan_id)
        elif left.last_logged is not None and left.last_logged > scheduled[-1]:
            to_read[candidate.plan_id] = scheduled
    logged_plans |= _plans_logged_on(to_read)
    rows = []
    for candidate, left, scheduled in due:
        missed = (
            len(scheduled) == MISSED_AFTER_DAYS
            and not left.nudged_lately
            and candidate.plan_id not in logged_plans
        )
        kind = NotificationKind.MISSED if missed else NotificationKind.DAILY
        questionnaire = questionnaire_day(
            timings, branches=candidate.branches, start=candidate.start_date, day=candidate.local_date
        )
        rows.append(reminder_row(candidate, kind, left, bodies, questionnaire=questionnaire))
    return rows


def _plans_logged_on(days_by_plan: dict[int, tuple[dt.date, ...]]) -> set[int]:
    """The plans with something logged on one of their given days, in one query (an
    EXISTS per group of plans with the same days, which stops at the first log)."""
    if not days_by_plan:
        return set()
    groups: dict[tuple[dt.date, ...], list[int]] = defaultdict(list)
    for plan_id, days in days_by_plan.items():
        groups[days].append(plan_id)
    logged = Q()
    for group_days, group_plan_ids in groups.items():
        logged |= Q(
            Exists(Completion.objects.filter(plan_id=OuterRef("pk"), date__in=group_days)),
            pk__in=group_plan_ids,
        )
    return set(Plan.objects.filter(logged).order_by().values_list("pk", flat=True))


def _last_scheduled_days(
    weekdays: frozenset[int], today: dt.date, start_date: dt.date
) -> tuple[dt.date, ...]:
    """The last MISSED_AFTER_DAYS days before `today` on one of `weekdays`, no earlier than
    the plan's start or MISSED_LOOKBACK_DAYS back (fewer when there are not that many)."""
    scheduled: list[dt.date] = []
    day = today - dt.timedelta(days=1)
    first = max(start_date, today - dt.timedelta(days=MISSED_LOOKBACK_DAYS))
    while len(scheduled) < MISSED_AFTER_DAYS and day >= first:
        if day.weekday() in weekdays:
            scheduled.append(day)
        day -= dt.timedelta(days=1)
    return tuple(scheduled)
