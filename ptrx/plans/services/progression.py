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
- baseline pain, fixed for the plan (CLINICAL.md §4): `plan.baseline_pain` when the
  therapist recorded one at intake, otherwise the lower median `pain_next_morning` of
  the check-ins dated in the plan's first 7 days (ptrx.plans.domain.plan_baseline).

Only exercise items feed the rule: pain logged against an advice item never counts.
When an advance moves a plan into a phase that holds a tensioner beside its fallback
slider, the tensioner stays only if the slider was logged quiet in the last 7 days
(CLINICAL.md §4); otherwise it is removed in the same transaction and the decision
says why.

The system decides once per plan and local day (a unique constraint), so running
the evaluation twice changes nothing. An advance is applied when the plan has
`auto_progress`; a regression is always applied (the conservative direction) and
always alerts the therapist.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import DateField, ExpressionWrapper, F, Max
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from ptrx.exercises.models import Category
from ptrx.plans.domain import (
    ADVANCE,
    ADVICE_CATEGORIES,
    BASELINE_DAYS,
    HOLD,
    REGRESS,
    DayRecord,
    Decision,
    DomainError,
    ProgressInput,
    Reason,
    is_tensioner,
    plan_baseline,
    slider_unquiet,
    tensioner_deferral,
)
from ptrx.plans.domain import evaluate_progress as decide
from ptrx.plans.domain.generation import FALLBACK_NOTE
from ptrx.plans.domain.progression import WINDOW_DAYS
from ptrx.plans.models import (
    CheckIn,
    Completion,
    Notification,
    NotificationKind,
    NotificationStatus,
    Outcome,
    Patient,
    Phase,
    Plan,
    PlanStatus,
    Prescription,
    ProgressionDecision,
)
from ptrx.plans.outbox import notifications_enqueue
from ptrx.plans.selectors import (
    active_plan_chunks,
    adherence_by_day_many,
    patient_local_today,
    reads_without_jit,
)
from ptrx.plans.services.plans import plans_move_phase

logger = logging.getLogger(__name__)

# The rule looks at the last 14 days (this week against the week before).
HISTORY_DAYS = 14
# Reason codes that mean the load was too much; the therapist hears of them even
# when the patient is already in the first phase and cannot step back.
WARNING_CODES = frozenset({"red_pain", "amber_days", "flare"})
# An applied advance the therapist must look at: the slider was not quiet, but the
# tensioner could not be removed without erasing sessions the patient logged.
REVIEW_CODES = frozenset({"tensioner_review"})
# Plans read and decided together by the daily job: a fixed number of queries each.
CHUNK_SIZE = 1000
BULK_BATCH_SIZE = 1000


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
    """Per judged plan, its fixed baseline (plan_baseline): the intake rating, else the
    next-morning pains of the patient's check-ins dated in the plan's first BASELINE_DAYS
    days (and not after `on`). One query for all the plans without an intake rating,
    none when every plan has one."""
    last_counted: dict[int, dt.date] = {}  # plan id -> last day of its first week counted so far
    baselines: dict[int, int] = {}
    for plan, on in due:
        if plan.pk not in judged:
            continue
        if plan.baseline_pain is not None:
            baselines[plan.pk] = plan.baseline_pain
        else:
            last_counted[plan.pk] = min(plan.start_date + dt.timedelta(days=BASELINE_DAYS - 1), on)
    if not last_counted:
        return baselines
    # Each plan's own first week, in SQL: a chunk's plans may have started months apart.
    # (The exact last day is checked here: date arithmetic differs between databases.)
    mornings: dict[int, list[int]] = {plan_id: [] for plan_id in last_counted}
    for plan_id, checkin_date, morning in (
        CheckIn.objects.filter(
            patient__plans__in=last_counted,
            date__gte=F("patient__plans__start_date"),
            date__lte=ExpressionWrapper(
                F("patient__plans__start_date") + dt.timedelta(days=BASELINE_DAYS), output_field=DateField()
            ),
            pain_next_morning__isnull=False,
        )
        .order_by()
        .values_list("patient__plans__pk", "date", "pain_next_morning")
    ):
        if morning is not None and checkin_date <= last_counted[plan_id]:
            mornings[plan_id].append(morning)
    for plan_id, pains in mornings.items():
        baseline = plan_baseline(intake=None, first_week_mornings=pains)
        if baseline is not None:
            baselines[plan_id] = baseline
    return baselines


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
        (record,) = _decisions_record([(plan, on, decision)])
    return record


