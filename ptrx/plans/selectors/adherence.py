"""Adherence: completed over prescribed session-items, for one plan or many."""

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db.models import Count, F, QuerySet, Sum

from ptrx.plans.domain import EXERCISE_CATEGORIES, adherence_percent
from ptrx.plans.models import Completion, Phase, Plan
from ptrx.plans.selectors.jobs import reads_without_jit


@dataclass(frozen=True)
class ExerciseAdherence:
    exercise: str
    name: str
    prescribed: int
    completed: int

    @property
    def percent(self) -> int:
        return adherence_percent(prescribed=self.prescribed, completed=self.completed)


@dataclass(frozen=True)
class Adherence:
    start: dt.date
    end: dt.date
    prescribed: int
    completed: int
    streak_days: int
    by_exercise: list[ExerciseAdherence]
    by_day: list[tuple[dt.date, int, int]]

    @property
    def percent(self) -> int:
        return adherence_percent(prescribed=self.prescribed, completed=self.completed)

    @classmethod
    def empty(cls, start: dt.date, end: dt.date) -> "Adherence":
        """Nothing prescribed (no active plan)."""
        return cls(start=start, end=end, prescribed=0, completed=0, streak_days=0, by_exercise=[], by_day=[])


@dataclass(frozen=True)
class _Scheduled:
    """A prescription as adherence counts it."""

    pk: int
    slug: str
    name: str
    sessions_per_day: int
    days_of_week: frozenset[int]


@dataclass(frozen=True)
class _PhaseSchedule:
    started_on: dt.date | None
    ended_on: dt.date | None
    prescriptions: list[_Scheduled]


def _schedule_rows(phases: QuerySet[Phase]) -> Any:
    # Only exercise items count (CLINICAL.md §4); the filter's join is the one read below.
    phases = phases.filter(prescriptions__exercise__category__in=EXERCISE_CATEGORIES)
    return phases.order_by("plan_id", "number", "prescriptions__order", "prescriptions__id").values_list(
        "plan_id",
        "id",
        "started_on",
        "ended_on",
        "prescriptions__id",
        "prescriptions__sessions_per_day",
        "prescriptions__days_of_week",
        "prescriptions__exercise__slug",
        "prescriptions__exercise__name",
    )


def _schedules(rows: Any) -> dict[int, list[_PhaseSchedule]]:
    """Per plan, its phases in order, each with its prescriptions (from _schedule_rows)."""
    by_plan: dict[int, dict[int, _PhaseSchedule]] = {}
    for plan_id, phase_id, started_on, ended_on, pk, sessions, days, slug, name in rows:
        phases = by_plan.setdefault(plan_id, {})
        phase = phases.get(phase_id)
        if phase is None:
            phase = phases[phase_id] = _PhaseSchedule(started_on, ended_on, [])
        # Every row has a prescription: the exercise filter joins them inner.
        phase.prescriptions.append(_Scheduled(pk, slug, name, sessions, frozenset(days)))
    return {plan_id: list(phases.values()) for plan_id, phases in by_plan.items()}


@dataclass(frozen=True)
class _PhaseDays:
    """A phase as day-by-day counts need it: sessions per day, summed over the
    prescriptions that share a weekly schedule."""

    pk: int
    started_on: dt.date | None
    ended_on: dt.date | None
    sessions_by_days: list[tuple[frozenset[int], int]]


