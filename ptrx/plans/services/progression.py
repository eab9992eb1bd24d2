"""The daily progression decision: the pain-monitoring rule (CLINICAL.md §4) applied to a plan.

The rule itself is pure (ptrx.plans.domain.evaluate_progress); this module feeds it
what the patient logged and records the outcome. A decision dated D judges the
seven complete days before D, counted from the start of the current phase (days of
a harder phase never count against an easier one):

- adherence per day: prescribed and completed session-items (adherence_summary);
- pain during exercise: the highest `pain_during` logged that day;
- next-morning pain of day X: the `pain_next_morning` of the check-in dated X+1
  (the morning after), the highest when there are several;
- flare: any check-in dated X with a flare;
- baseline pain: `pain_now` of the earliest check-in since the phase started.

The system decides once per plan and local day (a unique constraint), so running
the evaluation twice changes nothing. An advance is applied when the plan has
`auto_progress`; a regression is always applied (the conservative direction) and
always alerts the therapist.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from ptrx.plans.domain import ADVANCE, REGRESS, DayRecord, Decision, DomainError, ProgressInput
from ptrx.plans.domain import evaluate_progress as decide
from ptrx.plans.models import (
    CheckIn,
    Completion,
    Notification,
    NotificationKind,
    NotificationStatus,
    Outcome,
    Phase,
    Plan,
    PlanStatus,
    ProgressionDecision,
)
from ptrx.plans.selectors import adherence_summary
from ptrx.plans.services.plans import plan_set_phase
from ptrx.plans.services.reminders import notifications_enqueue

logger = logging.getLogger(__name__)

# The rule looks at the last 14 days (this week against the week before).
HISTORY_DAYS = 14
# Reason codes that mean the load was too much; the therapist hears of them even
# when the patient is already in the first phase and cannot step back.
WARNING_CODES = frozenset({"red_pain", "amber_days", "flare"})


def progress_input(*, plan: Plan, on: dt.date) -> ProgressInput:
    """What the rule needs to decide for `plan` on local date `on` (see the module docstring)."""
    phase = Phase.objects.filter(plan=plan, number=plan.current_phase).first()
    if phase is None:
        raise ValidationError(f"This plan has no phase {plan.current_phase}.", code="no_such_phase")
    phase_count = Phase.objects.filter(plan=plan).count()
    started = phase.started_on or plan.start_date
    end = on - dt.timedelta(days=1)
    first = max(end - dt.timedelta(days=HISTORY_DAYS - 1), started, plan.start_date)
    days: tuple[DayRecord, ...] = ()
    if first <= end:
        by_day = adherence_summary(plan=plan, start=first, end=end).by_day
        pain = dict(
            Completion.objects.filter(plan=plan, date__gte=first, date__lte=end)
            .order_by()
            .values("date")
            .annotate(highest=Max("pain_during"))
            .values_list("date", "highest")
        )
        mornings: dict[dt.date, int] = {}
        flares: set[dt.date] = set()
        for checkin_date, morning, flare in CheckIn.objects.filter(
            patient_id=plan.patient_id, date__gte=first, date__lte=on
        ).values_list("date", "pain_next_morning", "flare"):
            night_before = checkin_date - dt.timedelta(days=1)
            if morning is not None and night_before >= first:
                mornings[night_before] = max(morning, mornings.get(night_before, 0))
            if flare and checkin_date <= end:
                flares.add(checkin_date)
        days = tuple(
            DayRecord(
                date=day,
                prescribed=prescribed,
                completed=completed,
                max_pain_during=pain.get(day),
                pain_next_morning=mornings.get(day),
                flare=day in flares,
            )
            for day, prescribed, completed in by_day
        )
    baseline = (
        CheckIn.objects.filter(patient_id=plan.patient_id, date__gte=started, date__lte=on)
        .order_by("date", "id")
        .values_list("pain_now", flat=True)
        .first()
    )
    return ProgressInput(
        today=end,
        phase_number=plan.current_phase,
        phase_count=phase_count,
        phase_started_on=started,
        phase_min_weeks=phase.min_weeks,
        baseline_pain=baseline,
        days=days,
    )


def progression_evaluate(*, plan: Plan, on: dt.date) -> ProgressionDecision:
    """Decide (and apply, by the rules above) the plan's progression for local date `on`.

    Once per plan and day: a second call returns the decision already recorded.
    """
    with transaction.atomic():
        # The lock orders concurrent evaluations of one plan; the second finds the first's decision.
        plan = Plan.objects.select_for_update().get(pk=plan.pk)
        existing = ProgressionDecision.objects.filter(plan=plan, date=on, decided_by__isnull=True).first()
        if existing is not None:
            return existing
        if plan.status != PlanStatus.ACTIVE:
            raise ValidationError("Only an active plan is evaluated.", code="plan_not_active")
        try:
            decision = decide(progress_input(plan=plan, on=on))
        except DomainError as exc:
            raise ValidationError(str(exc), code="progression_input") from exc
        from_phase = plan.current_phase
        to_phase = from_phase
        applied = False
        if decision.outcome == ADVANCE:
            to_phase = from_phase + 1
            applied = plan.auto_progress
        elif decision.outcome == REGRESS:
            to_phase = from_phase - 1
            applied = True
        if applied:
            plan = plan_set_phase(plan=plan, number=to_phase, on=on)
        record = ProgressionDecision.objects.create(
            plan=plan,
            date=on,
            outcome=decision.outcome,
            reasons=[{"code": reason.code, "text": reason.text} for reason in decision.reasons],
            from_phase=from_phase,
            to_phase=to_phase,
            applied=applied,
        )
        if _therapist_should_know(decision, applied=applied):
            _alert_therapist(plan=plan, record=record, decision=decision)
    return record


def _therapist_should_know(decision: Decision, *, applied: bool) -> bool:
    if decision.outcome == REGRESS:
        return True
    if decision.outcome == ADVANCE:
        return not applied  # ready to move on, waiting for the therapist's review
    return any(reason.code in WARNING_CODES for reason in decision.reasons)


def _admin_url(plan: Plan) -> str:
    base = settings.APP_URL.rstrip("/")
    try:
        return base + reverse("admin:plans_plan_change", args=[plan.pk])
    except NoReverseMatch:
        return base + "/admin/"


def _alert_therapist(*, plan: Plan, record: ProgressionDecision, decision: Decision) -> None:
    """Queue the therapist_alert for this decision (once per patient and day)."""
    patient = plan.patient
    context = {
        "patient": str(patient),
        "outcome": record.outcome,
        "applied": record.applied,
        "from_phase": record.from_phase,
        "to_phase": record.to_phase,
        "date": record.date,
        "reasons": [reason.text for reason in decision.reasons],
        "url": _admin_url(plan),
    }
    if record.outcome == Outcome.REGRESS:
        subject = f"{patient}: plan stepped back to phase {record.to_phase}"
    elif record.outcome == Outcome.ADVANCE:
        subject = f"{patient}: ready for phase {record.to_phase}, waiting for your review"
    else:
        subject = f"{patient}: warning signs, staying in phase {record.from_phase}"
    Notification.objects.bulk_create(
        [
            Notification(
                patient=patient,
                plan=plan,
                kind=NotificationKind.THERAPIST_ALERT,
                local_date=record.date,
                subject=subject[:200],
                body=render_to_string("emails/therapist_alert.txt", context).strip() + "\n",
                html_body=render_to_string("emails/therapist_alert.html", context),
            )
        ],
        ignore_conflicts=True,
    )
    notifications_enqueue(
        list(
            Notification.objects.filter(
                patient=patient,
                kind=NotificationKind.THERAPIST_ALERT,
                local_date=record.date,
                status=NotificationStatus.PENDING,
            ).values_list("pk", flat=True)
        )
    )


def progression_evaluate_due(*, now: dt.datetime | None = None) -> list[ProgressionDecision]:
    """Evaluate every active plan not yet decided for its patient's local today.

    Run hourly, this decides each plan once a day, soon after the patient's local
    midnight; a plan that cannot be evaluated is logged and skipped, not retried.
    """
    now = now or timezone.now()
    plans = list(Plan.objects.filter(status=PlanStatus.ACTIVE).select_related("patient__user").order_by("pk"))
    zones: dict[str, dt.date] = {}
    today_of: dict[int, dt.date] = {}
    for plan in plans:
        name = plan.patient.timezone
        if name not in zones:
            try:
                zones[name] = now.astimezone(zoneinfo.ZoneInfo(name)).date()
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                zones[name] = now.astimezone(dt.UTC).date()
        today_of[plan.pk] = zones[name]
    decided = set(
        ProgressionDecision.objects.filter(
            plan__status=PlanStatus.ACTIVE, date__in=set(today_of.values()), decided_by__isnull=True
        ).values_list("plan_id", "date")
    )
    decisions = []
    for plan in plans:
        on = today_of[plan.pk]
        if (plan.pk, on) in decided:
            continue
        try:
            decisions.append(progression_evaluate(plan=plan, on=on))
        except ValidationError:
            logger.exception("Plan %s could not be evaluated on %s.", plan.pk, on)
    return decisions