def _decisions_record(decided: Sequence[tuple[Plan, dt.date, Decision]]) -> list[ProgressionDecision]:
    """Record these decisions and apply them: phase moves (with the slider-before-tensioner
    check of each advance), then the therapist's alerts.

    The caller holds the plans' locks, in a transaction, and has checked that none is
    decided yet for its date and that each plan is still active in the phase it was
    judged in. A fixed number of statements however many plans (phase moves go by
    (from, to, date)).
    """
    built: list[tuple[Plan, Decision, ProgressionDecision]] = []
    moves: list[tuple[int, int, int, dt.date]] = []
    advanced: list[tuple[int, int, dt.date]] = []
    for plan, on, decision in decided:
        from_phase = to_phase = plan.current_phase
        applied = False
        if decision.outcome == ADVANCE:
            to_phase = from_phase + 1
            applied = plan.auto_progress
        elif decision.outcome == REGRESS:
            to_phase = from_phase - 1
            applied = True
        record = _record(plan, on, decision, from_phase=from_phase, to_phase=to_phase, applied=applied)
        built.append((plan, decision, record))
        if applied:
            moves.append((plan.pk, from_phase, to_phase, on))
            plan.current_phase = to_phase
            if decision.outcome == ADVANCE:
                advanced.append((plan.pk, to_phase, on))
    plans_move_phase(moves=moves)
    added = _tensioners_check(advanced)
    alerts: list[tuple[Plan, ProgressionDecision, Decision]] = []
    for plan, decision, record in built:
        if plan.pk in added:
            decision = Decision(decision.outcome, (*decision.reasons, *added[plan.pk]))
            record.reasons = _reasons_json(decision)
        if _therapist_should_know(decision, applied=record.applied):
            alerts.append((plan, record, decision))
    records = [record for _plan, _decision, record in built]
    ProgressionDecision.objects.bulk_create(records, batch_size=BULK_BATCH_SIZE)
    _therapists_alert(alerts)
    return records


def _tensioners_check(advanced: Sequence[tuple[int, int, dt.date]]) -> dict[int, tuple[Reason, ...]]:
    """Sliders before tensioners (CLINICAL.md §4) for each (plan id, new phase, date) just
    advanced into: where the new phase prescribes a tensioner beside a slider (its
    fallback), the tensioner stays only when the plan's logs of that slider's exercise
    over the 7 days before the date (whatever phase they were in) are quiet
    (tensioner_deferral). Otherwise it is removed, so the phase keeps the slider alone,
    the slider's fallback note (which speaks of the tensioner) is cleared, and the plan
    gets the reason. Up to six statements however many plans.

    A tensioner the patient already logged (a plan back in a phase it was in before) is
    not removed: that would erase their record (prescription_removal_problem refuses it
    too). It stays, and the therapist is asked to review it.
    """
    if not advanced:
        return {}
    into = {plan_id: (to_phase, on) for plan_id, to_phase, on in advanced}
    sliders: dict[int, set[int]] = {}  # plan id -> exercise ids of the new phase's sliders
    tensioners: dict[int, list[int]] = {}  # plan id -> the new phase's tensioner prescriptions
    fallbacks: dict[int, list[int]] = {}  # plan id -> its sliders' prescriptions noted as fallback
    for prescription_id, plan_id, number, exercise_id, slug, notes in Prescription.objects.filter(
        phase__plan_id__in=into,
        phase__number__in={to_phase for to_phase, _on in into.values()},
        exercise__category=Category.NEURODYNAMIC_GLIDE,
    ).values_list("pk", "phase__plan_id", "phase__number", "exercise_id", "exercise__slug", "notes"):
        if number != into[plan_id][0]:
            continue
        if is_tensioner(slug):
            tensioners.setdefault(plan_id, []).append(prescription_id)
        else:
            sliders.setdefault(plan_id, set()).add(exercise_id)
            if notes == FALLBACK_NOTE:
                fallbacks.setdefault(plan_id, []).append(prescription_id)
    paired = [plan_id for plan_id in tensioners if plan_id in sliders]
    if not paired:
        return {}
    pains: dict[int, list[int]] = {plan_id: [] for plan_id in paired}
    for plan_id, exercise_id, day, pain in Completion.objects.filter(
        plan_id__in=paired,
        prescription__exercise_id__in=set().union(*(sliders[plan_id] for plan_id in paired)),
        date__gte=min(into[plan_id][1] for plan_id in paired) - dt.timedelta(days=WINDOW_DAYS),
        date__lt=max(into[plan_id][1] for plan_id in paired),
        pain_during__isnull=False,
    ).values_list("plan_id", "prescription__exercise_id", "date", "pain_during"):
        on = into[plan_id][1]
        in_window = on - dt.timedelta(days=WINDOW_DAYS) <= day < on
        if pain is not None and exercise_id in sliders[plan_id] and in_window:
            pains[plan_id].append(pain)
    deferred = {plan_id: reason for plan_id in paired if (reason := tensioner_deferral(pains[plan_id]))}
    if not deferred:
        return {}
    to_remove = [prescription_id for plan_id in deferred for prescription_id in tensioners[plan_id]]
    logged = set(
        Completion.objects.filter(prescription_id__in=to_remove).values_list("prescription_id", flat=True)
    )
    Prescription.objects.filter(pk__in=[pk for pk in to_remove if pk not in logged]).delete()
    added: dict[int, tuple[Reason, ...]] = {}
    alone: list[int] = []  # slider prescriptions left without the tensioner they stood beside
    for plan_id, reason in deferred.items():
        if not any(pk in logged for pk in tensioners[plan_id]):
            alone.extend(fallbacks.get(plan_id, ()))
        else:
            reason = Reason(
                "tensioner_review",
                f"The tensioner should wait ({slider_unquiet(pains[plan_id])}) but was kept: "
                "sessions of it are already logged, and removing it would erase them. "
                "Please review it.",
            )
        added[plan_id] = (reason,)
    # The fallback note speaks of the harder glide beside it, which is gone.
    Prescription.objects.filter(pk__in=alone).update(notes="")
    return added


