"""The therapist's alerts from progression decisions."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse

from ptrx.plans.domain import (
    ADVANCE,
    REGRESS,
    Decision,
)
from ptrx.plans.models import (
    Notification,
    NotificationKind,
    NotificationStatus,
    Outcome,
    Patient,
    Plan,
    ProgressionDecision,
)
from ptrx.plans.outbox import notifications_enqueue

# Reason codes that mean the load was too much; the therapist hears of them even
# when the patient is already in the first phase and cannot step back.
WARNING_CODES = frozenset({"red_pain", "amber_days", "flare"})
# An applied advance the therapist must look at: the slider was not quiet, but the
# tensioner could not be removed without erasing sessions the patient logged.
REVIEW_CODES = frozenset({"tensioner_review"})


def therapist_should_know(decision: Decision, *, applied: bool) -> bool:
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


def therapists_alert(alerts: Sequence[tuple[Plan, ProgressionDecision, Decision]]) -> None:
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
    # At most one per plan of a chunk of the daily job.
    Notification.objects.bulk_create(notifications, ignore_conflicts=True)
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
