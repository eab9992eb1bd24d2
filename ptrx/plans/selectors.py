"""Reads: plans, today's session and adherence, shared by the API, the admin and the jobs."""

import datetime as dt
import functools
import operator
import uuid
import zoneinfo
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
)
from django.db.models.functions import Cast, Coalesce, Floor, Greatest
from django.utils import timezone

from ptrx.db import postgresql_set_local
from ptrx.exercises.models import Exercise
from ptrx.plans.domain import (
    ADHERENT_PERCENT,
    ALERT_PERCENT,
    EXERCISE,
    EXERCISE_CATEGORIES,
    Catalogue,
    CatalogueExercise,
    Dose,
    Protocol,
    ProtocolEntry,
    ProtocolPhase,
    SessionItem,
    adherence_percent,
    session_minutes,
)
from ptrx.plans.domain.red_flags import RED_FLAGS
from ptrx.plans.models import (
    PATIENT_KINDS,
    AdherenceSnapshot,
    CheckIn,
    Completion,
    ContentStamp,
    Notification,
    Patient,
    Phase,
    Plan,
    PlanStatus,
    Prescription,
    ProgressionDecision,
)
from ptrx.plans.models import Protocol as ProtocolModel
from ptrx.plans.models import ProtocolEntry as ProtocolEntryModel
from ptrx.plans.models import ProtocolPhase as ProtocolPhaseModel


def catalogue_load() -> Catalogue:
    """The exercise library as the pure generator sees it."""
    rows = list(
        Exercise.objects.values(
            "pk", "slug", "category", "position", "per_side", "level", "progression_id", "branches"
        )
    )
    slug_of = {row["pk"]: row["slug"] for row in rows}
    regression_of = {row["progression_id"]: row["slug"] for row in rows if row["progression_id"]}
    return Catalogue.of(
        CatalogueExercise(
            slug=row["slug"],
            category=row["category"],
            position=row["position"],
            per_side=row["per_side"],
            level=row["level"],
            progression=slug_of.get(row["progression_id"]),
            regression=regression_of.get(row["pk"]),
            branches=frozenset(row["branches"]),
        )
        for row in rows
    )


def protocols_load() -> Mapping[str, Protocol]:
    """Every protocol in the database, keyed by branch.

    Three queries of plain rows (no model instances, no exercise content): plan
    generation reads every protocol for every plan it makes.
    """
    entries: dict[int, list[ProtocolEntry]] = {}
    for (
        phase_id,
        slug,
        sets,
        reps,
        hold,
        sessions,
        days,
        notes,
        optional,
    ) in ProtocolEntryModel.objects.order_by("phase_id", "id").values_list(
        "phase_id",
        "exercise__slug",
        "sets",
        "reps",
        "hold_seconds",
        "sessions_per_day",
        "days_per_week",
        "notes",
        "optional",
    ):
        entries.setdefault(phase_id, []).append(
            ProtocolEntry(
                exercise=slug,
                dose=Dose(
                    sets=sets, reps=reps, hold_seconds=hold, sessions_per_day=sessions, days_per_week=days
                ),
                notes=notes,
                optional=optional,
            )
        )
    phases: dict[int, list[ProtocolPhase]] = {}
    for (
        phase_id,
        protocol_id,
        number,
        name,
        goal,
        min_weeks,
        typical_weeks,
    ) in ProtocolPhaseModel.objects.order_by("protocol_id", "number").values_list(
        "id", "protocol_id", "number", "name", "goal", "min_weeks", "typical_weeks"
    ):
        phases.setdefault(protocol_id, []).append(
            ProtocolPhase(
                number=number,
                name=name,
                goal=goal,
                min_weeks=min_weeks,
                typical_weeks=typical_weeks,
                entries=tuple(entries.get(phase_id, ())),
            )
        )
    return {
        branch: Protocol(branch=branch, name=name, phases=tuple(phases.get(protocol_id, ())))
        for protocol_id, branch, name in ProtocolModel.objects.order_by("pk").values_list(
            "id", "branch", "name"
        )
    }


