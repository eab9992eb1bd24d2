"""The plan pages: generate a draft from the patient's page, edit its prescriptions,
move it through its life with the services, duplicate it, and follow the patient up."""

import datetime as dt
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ptrx.exercises.models import Exercise
from ptrx.plans.domain import EXERCISE_CATEGORIES
from ptrx.plans.models import Outcome, Patient, Plan, PlanStatus, Prescription, ProgressionDecision
from ptrx.plans.services.logs import checkin_record, completion_log
from ptrx.plans.services.plans import plan_generate
from tests.admin.conftest import logged_in
from tests.admin.pages import form_data, rows
from tests.factories import CLEAR_SCREEN, make_active_plan, make_patient, make_therapist

pytestmark = pytest.mark.django_db


def change_url(plan: Plan) -> str:
    return reverse("admin:plans_plan_change", args=[plan.pk])


@pytest.fixture
def draft(patient: Patient, therapist: Any) -> Plan:
    return plan_generate(patient=patient, start=dt.date(2026, 3, 2), created_by=therapist)


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def row_of(data: dict[str, Any], prescription: Prescription) -> str:
    """The form prefix of a prescription's row on the page."""
    for index in range(rows(data)):
        if data[f"prescriptions-{index}-id"] == str(prescription.pk):
            return f"prescriptions-{index}"
    raise AssertionError(f"{prescription} is not on the page")


def first_prescription(plan: Plan) -> Prescription:
    return Prescription.objects.filter(phase__plan=plan).order_by("phase__number", "order").first()  # type: ignore[return-value]


# --- generating ---------------------------------------------------------------------


def test_generate_from_the_patients_page_lands_on_a_draft(patient: Patient, therapist_client: Any) -> None:
    url = reverse("admin:plans_patient_generate_plan", args=[patient.pk])
    page = therapist_client.get(url)
    assert page.status_code == 200
    assert page.context["adminform"].form.initial["branches"] == ["inferior"]
    response = therapist_client.post(
        url, {"branches": ["middle"], "side": "right", "irritability": "high", "start": "2026-03-02"}
    )
    plan = Plan.objects.get(patient=patient)
    assert response.status_code == 302 and response["Location"] == change_url(plan)
    assert (plan.status, plan.branches, plan.side, plan.irritability) == (
        "draft",
        ["middle"],
        "right",
        "high",
    )
    assert plan.start_date == dt.date(2026, 3, 2)
    assert Prescription.objects.filter(phase__plan=plan).exists()


def test_generate_refuses_bad_input_as_a_form_error(patient: Patient, therapist_client: Any) -> None:
    url = reverse("admin:plans_patient_generate_plan", args=[patient.pk])
    response = therapist_client.post(url, {"side": "left", "irritability": "low", "start": "not a date"})
    assert response.status_code == 200
    assert set(response.context["adminform"].form.errors) == {"branches", "start"}
    assert not Plan.objects.filter(patient=patient).exists()


def test_generate_warns_when_the_screen_is_positive(library: Any, therapist: Any) -> None:
    patient = make_patient(therapist=therapist, red_flags={**CLEAR_SCREEN, "night_pain": True})
    page = logged_in(therapist).get(reverse("admin:plans_patient_generate_plan", args=[patient.pk]))
    assert "red-flag screen is positive" in page.content.decode()


# --- editing prescriptions ------------------------------------------------------------


def test_the_therapist_changes_a_dose_and_it_is_saved(draft: Plan, therapist_client: Any) -> None:
    target = first_prescription(draft)
    data = form_data(therapist_client.get(change_url(draft)))
    row = row_of(data, target)
    data.update(
        {
            f"{row}-reps": "13",
            f"{row}-sets": "4",
            f"{row}-hold_seconds": "20",
            f"{row}-sessions_per_day": "2",
            f"{row}-days_of_week": ["0", "3"],
            f"{row}-side": "right",
            f"{row}-notes": "slowly",
        }
    )
    response = therapist_client.post(change_url(draft), data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    target.refresh_from_db()
    assert (target.sets, target.reps, target.hold_seconds, target.sessions_per_day) == (4, 13, 20, 2)
    assert (target.days_of_week, target.side, target.notes) == ([0, 3], "right", "slowly")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("reps", "0", "at least 1"),
        ("sets", "", "at least 1"),
        ("sessions_per_day", "0", "at least 1"),
        ("days_of_week", [], "at least one day"),
        ("side", "up", "not one of the available choices"),
    ],
)
def test_an_impossible_dose_is_a_form_error(
    draft: Plan, therapist_client: Any, field: str, value: Any, message: str
) -> None:
    target = first_prescription(draft)
    data = form_data(therapist_client.get(change_url(draft)))
    data[f"{row_of(data, target)}-{field}"] = value
    response = therapist_client.post(change_url(draft), data)
    assert response.status_code == 200
    errors = [
        form.errors for form in response.context["inline_admin_formsets"][0].formset.forms if form.errors
    ]
    assert len(errors) == 1 and message in str(errors[0][field]), errors
    reloaded = Prescription.objects.get(pk=target.pk)
    assert (reloaded.sets, reloaded.reps, reloaded.sessions_per_day) == (
        target.sets,
        target.reps,
        target.sessions_per_day,
    )


