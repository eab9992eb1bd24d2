"""The precaution screen at intake (CLINICAL.md §9): create_patient --precaution, the
plan generated around it with its swaps recorded, clearance after a recent procedure,
and no precaution code shown to the patient."""

import json
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from ptrx.plans.domain.precautions import PRECAUTION_CODES
from ptrx.plans.models import Patient, Plan, PlanStatus, Prescription
from ptrx.plans.services.patients import patient_create
from ptrx.plans.services.plans import plan_activate, plan_generate
from tests.conftest import client_for
from tests.factories import PASSWORD, make_patient, make_therapist

pytestmark = pytest.mark.django_db


def create_patient(*extra: str) -> dict:
    out = StringIO()
    call_command(
        "create_patient", "pat", "--password", PASSWORD, "--therapist", "drjones",
        "--branch", "inferior", "--branch", "middle", "--side", "left", "--start", "2026-11-02", *extra,
        stdout=out,
    )  # fmt: skip
    return json.loads(out.getvalue())


@pytest.fixture
def dr_jones(library):
    return make_therapist(username="drjones")


def test_create_patient_takes_repeatable_precautions_and_plans_around_them(dr_jones):
    ids = create_patient("--precaution", "pregnancy", "--precaution", "osteoporosis")
    patient = Patient.objects.get(pk=ids["patient"])
    assert patient.precautions == ["pregnancy", "osteoporosis"]
    plan = Plan.objects.get(pk=ids["plan"])
    assert plan.status == PlanStatus.ACTIVE
    prescribed = Prescription.objects.filter(phase__plan=plan).select_related("exercise")
    assert not [
        p.exercise.slug for p in prescribed if {"pregnancy", "osteoporosis"} & set(p.exercise.precautions)
    ]
    changes = {(change["phase"], change["exercise"]): change for change in plan.precaution_changes}
    assert changes[(1, "diaphragmatic-breathing-supine")]["precautions"] == ["pregnancy"]
    # Lying face down is out; its stand-in (the bridge) would displace the marching bridge
    # the phase already has, so it is left out.
    assert (changes[(3, "prone-hip-extension")]["action"], changes[(3, "prone-hip-extension")]["replacement"]) == (
        "left_out", None,
    )  # fmt: skip
    phase_3 = set(prescribed.filter(phase__number=3).values_list("exercise__slug", flat=True))
    assert "marching-bridge" in phase_3 and "bridge" not in phase_3
    # Cat-camel is the superior branch's: nothing about it is recorded for this patient.
    assert "cat-camel" not in {exercise for _phase, exercise in changes}


def test_an_unknown_precaution_exits_non_zero_and_creates_nothing(dr_jones):
    with pytest.raises(CommandError, match="invalid choice"):
        create_patient("--precaution", "flying")
    assert not Patient.objects.exists()


def test_a_recent_procedure_refuses_activation_until_clearance(dr_jones):
    with pytest.raises(CommandError, match="clearance"):
        create_patient("--precaution", "recent_procedure")
    assert not Patient.objects.exists()
    ids = create_patient("--precaution", "recent_procedure", "--no-plan")
    patient = Patient.objects.get(pk=ids["patient"])
    plan = plan_generate(patient=patient, start=patient.created_at.date())
    with pytest.raises(ValidationError, match="record the clearance date"):
        plan_activate(plan=plan)
    Patient.objects.filter(pk=patient.pk).update(precautions_cleared_on=patient.created_at.date())
    plan.refresh_from_db()
    assert plan_activate(plan=plan).status == PlanStatus.ACTIVE


def test_clearance_given_at_intake_lets_the_plan_start(dr_jones):
    ids = create_patient("--precaution", "recent_procedure", "--cleared-on", "2026-11-01")
    assert Plan.objects.get(pk=ids["plan"]).status == PlanStatus.ACTIVE
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        create_patient("--precaution", "recent_procedure", "--cleared-on", "soon")


def test_the_service_refuses_unknown_codes_by_field(therapist, library):
    with pytest.raises(ValidationError) as refused:
        patient_create(
            username="x", password=PASSWORD, therapist=therapist, branches=["inferior"], side="left",
            precautions=["pregnancy", "flying"],
        )  # fmt: skip
    assert "flying" in refused.value.message_dict["precautions"][0]


def test_the_patient_api_never_shows_a_precaution_code(library, therapist):
    patient = make_patient(therapist=therapist, precautions=list(PRECAUTION_CODES))
    patient.precautions_cleared_on = patient.created_at.date()
    patient.save()
    plan = plan_activate(plan=plan_generate(patient=patient, start=patient.created_at.date()))
    api = client_for(patient.user)
    for path in ("/api/v1/me/", "/api/v1/me/plans/", f"/api/v1/me/plans/{plan.pk}/", "/api/v1/exercises/",
                 "/api/v1/exercises/mcgill-curl-up/", "/api/v1/me/today/"):  # fmt: skip
        body = api.get(path).content.decode()
        assert not [code for code in PRECAUTION_CODES if code in body], path
