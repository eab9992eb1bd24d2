"""Reads: questionnaire definitions, what is due, and a patient's outcomes over time."""

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Exists, Max, OuterRef, Q, QuerySet

from ptrx.outcomes.domain import (
    NPRS_CHANGE,
    NPRS_CODE,
    Due,
    Instrument,
    Outcome,
    Timing,
    instrument_from_json,
    occasion_on,
    questionnaires_due,
)
from ptrx.outcomes.models import Questionnaire, QuestionnaireResponse
from ptrx.plans.domain import BRANCHES
from ptrx.plans.models import CheckIn, Patient, Plan, PlanStatus
from ptrx.plans.selectors import patient_local_today

NPRS_NAME = "Pain now (0-10, from check-ins)"


def questionnaire_list() -> QuerySet[Questionnaire]:
    return Questionnaire.objects.filter(is_active=True)


def questionnaire_get(*, code: str) -> Questionnaire:
    """An active definition by code; Questionnaire.DoesNotExist (a 404) otherwise."""
    return questionnaire_list().get(code=code)


def instrument_of(questionnaire: Questionnaire) -> Instrument:
    """The definition as the pure domain scores it."""
    return instrument_from_json(
        {
            "code": questionnaire.code,
            "name": questionnaire.name,
            "scoring": questionnaire.scoring,
            "items": questionnaire.items,
            "meaningful_change": questionnaire.meaningful_change,
            "min_answered": questionnaire.min_answered,
        }
    )


def patient_branches(patient: Patient) -> tuple[str, ...]:
    return tuple(branch for branch in BRANCHES if branch in patient.branches)


def questionnaire_plan(*, patient: Patient) -> Plan | None:
    """The plan the schedule follows: the active one, or else the latest plan when it
    was completed (its closing questionnaires)."""
    plans = Plan.objects.filter(
        patient=patient, status__in=(PlanStatus.ACTIVE, PlanStatus.COMPLETED)
    ).order_by("status", "-start_date", "-id")  # "active" sorts before "completed"
    return plans.first()


def _timing(questionnaire: Questionnaire) -> Timing:
    return Timing(
        code=questionnaire.code,
        name=questionnaire.name,
        first_day=questionnaire.first_day,
        branches=frozenset(questionnaire.branches),
    )


def questionnaire_timings() -> list[Timing]:
    """When each active questionnaire falls due, in one query."""
    return [_timing(questionnaire) for questionnaire in questionnaire_list()]


def questionnaire_day(
    timings: Sequence[Timing], *, branches: Sequence[str], start: dt.date, day: dt.date
) -> bool:
    """Whether a questionnaire for these branches falls due on `day` of a plan started on `start`."""
    involved = frozenset(branches)
    return any(t.applies_to(involved) and occasion_on(t, start=start, day=day) for t in timings)


def questionnaires_due_for(
    *, patient: Patient, day: dt.date | None = None, plan: Plan | None = None
) -> tuple[Due, ...]:
    """What the patient should answer on `day` (default: their today). One query when the
    caller passes the active `plan` it already holds, two otherwise."""
    plan = plan or questionnaire_plan(patient=patient)
    if plan is None:
        return ()
    day = day or patient_local_today(patient=patient)
    # A completed plan has no completion date of its own: its last change is when it ended.
    completed_on = (
        patient_local_today(patient=patient, now=plan.updated_at)
        if plan.status == PlanStatus.COMPLETED
        else None
    )
    # Each definition with the patient's latest answer since the plan started, in one query.
    answered = Max(
        "responses__date",
        filter=Q(responses__patient=patient, responses__date__gte=plan.start_date),
    )
    timings, last_answered = [], {}
    for questionnaire in questionnaire_list().annotate(last_answered=answered).order_by("code"):
        timings.append(_timing(questionnaire))
        if questionnaire.last_answered is not None:
            last_answered[questionnaire.code] = [questionnaire.last_answered]
    return questionnaires_due(
        timings,
        branches=frozenset(patient.branches),
        start=plan.start_date,
        today=day,
        completed_on=completed_on,
        answered=last_answered,
    )


def response_list(*, patient: Patient) -> QuerySet[QuestionnaireResponse]:
    return QuestionnaireResponse.objects.filter(patient=patient).select_related("questionnaire")


@dataclass(frozen=True)
class Point:
    date: dt.date
    score: float


@dataclass(frozen=True)
class OutcomeSeries:
    code: str
    name: str
    instrument: Instrument | None
    points: Sequence[Point]
    outcome: Outcome


def _series(code: str, name: str, instrument: Instrument | None, points: list[Point]) -> OutcomeSeries:
    change = instrument.change if instrument is not None else NPRS_CHANGE
    scores = [point.score for point in points]
    return OutcomeSeries(
        code=code, name=name, instrument=instrument, points=points, outcome=Outcome.of(scores, change)
    )


def outcomes_for(*, patient: Patient) -> list[OutcomeSeries]:
    """Each instrument the patient answered, in date order, against its first score; NPRS
    from the check-ins (the last rating of each day). Two queries."""
    by_code: dict[str, list[QuestionnaireResponse]] = defaultdict(list)
    for response in response_list(patient=patient).order_by("date", "id"):
        by_code[response.questionnaire.code].append(response)
    series = []
    for code, responses in sorted(by_code.items()):
        questionnaire = responses[0].questionnaire
        points = [Point(date=r.date, score=r.score) for r in responses]
        series.append(_series(code, questionnaire.name, instrument_of(questionnaire), points))
    pain_by_day: dict[dt.date, float] = {}
    for date, pain_now in (
        CheckIn.objects.filter(patient=patient).order_by("date", "id").values_list("date", "pain_now")
    ):
        pain_by_day[date] = float(pain_now)
    if pain_by_day:
        points = [Point(date=date, score=score) for date, score in pain_by_day.items()]
        series.append(_series(NPRS_CODE, NPRS_NAME, None, points))
    return series


def response_change(*, response: QuestionnaireResponse) -> Outcome | None:
    """The response against the patient's first response to the same instrument; None
    for that first one."""
    baseline = (
        QuestionnaireResponse.objects.filter(
            patient_id=response.patient_id, questionnaire=response.questionnaire
        )
        .order_by("date", "id")
        .first()
    )
    if baseline is None or baseline.pk == response.pk:
        return None
    change = instrument_of(response.questionnaire).change
    return Outcome.of([baseline.score, response.score], change)


def patients_with_outcome_flag(*, patients: QuerySet[Patient]) -> QuerySet[Patient]:
    """`outcome_worse` on each patient: the latest response to some instrument was worse
    (a meaningful worsening, or an EARS drop). One subquery, no extra query."""
    later = QuestionnaireResponse.objects.filter(
        patient_id=OuterRef("patient_id"), questionnaire_id=OuterRef("questionnaire_id")
    ).filter(Q(date__gt=OuterRef("date")) | Q(date=OuterRef("date"), id__gt=OuterRef("id")))
    latest_worse = QuestionnaireResponse.objects.filter(patient_id=OuterRef("pk"), worse=True).filter(
        ~Exists(later)
    )
    return patients.annotate(outcome_worse=Exists(latest_worse))
