"""The daily progression decision: the pain-monitoring rule (CLINICAL.md §4) applied to a plan.

The rule itself is pure (ptrx.plans.domain.evaluate_progress); progress_inputs feeds
it what the patient logged, and this module records the outcome. When an advance
moves a plan into a phase that holds a tensioner beside its fallback slider,
tensioners_check keeps the tensioner only if the slider was logged quiet.

The system decides once per plan and local day (a unique constraint), so running
the evaluation twice changes nothing. An advance is applied when the plan has
`auto_progress`; a regression is always applied (the conservative direction) and
always alerts the therapist (progress_alerts).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ptrx.plans.domain import (
    ADVANCE,
    HOLD,
    REGRESS,
    Decision,
    DomainError,
)
from ptrx.plans.domain import evaluate_progress as decide
from ptrx.plans.models import (
    Plan,
    PlanStatus,
    ProgressionDecision,
)
from ptrx.plans.selectors import (
    active_plan_chunks,
    patient_local_today,
    reads_without_jit,
)
from ptrx.plans.services.plans import plans_move_phase
from ptrx.plans.services.progress_alerts import therapist_should_know, therapists_alert
from ptrx.plans.services.progress_inputs import progress_input, progress_inputs
from ptrx.plans.services.tensioners import tensioners_check

logger = logging.getLogger(__name__)

# Plans read and decided together by the daily job: a fixed number of queries each.
CHUNK_SIZE = 1000
BULK_BATCH_SIZE = 1000


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
    added = tensioners_check(advanced)
    alerts: list[tuple[Plan, ProgressionDecision, Decision]] = []
    for plan, decision, record in built:
        if plan.pk in added:
            decision = Decision(decision.outcome, (*decision.reasons, *added[plan.pk]))
            record.reasons = _reasons_json(decision)
        if therapist_should_know(decision, applied=record.applied):
            alerts.append((plan, record, decision))
    records = [record for _plan, _decision, record in built]
    ProgressionDecision.objects.bulk_create(records, batch_size=BULK_BATCH_SIZE)
    therapists_alert(alerts)
    return records


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
    return decision.outcome != HOLD or therapist_should_know(decision, applied=False)


def progression_evaluate_due(*, now: dt.datetime | None = None) -> list[ProgressionDecision]:
    """Evaluate every active plan not yet decided for its patient's local today.

    Run hourly, this decides each plan once a day, soon after the patient's local
    midnight; a plan that cannot be evaluated is logged and skipped, not retried.

    Chunks of CHUNK_SIZE plans, a fixed number of queries each. A quiet hold is recorded
    in bulk without locks (the unique (plan, date) key drops a duplicate); the plans
    whose decision moves them or alerts are locked together (_eventful_record).
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
