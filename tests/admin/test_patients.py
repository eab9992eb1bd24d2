"""The patient pages: create a patient with their login, edit them, and the list a
therapist scans to see who is doing well."""

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ptrx.plans.admin.forms import PatientForm
from ptrx.plans.domain.red_flags import RED_FLAGS
from ptrx.plans.models import AdherenceSnapshot, Patient, PlanStatus
from ptrx.plans.services.logs import checkin_record
from ptrx.plans.services.plans import plan_generate
from tests.admin.conftest import logged_in
from tests.admin.pages import form_data
from tests.factories import CLEAR_SCREEN, make_active_plan, make_patient, make_therapist

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:plans_patient_add")
LIST_URL = reverse("admin:plans_patient_changelist")


def new_patient(**changes: Any) -> dict[str, Any]:
    data = {
        "username": "robin",
        "first_name": "Robin",
        "last_name": "Hale",
        "email": "robin@example.org",
        "password1": "gluteal-bridge-42",
        "password2": "gluteal-bridge-42",
        "branches": ["inferior", "superior"],
        "side": "left",
        "irritability": "high",
        "timezone": "Europe/Paris",
        "reminder_time": "18:30",
        "reminders_enabled": "on",
        "red_flags_screened_on": "2026-03-02",
        "plans-TOTAL_FORMS": "0",
        "plans-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_every_red_flag_question_has_a_field() -> None:
    codes = {field.code for field in PatientForm.base_fields.values() if hasattr(field, "code")}
    assert codes == set(RED_FLAGS)


def test_a_therapist_creates_a_patient_with_their_login(therapist: Any, therapist_client: Any) -> None:
    assert therapist_client.get(ADD_URL).status_code == 200
    response = therapist_client.post(ADD_URL, new_patient(red_flag_night_pain="on"))
    patient = Patient.objects.get(user__username="robin")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:plans_patient_change", args=[patient.pk])
    assert patient.therapist == therapist
    assert patient.user.check_password("gluteal-bridge-42")
    assert not patient.user.is_staff
    assert (patient.user.get_full_name(), patient.user.email) == ("Robin Hale", "robin@example.org")
    assert patient.branches == ["superior", "inferior"]  # canonical order
    assert (patient.side, patient.irritability, patient.timezone) == ("left", "high", "Europe/Paris")
    assert patient.reminder_time == dt.time(18, 30)
    assert patient.red_flags == {code: code == "night_pain" for code in RED_FLAGS}
    assert patient.red_flags_screened_on == dt.date(2026, 3, 2)


def test_a_positive_screen_warns_the_therapist(therapist_client: Any) -> None:
    response = therapist_client.post(ADD_URL, new_patient(red_flag_saddle_numbness="on"), follow=True)
    assert "Emergency red flag" in response.content.decode()


def test_a_superuser_chooses_the_therapist(admin_client: Any) -> None:
    therapist = make_therapist()
    assert admin_client.post(ADD_URL, new_patient(therapist=therapist.pk)).status_code == 302
    assert Patient.objects.get(user__username="robin").therapist == therapist


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"username": "taken"}, "username", "already exists"),
        ({"username": "no spaces"}, "username", "Enter a valid username"),
        ({"timezone": "Mars/Olympus"}, "timezone", "not a known IANA time zone"),
        ({"password2": "something-else-7"}, "password2", "differ"),
        ({"password1": "12345678", "password2": "12345678"}, "password1", "too common"),
        ({"branches": None}, "branches", "required"),
        ({"branches": ["lumbar"]}, "branches", "not one of the available choices"),
        ({"side": "up"}, "side", "not one of the available choices"),
        ({"reminder_time": "25:99"}, "reminder_time", "Enter a valid time"),
    ],
)
def test_invalid_input_is_a_form_error(therapist_client: Any, changes: Any, field: str, message: str) -> None:
    make_patient(username="taken")
    response = therapist_client.post(ADD_URL, new_patient(**changes))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors.get(field, [])), errors
    assert (
        not Patient.objects.filter(user__username=changes.get("username", "robin"))
        .exclude(user__username="taken")
        .exists()
    )


