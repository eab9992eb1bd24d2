"""Who may use the admin, and what they see there: a therapist only their own patients."""

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from ptrx.plans.models import Plan
from ptrx.plans.services.logs import checkin_record, completion_log
from ptrx.plans.services.patients import THERAPISTS_GROUP
from tests.admin.conftest import logged_in
from tests.factories import CLEAR_SCREEN, PASSWORD, make_active_plan, make_patient, make_therapist

pytestmark = pytest.mark.django_db


def test_the_therapists_group_has_exactly_what_a_therapist_needs() -> None:
    group = Group.objects.get(name=THERAPISTS_GROUP)
    assert set(group.permissions.values_list("content_type__app_label", "codename")) == {
        ("plans", "view_patient"),
        ("plans", "add_patient"),
        ("plans", "change_patient"),
        ("plans", "view_plan"),
        ("plans", "add_plan"),
        ("plans", "change_plan"),
        ("plans", "view_prescription"),
        ("plans", "add_prescription"),
        ("plans", "change_prescription"),
        ("plans", "delete_prescription"),
        ("plans", "view_completion"),
        ("plans", "view_checkin"),
        ("exercises", "view_exercise"),
        ("outcomes", "view_questionnaire"),
        ("outcomes", "view_questionnaireresponse"),
        ("outcomes", "add_questionnaireresponse"),
    }


def test_a_therapist_logs_in_and_a_patient_cannot(patient: Any, therapist: Any, client: Any) -> None:
    login = reverse("admin:login")
    refused = client.post(login, {"username": patient.user.username, "password": PASSWORD, "next": "/admin/"})
    assert refused.status_code == 200
    assert "staff account" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("admin:index")).status_code == 302

    accepted = client.post(login, {"username": therapist.username, "password": PASSWORD, "next": "/admin/"})
    assert accepted.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_another_therapists_patient_and_plan_are_not_found(plan: Plan) -> None:
    patient = plan.patient
    other = logged_in(make_therapist())
    for url in (
        reverse("admin:plans_patient_change", args=[patient.pk]),
        reverse("admin:plans_patient_generate_plan", args=[patient.pk]),
        reverse("admin:plans_plan_change", args=[plan.pk]),
        reverse("admin:plans_plan_duplicate", args=[plan.pk]),
        reverse("admin:plans_plan_handout", args=[plan.pk]),
        reverse("admin:plans_plan_fhir", args=[plan.pk]),
    ):
        response = other.get(url, follow=True)
        assert response.redirect_chain[-1][0] == reverse("admin:index"), url
        assert "Perhaps it was deleted?" in response.content.decode(), url
    # Nor can they change it by posting.
    other.post(reverse("admin:plans_plan_change", args=[plan.pk]), {"title": "hijacked", "_pause": "1"})
    plan.refresh_from_db()
    assert (plan.title, plan.status) != ("hijacked", "paused")
    assert plan.status == "active"


def test_each_list_shows_only_the_therapists_own_records(plan: Plan, therapist: Any) -> None:
    mine = plan.patient
    others = make_active_plan(make_patient(therapist=make_therapist(), first_name="Otto"))
    for own_plan in (plan, others):
        prescription = own_plan.phases.get(number=1).prescriptions.first()
        completion_log(
            patient=own_plan.patient,
            prescription_id=prescription.pk,
            date=own_plan.start_date,
            sets_done=1,
            pain_during=2,
        )
        checkin_record(
            red_flags=CLEAR_SCREEN,
            patient=own_plan.patient,
            date=own_plan.start_date,
            pain_now=2,
            note=f"note-{own_plan.pk}",
        )
    client = logged_in(therapist)
    for name in ("patient", "plan", "completion", "checkin"):
        response = client.get(reverse(f"admin:plans_{name}_changelist"))
        assert response.status_code == 200
        assert list(response.context["cl"].result_list) and all(
            _patient_of(row) == mine for row in response.context["cl"].result_list
        ), name
    # The patient filter of the completions list names no one else's patient.
    filters = client.get(reverse("admin:plans_completion_changelist")).content.decode()
    assert "Otto" not in filters


def _patient_of(row: Any) -> Any:
    for path in ("patient", "plan.patient"):
        target = row
        try:
            for part in path.split("."):
                target = getattr(target, part)
        except AttributeError:
            continue
        return target
    return row


def test_a_superuser_sees_every_patient(admin_client: Any, patient: Any) -> None:
    other = make_patient(therapist=make_therapist())
    response = admin_client.get(reverse("admin:plans_patient_changelist"))
    assert {row.pk for row in response.context["cl"].result_list} == {patient.pk, other.pk}
    assert admin_client.get(reverse("admin:plans_patient_change", args=[other.pk])).status_code == 200


def test_the_patient_autocomplete_offers_only_the_therapists_own(patient: Any, therapist: Any) -> None:
    stranger = make_patient(therapist=make_therapist(), first_name=patient.user.first_name)
    query = {
        "app_label": "plans",
        "model_name": "plan",
        "field_name": "patient",
        "term": patient.user.first_name,
    }
    results = logged_in(therapist).get(reverse("admin:autocomplete"), query).json()["results"]
    assert {int(item["id"]) for item in results} == {patient.pk}
    assert stranger.pk != patient.pk
