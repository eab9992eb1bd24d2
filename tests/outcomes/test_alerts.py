"""A meaningful worsening or an EARS drop of 5.5 or more alerts the therapist (once a
day), reaches the daily digest, and is never shown to the patient."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from ptrx.outcomes.models import QuestionnaireResponse
from ptrx.outcomes.services import response_record
from ptrx.plans.models import Notification, NotificationKind
from ptrx.plans.outbox import notifications_send
from ptrx.plans.services.tracking import DIGEST_HOUR_UTC, therapist_digests_prepare
from tests.factories import make_active_plan, make_patient, make_therapist

pytestmark = pytest.mark.django_db


def ears(total_high: int) -> dict[str, int]:
    """EARS answers scoring 4 on the first `total_high` items and 0 on the rest."""
    best = {"item_1": 4, "item_2": 4, "item_3": 4, "item_4": 4, "item_5": 4, "item_6": 4}
    return {key: (4 if n < total_high else 0) for n, key in enumerate(best)}


@pytest.fixture
def patient_with_plan(library):
    therapist = make_therapist(email="lead@clinic.example")
    patient = make_patient(therapist=therapist, first_name="Robin", last_name="Rowe")
    make_active_plan(patient, start=timezone.localdate() - dt.timedelta(days=40))
    return patient


def record(patient, code, answers, days_ago, **extra):
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    return response_record(patient=patient, code=code, answers=answers, date=day, **extra)[0]


def alerts():
    return Notification.objects.filter(kind=NotificationKind.OUTCOME_ALERT)


def test_a_meaningful_worsening_alerts_the_therapist_once_a_day(patient_with_plan):
    patient = patient_with_plan
    assert not record(patient, "psfs", {"activity_1": 6, "activity_2": 6, "activity_3": 6}, 30).worse
    slightly = record(patient, "psfs", {"activity_1": 5, "activity_2": 5, "activity_3": 5}, 10)
    assert not slightly.worse and not alerts().exists()
    worse = record(patient, "psfs", {"activity_1": 4, "activity_2": 4, "activity_3": 3}, 0)
    assert worse.worse
    (alert,) = alerts()
    assert alert.status == "pending" and alert.patient == patient
    assert "Patient-Specific Functional Scale" in alert.subject
    assert "3.67, against 6 at the first rating" in alert.body
    record(patient, "psfs", {"activity_1": 3, "activity_2": 3, "activity_3": 3}, 0)
    assert alerts().count() == 1
    # It goes to the therapist, not the patient, and is not among the patient's messages.
    notifications_send(ids=[alert.pk])
    assert mail.outbox[0].to == ["lead@clinic.example"]


def test_an_ears_drop_of_5_5_from_the_last_rating_alerts(patient_with_plan):
    patient = patient_with_plan
    record(patient, "ears", ears(4), 20)  # 16
    record(patient, "ears", ears(6), 10)  # 24: better than the first
    dropped = record(patient, "ears", ears(4), 0)  # 16: 8 below the last, back to the first
    assert dropped.worse
    assert alerts().count() == 1


def test_improvement_and_the_therapists_own_record_raise_no_alert(patient_with_plan):
    patient = patient_with_plan
    record(patient, "psfs", {"activity_1": 3, "activity_2": 3, "activity_3": 3}, 20)
    assert not record(patient, "psfs", {"activity_1": 8, "activity_2": 8, "activity_3": 8}, 10).worse
    on_behalf = record(
        patient, "psfs", {"activity_1": 1, "activity_2": 1, "activity_3": 1}, 0, recorded_by=patient.therapist
    )
    assert on_behalf.worse and not alerts().exists()


def test_the_digest_lists_worse_outcomes(patient_with_plan, make_client):
    patient = patient_with_plan
    record(patient, "psfs", {"activity_1": 7, "activity_2": 7, "activity_3": 7}, 20)
    record(patient, "psfs", {"activity_1": 2, "activity_2": 2, "activity_3": 2}, 0)
    now = timezone.now().replace(hour=DIGEST_HOUR_UTC + 1, minute=0)
    therapist_digests_prepare(now=now)
    digest = patient.therapist.digests.get()
    assert "Outcomes worse" in digest.body
    assert "Robin Rowe: Patient-Specific Functional Scale is worse" in digest.body
    assert "Outcomes worse" in digest.html_body
    notifications = make_client(patient.user).get("/api/v1/me/notifications/").json()
    assert notifications["count"] == 0
    assert QuestionnaireResponse.objects.filter(worse=True).count() == 1
