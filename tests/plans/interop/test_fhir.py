"""The FHIR export validated with fhir.resources' R4 (4.0.1) models, one plan per
branch set; every reference resolves inside the Bundle."""

import datetime as dt
from typing import Any

import pytest
from fhir.resources import __fhir_version__
from fhir.resources.bundle import Bundle

from ptrx.plans.models import CheckIn, Completion, Plan, PlanStatus, Prescription
from ptrx.plans.services.logs import checkin_record, completion_log
from ptrx.plans.services.plans import plan_pause
from tests.factories import CLEAR_SCREEN, make_active_plan, make_patient, make_therapist

pytestmark = pytest.mark.django_db

# fhir.resources checks structure and types, not bound value sets: the R4 codes checked here.
CAREPLAN_STATUSES = {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"}
ACTIVITY_STATUSES = {
    "not-started", "scheduled", "in-progress", "on-hold", "completed", "cancelled", "stopped", "unknown",
    "entered-in-error",
}  # fmt: skip
BRANCH_SETS = [
    ["superior"],
    ["middle"],
    ["inferior"],
    ["superior", "inferior"],
    ["superior", "middle", "inferior"],
]


def references(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [value["reference"]] if isinstance(value.get("reference"), str) else []
        return found + [ref for item in value.values() for ref in references(item)]
    if isinstance(value, list):
        return [ref for item in value for ref in references(item)]
    return []


def logged(patient, plan: Plan) -> None:
    day = plan.start_date
    for prescription in Prescription.objects.filter(phase__plan=plan, phase__number=1).exclude(
        exercise__category="education"
    )[:2]:
        completion_log(patient=patient, prescription_id=prescription.pk, date=day, sets_done=1, pain_during=3)
    checkin_record(patient=patient, date=day, pain_now=4, pain_next_morning=2, red_flags=CLEAR_SCREEN)


def test_the_models_are_fhir_r4():
    assert __fhir_version__ == "4.0.1"


def test_every_plan_status_maps_to_an_r4_code():
    from ptrx.plans.interop.fhir import CAREPLAN_STATUS

    assert set(CAREPLAN_STATUS) == set(PlanStatus)
    assert set(CAREPLAN_STATUS.values()) <= CAREPLAN_STATUSES


@pytest.mark.parametrize("branches", BRANCH_SETS, ids=["+".join(b) for b in BRANCH_SETS])
def test_the_bundle_validates_as_fhir_r4_and_its_references_resolve(library, make_client, branches):
    patient = make_patient(branches=branches, side="bilateral", timezone_name="Europe/London")
    plan = make_active_plan(patient, start=dt.date.today() - dt.timedelta(days=2))
    logged(patient, plan)
    answer = make_client(patient.user).get("/api/v1/me/export/fhir/")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/fhir+json"
    assert "no-store" in answer["Cache-Control"]
    data = answer.json()
    bundle = Bundle.parse_obj(data)
    assert bundle.type == "collection"
    full_urls = [entry["fullUrl"] for entry in data["entry"]]
    assert len(set(full_urls)) == len(full_urls)
    assert set(references(data)) <= set(full_urls)
    by_type: dict[str, list[dict]] = {}
    for entry in data["entry"]:
        by_type.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    assert len(by_type["Patient"]) == 1 and by_type["Patient"][0]["name"] == [{"given": ["Sam"]}]
    (care_plan,) = by_type["CarePlan"]
    assert care_plan["status"] == "active" and care_plan["intent"] == "plan"
    assert care_plan["category"][0]["coding"][0] == {
        "system": "http://snomed.info/sct", "code": "229065009", "display": "Exercise therapy",
    }  # fmt: skip
    assert care_plan["period"] == {"start": plan.start_date.isoformat()}
    prescriptions = list(Prescription.objects.filter(phase__plan=plan).select_related("exercise", "phase"))
    assert len(care_plan["activity"]) == len(prescriptions)
    names = {activity["detail"]["code"]["text"] for activity in care_plan["activity"]}
    assert names == {p.exercise.name for p in prescriptions}
    statuses = {activity["detail"]["status"] for activity in care_plan["activity"]}
    assert statuses == {"in-progress", "not-started"} and statuses <= ACTIVITY_STATUSES
    pains = by_type["Observation"]
    assert all(o["code"]["coding"][0]["system"] == "http://loinc.org" for o in pains)
    assert all(o["code"]["coding"][0]["code"] == "72514-3" for o in pains)
    assert sorted(o["valueInteger"] for o in pains) == [2, 3, 3, 4]


def test_an_activity_carries_its_schedule_and_dose(api, plan):
    prescription = (
        Prescription.objects.filter(phase__plan=plan, phase__number=1)
        .exclude(exercise__category="education")
        .select_related("exercise")[0]
    )
    Prescription.objects.filter(pk=prescription.pk).update(
        days_of_week=[0, 3], sessions_per_day=2, sets=2, reps=8
    )
    data = api.get("/api/v1/me/export/fhir/").json()
    (care_plan,) = [e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == "CarePlan"]
    detail = next(
        a["detail"]
        for a in care_plan["activity"]
        if a["detail"]["code"]["text"] == prescription.exercise.name
    )
    repeat = detail["scheduledTiming"]["repeat"]
    assert repeat["dayOfWeek"] == ["mon", "thu"]
    assert (repeat["frequency"], repeat["period"], repeat["periodUnit"]) == (2, 1, "d")
    assert repeat["boundsPeriod"] == {"start": plan.start_date.isoformat()}
    assert "2 sets of 8" in detail["description"] and "twice a day" in detail["description"]
    assert detail["code"]["coding"][0]["code"] == prescription.exercise.slug


@pytest.mark.parametrize(
    ("move", "expected"),
    [
        (lambda plan: plan_pause(plan=plan), "on-hold"),
        (lambda plan: Plan.objects.filter(pk=plan.pk).update(status=PlanStatus.COMPLETED), "completed"),
    ],
)
def test_the_plan_status_is_mapped(api, plan, move, expected):
    move(plan)
    data = api.get("/api/v1/me/export/fhir/").json()
    Bundle.parse_obj(data)
    (care_plan,) = [e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == "CarePlan"]
    assert care_plan["status"] == expected
    assert {a["detail"]["status"] for a in care_plan["activity"]} <= ACTIVITY_STATUSES


def test_another_patients_records_are_not_in_the_bundle(api, plan, library):
    other = make_patient(therapist=make_therapist(), first_name="Other")
    other_plan = make_active_plan(other)
    logged(other, other_plan)
    text = api.get("/api/v1/me/export/fhir/").content.decode()
    assert "Other" not in text and f'plan-{other_plan.pk}"' not in text
    assert (
        Completion.objects.filter(plan=other_plan).exists() and CheckIn.objects.filter(patient=other).exists()
    )


def test_the_bundle_takes_the_same_queries_however_much_is_logged(api, patient, django_assert_num_queries):
    plan = make_active_plan(patient, start=dt.date.today() - dt.timedelta(days=10))
    logged(patient, plan)
    with django_assert_num_queries(6) as small_run:
        assert api.get("/api/v1/me/export/fhir/").status_code == 200
    for days_ago in range(1, 8):
        day = dt.date.today() - dt.timedelta(days=days_ago)
        for prescription in Prescription.objects.filter(phase__plan=plan, phase__number=1).exclude(
            exercise__category="education"
        ):
            completion_log(
                patient=patient, prescription_id=prescription.pk, date=day, sets_done=1, pain_during=2
            )
        checkin_record(patient=patient, date=day, pain_now=3, red_flags=CLEAR_SCREEN)
    with django_assert_num_queries(len(small_run.captured_queries)):
        assert api.get("/api/v1/me/export/fhir/").status_code == 200
