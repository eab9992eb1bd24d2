"""Check-ins carry an optional client_id so an offline client can send one again safely
(DESIGN.md "The patient API": a repeat answers 200 with the first record, writes nothing)."""

import uuid

import pytest

from ptrx.plans.models import CheckIn, Notification, PlanStatus
from ptrx.plans.services.logs import checkin_record
from tests.factories import CLEAR_SCREEN, make_patient

pytestmark = pytest.mark.django_db


def test_a_repeated_client_id_answers_200_with_the_first_checkin(api, started_plan):
    client_id = str(uuid.uuid4())
    first = api.post(
        "/api/v1/me/checkins/", {"pain_now": 3, "red_flags": CLEAR_SCREEN, "client_id": client_id}
    )
    assert first.status_code == 201
    assert first.json()["client_id"] == client_id

    # A replay, even one whose body differs, returns the record already kept.
    again = api.post(
        "/api/v1/me/checkins/", {"pain_now": 7, "red_flags": CLEAR_SCREEN, "client_id": client_id}
    )
    assert again.status_code == 200
    assert again.json() == first.json()
    assert list(CheckIn.objects.values_list("pain_now", flat=True)) == [3]


def test_a_replayed_emergency_checkin_repeats_the_action_and_alerts_once(api, started_plan, patient):
    body = {
        "pain_now": 5,
        "red_flags": {**CLEAR_SCREEN, "saddle_numbness": True},
        "client_id": str(uuid.uuid4()),
    }
    assert api.post("/api/v1/me/checkins/", body).status_code == 201
    again = api.post("/api/v1/me/checkins/", body)
    assert again.status_code == 200
    assert again.json()["action"] == "seek_urgent_care"
    started_plan.refresh_from_db()
    assert started_plan.status == PlanStatus.PAUSED
    assert CheckIn.objects.count() == 1
    assert Notification.objects.filter(patient=patient, kind="red_flag").count() == 1


def test_checkins_without_client_id_are_each_recorded(api, started_plan):
    for _ in range(2):
        assert api.post("/api/v1/me/checkins/", {"pain_now": 2, "red_flags": CLEAR_SCREEN}).status_code == 201
    assert CheckIn.objects.count() == 2


def test_another_patients_same_client_id_is_their_own(api, started_plan, make_client, therapist):
    client_id = str(uuid.uuid4())
    other = make_patient(therapist=therapist)
    assert (
        api.post(
            "/api/v1/me/checkins/", {"pain_now": 1, "red_flags": CLEAR_SCREEN, "client_id": client_id}
        ).status_code
        == 201
    )
    answer = make_client(other.user).post(
        "/api/v1/me/checkins/", {"pain_now": 4, "red_flags": CLEAR_SCREEN, "client_id": client_id}
    )
    assert answer.status_code == 201
    assert answer.json()["pain_now"] == 4
    assert sorted(CheckIn.objects.values_list("patient_id", "pain_now")) == sorted(
        [(started_plan.patient_id, 1), (other.pk, 4)]
    )


@pytest.mark.parametrize(
    "client_id", ["not-a-uuid", "1234", 17, "", "{12345678-1234-5678-1234-567812345678}"]
)
def test_a_client_id_that_is_not_a_uuid_is_a_400(api, started_plan, client_id):
    answer = api.post(
        "/api/v1/me/checkins/", {"pain_now": 1, "red_flags": CLEAR_SCREEN, "client_id": client_id}
    )
    assert answer.status_code == 400
    assert "client_id" in answer.json()
    assert not CheckIn.objects.exists()


def test_the_service_returns_the_first_record_for_a_repeat(patient, started_plan):
    client_id = uuid.uuid4()
    first = checkin_record(patient=patient, pain_now=2, red_flags=CLEAR_SCREEN, client_id=client_id)
    again = checkin_record(patient=patient, pain_now=9, red_flags=CLEAR_SCREEN, client_id=client_id)
    assert (first.created, again.created) == (True, False)
    assert again.checkin.pk == first.checkin.pk
    assert again.checkin.pain_now == 2