def _add_row(data: dict[str, Any], **fields: Any) -> None:
    index = rows(data)
    data["prescriptions-TOTAL_FORMS"] = str(index + 1)
    for name, value in fields.items():
        data[f"prescriptions-{index}-{name}"] = value


def test_adding_an_exercise_takes_the_library_dose_and_goes_last(draft: Plan, therapist_client: Any) -> None:
    phase = draft.phases.get(number=1)
    exercise = (
        Exercise.objects.exclude(prescriptions__phase=phase).filter(is_active=True, per_side=True).first()
    )
    assert exercise is not None
    data = form_data(therapist_client.get(change_url(draft)))
    _add_row(data, phase=str(phase.pk), exercise=str(exercise.pk))
    response = therapist_client.post(change_url(draft), data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    added = Prescription.objects.get(phase=phase, exercise=exercise)
    assert (added.sets, added.reps, added.hold_seconds) == (
        exercise.sets,
        exercise.reps,
        exercise.hold_seconds,
    )
    assert added.side == draft.side  # a per-side exercise follows the plan's side
    assert added.days_of_week and added.order == phase.prescriptions.count()
    assert list(phase.prescriptions.order_by("order").values_list("order", flat=True)) == list(
        range(1, phase.prescriptions.count() + 1)
    )


def test_an_exercise_twice_in_a_phase_or_retired_is_refused(draft: Plan, therapist_client: Any) -> None:
    phase = draft.phases.get(number=1)
    present = phase.prescriptions.first().exercise  # type: ignore[union-attr]
    retired = Exercise.objects.exclude(prescriptions__phase=phase).first()
    assert retired is not None
    Exercise.objects.filter(pk=retired.pk).update(is_active=False)
    for exercise, message in ((present, "already"), (retired, "retired")):
        data = form_data(therapist_client.get(change_url(draft)))
        _add_row(data, phase=str(phase.pk), exercise=str(exercise.pk))
        response = therapist_client.post(change_url(draft), data)
        assert response.status_code == 200
        assert message in str(response.context["inline_admin_formsets"][0].formset.errors)
    assert phase.prescriptions.filter(exercise=retired).count() == 0


def test_removing_and_reordering(draft: Plan, therapist_client: Any) -> None:
    phase = draft.phases.get(number=1)
    first, second, *_rest, last = list(phase.prescriptions.order_by("order"))
    data = form_data(therapist_client.get(change_url(draft)))
    data[f"{row_of(data, second)}-DELETE"] = "on"
    data[f"{row_of(data, last)}-order"] = "0"
    response = therapist_client.post(change_url(draft), data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    assert not Prescription.objects.filter(pk=second.pk).exists()
    in_order = list(phase.prescriptions.order_by("order"))
    assert in_order[0] == last and in_order[1] == first
    assert [p.order for p in in_order] == list(range(1, len(in_order) + 1))


def test_an_exercise_the_patient_has_logged_cannot_be_removed(plan: Plan, therapist_client: Any) -> None:
    logged = plan.phases.get(number=1).prescriptions.first()
    assert logged is not None
    completion_log(
        patient=plan.patient, prescription_id=logged.pk, date=plan.start_date, sets_done=1, pain_during=1
    )
    data = form_data(therapist_client.get(change_url(plan)))
    data[f"{row_of(data, logged)}-DELETE"] = "on"
    response = therapist_client.post(change_url(plan), data)
    assert response.status_code == 200
    assert "logged session" in str(response.context["inline_admin_formsets"][0].formset.non_form_errors())
    assert Prescription.objects.filter(pk=logged.pk).exists()


def test_the_therapist_records_the_intake_baseline_pain(plan: Plan, therapist_client: Any) -> None:
    page = therapist_client.get(change_url(plan))
    assert "lower median next-morning pain" in page.content.decode()
    data = form_data(page)

    refused = therapist_client.post(change_url(plan), {**data, "baseline_pain": "11"})
    assert refused.status_code == 200
    assert "baseline_pain" in refused.context["adminform"].form.errors
    plan.refresh_from_db()
    assert plan.baseline_pain is None

    response = therapist_client.post(change_url(plan), {**data, "baseline_pain": "4"})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.baseline_pain == 4

    response = therapist_client.post(change_url(plan), {**data, "baseline_pain": ""})
    plan.refresh_from_db()
    assert plan.baseline_pain is None


# --- moving the plan through its life -------------------------------------------------


def test_save_and_activate(draft: Plan, therapist_client: Any) -> None:
    page = therapist_client.get(change_url(draft))
    assert "Save and activate" in page.content.decode()
    data = form_data(page)
    response = therapist_client.post(change_url(draft), {**data, "title": "Robin's plan", "_activate": "1"})
    assert response.status_code == 302 and response["Location"] == change_url(draft)
    draft.refresh_from_db()
    assert (draft.status, draft.title) == (PlanStatus.ACTIVE, "Robin's plan")
    assert any("is activated" in message for message in messages_of(response))


def test_activation_refused_shows_the_services_reason(draft: Plan, therapist_client: Any) -> None:
    Patient.objects.filter(pk=draft.patient_id).update(red_flags={**CLEAR_SCREEN, "bladder_bowel": True})
    page = therapist_client.get(change_url(draft))
    assert "Red-flag screen positive: New or worse trouble controlling" in page.content.decode()
    data = form_data(page)
    response = therapist_client.post(change_url(draft), {**data, "_activate": "1"}, follow=True)
    draft.refresh_from_db()
    assert draft.status == PlanStatus.DRAFT
    assert any("red-flag screen has a positive answer" in m for m in messages_of(response))

    Patient.objects.filter(pk=draft.patient_id).update(red_flags={})
    make_active_plan(draft.patient)
    response = therapist_client.post(change_url(draft), {**data, "_activate": "1"}, follow=True)
    draft.refresh_from_db()
    assert draft.status == PlanStatus.DRAFT
    assert any("already has an active plan" in m for m in messages_of(response))


def test_pause_then_complete_makes_the_plan_read_only(plan: Plan, therapist_client: Any) -> None:
    for button, status in (("_pause", PlanStatus.PAUSED), ("_complete", PlanStatus.COMPLETED)):
        data = form_data(therapist_client.get(change_url(plan)))
        assert therapist_client.post(change_url(plan), {**data, button: "1"}).status_code == 302
        plan.refresh_from_db()
        assert plan.status == status
    page = therapist_client.get(change_url(plan))
    assert page.status_code == 200
    assert 'name="prescriptions-0-reps"' not in page.content.decode()
    assert "Save and" not in page.content.decode()
    assert therapist_client.post(change_url(plan), {"title": "rewritten"}).status_code == 403


def test_list_actions_report_each_refusal(draft: Plan, therapist: Any, therapist_client: Any) -> None:
    flagged = plan_generate(
        patient=make_patient(therapist=therapist, red_flags={**CLEAR_SCREEN, "night_pain": True}),
        start=dt.date(2026, 3, 2),
    )
    response = therapist_client.post(
        reverse("admin:plans_plan_changelist"),
        {"action": "activate_plans", "_selected_action": [draft.pk, flagged.pk]},
        follow=True,
    )
    draft.refresh_from_db()
    flagged.refresh_from_db()
    assert (draft.status, flagged.status) == (PlanStatus.ACTIVE, PlanStatus.DRAFT)
    texts = messages_of(response)
    assert any("is activated" in m for m in texts)
    assert any("red-flag screen has a positive answer" in m for m in texts)


# --- duplicating ------------------------------------------------------------------------


def test_duplicate_for_another_of_the_therapists_patients(plan: Plan, therapist: Any) -> None:
    client = logged_in(therapist)
    newcomer = make_patient(therapist=therapist, side="right")
    stranger = make_patient(therapist=make_therapist())
    url = reverse("admin:plans_plan_duplicate", args=[plan.pk])
    assert client.get(url).status_code == 200
    refused = client.post(url, {"patient": stranger.pk, "start": "2026-04-01"})
    assert refused.status_code == 200 and "patient" in refused.context["adminform"].form.errors
    response = client.post(url, {"patient": newcomer.pk, "start": "2026-04-01"})
    copy = Plan.objects.get(patient=newcomer)
    assert response["Location"] == change_url(copy)
    assert (copy.status, copy.start_date) == (PlanStatus.DRAFT, dt.date(2026, 4, 1))
    assert (
        Prescription.objects.filter(phase__plan=copy).count()
        == Prescription.objects.filter(phase__plan=plan).count()
    )


# --- following up -------------------------------------------------------------------------


def test_the_plan_page_shows_adherence_pain_and_decisions(plan: Plan, therapist_client: Any) -> None:
    prescription = (
        plan.phases.get(number=1).prescriptions.filter(exercise__category__in=EXERCISE_CATEGORIES).first()
    )
    assert prescription is not None
    completion_log(
        patient=plan.patient,
        prescription_id=prescription.pk,
        date=plan.start_date,
        sets_done=1,
        pain_during=6,
    )
    checkin_record(
        red_flags=CLEAR_SCREEN,
        patient=plan.patient,
        date=plan.start_date,
        pain_now=4,
        pain_next_morning=2,
        note="stiff",
    )
    ProgressionDecision.objects.create(
        plan=plan,
        date=plan.start_date,
        outcome=Outcome.HOLD,
        reasons=[{"code": "red_pain", "text": "Pain during exercise reached 6/10 this week."}],
        from_phase=1,
        to_phase=1,
    )
    page = therapist_client.get(change_url(plan)).content.decode()
    assert page.count("<svg xmlns=") >= 2
    assert "pain during exercise (highest that day) 6/10" in page
    assert "next-morning pain 2/10" in page
    assert "Pain during exercise reached 6/10 this week." in page
    assert prescription.exercise.name in page and "stiff" in page
    assert "http://" not in page.split("<svg", 1)[1].split("</svg>")[0].replace(
        "http://www.w3.org/2000/svg", ""
    )


def test_the_plan_page_takes_the_same_queries_for_few_and_many_prescriptions(
    library: Any, therapist: Any, django_assert_max_num_queries: Any
) -> None:
    client = logged_in(therapist)
    small = make_active_plan(make_patient(therapist=therapist))
    large = make_active_plan(make_patient(therapist=therapist, branches=["superior", "middle", "inferior"]))
    keep = first_prescription(small)
    Prescription.objects.filter(phase__plan=small).exclude(pk=keep.pk).delete()
    for plan in (small, large):
        prescription = first_prescription(plan)
        completion_log(
            patient=plan.patient,
            prescription_id=prescription.pk,
            date=plan.start_date,
            sets_done=1,
            pain_during=2,
        )
        checkin_record(red_flags=CLEAR_SCREEN, patient=plan.patient, date=plan.start_date, pain_now=2)
    assert Prescription.objects.filter(phase__plan=large).count() > 10

    with CaptureQueriesContext(connection) as context:
        assert client.get(change_url(small)).status_code == 200
    with django_assert_max_num_queries(len(context)):
        assert client.get(change_url(large)).status_code == 200


def test_the_plan_page_shows_each_days_estimated_session(plan: Plan, therapist_client: Any) -> None:
    page = therapist_client.get(change_url(plan)).content.decode()
    assert "Phase 1: Calm and protect" in page
    assert page.count("the week at a glance") == plan.phases.count()
    # A generated plan keeps every day within a home session, so nothing is marked over.
    assert page.count('class="ptrx-day-total"') == 7 * plan.phases.count()
    assert "Over the limit</strong>" not in page


def test_the_plan_page_offers_the_protocols_options_for_the_current_phase(
    plan: Plan, therapist_client: Any
) -> None:
    # Inferior phase 4 offers the single-leg deadlift and squat; phase 1 offers nothing.
    assert "none for this phase" in therapist_client.get(change_url(plan)).content.decode()
    Plan.objects.filter(pk=plan.pk).update(current_phase=4)
    page = therapist_client.get(change_url(plan)).content.decode()
    assert "Single-leg" in page and "Once the step-up is easy" in page
