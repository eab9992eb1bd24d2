"""What is left of each candidate plan's local today, for the sweep (ORM, or one
PostgreSQL statement)."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Sequence
from typing import NamedTuple

from django.db import connection
from django.db.models import Count, Max, Q, TextField
from django.db.models.functions import Cast

from ptrx.exercises.models import Exercise
from ptrx.plans.domain.adherence import EXERCISE_CATEGORIES
from ptrx.plans.domain.today import sessions_left
from ptrx.plans.models import Completion, Notification, NotificationKind, Phase, Prescription
from ptrx.plans.reminders.candidates import Candidate

# The missed-session nudge (CLINICAL.md §6): after this many scheduled days in a row
# with nothing logged, and at most once in this many days.
MISSED_AFTER_DAYS = 3
MISSED_EVERY_DAYS = 3
# How far back to look for those scheduled days.
MISSED_LOOKBACK_DAYS = 21


class LeftToday(NamedTuple):
    """What is left of a plan's local today, over the prescriptions of its current phase."""

    exercises: int  # the prescriptions due today with sessions still to log
    sessions: int  # those sessions
    categories: tuple[str, ...]  # the exercise category of each of those, in the plan's order
    weekdays: frozenset[int]  # the weekdays of all the phase's prescriptions (0 = Monday)
    nudged_lately: bool  # a missed-session nudge on one of the MISSED_EVERY_DAYS - 1 days before
    last_logged: dt.date | None  # the last day with a log, up to MISSED_LOOKBACK_DAYS before


def plans_left_today(candidates: Sequence[Candidate]) -> dict[int, LeftToday]:
    """What is left today (the domain's sessions_left) of each candidate plan with something
    left. The candidates have no reminder today yet (candidates_due)."""
    if connection.vendor == "postgresql":
        return _left_today_postgresql(candidates)
    return _left_today(candidates)


def _left_today(candidates: Sequence[Candidate]) -> dict[int, LeftToday]:
    """plans_left_today through the ORM: a few queries, then a pass over the prescriptions."""
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
    nudged = set(
        Notification.objects.filter(
            patient_id__in=[c.patient_id for c in candidates],
            kind=NotificationKind.MISSED,
            local_date__gt=min(dates) - dt.timedelta(days=MISSED_EVERY_DAYS),
        ).values_list("patient_id", "local_date")
    )
    left_today = {}
    for candidate in candidates:
        today = candidate.local_date
        prescriptions = schedule.get(candidate.plan_id, [])
        remaining = [
            (category, left)
            for prescription_id, category, sessions_per_day, days in prescriptions
            if (
                left := sessions_left(
                    category=category,
                    sessions_per_day=sessions_per_day,
                    sessions_done=done_today.get((candidate.plan_id, prescription_id, today), 0),
                    days_of_week=days,
                    day=today,
                )
            )
        ]
        if not remaining:  # a rest day, or everything already logged
            continue
        left_today[candidate.plan_id] = LeftToday(
            exercises=len(remaining),
            sessions=sum(sessions for _category, sessions in remaining),
            categories=tuple(category for category, _sessions in remaining),
            weekdays=frozenset().union(*(days for *_item, days in prescriptions)),
            nudged_lately=any(
                (candidate.patient_id, today - dt.timedelta(days=back)) in nudged
                for back in range(1, MISSED_EVERY_DAYS)
            ),
            last_logged=last_logged.get(candidate.plan_id),
        )
    return left_today


# _left_today in one statement (its `due` and `sessions_left` are the domain's
# sessions_left in SQL; tests/jobs/test_sql_parity.py runs both on the same data).
# The database joins each candidate plan to its current
# phase's prescriptions and today's logs and sums them up, so one row per plan comes
# back instead of one per prescription (about nine), and no Python runs per prescription.
# `weekday` is the plan's local weekday as a JSON number, for days_of_week @> weekday.
# OFFSET 0 keeps `item` a subquery of its own, so `due` is worked out once per row, not
# once per aggregate that uses it (and its rows are not written to a temporary table, as
# a MATERIALIZED one's are).
_PG_LEFT_TODAY = f"""
WITH candidate AS (
    SELECT c.plan_id, c.phase, c.day, c.weekday,
           EXISTS (SELECT 1 FROM {Notification._meta.db_table} n
                   WHERE n.patient_id = c.patient_id AND n.kind = %(missed)s
                     AND n.local_date >= c.day - %(nudge_days)s AND n.local_date < c.day) AS nudged_lately,
           (SELECT max(co.date) FROM {Completion._meta.db_table} co
            WHERE co.plan_id = c.plan_id AND co.date < c.day
              AND co.date >= c.day - %(lookback_days)s) AS last_logged
    FROM unnest(%(plan_id)s::bigint[], %(patient_id)s::bigint[], %(phase)s::int[], %(day)s::date[],
                %(weekday)s::jsonb[]) AS c(plan_id, patient_id, phase, day, weekday)
),
done AS (
    SELECT co.prescription_id, count(*) AS sessions
    FROM candidate c JOIN {Completion._meta.db_table} co ON co.plan_id = c.plan_id AND co.date = c.day
    GROUP BY co.prescription_id
),
item AS (
    SELECT c.plan_id, c.nudged_lately, c.last_logged, pr."order", pr.id, e.category, pr.days_of_week,
           pr.sessions_per_day - coalesce(done.sessions, 0) AS sessions_left,
           pr.days_of_week @> c.weekday AND pr.sessions_per_day > coalesce(done.sessions, 0) AS due
    FROM candidate c
    JOIN {Phase._meta.db_table} ph ON ph.plan_id = c.plan_id AND ph.number = c.phase
    JOIN {Prescription._meta.db_table} pr ON pr.phase_id = ph.id
    JOIN {Exercise._meta.db_table} e
      ON e.id = pr.exercise_id AND e.category = ANY(%(exercise_categories)s::text[])
    LEFT JOIN done ON done.prescription_id = pr.id
    OFFSET 0
)
SELECT plan_id, count(*) FILTER (WHERE due), sum(sessions_left) FILTER (WHERE due),
       array_agg(category ORDER BY "order", id) FILTER (WHERE due),
       array_agg(DISTINCT days_of_week::text), bool_or(nudged_lately), max(last_logged)
FROM item
GROUP BY plan_id
HAVING bool_or(due)
"""  # noqa: S608 (the table names are the models' own)


def _left_today_postgresql(candidates: Sequence[Candidate]) -> dict[int, LeftToday]:
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
                "exercise_categories": sorted(EXERCISE_CATEGORIES),
            },
        )
        for plan_id, exercises, sessions, categories, days_texts, nudged_lately, last_logged in cursor:
            key = tuple(days_texts)
            weekdays = weekday_sets.get(key)
            if weekdays is None:
                weekdays = weekday_sets[key] = frozenset().union(*(json.loads(text) for text in key))
            left_today[plan_id] = LeftToday(
                exercises=exercises,
                sessions=int(sessions),
                categories=tuple(categories),
                weekdays=weekdays,
                nudged_lately=nudged_lately,
                last_logged=last_logged,
            )
    return left_today
