"""Schemathesis against the published schema, in-process, as a patient with a plan:
every check, a fixed seed; no server error, no response outside the schema."""

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, seed, settings
from knox.models import AuthToken
from schemathesis.checks import ALL_CHECKS

from tests.factories import make_active_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient_token(patient) -> str:
    make_active_plan(patient)
    _instance, token = AuthToken.objects.create(user=patient.user)
    return token


@pytest.fixture
def api_schema(client, patient_token):
    raw = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    # The real WSGI handler closes the database connection after each request, which
    # would end the test's transaction; Django's own test client stops that the same way.
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    # Logging out would revoke the token the rest of the run uses; it has its own tests.
    yield schemathesis.from_dict(raw, app=WSGIHandler()).exclude(path="/api/v1/auth/logout/")
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


schema = schemathesis.from_pytest_fixture("api_schema")


@schema.parametrize()
@seed(20261121)
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.filter_too_much,
    ],
)
def test_api_conforms_to_its_schema(case, patient_token):
    case.call_and_validate(headers={"Authorization": f"Bearer {patient_token}"}, checks=ALL_CHECKS)