@dataclass(frozen=True)
class PlanSources:
    """What plan generation reads: the library, the protocols, and each exercise's id by slug."""

    catalogue: Catalogue
    protocols: Mapping[str, Protocol]
    exercise_ids: Mapping[str, int]


# This process's last plan sources and the content stamp they were read under.
_plan_sources: tuple[uuid.UUID, PlanSources] | None = None


def plan_sources_load() -> PlanSources:
    """`catalogue_load` and `protocols_load` for plan generation, kept in this process while
    the content stamp is unchanged: one query when nothing changed since the last call.

    Triggers give the stamp a new token in the same transaction as any write to the
    library or the protocols (see ContentStamp), so a change committed by any process
    is seen on the next call.
    """
    global _plan_sources  # one per process, replaced whole (never mutated)
    # The stamp first: what is read after it is at least as new, so a change committed
    # in between costs one more read on the next call, never a stale answer.
    token = next(iter(ContentStamp.objects.values_list("token", flat=True)), None)
    kept = _plan_sources
    if token is not None and kept is not None and kept[0] == token:
        return kept[1]
    sources = PlanSources(
        catalogue=catalogue_load(),
        protocols=protocols_load(),
        exercise_ids=dict(Exercise.objects.values_list("slug", "id")),
    )
    # Without a stamp row (a database without the triggers) nothing is kept.
    _plan_sources = None if token is None else (token, sources)
    return sources


def local_date(*, timezone_name: str, now: dt.datetime) -> dt.date:
    """The date at `now` in the IANA zone `timezone_name`. Zones are validated when
    saved; a row that somehow holds an unknown one counts in UTC rather than failing
    a whole nightly job."""
    return now.astimezone(_zone(timezone_name)).date()


@functools.lru_cache(maxsize=1024)
def _zone(name: str) -> dt.tzinfo:
    # ZoneInfo keeps only the last few zones it built: a nightly job going through
    # patients of 24 zones in turn would read the zone files again for most of them.
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def patient_local_today(*, patient: Patient, now: dt.datetime | None = None) -> dt.date:
    """The patient's current date in their own time zone."""
    return local_date(timezone_name=patient.timezone, now=now or timezone.now())


def patient_registered_on(*, patient: Patient) -> dt.date:
    """The patient's registration date in their own time zone: nothing is logged before it."""
    return local_date(timezone_name=patient.timezone, now=patient.created_at)


def plan_list(*, patient: Patient) -> QuerySet[Plan]:
    """The patient's plans, drafts excluded (a draft is the therapist's work in progress)."""
    return Plan.objects.filter(patient=patient).exclude(status=PlanStatus.DRAFT)


def plan_get_active(*, patient: Patient) -> Plan | None:
    return Plan.objects.filter(patient=patient, status=PlanStatus.ACTIVE).first()


def plan_with_prescriptions(*, plans: QuerySet[Plan]) -> QuerySet[Plan]:
    """Plans with phases, prescriptions and exercises loaded in a fixed number of queries."""
    # Explicit orderings within one plan and one phase: the models' default orderings
    # would join the plan (and its ordering) into both prefetch queries for nothing.
    return plans.prefetch_related(
        Prefetch(
            "phases",
            queryset=Phase.objects.order_by("number").prefetch_related(
                Prefetch(
                    "prescriptions",
                    queryset=Prescription.objects.select_related("exercise", "exercise__regression").order_by(
                        "order", "id"
                    ),
                )
            ),
        )
    )


def phase_status(*, plan: Plan, phase: Phase) -> str:
    """`completed`, `current` or `upcoming`, relative to the plan's current phase."""
    if phase.number < plan.current_phase:
        return "completed"
    if phase.number == plan.current_phase:
        return "current"
    return "upcoming"


def prescription_due_on(prescription: Prescription, day: dt.date) -> bool:
    return day.weekday() in prescription.days_of_week


