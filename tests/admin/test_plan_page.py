"""The plan page as a therapist uses it (issue 18): phases as sections, the week at a
glance, one-click easier or harder, the patient at a glance, the exercise picker, and
no edit lost when a row is refused."""

from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ptrx.exercises.models import Exercise
from ptrx.plans.domain.precautions import PRECAUTIONS
from ptrx.plans.models import Patient, Plan, PlanView, Prescription
from ptrx.plans.services.logs import checkin_record, completion_log
from ptrx.plans.services.prescriptions import prescription_add
from tests.admin.conftest import logged_in
from tests.admin.pages import form_data, rows
from tests.factories import CLEAR_SCREEN, make_active_plan, make_patient, make_therapist

pytestmark = pytest.mark.django_db


def change_url(plan: Plan) -> str:
    return reverse("admin:plans_plan_change", args=[plan.pk])


def step_url(plan: Plan) -> str:
    return reverse("admin:plans_plan_step", args=[plan.pk])


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def prescribed(plan: Plan, phase: int, slug: str) -> Prescription:
    return Prescription.objects.select_related("exercise").get(
        phase__plan=plan, phase__number=phase, exercise__slug=slug
    )


def row_of(data: dict[str, Any], prescription: Prescription) -> str:
    for index in range(rows(data)):
        if data[f"prescriptions-{index}-id"] == str(prescription.pk):
            return f"prescriptions-{index}"
    raise AssertionError(f"{prescription} is not on the page")


# --- phases as sections -----------------------------------------------------------------


def test_the_current_phase_comes_first_and_open_past_phases_folded(plan: Plan, therapist_client: Any) -> None:
    Plan.objects.filter(pk=plan.pk).update(current_phase=2)
    page = therapist_client.get(change_url(plan)).content.decode()
    starts = {number: page.index(f'id="phase-{number}"') for number in (1, 2, 3, 4)}
    assert starts[2] < starts[3] < starts[4] < starts[1]  # current, later, then past
    phase_1 = page[starts[1] :].split("</summary>")[0]
    phase_2 = page[starts[2] :].split("</summary>")[0]
    assert "<details open>" in phase_2 and "current phase" in phase_2
    assert "<details>" in phase_1 and "past phase" in phase_1


def test_each_phase_has_an_empty_row_that_adds_to_it(plan: Plan, therapist_client: Any) -> None:
    response = therapist_client.get(change_url(plan))
    data = form_data(response)
    phases = list(plan.phases.order_by("number"))
    new_rows = [index for index in range(rows(data)) if not data[f"prescriptions-{index}-id"]]
    assert [data[f"prescriptions-{index}-phase"] for index in new_rows] == [str(p.pk) for p in phases]
    row = f"prescriptions-{new_rows[1]}"  # phase 2's empty row
    data[f"{row}-exercise"] = str(Exercise.objects.get(slug="bird-dog").pk)
    response = therapist_client.post(change_url(plan), data)
    assert response.status_code == 302, response.context and response.context["row_problems"]
    added = prescribed(plan, 2, "bird-dog")
    assert (added.sets, added.reps) == (added.exercise.sets, added.exercise.reps)  # the library's dose


def test_a_day_over_the_limit_is_marked_in_words(plan: Plan, therapist_client: Any) -> None:
    assert "Over the limit</strong>" not in therapist_client.get(change_url(plan)).content.decode()
    phase = plan.phases.get(number=1)
    for slug in ("bird-dog", "clam", "bridge", "side-bridge-knees"):
        prescription_add(phase=phase, exercise=Exercise.objects.get(slug=slug), days_of_week=[0])
    page = therapist_client.get(change_url(plan)).content.decode()
    week = page[page.index('id="phase-1"') : page.index('id="phase-2"')]
    monday = week.split('<td class="ptrx-day')[1]
    assert "ptrx-over" in monday and "7 exercises" in monday and "Over the limit</strong>" in monday
    assert week.count("Over the limit</strong>") == 1  # only Monday


# --- easier or harder in one action -------------------------------------------------------


def easier_step(plan: Plan) -> tuple[Prescription, Exercise]:
    """A prescription of the plan whose easier rung it can take (not seated, not in its phase)."""
    in_phase = set(Prescription.objects.filter(phase__plan=plan).values_list("phase__number", "exercise_id"))
    for prescription in Prescription.objects.filter(phase__plan=plan).select_related(
        "phase", "exercise__regression"
    ):
        rung = prescription.exercise.regression_or_none
        if rung and rung.position != "sitting" and (prescription.phase.number, rung.pk) not in in_phase:
            return prescription, rung
    raise AssertionError("no prescription can step down")


