"""The therapist's views (admin): the patient list's follow-up and a plan's review."""

import datetime as dt
import functools
import operator
from dataclasses import dataclass

from django.db.models import (
    BooleanField,
    Case,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Floor, Greatest

from ptrx.plans.domain.local_time import local_date
from ptrx.plans.domain.red_flags import RED_FLAGS
from ptrx.plans.models import (
    AdherenceSnapshot,
    CheckIn,
    Completion,
    Patient,
    Plan,
    PlanStatus,
    ProgressionDecision,
)
from ptrx.plans.selectors.adherence import Adherence, adherence_summary

ADHERENCE_WINDOW_DAYS = 7
FLARE_WINDOW_DAYS = 7


def _local_date_minus(zones: list[str], *, now: dt.datetime, days: int) -> Case:
    """The patient's local date at `now`, less `days` days, as SQL: a CASE over the
    given zones, each zone's date computed here by the domain's local_date rule."""
    return Case(
        *(
            When(timezone=zone, then=Value(local_date(zone_name=zone, now=now) - dt.timedelta(days=days)))
            for zone in zones
        ),
        default=None,
        output_field=DateField(),
    )


def patient_list_follow_up(*, patients: QuerySet[Patient], now: dt.datetime) -> QuerySet[Patient]:
    """Patients annotated for the therapist's list, in two queries whatever the number of rows.

    `adherence_7d` (percent, None without data) sums the nightly AdherenceSnapshot
    rows (one per plan and day) of the 7 days before the patient's local today, the days already over;
    `last_activity` is the latest completion or check-in; `has_red_flag` is a positive
    answer on the screen; `recent_flare` a flare reported in the last 7 days.
    """
    zones = list(patients.order_by().values_list("timezone", flat=True).distinct())
    patients = patients.annotate(
        local_today=_local_date_minus(zones, now=now, days=0),
        adherence_from=_local_date_minus(zones, now=now, days=ADHERENCE_WINDOW_DAYS),
        flare_after=_local_date_minus(zones, now=now, days=FLARE_WINDOW_DAYS),
    )
    window = (
        AdherenceSnapshot.objects.filter(
            plan__patient=OuterRef("pk"),
            date__gte=OuterRef("adherence_from"),
            date__lt=OuterRef("local_today"),
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
                date__gt=OuterRef("flare_after"),
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