def _reasons_json(decision: Decision) -> list[dict[str, str]]:
    return [{"code": reason.code, "text": reason.text} for reason in decision.reasons]


def _record(
    plan: Plan,
    on: dt.date,
    decision: Decision,
    *,
    to_phase: int,
    applied: bool,
    from_phase: int | None = None,
) -> ProgressionDecision:
    """The system's decision row (not saved)."""
    return ProgressionDecision(
        plan=plan,
        date=on,
        outcome=decision.outcome,
        reasons=_reasons_json(decision),
        from_phase=plan.current_phase if from_phase is None else from_phase,
        to_phase=to_phase,
        applied=applied,
    )


def _changes_something(decision: Decision) -> bool:
    """Whether recording the decision moves the plan or tells the therapist."""
    return decision.outcome != HOLD or _therapist_should_know(decision, applied=False)


def _therapist_should_know(decision: Decision, *, applied: bool) -> bool:
    if decision.outcome == REGRESS:
        return True
    if decision.outcome == ADVANCE:
        # Ready to move on and waiting for the therapist's review, or moved on with a
        # change the therapist must look at.
        return not applied or any(reason.code in REVIEW_CODES for reason in decision.reasons)
    return any(reason.code in WARNING_CODES for reason in decision.reasons)


def _admin_url(plan: Plan) -> str:
    base = settings.APP_URL.rstrip("/")
    try:
        return base + reverse("admin:plans_plan_change", args=[plan.pk])
    except NoReverseMatch:
        return base + "/admin/"


def _therapists_alert(alerts: Sequence[tuple[Plan, ProgressionDecision, Decision]]) -> None:
    """Queue a therapist_alert for each decision (once per patient and day: the unique
    key keeps an alert already queued), in three queries however many."""
    if not alerts:
        return
    patients = Patient.objects.select_related("user").in_bulk({plan.patient_id for plan, _r, _d in alerts})
    notifications = []
    for plan, record, decision in alerts:
        patient = patients[plan.patient_id]
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
        elif record.outcome == Outcome.ADVANCE and record.applied:
            subject = f"{patient}: moved to phase {record.to_phase}, one change needs your review"
        elif record.outcome == Outcome.ADVANCE:
            subject = f"{patient}: ready for phase {record.to_phase}, waiting for your review"
        else:
            subject = f"{patient}: warning signs, staying in phase {record.from_phase}"
        notifications.append(
            Notification(
                patient=patient,
                plan=plan,
                kind=NotificationKind.THERAPIST_ALERT,
                local_date=record.date,
                subject=subject[:200],
                body=render_to_string("emails/therapist_alert.txt", context).strip() + "\n",
                html_body=render_to_string("emails/therapist_alert.html", context),
            )
        )
    Notification.objects.bulk_create(notifications, ignore_conflicts=True, batch_size=BULK_BATCH_SIZE)
    wanted = {(n.patient_id, n.local_date) for n in notifications}
    notifications_enqueue(
        [
            pk
            for pk, patient_id, local_date in Notification.objects.filter(
                patient_id__in={patient_id for patient_id, _date in wanted},
                kind=NotificationKind.THERAPIST_ALERT,
                local_date__in={local_date for _patient, local_date in wanted},
                status=NotificationStatus.PENDING,
            ).values_list("pk", "patient_id", "local_date")
            if (patient_id, local_date) in wanted
        ]
    )