def session_item(prescription: Prescription) -> SessionItem:
    """A prescription as the session estimate (CLINICAL.md §8) sees it."""
    return SessionItem(
        category=prescription.exercise.category,
        sets=prescription.sets,
        reps=prescription.reps,
        hold_seconds=prescription.hold_seconds,
        per_side=prescription.exercise.per_side,
        side=prescription.side,
    )


def prescriptions_minutes(prescriptions: Sequence[Prescription]) -> int:
    """Estimated minutes of one pass through these prescriptions (advice takes none)."""
    return session_minutes([session_item(p) for p in prescriptions])


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class PhaseWeek:
    """A phase's week at a glance: per weekday, its exercise items and estimated minutes."""

    number: int
    name: str
    days: list[tuple[str, int, int]]  # (weekday, exercise items, minutes)


def plan_weeks(*, plan: Plan) -> list[PhaseWeek]:
    """Each phase's week (CLINICAL.md §8's estimate of one pass, advice apart), in one query."""
    by_phase: dict[int, tuple[str, list[Prescription]]] = {}
    for phase in plan_with_prescriptions(plans=Plan.objects.filter(pk=plan.pk)).get().phases.all():
        by_phase[phase.number] = (phase.name, list(phase.prescriptions.all()))
    weeks = []
    for number, (name, prescriptions) in sorted(by_phase.items()):
        days = []
        for weekday, label in enumerate(WEEKDAYS):
            due = [p for p in prescriptions if weekday in p.days_of_week and p.kind == EXERCISE]
            days.append((label, len(due), prescriptions_minutes(due)))
        weeks.append(PhaseWeek(number=number, name=name, days=days))
    return weeks


def plan_phase_options(*, plan: Plan) -> list[ProtocolEntryModel]:
    """The protocols' options for the plan's current phase (exercises the therapist adds
    when the patient is ready), leaving out those already prescribed there."""
    prescribed = Prescription.objects.filter(phase__plan=plan, phase__number=plan.current_phase).values(
        "exercise_id"
    )
    options: dict[int, ProtocolEntryModel] = {}
    for entry in (
        ProtocolEntryModel.objects.filter(
            optional=True,
            phase__protocol__branch__in=plan.branches,
            phase__number=plan.current_phase,
        )
        .exclude(exercise_id__in=prescribed)
        .select_related("exercise")
        .order_by("exercise__category", "exercise__level", "id")
    ):
        options.setdefault(entry.exercise_id, entry)  # one per exercise when branches share it
    return list(options.values())


@dataclass(frozen=True)
class TodayItem:
    prescription: Prescription
    sessions_done: int

    @property
    def kind(self) -> str:
        return self.prescription.kind

    @property
    def done(self) -> bool:
        return self.sessions_done >= self.prescription.sessions_per_day


