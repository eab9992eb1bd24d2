"""Every list page takes the same number of queries whatever the number of rows."""

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ptrx.plans.services.logs import checkin_record, completion_log
from ptrx.plans.services.plans import plan_generate
from tests.admin.conftest import logged_in
from tests.factories import CLEAR_SCREEN, make_active_plan, make_patient

pytestmark = pytest.mark.django_db

PAGES = [
    reverse("admin:plans_plan_changelist"),
    reverse("admin:plans_completion_changelist"),
    reverse("admin:plans_checkin_changelist"),
]


def add_patients(therapist: Any, count: int) -> Any:
    for _ in range(count):
        plan = make_active_plan(make_patient(therapist=therapist))
        for prescription in plan.phases.get(number=1).prescriptions.all()[:3]:
            completion_log(
                patient=plan.patient,
                prescription_id=prescription.pk,
                date=plan.start_date,
                sets_done=1,
                pain_during=1,
            )
        checkin_record(red_flags=CLEAR_SCREEN, patient=plan.patient, date=plan.start_date, pain_now=1)
    return plan


def test_lists_and_a_patients_page_do_not_grow_with_rows(
    library: Any, therapist: Any, django_assert_max_num_queries: Any
) -> None:
    client = logged_in(therapist)

    def counts(pages: list[str]) -> list[int]:
        result = []
        for url in pages:
            with CaptureQueriesContext(connection) as context:
                assert client.get(url).status_code == 200, url
            result.append(len(context))
        return result

    plan = add_patients(therapist, 1)
    patient_page = reverse("admin:plans_patient_change", args=[plan.patient.pk])
    few = counts([*PAGES, patient_page])
    add_patients(therapist, 4)
    for _ in range(3):  # and more plans on the one patient's page
        plan_generate(patient=plan.patient, start=plan.start_date)
    for url, limit in zip([*PAGES, patient_page], few, strict=True):
        with django_assert_max_num_queries(limit):
            assert client.get(url).status_code == 200
