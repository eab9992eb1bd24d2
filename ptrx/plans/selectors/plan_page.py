"""The top of the therapist's plan page: the patient in one glance, and what changed
since this therapist last opened the plan."""

import datetime as dt
from dataclasses import dataclass

from ptrx.plans.domain.precautions import PRECAUTION_CODES, PRECAUTIONS
from ptrx.plans.models import CheckIn, Completion, Plan, ProgressionDecision
from ptrx.plans.selectors.adherence import Adherence, adherence_summary
from ptrx.plans.selectors.follow_up import ADHERENCE_WINDOW_DAYS


@dataclass(frozen=True)
class PlanChanges:
    """What the patient and the daily evaluation added after `since` (None: ever)."""

    since: dt.datetime | None
    completions: int
    checkins: int
    decisions: int


@dataclass(frozen=True)
class PlanGlance:
    adherence: Adherence
    last_checkin: CheckIn | None
    changes: PlanChanges
    precautions: list[str]  # the labels of the patient's intake precautions (CLINICAL.md §9)


def plan_changes_since(*, plan: Plan, since: dt.datetime | None) -> PlanChanges:
    """Counts of the plan's completions, the patient's check-ins and the plan's
    progression decisions recorded after `since` (all of them when it is None)."""
    after = {} if since is None else {"created_at__gt": since}
    return PlanChanges(
        since=since,
        completions=Completion.objects.filter(plan=plan, **after).count(),
        checkins=CheckIn.objects.filter(patient_id=plan.patient_id, **after).count(),
        decisions=ProgressionDecision.objects.filter(plan=plan, **after).count(),
    )


def plan_glance(*, plan: Plan, today: dt.date, since: dt.datetime | None) -> PlanGlance:
    """The last 7 days' adherence (the same window as the patient list's), the latest
    check-in and the changes since `since`, in a fixed number of queries."""
    start = today - dt.timedelta(days=ADHERENCE_WINDOW_DAYS - 1)
    return PlanGlance(
        adherence=adherence_summary(plan=plan, start=start, end=today),
        last_checkin=CheckIn.objects.filter(patient_id=plan.patient_id).first(),
        changes=plan_changes_since(plan=plan, since=since),
        precautions=[
            PRECAUTIONS[code].label for code in PRECAUTION_CODES if code in plan.patient.precautions
        ],
    )
