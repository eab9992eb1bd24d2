"""The plan page's downloads: the handout and the FHIR Bundle, for the therapist's own
patients' plans only."""

from typing import Any

import pytest
from django.urls import reverse
from fhir.resources.bundle import Bundle

from ptrx.plans.models import Plan, Prescription
from ptrx.plans.services.plans import plan_generate
from tests.admin.conftest import logged_in
from tests.plans.interop.conftest import pdf_text

pytestmark = pytest.mark.django_db


def test_the_plan_page_links_the_downloads(plan: Plan, therapist_client: Any) -> None:
    page = therapist_client.get(reverse("admin:plans_plan_change", args=[plan.pk])).content.decode()
    handout = reverse("admin:plans_plan_handout", args=[plan.pk])
    assert f'href="{handout}"' in page and "Print handout" in page
    assert f'href="{handout}?phases=all"' in page and f'href="{handout}?paper=letter"' in page
    assert f'href="{handout}?phases=all&amp;paper=letter"' in page
    assert f'href="{reverse("admin:plans_plan_fhir", args=[plan.pk])}"' in page


def test_the_therapist_prints_the_handout_of_a_draft_too(
    patient: Any, therapist: Any, therapist_client: Any, tmp_path: Any
) -> None:
    draft = plan_generate(patient=patient, start=patient.created_at.date(), created_by=therapist)
    answer = therapist_client.get(reverse("admin:plans_plan_handout", args=[draft.pk]), {"phases": "all"})
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    assert "no-store" in answer["Cache-Control"]
    text = pdf_text(answer.content, tmp_path)
    for prescription in Prescription.objects.filter(phase__plan=draft).select_related("exercise"):
        assert prescription.exercise.name in text.replace("\n", " ")
    assert f"Your therapist: {therapist.get_username()}" in text


def test_a_bad_handout_option_is_an_error_message_on_the_plan_page(plan: Plan, therapist_client: Any) -> None:
    answer = therapist_client.get(
        reverse("admin:plans_plan_handout", args=[plan.pk]), {"paper": "a3"}, follow=True
    )
    assert answer.redirect_chain[-1][0] == reverse("admin:plans_plan_change", args=[plan.pk])
    assert "No handout: unknown paper" in answer.content.decode()


def test_the_fhir_download_is_the_plan_as_an_r4_bundle(plan: Plan, therapist_client: Any) -> None:
    answer = therapist_client.get(reverse("admin:plans_plan_fhir", args=[plan.pk]))
    assert answer.status_code == 200 and answer["Content-Type"] == "application/fhir+json"
    bundle = Bundle.parse_raw(answer.content)
    care_plans = [entry.resource for entry in bundle.entry if entry.resource.resource_type == "CarePlan"]
    assert [care_plan.id for care_plan in care_plans] == [f"plan-{plan.pk}"]


def test_a_superuser_reaches_every_plan(plan: Plan, django_user_model: Any) -> None:
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "pw-long-enough-1")
    assert logged_in(admin).get(reverse("admin:plans_plan_handout", args=[plan.pk])).status_code == 200