def test_easier_takes_the_rung_below_at_its_library_dose_and_is_recorded(
    plan: Plan, therapist: Any, therapist_client: Any
) -> None:
    prescription, rung = easier_step(plan)
    Prescription.objects.filter(pk=prescription.pk).update(
        notes="Keep the hips level", reps=3, days_of_week=[1, 4]
    )
    before = Plan.objects.get(pk=plan.pk).updated_at
    response = therapist_client.post(step_url(plan), {"step": f"{prescription.pk}:easier"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"#phase-{prescription.phase.number}")
    prescription.refresh_from_db()
    assert prescription.exercise == rung
    assert (prescription.sets, prescription.reps, prescription.hold_seconds) == (
        rung.sets,
        rung.reps,
        rung.hold_seconds,
    )
    assert prescription.notes == "" and prescription.days_of_week == [1, 4]  # the days stay
    assert Plan.objects.get(pk=plan.pk).updated_at > before
    entry = LogEntry.objects.filter(object_id=str(plan.pk), user=therapist).latest("action_time")
    assert "prescription" in entry.get_change_message() and str(prescription) in entry.change_message
    assert any(f"is now {rung.name}" in message for message in messages_of(response))


def test_a_refused_step_names_the_row_and_changes_nothing(plan: Plan, therapist_client: Any) -> None:
    # Phase 1 of an inferior plan: the slider's next rung is the seated slump slider.
    slider = prescribed(plan, 1, "supine-sciatic-slider")
    response = therapist_client.post(step_url(plan), {"step": f"{slider.pk}:harder"})
    assert response.status_code == 302
    [message] = messages_of(response)
    assert message.startswith("Phase 1, Lying nerve slider: not changed.") and "sitting" in message
    # Down from standing breathing lands on a seated rung, which this branch never takes.
    standing = prescribed(plan, 3, "diaphragmatic-breathing-standing")
    message = messages_of(therapist_client.post(step_url(plan), {"step": f"{standing.pk}:easier"}))[-1]
    assert "Phase 3, Belly breathing standing: not changed." in message and "sitting" in message
    # The bottom rung has no easier one.
    bottom = prescribed(plan, 1, "abdominal-draw-in")
    message = messages_of(therapist_client.post(step_url(plan), {"step": f"{bottom.pk}:easier"}))[-1]
    assert "has no easier rung" in message
    for prescription in (slider, standing, bottom):
        assert Prescription.objects.get(pk=prescription.pk).exercise_id == prescription.exercise_id


def test_a_step_needs_a_post_and_the_therapists_own_plan(plan: Plan, therapist_client: Any) -> None:
    slider = prescribed(plan, 1, "supine-sciatic-slider")
    assert therapist_client.get(step_url(plan)).status_code == 405
    other = logged_in(make_therapist(username="ben"))
    response = other.post(step_url(plan), {"step": f"{slider.pk}:easier"})
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")
    # Garbage or a prescription of another plan is refused with a message.
    stranger = make_active_plan(make_patient(therapist=make_therapist(username="cai")))
    foreign = Prescription.objects.filter(phase__plan=stranger).first()
    for value in ("nonsense", f"{slider.pk}:sideways", f"{foreign.pk}:easier"):  # type: ignore[union-attr]
        response = therapist_client.post(step_url(plan), {"step": value})
        assert messages_of(response)[-1] == "Choose a prescription of this plan to step."


# --- nothing lost -------------------------------------------------------------------------


def test_a_refused_row_is_named_and_the_other_rows_edits_stay(plan: Plan, therapist_client: Any) -> None:
    data = form_data(therapist_client.get(change_url(plan)))
    draw_in = prescribed(plan, 1, "abdominal-draw-in")
    slider = prescribed(plan, 1, "supine-sciatic-slider")
    data[f"{row_of(data, draw_in)}-reps"] = "14"
    data[f"{row_of(data, slider)}-exercise"] = str(Exercise.objects.get(slug="seated-slump-slider").pk)
    response = therapist_client.post(change_url(plan), data)
    assert response.status_code == 200
    [problem] = response.context["row_problems"]
    # The row is named by its saved exercise; the message names the refused one.
    assert problem.startswith("Phase 1, row ") and "(Lying nerve slider)" in problem
    assert "Seated nerve slider is done sitting" in problem
    page = response.content.decode()
    assert f'name="{row_of(data, draw_in)}-reps" value="14"' in page
    assert Prescription.objects.get(pk=draw_in.pk).reps == draw_in.reps  # nothing saved
    assert Prescription.objects.get(pk=slider.pk).exercise.slug == "supine-sciatic-slider"


# --- the patient in one glance --------------------------------------------------------------


def test_the_glance_counts_what_is_new_since_the_therapist_last_opened_the_plan(
    plan: Plan, therapist: Any, therapist_client: Any
) -> None:
    first = therapist_client.get(change_url(plan))
    assert first.context["glance"].changes.since is None
    glance = first.content.decode().split('id="glance-heading"')[1].split("</section>")[0]
    assert "inferior; left" in glance and "Moderate" in glance and "First time you open this plan" in glance
    assert "Red-flag screen</dt><dd>Clear, screened" in glance
    seen = PlanView.objects.get(therapist=therapist, plan=plan).last_seen_at
    prescription = prescribed(plan, 1, "abdominal-draw-in")
    completion_log(
        patient=plan.patient,
        prescription_id=prescription.pk,
        date=plan.start_date,
        sets_done=1,
        pain_during=2,
    )
    checkin_record(red_flags=CLEAR_SCREEN, patient=plan.patient, date=plan.start_date, pain_now=4)
    second = therapist_client.get(change_url(plan))
    changes = second.context["glance"].changes
    assert changes.since == seen
    assert (changes.completions, changes.checkins, changes.decisions) == (1, 1, 0)
    assert "1 new completion, 1 check-in, 0 progression decisions" in second.content.decode()
    assert "pain 4/10" in second.content.decode()
    third = therapist_client.get(change_url(plan)).context["glance"].changes
    assert (third.completions, third.checkins) == (0, 0)
    Patient.objects.filter(pk=plan.patient.pk).update(red_flags={**CLEAR_SCREEN, "saddle_numbness": True})
    assert (
        "Red-flag screen</dt><dd><strong>Positive</strong>"
        in therapist_client.get(change_url(plan)).content.decode()
    )
    # Another therapist's visits are their own.
    lead = make_therapist(username="lead")
    Patient.objects.filter(pk=plan.patient.pk).update(therapist=lead)
    assert logged_in(lead).get(change_url(plan)).context["glance"].changes.completions == 1


# --- the exercise picker ----------------------------------------------------------------------


def picker(client: Any, term: str) -> list[str]:
    response = client.get(
        reverse("admin:exercises_exercise_picker"),
        {"term": term, "app_label": "plans", "model_name": "prescription", "field_name": "exercise"},
    )
    assert response.status_code == 200
    return [result["text"] for result in response.json()["results"]]


def test_the_picker_filters_by_category_branch_and_position_and_shows_the_ladder(
    library: Any, therapist_client: Any
) -> None:
    glides = picker(therapist_client, "category:glide")
    assert glides and all("neurodynamic glide" in text for text in glides)
    seated = picker(therapist_client, "category:glide position:sitting")
    assert seated == [
        "Seated nerve slider (neurodynamic glide, level 2, sitting; easier: Lying nerve slider; "
        "harder: Lying nerve tensioner)",
        *seated[1:],
    ]
    assert all("sitting;" in text for text in seated)
    found = picker(therapist_client, "branch:inferior category:core")
    expected = [
        exercise.name
        for exercise in Exercise.objects.filter(category="core_strength", is_active=True)
        if "inferior" in exercise.branches
    ]
    assert 0 < len(found) == len(expected) < len(picker(therapist_client, "category:core"))
    assert all(any(text.startswith(f"{name} (core strength, level") for text in found) for name in expected)
    Exercise.objects.filter(slug="bird-dog").update(is_active=False)
    assert not any(text.startswith("Bird dog (") for text in picker(therapist_client, "bird"))


# --- queries -------------------------------------------------------------------------------


def plan_with(therapist: Any, count: int) -> Plan:
    """An active plan (middle branch) with exactly `count` prescriptions over its phases."""
    plan = make_active_plan(make_patient(therapist=therapist, branches=["middle"]))
    Prescription.objects.filter(phase__plan=plan).delete()
    phases = list(plan.phases.order_by("number"))
    exercises = list(Exercise.objects.order_by("slug"))
    for index in range(count):
        prescription_add(phase=phases[index % len(phases)], exercise=exercises[index // len(phases)])
    first = Prescription.objects.filter(phase__plan=plan).first()
    completion_log(
        patient=plan.patient, prescription_id=first.pk, date=plan.start_date, sets_done=1, pain_during=2
    )  # type: ignore[union-attr]
    checkin_record(red_flags=CLEAR_SCREEN, patient=plan.patient, date=plan.start_date, pain_now=2)
    return plan


def test_the_plan_page_takes_the_same_queries_for_10_and_40_prescriptions(
    library: Any, therapist: Any, django_assert_max_num_queries: Any
) -> None:
    client = logged_in(therapist)
    small, large = plan_with(therapist, 10), plan_with(therapist, 40)
    assert Prescription.objects.filter(phase__plan=large).count() == 40
    for visit in ("first", "again"):  # a first visit records the view; a later one updates it
        with CaptureQueriesContext(connection) as context:
            assert client.get(change_url(small)).status_code == 200
        with django_assert_max_num_queries(len(context)):
            assert client.get(change_url(large)).status_code == 200, visit


def test_the_page_is_for_the_plans_own_therapist(plan: Plan) -> None:
    other = logged_in(make_therapist(username="ben"))
    assert other.get(change_url(plan)).status_code == 302
    assert not PlanView.objects.filter(plan=plan).exists()


def test_the_glance_names_the_patients_precautions(plan: Plan, therapist_client: Any) -> None:
    def glance() -> str:
        page = therapist_client.get(change_url(plan)).content.decode()
        return page.split('id="glance-heading"')[1].split("</section>")[0]

    assert "Precautions</dt><dd>none recorded" in glance()
    Patient.objects.filter(pk=plan.patient.pk).update(precautions=["osteoporosis", "pregnancy"])
    shown = glance()
    assert PRECAUTIONS["pregnancy"].label in shown and PRECAUTIONS["osteoporosis"].label in shown
