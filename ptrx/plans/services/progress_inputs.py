"""What the daily progression rule reads for a plan (CLINICAL.md §4).

A decision dated D judges the seven complete days before D, counted from the start
of the current phase (days of a harder phase never count against an easier one):

- adherence per day: prescribed and completed session-items (adherence_summary);
- pain during exercise: the highest `pain_during` logged that day;
- next-morning pain of day X: the `pain_next_morning` of the check-in dated X+1
  (the morning after), the highest when there are several;
- flare: any check-in dated X with a flare;
- baseline pain, fixed for the plan (ptrx.plans.domain.plan_baseline): `plan.baseline_pain`
  when the therapist recorded one at intake, otherwise the lower median
  `pain_next_morning` of the check-ins dated in the plan's first 7 days.

Only exercise items feed the rule: pain logged against an advice item never counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence

from django.core.exceptions import ValidationError
from django.db.models import DateField, ExpressionWrapper, F, Max

from ptrx.plans.domain import (
    ADVICE_CATEGORIES,
    BASELINE_DAYS,
    DayRecord,
    DomainError,
    ProgressInput,
    plan_baseline,
)
from ptrx.plans.models import (
    CheckIn,
    Completion,
    Phase,
    Plan,
)
from ptrx.plans.selectors import (
    adherence_by_day_many,
)

# The rule looks at the last 14 days (this week against the week before).
HISTORY_DAYS = 14


def progress_input(*, plan: Plan, on: dt.date) -> ProgressInput:
    """What the rule needs to decide for `plan` on local date `on` (see the module docstring)."""
    found = progress_inputs(due=[(plan, on)])[plan.pk]
    if isinstance(found, Exception):
        raise found
    return found


def progress_inputs(
    *, due: Sequence[tuple[Plan, dt.date]]
) -> dict[int, ProgressInput | ValidationError | DomainError]:
    """`progress_input` for each (plan, local date) of `due`, keyed by plan id, in a
    fixed number of queries however many plans (the daily job passes chunks).

    A plan that cannot be judged maps to the error `progress_input` raises for it
    (ValidationError: no current phase; DomainError: the input breaks the rule's terms).
    """
    if not due:
        return {}
    plan_ids = [plan.pk for plan, _on in due]
    phases: dict[int, dict[int, tuple[dt.date | None, int]]] = {}
    for plan_id, number, started_on, min_weeks in Phase.objects.filter(plan_id__in=plan_ids).values_list(
        "plan_id", "number", "started_on", "min_weeks"
    ):
        phases.setdefault(plan_id, {})[number] = (started_on, min_weeks)

    results: dict[int, ProgressInput | ValidationError | DomainError] = {}
    # plan id -> (current phase's start, its min_weeks, first day judged, last day judged)
    judged: dict[int, tuple[dt.date, int, dt.date, dt.date]] = {}
    for plan, on in due:
        current = phases.get(plan.pk, {}).get(plan.current_phase)
        if current is None:
            results[plan.pk] = ValidationError(
                f"This plan has no phase {plan.current_phase}.", code="no_such_phase"
            )
            continue
        started = current[0] or plan.start_date
        end = on - dt.timedelta(days=1)
        first = max(end - dt.timedelta(days=HISTORY_DAYS - 1), started, plan.start_date)
        judged[plan.pk] = (started, current[1], first, end)
    if not judged:
        return results
    windows = [(plan, judged[plan.pk][2], judged[plan.pk][3]) for plan, _on in due if plan.pk in judged]
    windows = [(plan, first, end) for plan, first, end in windows if first <= end]
    by_day = adherence_by_day_many(windows=windows)
    days_of = _day_records(windows, due, by_day)
    baselines = _baselines(due, judged)
    for plan, _on in due:
        if plan.pk not in judged:
            continue
        started, min_weeks, _first, end = judged[plan.pk]
        try:
            results[plan.pk] = ProgressInput(
                today=end,
                phase_number=plan.current_phase,
                phase_count=len(phases[plan.pk]),
                phase_started_on=started,
                phase_min_weeks=min_weeks,
                baseline_pain=baselines.get(plan.pk),
                days=days_of.get(plan.pk, ()),
            )
        except DomainError as exc:
            results[plan.pk] = exc
    return results


def _day_records(
    windows: Sequence[tuple[Plan, dt.date, dt.date]],
    due: Sequence[tuple[Plan, dt.date]],
    by_day: dict[int, list[tuple[dt.date, int, int]]],
) -> dict[int, tuple[DayRecord, ...]]:
    """Each window's days (first..end) with adherence, pain and check-ins: two queries
    (highest pain during exercise items per plan and date; check-ins of the patients)."""
    if not windows:
        return {}
    on_of = {plan.pk: on for plan, on in due}
    low = min(first for _plan, first, _end in windows)
    high = max(end for _plan, _first, end in windows)
    pain: dict[tuple[int, dt.date], int | None] = {
        (plan_id, day): highest
        for plan_id, day, highest in Completion.objects.filter(
            plan_id__in=[plan.pk for plan, _first, _end in windows],
            date__gte=low,
            date__lte=high,
            pain_during__isnull=False,
        )
        # Pain logged against an advice item never feeds the rule (CLINICAL.md §4).
        .exclude(prescription__exercise__category__in=ADVICE_CATEGORIES)
        .order_by()
        .values("plan_id", "date")
        .annotate(highest=Max("pain_during"))
        .values_list("plan_id", "date", "highest")
    }
    checkins: dict[int, list[tuple[dt.date, int | None, bool]]] = {}
    for patient_id, checkin_date, morning, flare in CheckIn.objects.filter(
        patient_id__in={plan.patient_id for plan, _first, _end in windows},
        date__gte=low,
        date__lte=max(on_of[plan.pk] for plan, _first, _end in windows),
    ).values_list("patient_id", "date", "pain_next_morning", "flare"):
        checkins.setdefault(patient_id, []).append((checkin_date, morning, flare))
    records: dict[int, tuple[DayRecord, ...]] = {}
    for plan, first, end in windows:
        mornings: dict[dt.date, int] = {}
        flares: set[dt.date] = set()
        for checkin_date, morning, flare in checkins.get(plan.patient_id, ()):
            if not first <= checkin_date <= on_of[plan.pk]:
                continue
            night_before = checkin_date - dt.timedelta(days=1)
            if morning is not None and night_before >= first:
                mornings[night_before] = max(morning, mornings.get(night_before, 0))
            if flare and checkin_date <= end:
                flares.add(checkin_date)
        records[plan.pk] = tuple(
            DayRecord(
                date=day,
                prescribed=prescribed,
                completed=completed,
                max_pain_during=pain.get((plan.pk, day)),
                pain_next_morning=mornings.get(day),
                flare=day in flares,
            )
            for day, prescribed, completed in by_day[plan.pk]
        )
    return records


def _baselines(due: Sequence[tuple[Plan, dt.date]], judged: Collection[int]) -> dict[int, int]:
    """Per judged plan, its fixed baseline (plan_baseline) from the intake rating or the
    next-morning pains of the patient's check-ins dated in the plan's first
    BASELINE_DAYS days (and not after `on`). One query for all the plans without an
    intake rating, none when every plan has one."""
    plans = [(plan, on) for plan, on in due if plan.pk in judged]
    # plan id -> the last day of its first week counted so far, for plans without an intake rating
    last_counted = {
        plan.pk: min(plan.start_date + dt.timedelta(days=BASELINE_DAYS - 1), on)
        for plan, on in plans
        if plan.baseline_pain is None
    }
    mornings: dict[int, list[int]] = {plan_id: [] for plan_id in last_counted}
    if last_counted:
        # Each plan's own first week, in SQL: a chunk's plans may have started months apart.
        # (The exact last day is checked here: date arithmetic differs between databases.)
        for plan_id, checkin_date, morning in (
            CheckIn.objects.filter(
                patient__plans__in=last_counted,
                date__gte=F("patient__plans__start_date"),
                date__lte=ExpressionWrapper(
                    F("patient__plans__start_date") + dt.timedelta(days=BASELINE_DAYS),
                    output_field=DateField(),
                ),
                pain_next_morning__isnull=False,
            )
            .order_by()
            .values_list("patient__plans__pk", "date", "pain_next_morning")
        ):
            if morning is not None and checkin_date <= last_counted[plan_id]:
                mornings[plan_id].append(morning)
    baselines = {}
    for plan, _on in plans:
        baseline = plan_baseline(intake=plan.baseline_pain, first_week_mornings=mornings.get(plan.pk, ()))
        if baseline is not None:
            baselines[plan.pk] = baseline
    return baselines
