"""Patient reminders: the sweep that queues them and the sender that delivers the outbox.

The Notification table is the outbox and the source of truth (DESIGN.md, "Jobs").
Celery delivers at least once, so every effect here is made once by the database:
the unique key (patient, kind, local date) lets a reminder be queued only once,
and a conditional update (`pending -> sending`) lets only one sender claim it.

Local time. A patient's reminder for local date D falls at the instant their
`reminder_time` happens on D in their own zone (zoneinfo). Two clock changes need
a rule:

- a wall time skipped when clocks go forward (02:30 on the night clocks jump from
  02:00 to 03:00) is taken as the first valid minute after it, the moment of the
  jump (03:00);
- a wall time that happens twice when clocks go back (01:30 on the fall-back
  night) is taken at its first occurrence (fold=0).

A reminder is due while that instant <= now < instant + REMINDER_SEND_WINDOW_HOURS,
and only for the patient's current local date, so a broker outage never ends in a
reminder sent in the small hours: past the window the row is marked `expired`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from email.policy import Compat32
from functools import lru_cache
from itertools import islice
from smtplib import SMTPException, SMTPRecipientsRefused
from typing import Any, NamedTuple
from urllib.parse import urlparse

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, connections, models, transaction
from django.db.models import Count, Exists, F, Max, OuterRef, Q, TextField
from django.db.models.functions import Cast
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import escape

from ptrx.db import postgresql_set_local
from ptrx.plans.domain.adherence import EXERCISE_CATEGORIES
from ptrx.plans.models import (
    PATIENT_KINDS,
    Completion,
    Notification,
    NotificationKind,
    NotificationStatus,
    Patient,
    Plan,
    PlanStatus,
    Prescription,
)

logger = logging.getLogger(__name__)

UTC = dt.UTC

# Ids per send task, and so per mail connection.
SEND_BATCH_SIZE = 100
# Candidate plans handled per set of queries. On SQLite this keeps the statements under
# its oldest limit of 999 parameters (the prescription query binds each plan id twice);
# on PostgreSQL larger chunks mean fewer round trips, commits and query compilations.
CANDIDATE_CHUNK = 400
CANDIDATE_CHUNK_POSTGRESQL = 2000
# Rows per INSERT statement.
INSERT_BATCH_SIZE = 2000
# Zones per candidate query (one OR term each).
ZONES_PER_QUERY = 50
# A pending row this old that nobody claimed has lost its message: queue it again.
# Short, so a red-flag alert queued by a check-in goes out with the next sweep.
PENDING_GRACE = dt.timedelta(seconds=60)
# A `sending` row claimed this long ago belongs to a sender that died. Longer than
# the task hard time limit (CELERY_TASK_TIME_LIMIT), so a live sender is never overtaken.
SENDING_LEASE = dt.timedelta(minutes=10)
# Claims per row before it is marked `failed` (covers a row that kills its worker).
MAX_ATTEMPTS = 8

# The missed-session nudge (CLINICAL.md §6): after this many scheduled days in a row
# with nothing logged, and at most once in this many days.
MISSED_AFTER_DAYS = 3
MISSED_EVERY_DAYS = 3
# How far back to look for those scheduled days.
MISSED_LOOKBACK_DAYS = 21

# Words for what is due. Exercise names stay in the app: some name anatomy, and a
# reminder shows on a lock screen, so it says how much is due and of what kind.
CATEGORY_WORDS = {
    "breathing": "breathing",
    "rotational_stretch": "stretching",
    "neurodynamic_glide": "gliding movements",
    "core_strength": "core strength",
    "gluteal_strength": "hip strength",
    "mobility": "mobility",
    "education": "a self-care habit",
}

# Errors of the mail transport (SMTPException and ConnectionError are OSErrors):
# worth retrying. Anything else is a bug or a domain error and is not retried.
TRANSPORT_ERRORS: tuple[type[Exception], ...] = (SMTPException, ConnectionError, OSError)


def _batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def join_words(words: Sequence[str]) -> str:
    """Words joined as in a sentence: a; a and b; a, b and c."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


# --- local time -------------------------------------------------------------------


