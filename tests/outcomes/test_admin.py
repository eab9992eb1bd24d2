"""Recording a response on the patient's behalf in the admin, the plan page's trends and
the patient list's flag, through the Django test client."""

import datetime as dt

import pytest
from django.urls import reverse

from ptrx.outcomes.models import QuestionnaireResponse
from ptrx.outcomes.services import response_record
from tests.admin.conftest import logged_in
from tests.factories import make_therapist

pytestmark = pytest.mark.django_db


def record_url(patient, code="psfs"):
    return reverse("admin:outcomes_questionnaireresponse_record", args=[patient.pk, code])


def test_a_therapist_records_a_response_for_their_patient(plan, therapist_client, therapist):
    patient = plan.patient
    page = therapist_client.get(reverse("admin:plans_patient_change", args=[patient.pk])).content.decode()
    assert record_url(patient) in page and record_url(patient, "ears") in page
    answered = therapist_client.post(
        record_url(patient),
        {"date": plan.start_date.isoformat(), "activity_1": 4, "activity_2": 5, "activity_3": 6},
    )
    assert answered.status_code == 302
    response = QuestionnaireResponse.objects.get()
    assert (response.score, response.recorded_by, response.date) == (5.0, therapist, plan.start_date)


def test_a_missing_item_is_a_form_error_on_its_field(plan, therapist_client):
    page = therapist_client.post(
        record_url(plan.patient), {"date": plan.start_date.isoformat(), "activity_1": 4, "activity_2": 5}
    )
    assert page.status_code == 200
    assert page.context["adminform"].form.errors == {"activity_3": ["this item needs an answer."]}
    future = therapist_client.post(
        record_url(plan.patient),
        {
            "date": (plan.start_date + dt.timedelta(days=3)).isoformat(),
            "activity_1": 4,
            "activity_2": 5,
            "activity_3": 1,
        },
    )
    assert "date" in future.context["adminform"].form.errors
    assert not QuestionnaireResponse.objects.exists()


def test_another_therapists_patient_and_an_unknown_code_are_not_found(plan):
    other = logged_in(make_therapist())
    for url in (record_url(plan.patient), record_url(plan.patient, "odi")):
        answer = other.post(url, {"activity_1": 1, "activity_2": 1, "activity_3": 1}, follow=True)
        assert answer.redirect_chain[-1][0] == reverse("admin:index")
    assert not QuestionnaireResponse.objects.exists()


def test_the_plan_page_shows_each_trend_and_the_list_flags_a_worse_outcome(plan, therapist_client):
    patient = plan.patient
    for day, value in ((0, 7), (0, 3)):
        response_record(
            patient=patient, code="psfs", answers=dict.fromkeys(("activity_1", "activity_2", "activity_3"), value),
            date=plan.start_date + dt.timedelta(days=day),
        )  # fmt: skip
    page = therapist_client.get(reverse("admin:plans_plan_change", args=[plan.pk])).content.decode()
    assert "Outcome measures" in page and 'class="band"' in page and "meaningfully worse" in page
    listing = reverse("admin:plans_patient_changelist")
    flagged = therapist_client.get(listing, {"outcome_worse": "yes"})
    assert [p.pk for p in flagged.context["cl"].result_list] == [patient.pk]
    assert "outcome worse" in flagged.content.decode()
    assert list(therapist_client.get(listing, {"outcome_worse": "no"}).context["cl"].result_list) == []
    # Better again: the latest response is no longer worse, and the flag goes.
    response_record(
        patient=patient, code="psfs", answers=dict.fromkeys(("activity_1", "activity_2", "activity_3"), 8),
        date=plan.start_date,
    )  # fmt: skip
    assert list(therapist_client.get(listing, {"outcome_worse": "yes"}).context["cl"].result_list) == []
