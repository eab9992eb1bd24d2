"""Plans, their weeks and options, and what today asks of the patient."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce

from ptrx.plans.domain import EXERCISE, SessionItem, due_on, session_minutes, sessions_left
from ptrx.plans.domain.dose import WEEKDAY_NAMES
from ptrx.plans.domain.session import over_home_session
from ptrx.plans.models import (
    PATIENT_KINDS,
    Completion,
    Notification,
    Patient,
    Phase,
    Plan,
    PlanStatus,
    Prescription,
)
from ptrx.plans.models import ProtocolEntry as ProtocolEntryModel
from ptrx.plans.selectors.local_time import patient_local_today


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
    return due_on(prescription.days_of_week, day)


def prescription_sessions_left(prescription: Prescription, *, sessions_done: int, day: dt.date) -> int:
    """The domain's sessions_left for this prescription on `day`."""
    return sessions_left(
        category=prescription.exercise.category,
        sessions_per_day=prescription.sessions_per_day,
        sessions_done=sessions_done,
        days_of_week=prescription.days_of_week,
        day=day,
    )


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


WEEKDAYS = WEEKDAY_NAMES


@dataclass(frozen=True)
class WeekDay:
    """One weekday of a phase: its exercise items (names, in order) and estimated minutes."""

    label: str
    exercises: list[str]
    minutes: int

    @property
    def count(self) -> int:
        return len(self.exercises)

    @property
    def over(self) -> bool:
        """More than the home session holds (CLINICAL.md §8)."""
        return over_home_session(exercises=self.count, minutes=self.minutes)


@dataclass(frozen=True)
class PhaseWeek:
    """A phase's week at a glance: per weekday, its exercise items and estimated minutes;
    advice items apart (they take no time)."""

    phase: Phase
    status: str
    days: list[WeekDay]
    advice: list[str]

    @property
    def number(self) -> int:
        return self.phase.number

    @property
    def name(self) -> str:
        return self.phase.name


def plan_weeks(*, plan: Plan) -> list[PhaseWeek]:
    """Each phase's week (CLINICAL.md §8's estimate of one pass, advice apart), in three queries."""
    weeks = []
    monday = dt.date(2024, 1, 1)  # any Monday: the days of a week in order
    for phase in plan_with_prescriptions(plans=Plan.objects.filter(pk=plan.pk)).get().phases.all():
        prescriptions = list(phase.prescriptions.all())
        exercises = [p for p in prescriptions if p.kind == EXERCISE]
        days = []
        for offset, label in enumerate(WEEKDAYS):
            day = monday + dt.timedelta(days=offset)
            due = [p for p in exercises if prescription_due_on(p, day)]
            days.append(WeekDay(label, [p.exercise.name for p in due], prescriptions_minutes(due)))
        weeks.append(
            PhaseWeek(
                phase=phase,
                status=phase_status(plan=plan, phase=phase),
                days=days,
                advice=[p.exercise.name for p in prescriptions if p.kind != EXERCISE],
            )
        )
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
    def sessions_left(self) -> int:
        """The exercise sessions still to log today (the sweep reminds of the same)."""
        return sum(
            prescription_sessions_left(item.prescription, sessions_done=item.sessions_done, day=self.date)
            for item in self.items
        )

    @property
    def complete(self) -> bool:
        """Every exercise session of the day logged; advice items do not count."""
        return bool(self.items) and self.sessions_left == 0

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
