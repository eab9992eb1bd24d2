"""The handout read back with pdftotext: every exercise with its dose and days, the
urgent-care box, the traffic light, the therapist; the patient's own plans only."""

import re

import pytest

from ptrx.plans.domain.dose import dose_text
from ptrx.plans.interop.handout import latin1, urgent_care_signs
from ptrx.plans.models import Phase, Plan, Prescription
from ptrx.plans.services.prescriptions import prescription_update
from tests.factories import make_active_plan, make_patient, make_therapist
from tests.plans.interop.conftest import pdf_pages_to_png, pdf_text

pytestmark = pytest.mark.django_db


def url(plan: Plan) -> str:
    return f"/api/v1/me/plans/{plan.pk}/handout.pdf"


def words(text: str) -> str:
    """Text with its line breaks and runs of spaces made single spaces."""
    return re.sub(r"\s+", " ", text)


def test_the_handout_lists_every_exercise_of_the_current_phase_with_its_dose(api, plan, tmp_path):
    answer = api.get(url(plan))
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf"
    assert "no-store" in answer["Cache-Control"]
    assert answer.content.startswith(b"%PDF")
    text = words(pdf_text(answer.content, tmp_path))
    prescriptions = Prescription.objects.filter(phase__plan=plan, phase__number=1).select_related("exercise")
    assert prescriptions.count() >= 3
    for prescription in prescriptions:
        assert prescription.exercise.name in text
        assert words(prescription.exercise.instructions[0]) in text
        if prescription.kind == "exercise":
            dose = dose_text(
                sets=prescription.sets,
                reps=prescription.reps,
                hold_seconds=prescription.hold_seconds,
                side=prescription.side,
            )
            assert f"Dose: {dose}" in text
    assert "Stop exercising and get urgent medical care the same day" in text
    for sign in urgent_care_signs():
        assert words(latin1(sign)) in text
    assert "0-3 green" in text and "4-5 amber" in text and "6-10 red" in text
    assert f"Your therapist: {plan.patient.therapist.get_username()}" in text
    assert "Home exercises for Sam" in text
    # Only the current phase unless asked.
    later = Prescription.objects.filter(phase__plan=plan, phase__number=4).select_related("exercise")
    assert "Phase 2:" not in text
    assert any(p.exercise.name not in text for p in later)


def test_every_phase_on_request_and_on_us_letter(api, plan, tmp_path):
    answer = api.get(url(plan), {"phases": "all", "paper": "letter"})
    assert answer.status_code == 200
    text = words(pdf_text(answer.content, tmp_path))
    for phase in Phase.objects.filter(plan=plan):
        assert f"Phase {phase.number}: {phase.name}" in text
        for prescription in phase.prescriptions.select_related("exercise"):
            assert prescription.exercise.name in text
    # US Letter is 612 x 792 points, A4 595 x 842.
    assert b"/MediaBox [0 0 612.00 792.00]" in answer.content
    assert b"/MediaBox [0 0 595.28 841.89]" in api.get(url(plan)).content


def test_days_and_times_a_day_come_from_the_prescription(api, plan, tmp_path):
    prescription = (
        Prescription.objects.filter(
            phase__plan=plan, phase__number=1, exercise__category="core_strength"
        ).first()
        or Prescription.objects.filter(phase__plan=plan, phase__number=1)
        .exclude(exercise__category="education")
        .first()
    )
    prescription_update(
        prescription=prescription, sets=3, reps=7, hold_seconds=12, sessions_per_day=3, days_of_week=[0, 2, 4],
        notes="Slow on the way down",
    )  # fmt: skip
    text = words(pdf_text(api.get(url(plan)).content, tmp_path))
    assert "3 sets of 7, hold 12 s" in text
    assert "When: Mon, Wed, Fri, 3 times a day" in text
    assert "From your therapist: Slow on the way down" in text


def test_the_pages_are_written_for_looking_at(api, plan):
    pages = pdf_pages_to_png(api.get(url(plan), {"phases": "all"}).content, "handout-a4-all")
    assert len(pages) >= 4
    assert all(page.stat().st_size > 5000 for page in pages)
    pdf_pages_to_png(api.get(url(plan), {"paper": "letter"}).content, "handout-letter-current")


def test_names_outside_latin1_are_printed_without_failing(library, tmp_path, make_client):
    patient = make_patient(first_name="Zoë Łukasz 李", timezone_name="Europe/Warsaw")
    plan = make_active_plan(patient)
    answer = make_client(patient.user).get(url(plan))
    assert answer.status_code == 200
    assert "Home exercises for Zoë Lukasz ?" in words(pdf_text(answer.content, tmp_path))


def test_another_patients_plan_and_bad_options(api, plan, library):
    other = make_active_plan(make_patient(therapist=make_therapist()))
    assert api.get(url(other)).status_code == 404
    assert api.get("/api/v1/me/plans/999999/handout.pdf").status_code == 404
    bad = api.get(url(plan), {"paper": "a3", "phases": "some"})
    assert bad.status_code == 400
    assert set(bad.json()) == {"paper", "phases"}


def test_a_draft_is_not_the_patients_to_print(api, patient):
    from ptrx.plans.services.plans import plan_generate

    draft = plan_generate(patient=patient, start=patient.created_at.date())
    assert api.get(url(draft)).status_code == 404


def test_the_handout_takes_the_same_queries_however_long_the_plan(api, patient, django_assert_num_queries):
    from tests.plans.api.conftest import plan_with_prescriptions

    small = plan_with_prescriptions(patient, 2)
    with django_assert_num_queries(4) as small_run:
        assert api.get(url(small)).status_code == 200
    Plan.objects.filter(pk=small.pk).update(status="completed")
    large = plan_with_prescriptions(patient, 12)
    with django_assert_num_queries(len(small_run.captured_queries)):
        assert api.get(url(large)).status_code == 200
