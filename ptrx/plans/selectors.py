"""Reads: plans, today's session and adherence, shared by the API, the admin and the jobs."""

import datetime as dt
import functools
import operator
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
)
from django.db.models.functions import Cast, Coalesce, Greatest
from django.utils import timezone

from ptrx.exercises.models import Exercise
from ptrx.plans.domain import Catalogue, CatalogueExercise, Dose, Protocol, ProtocolEntry, ProtocolPhase
from ptrx.plans.domain.red_flags import RED_FLAGS
from ptrx.plans.models import (
    PATIENT_KINDS,
    AdherenceSnapshot,
    CheckIn,
    Completion,
    Notification,
    Patient,
    Phase,
    Plan,
    PlanStatus,
    Prescription,
    ProgressionDecision,
)
from ptrx.plans.models import Protocol as ProtocolModel


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
    """Every protocol in the database, keyed by branch."""
    protocols = ProtocolModel.objects.prefetch_related("phases__entries__exercise")
    return {
        protocol.branch: Protocol(
            branch=protocol.branch,
            name=protocol.name,
            phases=tuple(
                ProtocolPhase(
                    number=phase.number,
                    name=phase.name,
                    goal=phase.goal,
                    min_weeks=phase.min_weeks,
                    typical_weeks=phase.typical_weeks,
                    entries=tuple(
                        ProtocolEntry(
                            exercise=entry.exercise.slug,
                            dose=Dose(
                                sets=entry.sets,
                                reps=entry.reps,
                                hold_seconds=entry.hold_seconds,
                                sessions_per_day=entry.sessions_per_day,
                                days_per_week=entry.days_per_week,
                            ),
                            notes=entry.notes,
                        )
                        for entry in phase.entries.all()
                    ),
                )
                for phase in protocol.phases.all()
            ),
        )
        for protocol in protocols
    }


def patient_local_today(*, patient: Patient, now: dt.datetime | None = None) -> dt.date:
    """The patient's current date in their own time zone."""
    now = now or timezone.now()
    return now.astimezone(zoneinfo.ZoneInfo(patient.timezone)).date()


def plan_list(*, patient: Patient) -> QuerySet[Plan]:
    """The patient's plans, drafts excluded (a draft is the therapist's work in progress)."""
    return Plan.objects.filter(patient=patient).exclude(status=PlanStatus.DRAFT)


def plan_get_active(*, patient: Patient) -> Plan | None:
    return Plan.objects.filter(patient=patient, status=PlanStatus.ACTIVE).first()


def plan_with_prescriptions(*, plans: QuerySet[Plan]) -> QuerySet[Plan]:
    """Plans with phases, prescriptions and exercises loaded in a fixed number of queries."""
    return plans.prefetch_related(
        Prefetch(
            "phases",
            queryset=Phase.objects.prefetch_related(
                Prefetch("prescriptions", queryset=Prescription.objects.select_related("exercise"))
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


@dataclass(frozen=True)
class TodayItem:
    prescription: Prescription
    sessions_done: int

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
        return bool(self.items) and all(item.done for item in self.items)


def today_for(*, patient: Patient, day: dt.date | None = None) -> Today:
    """What the patient's active plan asks of them on `day` (their local today by default)."""
    day = day or patient_local_today(patient=patient)
    plan = plan_get_active(patient=patient)
    if plan is None:
        return Today(date=day, plan=None, phase=None)
    phase = Phase.objects.filter(plan=plan, number=plan.current_phase).first()
    if phase is None or day < plan.start_date:
        return Today(date=day, plan=plan, phase=phase)
    prescriptions = [
        p
        for p in phase.prescriptions.select_related("exercise").annotate(
            sessions_done=Count("completions", filter=Q(completions__date=day))
        )
        if prescription_due_on(p, day)
    ]
    return Today(
        date=day,
        plan=plan,
        phase=phase,
        items=[TodayItem(prescription=p, sessions_done=p.sessions_done) for p in prescriptions],
    )


@dataclass(frozen=True)
class ExerciseAdherence:
    exercise: str
    name: str
    prescribed: int
    completed: int

    @property
    def percent(self) -> int:
        return round(100 * self.completed / self.prescribed) if self.prescribed else 0


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
        return round(100 * self.completed / self.prescribed) if self.prescribed else 0

    @classmethod
    def empty(cls, start: dt.date, end: dt.date) -> "Adherence":
        """Nothing prescribed (no active plan)."""
        return cls(start=start, end=end, prescribed=0, completed=0, streak_days=0, by_exercise=[], by_day=[])


def _phase_on(phases: list[Phase], plan: Plan, day: dt.date) -> Phase | None:
    """The phase in force on `day`: the one whose [started_on, ended_on) covers it."""
    for phase in phases:
        if phase.started_on and phase.started_on <= day and (phase.ended_on is None or day < phase.ended_on):
            return phase
    return None


def adherence_summary(*, plan: Plan, start: dt.date, end: dt.date) -> Adherence:
    """Completed over prescribed session-items between `start` and `end` inclusive.

    A session-item is one prescription due on one day, `sessions_per_day` times.
    The streak counts consecutive days, back from `end`, on which every due
    session-item was done; rest days neither break nor extend it. A day with
    nothing done yet at `end` does not break the streak (the day is not over).
    """
    phases = list(plan_with_prescriptions(plans=Plan.objects.filter(pk=plan.pk)).get().phases.all())
    done: dict[tuple[int, dt.date], int] = {}
    for row in (
        Completion.objects.filter(plan=plan, date__gte=start, date__lte=end)
        .values("prescription_id", "date")
        .annotate(n=Count("id"))
    ):
        done[(row["prescription_id"], row["date"])] = row["n"]
    per_exercise: dict[int, list[int]] = {}
    names: dict[int, Prescription] = {}
    by_day: list[tuple[dt.date, int, int]] = []
    day = start
    while day <= end:
        phase = _phase_on(phases, plan, day) if day >= plan.start_date else None
        prescribed_today = completed_today = 0
        for prescription in phase.prescriptions.all() if phase else ():
            if not prescription_due_on(prescription, day):
                continue
            due = prescription.sessions_per_day
            got = min(done.get((prescription.pk, day), 0), due)
            prescribed_today += due
            completed_today += got
            totals = per_exercise.setdefault(prescription.pk, [0, 0])
            totals[0] += due
            totals[1] += got
            names[prescription.pk] = prescription
        by_day.append((day, prescribed_today, completed_today))
        day += dt.timedelta(days=1)
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
                exercise=names[pk].exercise.slug,
                name=names[pk].exercise.name,
                prescribed=totals[0],
                completed=totals[1],
            )
            for pk, totals in per_exercise.items()
        ],
        by_day=by_day,
    )


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
ADHERENCE_NOTICE_PERCENT = 80
ADHERENCE_ALERT_PERCENT = 50
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
        adherence_7d=Case(
            When(
                prescribed_7d__gt=0,
                then=Cast(F("completed_7d"), FloatField()) * 100.0 / F("prescribed_7d"),
            ),
            default=None,
            output_field=FloatField(),
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