@dataclass(frozen=True)
class Today:
    date: dt.date
    plan: Plan | None
    phase: Phase | None
    items: list[TodayItem] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Every exercise session of the day logged; advice items do not count."""
        return bool(self.items) and all(item.done for item in self.items if item.kind == EXERCISE)

    @property
    def estimated_minutes(self) -> int:
        return prescriptions_minutes([item.prescription for item in self.items])


def today_for(*, patient: Patient, day: dt.date | None = None) -> Today:
    """What the patient's active plan asks of them on `day` (their local today by default).

    One query when the current phase has prescriptions: they come with their phase,
    plan and exercise, and the sessions logged on `day`.
    """
    day = day or patient_local_today(patient=patient)
    # A correlated count rather than a join and GROUP BY over every selected column.
    logged = (
        Completion.objects.filter(prescription=OuterRef("pk"), date=day)
        .order_by()
        .values("prescription")
        .annotate(n=Count("id"))
        .values("n")
    )
    prescriptions = list(
        Prescription.objects.filter(
            phase__plan__patient=patient,
            phase__plan__status=PlanStatus.ACTIVE,
            phase__number=F("phase__plan__current_phase"),
        )
        .select_related("phase__plan", "exercise", "exercise__regression")
        .annotate(sessions_done=Coalesce(Subquery(logged, output_field=IntegerField()), 0))
        .order_by("order", "id")
    )
    phase: Phase | None
    if prescriptions:
        phase = prescriptions[0].phase
        plan = phase.plan
    else:
        active = plan_get_active(patient=patient)
        if active is None:
            return Today(date=day, plan=None, phase=None)
        plan = active
        phase = Phase.objects.filter(plan=plan, number=plan.current_phase).first()
    if phase is None or day < plan.start_date:
        return Today(date=day, plan=plan, phase=phase)
    return Today(
        date=day,
        plan=plan,
        phase=phase,
        items=[
            TodayItem(prescription=p, sessions_done=p.sessions_done)  # type: ignore[attr-defined]
            for p in prescriptions
            if prescription_due_on(p, day)
        ],
    )


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
        if pk is not None:
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
        if days is not None:
            key = tuple(days)
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


@contextmanager
def reads_without_jit() -> Iterator[None]:
    """A transaction whose statements PostgreSQL does not JIT-compile.

    The nightly jobs' chunk reads look large to the planner, which then compiles them
    (~100 ms each here), longer than they run. Set per transaction rather than per
    connection, which a connection pooler may refuse.
    """
    with transaction.atomic():
        postgresql_set_local(jit="off")
        yield


def adherence_by_day_many(
    *, windows: Sequence[tuple[Plan, dt.date, dt.date]]
) -> dict[int, list[tuple[dt.date, int, int]]]:
    """For each (plan, start, end): `adherence_summary(plan=plan, start=start, end=end).by_day`,
    keyed by plan id, for all of them in two queries.

    For the jobs that go over every active plan (snapshots, progression): they can
    pass chunks of a thousand plans instead of asking plan by plan. The database
    counts the sessions done per plan, day, phase and weekly schedule (a few rows a
    day, not one per prescription); as there, only sessions numbered within the
    prescription's `sessions_per_day` count.
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


def notification_list(*, patient: Patient) -> QuerySet[Notification]:
    """Messages addressed to the patient (therapist alerts are not shown to them)."""
    return Notification.objects.filter(patient=patient, kind__in=PATIENT_KINDS)


def completion_list(
    *, patient: Patient, start: dt.date | None = None, end: dt.date | None = None
) -> QuerySet[Completion]:
    completions = Completion.objects.filter(plan__patient=patient).select_related("prescription__exercise")
    if start:
        completions = completions.filter(date__gte=start)
    if end:
        completions = completions.filter(date__lte=end)
    return completions


# --- the therapist's views (admin) ----------------------------------------------

ADHERENCE_WINDOW_DAYS = 7
# Below 80% of sessions in a week is a notice, below 50% an alert (CLINICAL.md §6).
ADHERENCE_NOTICE_PERCENT = ADHERENT_PERCENT
ADHERENCE_ALERT_PERCENT = ALERT_PERCENT
FLARE_WINDOW_DAYS = 7