def _phase_days(phases: QuerySet[Phase]) -> dict[int, list[_PhaseDays]]:
    """Per plan, these phases in order with their sessions per weekly schedule: one
    row per phase and distinct `days_of_week`, not one per prescription."""
    by_plan: dict[int, list[_PhaseDays]] = {}
    schedules: dict[tuple[int, ...], frozenset[int]] = {}
    for plan_id, phase_id, started_on, ended_on, days, sessions in (
        # Only exercise items count (CLINICAL.md §4); filtered before the sum, so it sums those.
        phases.filter(prescriptions__exercise__category__in=EXERCISE_CATEGORIES)
        .order_by("plan_id", "number")
        .values("plan_id", "number", "id", "started_on", "ended_on", "prescriptions__days_of_week")
        .annotate(sessions=Sum("prescriptions__sessions_per_day"))
        .values_list("plan_id", "id", "started_on", "ended_on", "prescriptions__days_of_week", "sessions")
    ):
        plan_phases = by_plan.setdefault(plan_id, [])
        if not plan_phases or plan_phases[-1].pk != phase_id:
            plan_phases.append(_PhaseDays(phase_id, started_on, ended_on, []))
        key = tuple(days)  # never null: the exercise filter joins the prescriptions inner
        schedule = schedules.get(key)
        if schedule is None:
            schedule = schedules[key] = frozenset(key)
        plan_phases[-1].sessions_by_days.append((schedule, sessions))
    return by_plan


_Phase = TypeVar("_Phase", _PhaseSchedule, _PhaseDays)


def _phase_on(phases: list[_Phase], day: dt.date) -> _Phase | None:
    """The phase in force on `day`: the one whose [started_on, ended_on) covers it."""
    for phase in phases:
        if phase.started_on and phase.started_on <= day and (phase.ended_on is None or day < phase.ended_on):
            return phase
    return None


@dataclass
class _Tally:
    by_day: list[tuple[dt.date, int, int]] = field(default_factory=list)
    # prescription pk -> [prescribed, completed], in the order first due
    per_prescription: dict[int, list[int]] = field(default_factory=dict)
    prescriptions: dict[int, _Scheduled] = field(default_factory=dict)


def _tally(
    plan: Plan,
    phases: list[_PhaseSchedule],
    done: Mapping[tuple[int, dt.date], int],
    start: dt.date,
    end: dt.date,
) -> _Tally:
    """Prescribed and completed session-items, day by day and per prescription."""
    tally = _Tally()
    day = start
    while day <= end:
        phase = _phase_on(phases, day) if day >= plan.start_date else None
        weekday = day.weekday()
        prescribed_today = completed_today = 0
        for prescription in phase.prescriptions if phase else ():
            if weekday not in prescription.days_of_week:
                continue
            due = prescription.sessions_per_day
            got = min(done.get((prescription.pk, day), 0), due)
            prescribed_today += due
            completed_today += got
            totals = tally.per_prescription.setdefault(prescription.pk, [0, 0])
            totals[0] += due
            totals[1] += got
            tally.prescriptions[prescription.pk] = prescription
        tally.by_day.append((day, prescribed_today, completed_today))
        day += dt.timedelta(days=1)
    return tally


def adherence_summary(*, plan: Plan, start: dt.date, end: dt.date) -> Adherence:
    """Completed over prescribed session-items between `start` and `end` inclusive.

    A session-item is one prescription due on one day, `sessions_per_day` times; a
    logged session counts when its number is within `sessions_per_day` (a session
    logged before the therapist cut the sessions does not count after the cut).
    The streak counts consecutive days, back from `end`, on which every due
    session-item was done; rest days neither break nor extend it. A day with
    nothing done yet at `end` does not break the streak (the day is not over).
    Two queries, whatever the plan's size or the window.
    """
    phases = _schedules(_schedule_rows(Phase.objects.filter(plan_id=plan.pk))).get(plan.pk, [])
    done: dict[tuple[int, dt.date], int] = {
        (prescription_id, date): n
        for prescription_id, date, n in Completion.objects.filter(
            plan=plan, date__gte=start, date__lte=end, session__lte=F("prescription__sessions_per_day")
        )
        .order_by()
        .values("prescription_id", "date")
        .annotate(n=Count("id"))
        .values_list("prescription_id", "date", "n")
    }
    tally = _tally(plan, phases, done, start, end)
    by_day = tally.by_day
    streak = 0
    for index, (day, prescribed, completed) in enumerate(reversed(by_day)):
        if prescribed == 0:
            continue
        if completed >= prescribed:
            streak += 1
        elif index == 0 and day == end:
            continue
        else:
            break
    return Adherence(
        start=start,
        end=end,
        prescribed=sum(p for _d, p, _c in by_day),
        completed=sum(c for _d, _p, c in by_day),
        streak_days=streak,
        by_exercise=[
            ExerciseAdherence(
                exercise=tally.prescriptions[pk].slug,
                name=tally.prescriptions[pk].name,
                prescribed=totals[0],
                completed=totals[1],
            )
            for pk, totals in tally.per_prescription.items()
        ],
        by_day=by_day,
    )