def progression_evaluate_due(*, now: dt.datetime | None = None) -> list[ProgressionDecision]:
    """Evaluate every active plan not yet decided for its patient's local today.

    Run hourly, this decides each plan once a day, soon after the patient's local
    midnight; a plan that cannot be evaluated is logged and skipped, not retried.

    Plans go by chunks of CHUNK_SIZE, each read, decided and recorded in a fixed number
    of queries (progress_inputs, _decisions_record). Most days change nothing: a hold
    without warning signs is only recorded, in bulk and without locks (the unique
    (plan, date) key drops a decision another run recorded meanwhile). The plans whose
    decision moves them or alerts the therapist are locked together; one that changed
    since the chunk was read is decided again on its own (progression_evaluate).
    Decisions are returned as built (without a primary key where the database does
    not return one).
    """
    now = now or timezone.now()
    decisions: list[ProgressionDecision] = []
    for plans in active_plan_chunks(size=CHUNK_SIZE):
        today_of = {plan.pk: patient_local_today(patient=plan.patient, now=now) for plan in plans}
        decided = set(
            ProgressionDecision.objects.filter(
                plan_id__in=today_of, date__in=set(today_of.values()), decided_by__isnull=True
            ).values_list("plan_id", "date")
        )
        due = [(plan, today_of[plan.pk]) for plan in plans if (plan.pk, today_of[plan.pk]) not in decided]
        decisions.extend(_evaluate_chunk(due))
    return decisions


def _evaluate_chunk(due: list[tuple[Plan, dt.date]]) -> list[ProgressionDecision]:
    with reads_without_jit():
        inputs = progress_inputs(due=due)
    quiet: list[ProgressionDecision] = []
    eventful: list[tuple[Plan, dt.date, Decision]] = []
    for plan, on in due:
        found = inputs[plan.pk]
        if isinstance(found, Exception):
            _log_skipped(plan, on, found)
            continue
        decision = decide(found)
        if _changes_something(decision):
            eventful.append((plan, on, decision))
        else:
            quiet.append(_record(plan, on, decision, to_phase=plan.current_phase, applied=False))
    ProgressionDecision.objects.bulk_create(quiet, ignore_conflicts=True, batch_size=BULK_BATCH_SIZE)
    return quiet + _eventful_record(eventful)


def _eventful_record(eventful: list[tuple[Plan, dt.date, Decision]]) -> list[ProgressionDecision]:
    """Record and apply the decisions that move a plan or alert, under the plans' locks.

    A plan decided meanwhile is left alone. One whose status, phase or `auto_progress`
    changed since it was read is decided again on its own; so is the whole chunk when
    writing it together fails (another run's decision slipped in, or a phase to move
    to is missing), each plan then succeeding or being skipped by itself.
    """
    if not eventful:
        return []
    ready: list[tuple[Plan, dt.date, Decision]] = []
    taken: set[tuple[int, dt.date]] = set()
    records: list[ProgressionDecision] = []
    try:
        with transaction.atomic():
            locked = {
                pk: (phase, auto_progress)
                for pk, phase, auto_progress in Plan.objects.select_for_update()
                .filter(pk__in=[plan.pk for plan, _on, _decision in eventful], status=PlanStatus.ACTIVE)
                .order_by("pk")
                .values_list("pk", "current_phase", "auto_progress")
            }
            taken = set(
                ProgressionDecision.objects.filter(
                    plan_id__in=locked, date__in={on for _plan, on, _d in eventful}, decided_by__isnull=True
                ).values_list("plan_id", "date")
            )
            ready = [
                (plan, on, decision)
                for plan, on, decision in eventful
                if (plan.pk, on) not in taken
                and locked.get(plan.pk) == (plan.current_phase, plan.auto_progress)
            ]
            records = _decisions_record(ready)
    except (IntegrityError, ValidationError):
        logger.warning("A chunk's decisions could not be written together; deciding them one by one.")
        ready, taken, records = [], set(), []
    ready_ids = {plan.pk for plan, _on, _decision in ready}
    for plan, on, _decision in eventful:
        if plan.pk in ready_ids or (plan.pk, on) in taken:
            continue
        try:
            records.append(progression_evaluate(plan=plan, on=on))
        except ValidationError as exc:
            _log_skipped(plan, on, exc)
    return records


def _log_skipped(plan: Plan, on: dt.date, error: Exception) -> None:
    logger.error("Plan %s could not be evaluated on %s.", plan.pk, on, exc_info=error)
