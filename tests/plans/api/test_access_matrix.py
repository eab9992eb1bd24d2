"""Object-level access over every endpoint of the published schema.

Two patients (of two therapists) each have a plan, a completion, a check-in and a
notification. Patient A must never see or touch B's objects: another patient's
object is a 404, a list never holds B's rows, a write with B's id writes nothing.
The endpoints come from the OpenAPI schema, so a new endpoint without a case here
fails `test_every_endpoint_has_a_case`.
"""

import json
import re

import pytest

from ptrx.plans.models import CheckIn, Completion, Notification, Plan, Prescription
from ptrx.plans.services.logs import checkin_record, completion_log
from tests.factories import CLEAR_SCREEN, make_active_plan, make_patient, make_therapist

pytestmark = pytest.mark.django_db

MARK = "b-private-marker"
# Request-body fields that point at a patient-owned object.
FOREIGN_KEYS = {"prescription", "plan", "patient", "completion", "checkin"}
# Paths whose objects are not patient-owned (the shared exercise library) or that
# act only on the caller's own session.
SHARED = {"/api/v1/exercises/{slug}/", "/api/v1/questionnaires/{code}/"}


@pytest.fixture
def world(library):
    a = make_patient(therapist=make_therapist(), username="patient_a")
    b = make_patient(therapist=make_therapist(), username="patient_b", first_name=MARK)
    plans = {}
    for patient in (a, b):
        plan = make_active_plan(patient)
        Plan.objects.filter(pk=plan.pk).update(title=f"{MARK} plan" if patient is b else "A plan")
        prescription = Prescription.objects.filter(phase__plan=plan, phase__number=1).first()
        completion_log(
            patient=patient, prescription_id=prescription.pk, date=plan.start_date, sets_done=1, pain_during=2,
            note=MARK if patient is b else "",
        )  # fmt: skip
        checkin_record(red_flags=CLEAR_SCREEN, patient=patient, pain_now=2, note=MARK if patient is b else "")
        Notification.objects.create(
            patient=patient,
            plan=plan,
            kind="daily",
            local_date=plan.start_date,
            body=MARK if patient is b else "hi",
        )
        plans[patient.user.username] = plan
    return {"a": a, "b": b, "plan_b": plans["patient_b"], "plan_a": plans["patient_a"]}


def schema_operations(client) -> list[tuple[str, str, dict]]:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    return [
        (method.upper(), path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def _body_fields(operation: dict, schema: dict) -> set[str]:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    ref = content.get("schema", {}).get("$ref")
    if not ref:
        return set()
    return set(schema["components"]["schemas"][ref.rsplit("/", 1)[1]].get("properties", {}))


def needs_object_case(method: str, path: str, operation: dict, schema: dict) -> bool:
    return "{" in path or bool(_body_fields(operation, schema) & FOREIGN_KEYS)


def _cases(world):
    plan_b = world["plan_b"]
    prescription_b = Prescription.objects.filter(phase__plan=plan_b).first()
    return {
        ("GET", "/api/v1/me/plans/{id}/"): lambda api: _expect_404(api.get(f"/api/v1/me/plans/{plan_b.pk}/")),
        ("POST", "/api/v1/me/completions/"): lambda api: _expect_404_writes_nothing(
            api.post(
                "/api/v1/me/completions/",
                {
                    "prescription": prescription_b.pk,
                    "date": plan_b.start_date.isoformat(),
                    "session": 2,
                    "sets_done": 1,
                    "pain_during": 1,
                },
            )
        ),
        ("GET", "/api/v1/exercises/{slug}/"): lambda api: _expect_status(
            api.get("/api/v1/exercises/bridge/"), 200
        ),
        ("GET", "/api/v1/questionnaires/{code}/"): lambda api: _expect_status(
            api.get("/api/v1/questionnaires/psfs/"), 200
        ),
        ("GET", "/api/v1/me/plans/{id}/handout.pdf"): lambda api: _expect_404(
            api.get(f"/api/v1/me/plans/{plan_b.pk}/handout.pdf")
        ),
        # No token opens a feed, A's own included: only the secret in the address does.
        ("GET", "/calendar/{secret}.ics"): lambda api: _expect_404(api.get(f"/calendar/{'f' * 64}.ics")),
    }


def _expect_status(answer, code: int) -> None:
    assert answer.status_code == code, answer.content


def _expect_404(answer) -> None:
    _expect_status(answer, 404)
    assert MARK not in answer.content.decode()


def _expect_404_writes_nothing(answer) -> None:
    _expect_404(answer)
    assert Completion.objects.filter(plan__patient__user__username="patient_b").count() == 1


def test_every_endpoint_has_a_case(client, world):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    cases = _cases(world)
    missing = [
        (method, path)
        for method, path, operation in schema_operations(client)
        if needs_object_case(method, path, operation, schema) and (method, path) not in cases
    ]
    assert missing == [], f"endpoints without an access case: {missing}"


def test_patient_a_cannot_reach_patient_bs_objects(client, world, make_client):
    api = make_client(world["a"].user)
    for check in _cases(world).values():
        check(api)


def test_lists_and_reads_never_show_another_patients_rows(client, world, make_client):
    api = make_client(world["a"].user)
    readable = [
        path for method, path, _op in schema_operations(client) if method == "GET" and "{" not in path
    ]
    assert "/api/v1/me/completions/" in readable
    for path in readable:
        answer = api.get(path)
        assert answer.status_code == 200, (path, answer.content)
        assert MARK not in answer.content.decode(), f"{path} shows another patient's data"
    # And B sees their own marker, so the check above can fail.
    own = make_client(world["b"].user).get("/api/v1/me/completions/").content.decode()
    assert MARK in own


def test_therapists_and_anonymous_callers_get_no_patient_data(client, world, make_client):
    therapist_api = make_client(world["a"].therapist)
    for method, path, _operation in schema_operations(client):
        if not path.startswith("/api/v1/me/"):
            continue
        concrete = re.sub(r"\{[^}]+\}", str(world["plan_b"].pk), path)
        answer = therapist_api.generic(method, concrete, json.dumps({}), content_type="application/json")
        assert answer.status_code == 403, (method, path)
        anonymous = client.generic(method, concrete, json.dumps({}), content_type="application/json")
        assert anonymous.status_code == 401, (method, path)
    assert CheckIn.objects.count() == 2


def test_the_calendar_secret_is_the_only_way_to_a_feed(client, world, make_client):
    url_b = make_client(world["b"].user).get("/api/v1/me/calendar/").json()["url"]
    path_b = "/" + url_b.split("/", 3)[3]
    assert client.get(path_b).status_code == 200  # the secret alone, no login
    api_a = make_client(world["a"].user)
    url_a = api_a.get("/api/v1/me/calendar/").json()["url"]
    assert url_a != url_b
    # A's own token and A's own secret are no way to B's feed, nor any near miss of B's secret.
    secret_b = path_b.removeprefix("/calendar/").removesuffix(".ics")
    for near in (secret_b[:-1], secret_b.upper(), secret_b[::-1], secret_b + "0"):
        _expect_404(api_a.get(f"/calendar/{near}.ics"))
    assert world["b"].user.first_name not in api_a.get("/" + url_a.split("/", 3)[3]).content.decode()