def patient_list_follow_up(*, patients: QuerySet[Patient], today: dt.date) -> QuerySet[Patient]:
    """Patients annotated for the therapist's list, in one query whatever the number of rows.

    `adherence_7d` (percent, None without data) sums the nightly AdherenceSnapshot
    rows (one per plan and day) of the 7 days before `today`, the days already over;
    `last_activity` is the latest completion or check-in; `has_red_flag` is a positive
    answer on the screen; `recent_flare` a flare reported in the last 7 days.
    """
    window = (
        AdherenceSnapshot.objects.filter(
            plan__patient=OuterRef("pk"),
            date__gte=today - dt.timedelta(days=ADHERENCE_WINDOW_DAYS),
            date__lt=today,
        )
        .order_by()
        .values("plan__patient")
    )
    last_completion = Completion.objects.filter(plan__patient=OuterRef("pk")).order_by("-created_at")
    last_checkin = CheckIn.objects.filter(patient=OuterRef("pk")).order_by("-created_at")
    red_flag = functools.reduce(operator.or_, (Q(**{f"red_flags__{code}": True}) for code in RED_FLAGS))
    latest_plan = Plan.objects.filter(patient=OuterRef("pk")).exclude(status=PlanStatus.CANCELLED)
    return patients.annotate(
        prescribed_7d=Subquery(window.annotate(total=Sum("prescribed")).values("total")[:1]),
        completed_7d=Subquery(window.annotate(total=Sum("completed")).values("total")[:1]),
        # The domain's adherence_percent (rounded half up) in SQL, to sort and filter by.
        adherence_7d=Case(
            When(
                prescribed_7d__gt=0,
                then=Floor(Cast(F("completed_7d"), FloatField()) * 100.0 / F("prescribed_7d") + 0.5),
            ),
            default=None,
            output_field=IntegerField(),
        ),
        last_completion_at=Subquery(last_completion.values("created_at")[:1]),
        last_checkin_at=Subquery(last_checkin.values("created_at")[:1]),
        # Greatest() is NULL on SQLite when either side is; Coalesce makes both sides real.
        last_activity=Greatest(
            Coalesce("last_completion_at", "last_checkin_at"),
            Coalesce("last_checkin_at", "last_completion_at"),
        ),
        has_red_flag=ExpressionWrapper(red_flag, output_field=BooleanField()),
        recent_flare=Exists(
            CheckIn.objects.filter(
                patient=OuterRef("pk"),
                flare=True,
                date__gt=today - dt.timedelta(days=FLARE_WINDOW_DAYS),
            )
        ),
        plan_status=Subquery(latest_plan.values("status")[:1]),
        plan_phase=Subquery(latest_plan.values("current_phase")[:1]),
    )


@dataclass(frozen=True)
class DayPain:
    date: dt.date
    pain_during: int | None  # the highest logged that day
    pain_next_morning: int | None  # as reported at that day's check-in


@dataclass(frozen=True)
class PlanFollowUp:
    adherence: Adherence
    pain: list[DayPain]
    completions: list[Completion]
    checkins: list[CheckIn]
    decisions: list[ProgressionDecision]


def plan_follow_up(*, plan: Plan, end: dt.date, days: int = 28, recent: int = 10) -> PlanFollowUp:
    """What the therapist reviews on a plan: adherence and pain day by day over `days`
    days up to `end`, the latest completions and check-ins, and the progression decisions.
    A fixed number of queries, whatever the size of the plan."""
    start = end - dt.timedelta(days=days - 1)
    during = dict(
        Completion.objects.filter(plan=plan, date__gte=start, date__lte=end)
        .order_by()
        .values("date")
        .annotate(pain=Max("pain_during"))
        .values_list("date", "pain")
    )
    morning = dict(
        CheckIn.objects.filter(
            patient_id=plan.patient_id, date__gte=start, date__lte=end, pain_next_morning__isnull=False
        )
        .order_by()
        .values("date")
        .annotate(pain=Max("pain_next_morning"))
        .values_list("date", "pain")
    )
    dates = [start + dt.timedelta(days=offset) for offset in range(days)]
    return PlanFollowUp(
        adherence=adherence_summary(plan=plan, start=start, end=end),
        pain=[DayPain(day, during.get(day), morning.get(day)) for day in dates],
        completions=list(
            Completion.objects.filter(plan=plan).select_related("prescription__exercise")[:recent]
        ),
        checkins=list(CheckIn.objects.filter(patient_id=plan.patient_id)[:recent]),
        decisions=list(ProgressionDecision.objects.filter(plan=plan).select_related("decided_by")[:recent]),
    )


def active_plan_chunks(*, size: int) -> Iterator[list[Plan]]:
    """Every active plan with its patient, in id order, `size` at a time (keyset paging,
    so each chunk is one indexed query however far the walk has gone)."""
    last_pk = 0
    while True:
        plans = list(
            Plan.objects.filter(status=PlanStatus.ACTIVE, pk__gt=last_pk)
            .select_related("patient")
            .order_by("pk")[:size]
        )
        if not plans:
            return
        yield plans
        last_pk = plans[-1].pk