def test_a_therapist_edits_a_patient_and_a_new_red_flag_pauses_the_plan(
    plan: Any, therapist_client: Any
) -> None:
    patient = plan.patient
    url = reverse("admin:plans_patient_change", args=[patient.pk])
    page = therapist_client.get(url)
    assert page.status_code == 200
    assert reverse("admin:plans_patient_generate_plan", args=[patient.pk]) in page.content.decode()
    data = form_data(page)
    data.update({"irritability": "low", "last_name": "Stone", "red_flag_bladder_bowel": "on"})
    response = therapist_client.post(url, data, follow=True)
    assert response.status_code == 200, response.context["adminform"].form.errors
    patient.refresh_from_db()
    plan.refresh_from_db()
    assert (patient.irritability, patient.user.last_name) == ("low", "Stone")
    assert patient.red_flags["bladder_bowel"] is True
    assert patient.red_flags_screened_on == timezone.localdate()
    assert plan.status == PlanStatus.PAUSED
    assert "urgent medical care" in response.content.decode()


def _snapshot(patient: Patient, prescribed: int, completed: int, *, days_ago: int = 1) -> None:
    plan = patient.plans.first() or plan_generate(patient=patient, start=timezone.localdate())
    AdherenceSnapshot.objects.create(
        plan=plan,
        date=timezone.localdate() - dt.timedelta(days=days_ago),
        prescribed=prescribed,
        completed=completed,
    )


def test_the_list_shows_adherence_activity_and_flags_with_filters(library: Any, therapist: Any) -> None:
    adherent = make_patient(therapist=therapist, first_name="Ada")
    struggling = make_patient(therapist=therapist, first_name="Bea")
    flagged = make_patient(
        therapist=therapist, first_name="Cy", red_flags={**CLEAR_SCREEN, "night_pain": True}
    )
    quiet = make_patient(therapist=therapist, first_name="Dee")
    _snapshot(adherent, 10, 6)
    _snapshot(adherent, 10, 10, days_ago=2)  # 16 of 20 = 80%
    _snapshot(adherent, 10, 0, days_ago=9)  # outside the 7 days: not counted
    _snapshot(struggling, 10, 3)
    checkin_record(red_flags=CLEAR_SCREEN, patient=struggling, pain_now=6, flare=True)
    client = logged_in(therapist)

    response = client.get(LIST_URL)
    page = response.content.decode()
    rows = {patient.user.first_name: patient for patient in response.context["cl"].result_list}
    assert round(rows["Ada"].adherence_7d) == 80
    assert round(rows["Bea"].adherence_7d) == 30
    assert rows["Dee"].adherence_7d is None
    assert rows["Bea"].last_activity is not None and rows["Ada"].last_activity is None
    assert "80%" in page and "30%" in page and "adherence &lt; 50%" in page
    assert "red flag" in page and "flare" in page

    def shown(query: str) -> set[str]:
        result = client.get(f"{LIST_URL}?{query}").context["cl"].result_list
        return {patient.user.first_name for patient in result}

    assert shown("adherence=alert") == {"Bea"}
    assert shown("adherence=adherent") == {"Ada"}
    assert shown("adherence=none") == {"Cy", "Dee"}
    assert shown("red_flag=yes") == {"Cy"}
    assert shown("flare=yes") == {"Bea"}
    assert shown("o=3") and shown("q=Ada") == {"Ada"}
    assert flagged and quiet


def test_the_lists_adherence_window_is_the_days_over_in_the_patients_own_zone(
    library: Any, therapist: Any
) -> None:
    # At 12:00 UTC it is already tomorrow at UTC+14: the patient's yesterday is UTC's today.
    patient = make_patient(therapist=therapist, first_name="Kiri", timezone_name="Pacific/Kiritimati")
    plan = plan_generate(patient=patient, start=dt.date(2026, 3, 1))
    for day, completed in ((dt.date(2026, 3, 10), 6), (dt.date(2026, 3, 3), 0)):
        AdherenceSnapshot.objects.create(plan=plan, date=day, prescribed=10, completed=completed)
    client = logged_in(therapist)
    with time_machine.travel(dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC), tick=False):
        (row,) = client.get(LIST_URL).context["cl"].result_list
    # 11 March there: 4 to 10 March are the 7 days over; 3 March is not one of them.
    assert row.adherence_7d == 60


def test_the_list_takes_the_same_queries_for_3_and_15_patients(
    library: Any, therapist: Any, django_assert_max_num_queries: Any
) -> None:
    def add_patients(count: int) -> None:
        for _ in range(count):
            patient = make_patient(therapist=therapist)
            plan = make_active_plan(patient)
            _snapshot(patient, 10, 7)
            checkin_record(
                red_flags=CLEAR_SCREEN, patient=patient, date=plan.start_date, pain_now=3, flare=True
            )

    client = logged_in(therapist)

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(LIST_URL).status_code == 200
        return len(context)

    add_patients(3)
    few = queries()
    add_patients(12)
    with django_assert_max_num_queries(few):
        response = client.get(LIST_URL)
    assert len(response.context["cl"].result_list) == 15
