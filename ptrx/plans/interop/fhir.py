"""The patient's plans as a FHIR R4 (4.0.1) Bundle of type `collection`: a minimal
Patient, a CarePlan per plan with an activity per prescription, and pain
Observations (LOINC 72514-3) from completions and check-ins. docs/FHIR.md maps it
element by element.

Entries are named by `urn:uuid:` full URLs made from the site and the row's id
(uuid5), so references resolve inside the Bundle and stay the same across exports.
"""

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from ptrx.links import site_url
from ptrx.plans.domain.adherence import EXERCISE
from ptrx.plans.domain.dose import dose_text, times_a_day_text
from ptrx.plans.models import CheckIn, Completion, Patient, Phase, Plan, PlanStatus, Prescription
from ptrx.plans.selectors import phase_status, plan_with_prescriptions

FHIR_JSON = "application/fhir+json"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
PAIN_CODE = {
    "system": LOINC,
    "code": "72514-3",
    "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
}
EXERCISE_THERAPY = {"system": SNOMED, "code": "229065009", "display": "Exercise therapy"}
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
FHIR_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# Plan status -> CarePlan.status (request-status).
CAREPLAN_STATUS = {
    PlanStatus.DRAFT: "draft",
    PlanStatus.ACTIVE: "active",
    PlanStatus.PAUSED: "on-hold",
    PlanStatus.COMPLETED: "completed",
    PlanStatus.CANCELLED: "revoked",
}


def _activity_status(plan: Plan, phase: Phase) -> str:
    """CarePlan.activity.detail.status from the plan's status and the phase's place in it."""
    if plan.status == PlanStatus.CANCELLED:
        return "cancelled"
    where = phase_status(plan=plan, phase=phase)
    if where == "completed" or plan.status == PlanStatus.COMPLETED:
        return "completed"
    if where == "upcoming" or plan.status == PlanStatus.DRAFT:
        return "not-started"
    return "on-hold" if plan.status == PlanStatus.PAUSED else "in-progress"


def _full_url(kind: str, pk: Any) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, site_url(f'fhir/{kind}/{pk}'))}"


def _entry(full_url: str, resource: dict[str, Any]) -> dict[str, Any]:
    return {"fullUrl": full_url, "resource": resource}


def _period(start: dt.date | None, end: dt.date | None) -> dict[str, str]:
    period = {}
    if start:
        period["start"] = start.isoformat()
    if end:
        period["end"] = end.isoformat()
    return period


def _patient(patient: Patient) -> dict[str, Any]:
    resource: dict[str, Any] = {"resourceType": "Patient", "id": f"patient-{patient.pk}"}
    if patient.user.first_name:
        resource["name"] = [{"given": [patient.user.first_name]}]
    return resource


def _activity(plan: Plan, phase: Phase, prescription: Prescription) -> dict[str, Any]:
    exercise = prescription.exercise
    repeat: dict[str, Any] = {
        "frequency": prescription.sessions_per_day,
        "period": 1,
        "periodUnit": "d",
        "dayOfWeek": [FHIR_DAYS[day] for day in sorted(prescription.days_of_week)],
    }
    bounds = _period(phase.started_on, phase.ended_on)
    if bounds:
        repeat["boundsPeriod"] = bounds
    words = [f"Phase {phase.number}: {phase.name}."]
    if prescription.kind == EXERCISE:
        dose = dose_text(
            sets=prescription.sets,
            reps=prescription.reps,
            hold_seconds=prescription.hold_seconds,
            side=prescription.side,
        )
        words.append(f"{dose}, {times_a_day_text(prescription.sessions_per_day)}.")
    else:
        words.append("Advice, acknowledged rather than performed.")
    if prescription.notes:
        words.append(prescription.notes)
    return {
        "detail": {
            "kind": "ServiceRequest",
            "code": {
                "coding": [
                    {"system": site_url("api/v1/exercises/"), "code": exercise.slug, "display": exercise.name}
                ],
                "text": exercise.name,
            },
            "status": _activity_status(plan, phase),
            "scheduledTiming": {"repeat": repeat},
            "description": " ".join(words),
        }
    }


def _care_plan(plan: Plan, patient_url: str) -> dict[str, Any]:
    phases = list(plan.phases.all())
    ended = plan.status in (PlanStatus.COMPLETED, PlanStatus.CANCELLED)
    end = max((p.ended_on for p in phases if p.ended_on), default=None) if ended else None
    return {
        "resourceType": "CarePlan",
        "id": f"plan-{plan.pk}",
        "status": CAREPLAN_STATUS[PlanStatus(plan.status)],
        "intent": "plan",
        "category": [{"coding": [EXERCISE_THERAPY], "text": "Exercise therapy"}],
        "title": plan.title,
        "subject": {"reference": patient_url},
        "period": _period(plan.start_date, end),
        "created": plan.created_at.isoformat(),
        "activity": [_activity(plan, phase, p) for phase in phases for p in phase.prescriptions.all()],
    }


def _pain(
    *, key: str, patient_url: str, day: dt.date, value: int, text: str, based_on: str | None = None
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": key,
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}],
        "code": {"coding": [PAIN_CODE], "text": text},
        "subject": {"reference": patient_url},
        "effectiveDateTime": day.isoformat(),
        "valueInteger": value,
    }
    if based_on:
        resource["basedOn"] = [{"reference": based_on}]
    return resource


def _completion_pain(completions: Iterable[Completion], patient_url: str) -> list[dict[str, Any]]:
    return [
        _entry(
            _full_url("completion", c.pk),
            _pain(
                key=f"completion-{c.pk}",
                patient_url=patient_url,
                day=c.date,
                value=c.pain_during,
                text=f"Pain during exercise: {c.prescription.exercise.name}",
                based_on=_full_url("plan", c.plan_id),
            ),
        )
        for c in completions
        if c.pain_during is not None
    ]


def _checkin_pain(checkins: Iterable[CheckIn], patient_url: str) -> list[dict[str, Any]]:
    entries = []
    for checkin in checkins:
        readings = [
            ("now", checkin.pain_now, "Pain now"),
            ("morning", checkin.pain_next_morning, "Pain on waking"),
        ]
        for suffix, value, text in readings:
            if value is not None:
                key = f"checkin-{checkin.pk}-{suffix}"
                entries.append(
                    _entry(
                        _full_url("checkin", f"{checkin.pk}/{suffix}"),
                        _pain(key=key, patient_url=patient_url, day=checkin.date, value=value, text=text),
                    )
                )
    return entries


def fhir_bundle(*, patient: Patient, plans: QuerySet[Plan], now: dt.datetime) -> dict[str, Any]:
    """The Bundle of `patient` with the given plans, the pain logged against them, and
    the patient's check-ins; a fixed number of queries however much there is."""
    patient_url = _full_url("patient", patient.pk)
    loaded = list(plan_with_prescriptions(plans=plans.order_by("start_date", "id")))
    completions = (
        Completion.objects.filter(plan__in=[p.pk for p in loaded], pain_during__isnull=False)
        .select_related("prescription__exercise")
        .order_by("date", "session", "id")
    )
    checkins = CheckIn.objects.filter(patient=patient).order_by("date", "id")
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": now.isoformat(),
        "entry": [
            _entry(patient_url, _patient(patient)),
            *(_entry(_full_url("plan", plan.pk), _care_plan(plan, patient_url)) for plan in loaded),
            *_completion_pain(completions, patient_url),
            *_checkin_pain(checkins, patient_url),
        ],
    }