def reminder_instant(*, day: dt.date, at: dt.time, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """When wall time `at` happens on `day` in `zone`, by the rule in the module docstring."""
    wall = dt.datetime.combine(day, at.replace(tzinfo=None), tzinfo=zone)  # fold=0: first occurrence
    instant = wall.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == wall.replace(tzinfo=None):
        return instant
    # `at` was skipped. Read with the offsets after (fold=1) and before (fold=0) the
    # jump, it lands on either side of the jump; find the jump by bisection.
    low = wall.replace(fold=1).astimezone(UTC)
    high = instant
    after = high.astimezone(zone).utcoffset()
    while high - low > dt.timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == after:
            high = middle
        else:
            low = middle
    jump = high.replace(microsecond=0)
    # The first valid minute: the jump itself when on a whole minute (it always is in tzdata).
    if jump.second:
        jump = jump.replace(second=0) + dt.timedelta(minutes=1)
    return jump


@dataclass(frozen=True)
class DueWindow:
    """The reminder times due now in one zone, on that zone's local date."""

    zone: zoneinfo.ZoneInfo
    local_date: dt.date
    earliest: dt.time
    latest: dt.time


def _time_of(second: int) -> dt.time:
    return dt.time(second // 3600, second // 60 % 60, second % 60)


def due_window(*, zone: zoneinfo.ZoneInfo, now: dt.datetime, window: dt.timedelta) -> DueWindow | None:
    """The reminder times t with instant(t) <= now < instant(t) + window, or None.

    instant() never decreases as t grows, so those times form one range: its ends
    are found by bisection over the seconds of the day (no per-patient work).
    """
    today = now.astimezone(zone).date()

    def instant(second: int) -> dt.datetime:
        return reminder_instant(day=today, at=_time_of(second), zone=zone)

    def first_second(predicate: Any) -> int:
        low, high = 0, 86400  # the answer is in [low, high]; 86400 means "none"
        while low < high:
            middle = (low + high) // 2
            if predicate(middle):
                high = middle
            else:
                low = middle + 1
        return low

    earliest = first_second(lambda second: instant(second) > now - window)
    after_latest = first_second(lambda second: instant(second) > now)
    if earliest >= after_latest:
        return None
    return DueWindow(
        zone=zone, local_date=today, earliest=_time_of(earliest), latest=_time_of(after_latest - 1)
    )


# --- the sweep --------------------------------------------------------------------


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


class _Candidate(NamedTuple):
    plan_id: int
    patient_id: int
    first_name: str
    channel: str
    start_date: dt.date
    local_date: dt.date
    send_before: dt.datetime
    current_phase: int


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

    windows = _due_windows(now=now, window=window)
    bodies = _Bodies()
    chunk = CANDIDATE_CHUNK_POSTGRESQL if connection.vendor == "postgresql" else CANDIDATE_CHUNK
    for zone_batch in _batched(windows, ZONES_PER_QUERY):
        for candidates in _batched(_candidates(zone_batch, now=now, window=window), chunk):
            with transaction.atomic():
                _chunk_settings()
                rows = _reminder_rows(candidates, bodies)
                ids = _reminders_insert(rows, bodies)
                if ids is None or len(ids) < len(rows):  # not known, or some were a concurrent sweep's
                    ids = _pending_ids_for(rows)
                notifications_enqueue(ids)
            report.created += len(rows)
            report.enqueued_ids.extend(ids)
    return report


def _chunk_settings() -> None:
    """Settings for the transaction of one chunk of the sweep (on PostgreSQL; elsewhere none).

    Its commit does not wait for the WAL flush (synchronous_commit off): a crash of
    PostgreSQL can lose the reminders of the last chunks, but none of them was sent (a
    sender's claim waits for the flush, which takes the rows it claims with it), and
    the next sweep queues them again. And no JIT: the planner overestimates the cost of
    _PG_LEFT_TODAY (an index lookup per candidate), and compiling would take longer
    than the statement.
    """
    postgresql_set_local(synchronous_commit="off", jit="off")


def _due_windows(*, now: dt.datetime, window: dt.timedelta) -> list[DueWindow]:
    zones = (
        Patient.objects.filter(reminders_enabled=True, plans__status=PlanStatus.ACTIVE)
        .order_by()
        .values_list("timezone", flat=True)
        .distinct()
    )
    windows = []
    for name in zones:
        try:
            zone = zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            logger.error("Patients with the unknown time zone %r get no reminders.", name)
            continue
        due = due_window(zone=zone, now=now, window=window)
        if due is not None:
            windows.append(due)
    return windows


def _candidates(
    windows: Sequence[DueWindow], *, now: dt.datetime, window: dt.timedelta
) -> Iterator[_Candidate]:
    """Active plans of patients with reminders on, whose reminder time is due now and
    who have no reminder for their local today yet: one query for up to ZONES_PER_QUERY zones."""
    by_zone = {due.zone.key: due for due in windows}
    in_range = Q()
    for due in windows:
        already_reminded = Notification.objects.filter(
            patient_id=OuterRef("patient_id"), kind__in=PATIENT_KINDS, local_date=due.local_date
        )
        in_range |= Q(
            ~Exists(already_reminded),
            patient__timezone=due.zone.key,
            patient__reminder_time__gte=due.earliest,
            patient__reminder_time__lte=due.latest,
        )
    plans = (
        Plan.objects.filter(in_range, status=PlanStatus.ACTIVE, patient__reminders_enabled=True)
        .values_list(
            "id",
            "patient_id",
            "start_date",
            "patient__timezone",
            "patient__reminder_time",
            "patient__reminder_channel",
            "patient__user__first_name",
            "current_phase",
        )
        .order_by("id")
    )
    instants: dict[tuple[str, dt.time], dt.datetime] = {}  # patients share zones and times
    for plan_id, patient_id, start_date, zone, reminder_time, channel, first_name, phase in list(plans):
        due = by_zone[zone]
        at = instants.get((zone, reminder_time))
        if at is None:
            at = instants[zone, reminder_time] = reminder_instant(
                day=due.local_date, at=reminder_time, zone=due.zone
            )
        if not at <= now < at + window:  # the exact rule, past the query's whole-second range
            continue
        yield _Candidate(
            plan_id=plan_id,
            patient_id=patient_id,
            first_name=first_name,
            channel=channel,
            start_date=start_date,
            local_date=due.local_date,
            send_before=at + window,
            current_phase=phase,
        )


class _LeftToday(NamedTuple):
    """What is left of a plan's local today, over the prescriptions of its current phase."""

    exercises: int  # the prescriptions due today with sessions still to log
    sessions: int  # those sessions
    categories: tuple[str, ...]  # the exercise category of each of those, in the plan's order
    weekdays: frozenset[int]  # the weekdays of all the phase's prescriptions (0 = Monday)
    nudged_lately: bool  # a missed-session nudge on one of the MISSED_EVERY_DAYS - 1 days before
    last_logged: dt.date | None  # the last day with a log, up to MISSED_LOOKBACK_DAYS before


def _reminder_rows(candidates: Sequence[_Candidate], bodies: _Bodies) -> list[_Row]:
    """The reminders to insert for these candidates, in a fixed number of queries.

    Skips a rest day, a day whose sessions are all logged, and a patient who already
    has today's reminder; sends the missed-session nudge instead of the daily
    reminder after MISSED_AFTER_DAYS scheduled days with nothing logged.
    """
    if connection.vendor == "postgresql":
        left_today = _left_today_postgresql(candidates)
    else:
        left_today = _left_today(candidates)
    # The scheduled days that decide the missed-session nudge (no query needed for those).
    due: list[tuple[_Candidate, _LeftToday, tuple[dt.date, ...]]] = []
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
        rows.append(_reminder_row(candidate, kind, left, bodies))
    return rows


def _left_today(candidates: Sequence[_Candidate]) -> dict[int, _LeftToday]:
    """What is left today of each candidate plan with something left and no reminder
    today yet, through the ORM: a few queries, then a pass over the prescriptions."""
    plan_ids = [c.plan_id for c in candidates]
    dates = {c.local_date for c in candidates}
    schedule: dict[int, list[tuple[int, str, int, frozenset[int]]]] = defaultdict(list)
    # days_of_week read as text and parsed once per distinct value (a few dozen at most).
    weekday_sets: dict[str, frozenset[int]] = {}
    # Each plan's current phase, as read with the candidates: one OR term per phase number.
    by_phase: dict[int, list[int]] = defaultdict(list)
    for candidate in candidates:
        by_phase[candidate.current_phase].append(candidate.plan_id)
    current = Q()
    for number, phase_plan_ids in sorted(by_phase.items()):
        current |= Q(phase__number=number, phase__plan_id__in=phase_plan_ids)
    for prescription_id, plan_id, category, sessions_per_day, days_text in (
        # Only exercise items are left to do: advice is read, not logged (CLINICAL.md §4).
        Prescription.objects.filter(
            current,
            phase__plan_id__in=plan_ids,  # the IN for the index
            exercise__category__in=EXERCISE_CATEGORIES,
        )
        .order_by("order", "pk")
        .values_list(
            "id",
            "phase__plan_id",
            "exercise__category",
            "sessions_per_day",
            Cast("days_of_week", output_field=TextField()),
        )
    ):
        days = weekday_sets.get(days_text)
        if days is None:
            days = weekday_sets[days_text] = frozenset(json.loads(days_text))
        schedule[plan_id].append((prescription_id, category, sessions_per_day, days))
    # Sessions logged on each plan's own local today (a chunk spans zones whose local
    # dates differ: only each plan's own date is read, not every date for every plan).
    plans_on: dict[dt.date, list[int]] = defaultdict(list)
    for candidate in candidates:
        plans_on[candidate.local_date].append(candidate.plan_id)
    logged_today = Q()
    for local_date, date_plan_ids in sorted(plans_on.items()):
        logged_today |= Q(date=local_date, plan_id__in=date_plan_ids)
    done_today = {
        (plan_id, prescription_id, date): n
        for plan_id, prescription_id, date, n in Completion.objects.filter(logged_today)
        .order_by()
        .values("plan_id", "prescription_id", "date")
        .annotate(n=Count("id"))
        .values_list("plan_id", "prescription_id", "date", "n")
    }
    logged_since = Q()
    for local_date, date_plan_ids in sorted(plans_on.items()):
        logged_since |= Q(
            plan_id__in=date_plan_ids,
            date__lt=local_date,
            date__gte=local_date - dt.timedelta(days=MISSED_LOOKBACK_DAYS),
        )
    last_logged = dict(
        Completion.objects.filter(logged_since)
        .order_by()
        .values("plan_id")
        .annotate(last=Max("date"))
        .values_list("plan_id", "last")
    )
    earlier = {
        (row["patient_id"], row["kind"], row["local_date"])
        for row in Notification.objects.filter(
            patient_id__in=[c.patient_id for c in candidates],
            kind__in=PATIENT_KINDS,
            local_date__gt=min(dates) - dt.timedelta(days=MISSED_EVERY_DAYS),
        ).values("patient_id", "kind", "local_date")
    }
    left_today = {}
    for candidate in candidates:
        today = candidate.local_date
        if any((candidate.patient_id, kind, today) in earlier for kind in PATIENT_KINDS):
            continue
        prescriptions = schedule.get(candidate.plan_id, [])
        weekday = today.weekday()
        remaining = [
            (category, sessions_per_day - done)
            for prescription_id, category, sessions_per_day, days in prescriptions
            if weekday in days
            and (done := done_today.get((candidate.plan_id, prescription_id, today), 0)) < sessions_per_day
        ]
        if not remaining:  # a rest day, or everything already logged
            continue
        left_today[candidate.plan_id] = _LeftToday(
            exercises=len(remaining),
            sessions=sum(sessions for _category, sessions in remaining),
            categories=tuple(category for category, _sessions in remaining),
            weekdays=frozenset().union(*(days for *_item, days in prescriptions)),
            nudged_lately=any(
                (candidate.patient_id, NotificationKind.MISSED, today - dt.timedelta(days=back)) in earlier
                for back in range(1, MISSED_EVERY_DAYS)
            ),
            last_logged=last_logged.get(candidate.plan_id),
        )
    return left_today


# _left_today in one statement: the database joins each candidate plan to its current
# phase's prescriptions and today's logs and sums them up, so one row per plan comes
# back instead of one per prescription (about nine), and no Python runs per prescription.
# `weekday` is the plan's local weekday as a JSON number, for days_of_week @> weekday.
# OFFSET 0 keeps `item` a subquery of its own, so `due` is worked out once per row, not
# once per aggregate that uses it (and its rows are not written to a temporary table, as
# a MATERIALIZED one's are).
_PG_LEFT_TODAY = """
WITH candidate AS (
    SELECT c.plan_id, c.phase, c.day, c.weekday,
           EXISTS (SELECT 1 FROM plans_notification n
                   WHERE n.patient_id = c.patient_id AND n.kind = %(missed)s
                     AND n.local_date >= c.day - %(nudge_days)s AND n.local_date < c.day) AS nudged_lately,
           (SELECT max(co.date) FROM plans_completion co
            WHERE co.plan_id = c.plan_id AND co.date < c.day
              AND co.date >= c.day - %(lookback_days)s) AS last_logged
    FROM unnest(%(plan_id)s::bigint[], %(patient_id)s::bigint[], %(phase)s::int[], %(day)s::date[],
                %(weekday)s::jsonb[]) AS c(plan_id, patient_id, phase, day, weekday)
    WHERE NOT EXISTS (SELECT 1 FROM plans_notification n
                      WHERE n.patient_id = c.patient_id AND n.kind = ANY(%(patient_kinds)s::text[])
                        AND n.local_date = c.day)
),
done AS (
    SELECT co.prescription_id, count(*) AS sessions
    FROM candidate c JOIN plans_completion co ON co.plan_id = c.plan_id AND co.date = c.day
    GROUP BY co.prescription_id
),
item AS (
    SELECT c.plan_id, c.nudged_lately, c.last_logged, pr."order", pr.id, e.category, pr.days_of_week,
           pr.sessions_per_day - coalesce(done.sessions, 0) AS sessions_left,
           pr.days_of_week @> c.weekday AND pr.sessions_per_day > coalesce(done.sessions, 0) AS due
    FROM candidate c
    JOIN plans_phase ph ON ph.plan_id = c.plan_id AND ph.number = c.phase
    JOIN plans_prescription pr ON pr.phase_id = ph.id
    JOIN exercises_exercise e ON e.id = pr.exercise_id AND e.category = ANY(%(exercise_categories)s::text[])
    LEFT JOIN done ON done.prescription_id = pr.id
    OFFSET 0
)
SELECT plan_id, count(*) FILTER (WHERE due), sum(sessions_left) FILTER (WHERE due),
       array_agg(category ORDER BY "order", id) FILTER (WHERE due),
       array_agg(DISTINCT days_of_week::text), bool_or(nudged_lately), max(last_logged)
FROM item
GROUP BY plan_id
HAVING bool_or(due)
"""


def _left_today_postgresql(candidates: Sequence[_Candidate]) -> dict[int, _LeftToday]:
    """_left_today in one statement (_PG_LEFT_TODAY)."""
    weekday_sets: dict[tuple[str, ...], frozenset[int]] = {}
    left_today = {}
    with connection.cursor() as cursor:
        cursor.execute(
            _PG_LEFT_TODAY,
            {
                "plan_id": [c.plan_id for c in candidates],
                "patient_id": [c.patient_id for c in candidates],
                "phase": [c.current_phase for c in candidates],
                "day": [c.local_date for c in candidates],
                "weekday": [str(c.local_date.weekday()) for c in candidates],
                "missed": NotificationKind.MISSED.value,
                "nudge_days": MISSED_EVERY_DAYS - 1,
                "lookback_days": MISSED_LOOKBACK_DAYS,
                "patient_kinds": [str(kind) for kind in PATIENT_KINDS],
                "exercise_categories": sorted(EXERCISE_CATEGORIES),
            },
        )
        for plan_id, exercises, sessions, categories, days_texts, nudged_lately, last_logged in cursor:
            key = tuple(days_texts)
            weekdays = weekday_sets.get(key)
            if weekdays is None:
                weekdays = weekday_sets[key] = frozenset().union(*(json.loads(text) for text in key))
            left_today[plan_id] = _LeftToday(
                exercises=exercises,
                sessions=int(sessions),
                categories=tuple(categories),
                weekdays=weekdays,
                nudged_lately=nudged_lately,
                last_logged=last_logged,
            )
    return left_today


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


class _Row(NamedTuple):
    """One reminder to insert; its bodies are shape `shape` of the sweep's _Bodies with
    the first name in place of the placeholder."""

    patient_id: int
    plan_id: int
    kind: str
    local_date: dt.date
    channel: str
    send_before: dt.datetime
    subject: str
    shape: int
    name: str
    html_name: str


class _Bodies:
    """The reminder bodies, rendered by the templates once per distinct content.

    Everything in a reminder but the first name comes from a few values shared by
    many patients (the date, the counts, the kinds of exercise), so the templates are
    rendered once per such combination (a "shape") with a placeholder for the name,
    and the name is put in its place as the template would put it (`default:"there"`,
    HTML-escaped in the HTML body). A name containing the placeholder gets a shape of
    its own, rendered in full, and replaces the placeholder by itself (a no-op).
    """

    PLACEHOLDER = "\ue000ptrx:first_name\ue000"

    def __init__(self) -> None:
        self.shapes: list[tuple[str, str]] = []
        self._index: dict[tuple[Any, ...], int] = {}
        self._language = translation.get_language()  # one sweep, one language
        self._html_names: dict[str, str] = {}

    def shape(self, context: dict[str, Any]) -> tuple[int, str, str]:
        """(shape, name, HTML name) for a reminder with this template context."""
        first_name = context["first_name"]
        if self.PLACEHOLDER not in first_name:
            key = (
                context["missed"],
                context["date"],
                context["exercises"],
                context["sessions"],
                context["kinds"],
                context["app_url"],
                self._language,
            )
            index = self._index.get(key)
            if index is None:
                body, html_body = _render_reminder({**context, "first_name": self.PLACEHOLDER})
                if body.count(self.PLACEHOLDER) == 1 and html_body.count(self.PLACEHOLDER) == 1:
                    index = self._index[key] = self._add(body, html_body)
                else:
                    index = self._index[key] = -1
            if index >= 0:
                name = first_name or "there"
                html_name = self._html_names.get(name)
                if html_name is None:
                    html_name = self._html_names[name] = escape(name)
                return index, name, html_name
        return self._add(*_render_reminder(context)), self.PLACEHOLDER, self.PLACEHOLDER

    def _add(self, body: str, html_body: str) -> int:
        self.shapes.append((body, html_body))
        return len(self.shapes) - 1

    def bodies(self, row: _Row) -> tuple[str, str]:
        body, html_body = self.shapes[row.shape]
        return body.replace(self.PLACEHOLDER, row.name), html_body.replace(self.PLACEHOLDER, row.html_name)


def _render_reminder(context: dict[str, Any]) -> tuple[str, str]:
    return (
        render_to_string("emails/reminder.txt", context).strip() + "\n",
        render_to_string("emails/reminder.html", context),
    )


@lru_cache(maxsize=1024)
def _kinds_in_words(categories: tuple[str, ...]) -> str:
    """The kinds of exercise of these categories in words, each once, in their order."""
    words: list[str] = []
    for category in categories:
        word = CATEGORY_WORDS.get(category, "exercise")
        if word not in words:
            words.append(word)
    return join_words(words)


def _reminder_row(candidate: _Candidate, kind: str, left: _LeftToday, bodies: _Bodies) -> _Row:
    context = {
        "first_name": candidate.first_name,
        "missed": kind == NotificationKind.MISSED,
        "date": candidate.local_date,
        "exercises": left.exercises,
        "sessions": left.sessions,
        "kinds": _kinds_in_words(left.categories),
        "app_url": settings.APP_URL,
    }
    subject = (
        "A nudge for today's exercises" if kind == NotificationKind.MISSED else "Your exercises for today"
    )
    shape, name, html_name = bodies.shape(context)
    return _Row(
        patient_id=candidate.patient_id,
        plan_id=candidate.plan_id,
        kind=kind,
        local_date=candidate.local_date,
        channel=candidate.channel,
        send_before=candidate.send_before,
        subject=subject,
        shape=shape,
        name=name,
        html_name=html_name,
    )


# The PostgreSQL insert: the bodies are put together by the server from their shapes
# and the names, so each row sends a few short values instead of two rendered bodies;
# the values many rows share (send_before, subject, kind, local date, channel: a
# "slot") are sent once and numbered, as the shapes are.
# The columns and values are those of bulk_create (the model's defaults, created_at now).
_PG_INSERT = """
INSERT INTO plans_notification (status, attempts, claimed_at, sent_at, send_before, subject, body,
                                html_body, created_at, patient_id, plan_id, kind, local_date, channel)
SELECT %(status)s, 0, NULL, NULL, t.send_before, t.subject, replace(s.body, %(placeholder)s, r.name),
       replace(s.html_body, %(placeholder)s, r.html_name), %(created_at)s, r.patient_id, r.plan_id,
       t.kind, t.local_date, t.channel
FROM unnest(%(name)s::text[], %(html_name)s::text[], %(patient_id)s::bigint[], %(plan_id)s::bigint[],
            %(slot)s::int[], %(shape)s::int[]) WITH ORDINALITY
     AS r(name, html_name, patient_id, plan_id, slot, shape, ord)
JOIN unnest(%(send_before)s::timestamptz[], %(subject)s::text[], %(kind)s::text[], %(local_date)s::date[],
            %(channel)s::text[]) WITH ORDINALITY AS t(send_before, subject, kind, local_date, channel, n)
  ON t.n = r.slot + 1
JOIN unnest(%(bodies)s::text[], %(html_bodies)s::text[]) WITH ORDINALITY AS s(body, html_body, n)
  ON s.n = r.shape + 1
ORDER BY r.ord
ON CONFLICT DO NOTHING
RETURNING id
"""


def _reminders_insert(rows: Sequence[_Row], bodies: _Bodies) -> list[int] | None:
    """Insert the rows, ignoring those whose unique key is taken (a concurrent sweep's).

    Returns the ids of the rows inserted on PostgreSQL, None elsewhere (not known)."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        Notification.objects.bulk_create(
            [
                Notification(
                    patient_id=row.patient_id,
                    plan_id=row.plan_id,
                    kind=row.kind,
                    local_date=row.local_date,
                    channel=row.channel,
                    send_before=row.send_before,
                    subject=row.subject,
                    body=(texts := bodies.bodies(row))[0],
                    html_body=texts[1],
                )
                for row in rows
            ],
            batch_size=INSERT_BATCH_SIZE,
            ignore_conflicts=True,
        )
        return None
    inserted: list[int] = []
    shapes = sorted({row.shape for row in rows})
    position = {shape: number for number, shape in enumerate(shapes)}
    created_at = timezone.now()
    with connection.cursor() as cursor:
        for batch in _batched(rows, INSERT_BATCH_SIZE):
            slots: dict[tuple[dt.datetime, str, str, dt.date, str], int] = {}
            slot_of_row = [
                slots.setdefault(
                    (row.send_before, row.subject, str(row.kind), row.local_date, row.channel), len(slots)
                )
                for row in batch
            ]
            cursor.execute(
                _PG_INSERT,
                {
                    "status": NotificationStatus.PENDING.value,
                    "placeholder": bodies.PLACEHOLDER,
                    "created_at": created_at,
                    "name": [row.name for row in batch],
                    "html_name": [row.html_name for row in batch],
                    "patient_id": [row.patient_id for row in batch],
                    "plan_id": [row.plan_id for row in batch],
                    "slot": slot_of_row,
                    "shape": [position[row.shape] for row in batch],
                    "send_before": [slot[0] for slot in slots],
                    "subject": [slot[1] for slot in slots],
                    "kind": [slot[2] for slot in slots],
                    "local_date": [slot[3] for slot in slots],
                    "channel": [slot[4] for slot in slots],
                    "bodies": [bodies.shapes[shape][0] for shape in shapes],
                    "html_bodies": [bodies.shapes[shape][1] for shape in shapes],
                },
            )
            inserted.extend(pk for (pk,) in cursor.fetchall())
    return sorted(inserted)


def _pending_ids_for(rows: Sequence[_Row]) -> list[int]:
    """Ids of the pending, unclaimed rows with these keys (ours, or a concurrent sweep's)."""
    if not rows:
        return []
    keys = {(row.patient_id, row.kind, row.local_date) for row in rows}
    by_date: dict[dt.date, set[int]] = defaultdict(set)
    for patient_id, _kind, local_date in keys:
        by_date[local_date].add(patient_id)
    found = Q()
    for local_date, patient_ids in by_date.items():
        found |= Q(local_date=local_date, patient_id__in=patient_ids)
    return [
        pk
        for pk, patient_id, kind, local_date in Notification.objects.filter(
            found, kind__in=PATIENT_KINDS, status=NotificationStatus.PENDING, claimed_at__isnull=True
        )
        .order_by("pk")
        .values_list("pk", "patient_id", "kind", "local_date")
        if (patient_id, kind, local_date) in keys
    ]


# --- recovery and enqueueing ------------------------------------------------------


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


def notifications_recover(*, now: dt.datetime) -> tuple[int, int, list[int]]:
    """outbox_recover for the notifications (reminders and therapist alerts)."""
    return outbox_recover(Notification, now=now)


def notifications_enqueue(ids: Sequence[int]) -> None:
    """Enqueue sends for these rows in batches once the current transaction commits.

    A broker that is down is logged, not raised: the rows stay `pending` and the next
    sweep queues them again, so callers (and API requests) never wait on the broker.
    """
    if ids:
        ids = list(ids)
        transaction.on_commit(lambda: _publish(ids))


def _publish(ids: list[int]) -> None:
    from ptrx.plans.tasks import send_notifications  # the tasks import this module

    for number, batch in enumerate(_batched(ids, SEND_BATCH_SIZE)):
        try:
            send_notifications.delay(batch)
        except Exception:
            logger.warning(
                "Broker unavailable: %d notification(s) stay pending for the next sweep.",
                len(ids) - number * SEND_BATCH_SIZE,
                exc_info=True,
            )
            return


# --- sending ------------------------------------------------------------------------


@dataclass
class SendReport:
    sent: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    expired: int = 0


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

    Committed at once, row by row, so a sender killed later sends this row no more. On
    PostgreSQL that commit does not wait for the WAL flush: a sender that dies loses no
    mark (the commit is done and visible to all), but a crash of PostgreSQL itself (or
    its machine) can lose the marks of its last fraction of a second (up to 3 x
    wal_writer_delay, 600 ms by default). Those rows are back in `sending`, go out again
    after SENDING_LEASE, and their messages are sent twice (same Message-ID). Inside a
    caller's transaction the mark commits with that transaction. `sent_at` is None for
    an outcome other than `sent`.
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


def _message_id(kind: str, pk: int) -> str:
    # Stable per row, so a receiving server can spot the rare duplicate (a sender
    # killed between handing the message over and recording it).
    host = urlparse(settings.APP_URL).hostname or "localhost"
    return f"<ptrx.{kind}.{pk}@{host}>"


class _OneLineHeaders(Compat32):
    """The policy Django's messages use (compat32), without its costly folding for a
    header that fits on one line as it is (printable ASCII, at most 78 characters
    with its name): the same bytes, faster."""

    def fold_binary(self, name: str, value: Any) -> bytes:
        if (
            isinstance(value, str)
            and self.max_line_length
            and len(name) + len(value) + 2 <= self.max_line_length
            and value.isascii()
            and value.isprintable()
        ):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


_ONE_LINE_HEADERS = _OneLineHeaders()


class OutboxEmail(EmailMultiAlternatives):
    """An outbox message, turned into bytes with the policy above (folding the headers
    was most of the cost of building a message, itself a quarter of a sender's time)."""

    def message(self) -> Any:
        message = super().message()
        message.policy = _ONE_LINE_HEADERS  # the generator uses it for the parts too
        return message


def outbox_message(
    *, kind: str, pk: int, to: str, subject: str, body: str, html_body: str
) -> EmailMultiAlternatives:
    message = OutboxEmail(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Message-ID": _message_id(kind, pk)},
    )
    if html_body:
        message.attach_alternative(html_body, "text/html")
    return message


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
        for batch in _batched(rows, SEND_BATCH_SIZE):
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