def adherence_by_day_many(
    *, windows: Sequence[tuple[Plan, dt.date, dt.date]]
) -> dict[int, list[tuple[dt.date, int, int]]]:
    """For each (plan, start, end): `adherence_summary(plan=plan, start=start, end=end).by_day`,
    keyed by plan id, for all of them in two queries.

    For the jobs that go over every active plan in chunks (snapshots, progression); as
    there, only sessions numbered within the prescription's `sessions_per_day` count.
    """
    if not windows:
        return {}
    with reads_without_jit():
        return _adherence_by_day_many(windows)


def _adherence_by_day_many(
    windows: Sequence[tuple[Plan, dt.date, dt.date]],
) -> dict[int, list[tuple[dt.date, int, int]]]:
    plan_ids = [plan.pk for plan, _start, _end in windows]
    first = min(start for _plan, start, _end in windows)
    last = max(end for _plan, _start, end in windows)
    # Phases that cannot cover a day of any window are left out: the phase in force
    # on a day is the first, by number, whose dates cover it.
    phases = _phase_days(
        Phase.objects.filter(plan_id__in=plan_ids, started_on__lte=last).exclude(ended_on__lte=first)
    )
    done: dict[int, dict[dt.date, list[tuple[int, list[int], int]]]] = {}
    for plan_id, date, phase_id, days_of_week, n in (
        Completion.objects.filter(
            plan_id__in=plan_ids,
            date__gte=first,
            date__lte=last,
            # Lets PostgreSQL read the few prescriptions of these phases, not scan them all.
            prescription__phase_id__in=[phase.pk for schedule in phases.values() for phase in schedule],
            prescription__exercise__category__in=EXERCISE_CATEGORIES,
            session__lte=F("prescription__sessions_per_day"),
        )
        .order_by()
        .values("plan_id", "date", "prescription__phase_id", "prescription__days_of_week")
        .annotate(n=Count("id"))
        .values_list("plan_id", "date", "prescription__phase_id", "prescription__days_of_week", "n")
    ):
        done.setdefault(plan_id, {}).setdefault(date, []).append((phase_id, days_of_week, n))
    return {
        plan.pk: _tally_days(plan, phases.get(plan.pk, []), done.get(plan.pk, {}), start, end)
        for plan, start, end in windows
    }


def _tally_days(
    plan: Plan,
    phases: list[_PhaseDays],
    done: Mapping[dt.date, list[tuple[int, list[int], int]]],
    start: dt.date,
    end: dt.date,
) -> list[tuple[dt.date, int, int]]:
    """`_tally(...).by_day` from sessions done counted per (day, phase, weekly schedule):
    done sessions count when their phase is the one in force and the day is one of
    their schedule's weekdays."""
    by_day = []
    day = start
    while day <= end:
        phase = _phase_on(phases, day) if day >= plan.start_date else None
        weekday = day.weekday()
        prescribed = completed = 0
        if phase is not None:
            prescribed = sum(sessions for days, sessions in phase.sessions_by_days if weekday in days)
            completed = sum(
                n
                for phase_id, days_of_week, n in done.get(day, ())
                if phase_id == phase.pk and weekday in days_of_week
            )
        by_day.append((day, prescribed, completed))
        day += dt.timedelta(days=1)
    return by_day
