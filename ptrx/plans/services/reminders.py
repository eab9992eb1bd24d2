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
from itertools import islice
from smtplib import SMTPException, SMTPRecipientsRefused
from typing import Any, NamedTuple
from urllib.parse import urlparse

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, models, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, TextField
from django.db.models.functions import Cast
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import escape

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


@dataclass(frozen=True)
class _Candidate:
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
                rows = _reminder_rows(candidates, bodies)
                _reminders_insert(rows, bodies)
                ids = _pending_ids_for(rows)
                notifications_enqueue(ids)
            report.created += len(rows)
            report.enqueued_ids.extend(ids)
    return report


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
        .values(
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
    for plan in list(plans):
        due = by_zone[plan["patient__timezone"]]
        key = (plan["patient__timezone"], plan["patient__reminder_time"])
        at = instants.get(key)
        if at is None:
            at = instants[key] = reminder_instant(
                day=due.local_date, at=plan["patient__reminder_time"], zone=due.zone
            )
        if not at <= now < at + window:  # the exact rule, past the query's whole-second range
            continue
        yield _Candidate(
            plan_id=plan["id"],
            patient_id=plan["patient_id"],
            first_name=plan["patient__user__first_name"],
            channel=plan["patient__reminder_channel"],
            start_date=plan["start_date"],
            local_date=due.local_date,
            send_before=at + window,
            current_phase=plan["current_phase"],
        )


class _Scheduled(NamedTuple):
    prescription_id: int
    category: str
    sessions_per_day: int
    days_of_week: frozenset[int]


def _reminder_rows(candidates: Sequence[_Candidate], bodies: _Bodies) -> list[_Row]:
    """The reminders to insert for these candidates, in a fixed number of queries.

    Skips a rest day, a day whose sessions are all logged, and a patient who already
    has today's reminder; sends the missed-session nudge instead of the daily
    reminder after MISSED_AFTER_DAYS scheduled days with nothing logged.
    """
    plan_ids = [c.plan_id for c in candidates]
    dates = {c.local_date for c in candidates}
    schedule: dict[int, list[_Scheduled]] = defaultdict(list)
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
        Prescription.objects.filter(current, phase__plan_id__in=plan_ids)  # the IN for the index
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
        schedule[plan_id].append(_Scheduled(prescription_id, category, sessions_per_day, days))
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
    earlier = {
        (row["patient_id"], row["kind"], row["local_date"])
        for row in Notification.objects.filter(
            patient_id__in=[c.patient_id for c in candidates],
            kind__in=PATIENT_KINDS,
            local_date__gt=min(dates) - dt.timedelta(days=MISSED_EVERY_DAYS),
        ).values("patient_id", "kind", "local_date")
    }
    # First pass: who gets a reminder, what remains for them today, and the scheduled
    # days that decide the missed-session nudge (no query needed for those).
    due: list[tuple[_Candidate, list[tuple[_Scheduled, int]], tuple[dt.date, ...]]] = []
    scheduled_cache: dict[tuple[frozenset[int], dt.date, dt.date], tuple[dt.date, ...]] = {}
    for candidate in candidates:
        today = candidate.local_date
        if earlier and any((candidate.patient_id, kind, today) in earlier for kind in PATIENT_KINDS):
            continue
        prescriptions = schedule.get(candidate.plan_id, [])
        if today < candidate.start_date:
            continue
        weekday = today.weekday()
        remaining = [
            (item, item.sessions_per_day - done)
            for item in prescriptions
            if weekday in item.days_of_week
            and (done := done_today.get((candidate.plan_id, item.prescription_id, today), 0))
            < item.sessions_per_day
        ]
        if not remaining:  # a rest day, or everything already logged
            continue
        weekdays = frozenset().union(*(item.days_of_week for item in prescriptions))
        key = (weekdays, today, candidate.start_date)
        scheduled = scheduled_cache.get(key)
        if scheduled is None:
            scheduled = scheduled_cache[key] = _last_scheduled_days(weekdays, today, candidate.start_date)
        due.append((candidate, remaining, scheduled))
    # Only those days' logs matter: the plans with a log on one of them, in one query
    # (an EXISTS per group of plans with the same days, which stops at the first log).
    groups: dict[tuple[dt.date, ...], list[int]] = defaultdict(list)
    for candidate, _remaining, scheduled in due:
        if len(scheduled) == MISSED_AFTER_DAYS:
            groups[scheduled].append(candidate.plan_id)
    logged_plans: set[int] = set()
    if groups:
        logged = Q()
        for group_days, group_plan_ids in groups.items():
            logged |= Q(
                Exists(Completion.objects.filter(plan_id=OuterRef("pk"), date__in=group_days)),
                pk__in=group_plan_ids,
            )
        logged_plans = set(Plan.objects.filter(logged).order_by().values_list("pk", flat=True))
    rows = []
    for candidate, remaining, scheduled in due:
        today = candidate.local_date
        kind = NotificationKind.DAILY
        if (
            len(scheduled) == MISSED_AFTER_DAYS
            and candidate.plan_id not in logged_plans
            and not (
                earlier
                and any(
                    (candidate.patient_id, NotificationKind.MISSED, today - dt.timedelta(days=back))
                    in earlier
                    for back in range(1, MISSED_EVERY_DAYS)
                )
            )
        ):
            kind = NotificationKind.MISSED
        rows.append(_reminder_row(candidate, kind, remaining, bodies))
    return rows


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
                translation.get_language(),
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
                return index, name, escape(name)
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


def _reminder_row(
    candidate: _Candidate,
    kind: str,
    remaining: Sequence[tuple[_Scheduled, int]],
    bodies: _Bodies,
) -> _Row:
    categories: list[str] = []
    for item, _sessions in remaining:
        words = CATEGORY_WORDS.get(item.category, "exercise")
        if words not in categories:
            categories.append(words)
    context = {
        "first_name": candidate.first_name,
        "missed": kind == NotificationKind.MISSED,
        "date": candidate.local_date,
        "exercises": len(remaining),
        "sessions": sum(sessions for _item, sessions in remaining),
        "kinds": join_words(categories),
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
# and the names, so each row sends a few short values instead of two rendered bodies.
# The columns and values are those of bulk_create (the model's defaults, created_at now).
_PG_INSERT = """
INSERT INTO plans_notification (status, attempts, claimed_at, sent_at, send_before, subject, body,
                                html_body, created_at, patient_id, plan_id, kind, local_date, channel)
SELECT %(status)s, 0, NULL, NULL, r.send_before, r.subject, replace(s.body, %(placeholder)s, r.name),
       replace(s.html_body, %(placeholder)s, r.html_name), %(created_at)s, r.patient_id, r.plan_id,
       r.kind, r.local_date, r.channel
FROM unnest(%(send_before)s::timestamptz[], %(subject)s::text[], %(name)s::text[],
            %(html_name)s::text[], %(patient_id)s::bigint[], %(plan_id)s::bigint[], %(kind)s::text[],
            %(local_date)s::date[], %(channel)s::text[], %(shape)s::int[]) WITH ORDINALITY
     AS r(send_before, subject, name, html_name, patient_id, plan_id, kind, local_date, channel, shape, ord)
JOIN unnest(%(bodies)s::text[], %(html_bodies)s::text[]) WITH ORDINALITY AS s(body, html_body, n)
  ON s.n = r.shape + 1
ORDER BY r.ord
ON CONFLICT DO NOTHING
"""


def _reminders_insert(rows: Sequence[_Row], bodies: _Bodies) -> None:
    """Insert the rows, ignoring those whose unique key is taken (a concurrent sweep's)."""
    if not rows:
        return
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
        return
    shapes = sorted({row.shape for row in rows})
    position = {shape: number for number, shape in enumerate(shapes)}
    created_at = timezone.now()
    with connection.cursor() as cursor:
        for batch in _batched(rows, INSERT_BATCH_SIZE):
            cursor.execute(
                _PG_INSERT,
                {
                    "status": NotificationStatus.PENDING.value,
                    "placeholder": bodies.PLACEHOLDER,
                    "created_at": created_at,
                    "send_before": [row.send_before for row in batch],
                    "subject": [row.subject for row in batch],
                    "name": [row.name for row in batch],
                    "html_name": [row.html_name for row in batch],
                    "patient_id": [row.patient_id for row in batch],
                    "plan_id": [row.plan_id for row in batch],
                    "kind": [str(row.kind) for row in batch],
                    "local_date": [row.local_date for row in batch],
                    "channel": [row.channel for row in batch],
                    "shape": [position[row.shape] for row in batch],
                    "bodies": [bodies.shapes[shape][0] for shape in shapes],
                    "html_bodies": [bodies.shapes[shape][1] for shape in shapes],
                },
            )


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


def outbox_claim(model: type[models.Model], pk: int, now: dt.datetime) -> bool:
    """Take one pending row for sending; False when another sender has it, it is done,
    or its send window has passed. The conditional update is the claim."""
    return bool(
        model._default_manager.filter(
            Q(send_before__isnull=True) | Q(send_before__gt=now),
            pk=pk,
            status=NotificationStatus.PENDING,
            attempts__lt=MAX_ATTEMPTS,
        ).update(status=NotificationStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )


def outbox_mark(
    model: type[models.Model], pk: int, claimed_at: dt.datetime, status: str, **fields: Any
) -> None:
    """Record the outcome of our claim (a no-op when the lease passed and it was re-taken)."""
    model._default_manager.filter(pk=pk, status=NotificationStatus.SENDING, claimed_at=claimed_at).update(
        status=status, **fields
    )


def outbox_release(model: type[models.Model], pk: int, claimed_at: dt.datetime, attempts: int) -> None:
    """Hand a row back after a transport error (the task retries it), or give up on it."""
    status = NotificationStatus.FAILED if attempts >= MAX_ATTEMPTS else NotificationStatus.PENDING
    outbox_mark(model, pk, claimed_at, status)


def _message_id(kind: str, pk: int) -> str:
    # Stable per row, so a receiving server can spot the rare duplicate (a sender
    # killed between handing the message over and recording it).
    host = urlparse(settings.APP_URL).hostname or "localhost"
    return f"<ptrx.{kind}.{pk}@{host}>"


def outbox_message(
    *, kind: str, pk: int, to: str, subject: str, body: str, html_body: str
) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
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
    """Send outbox rows (with subject, body, html_body, attempts) over one mail connection.

    Each row is claimed just before it is sent and recorded just after, so a sender
    that dies leaves at most one row `sending` (taken again after SENDING_LEASE) and
    the rest `pending`. A transport error hands the row back and is raised for the
    task to retry; a refused recipient fails that row only.
    """
    report = SendReport()
    connection: Any = None
    try:
        for row in rows:
            claimed_at = clock()
            if not outbox_claim(model, row.pk, claimed_at):
                report.skipped.append(row.pk)
                continue
            to = recipient(row)
            if not to:
                logger.warning("%s %s has no email address to go to.", model.__name__, row.pk)
                outbox_mark(model, row.pk, claimed_at, NotificationStatus.FAILED)
                report.failed.append(row.pk)
                continue
            message = outbox_message(
                kind=kind, pk=row.pk, to=to, subject=row.subject, body=row.body, html_body=row.html_body
            )
            if connection is None:
                connection = get_connection()
                connection.open()
            message.connection = connection
            try:
                message.send()
            except SMTPRecipientsRefused:
                logger.warning("%s %s: the recipient was refused.", model.__name__, row.pk)
                outbox_mark(model, row.pk, claimed_at, NotificationStatus.FAILED)
                report.failed.append(row.pk)
                continue
            except TRANSPORT_ERRORS:
                outbox_release(model, row.pk, claimed_at, row.attempts + 1)
                raise
            outbox_mark(model, row.pk, claimed_at, NotificationStatus.SENT, sent_at=clock())
            report.sent.append(row.pk)
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
