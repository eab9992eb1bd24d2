"""Schemathesis against the published schema, in-process, as a patient with a plan:
every check, positive and negative data, then the stateful phase along links between
operations; a fixed seed. No server error, no response outside the schema, no
schema-valid input refused and no schema-invalid input accepted."""

import json
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, seed, settings
from knox.models import AuthToken
from schemathesis import DataGenerationMethod, GenerationConfig
from schemathesis.checks import not_a_server_error
from schemathesis.constants import NOT_SET
from schemathesis.specs.openapi import checks as openapi_checks
from schemathesis.specs.openapi._hypothesis import get_schema_for_location
from schemathesis.transports.responses import get_payload

from ptrx.plans.api.views import WriteRateThrottle
from tests.factories import make_active_plan

pytestmark = pytest.mark.django_db

# Schema-valid input the API may still refuse, for rules no schema can state: a date
# outside the patient's own range (in the future, before registration or the plan),
# a `from` after `to`, a session past the prescription's sessions_per_day, a wrong password,
# a questionnaire code the clinic has not loaded and answers that do not fit the items of
# the questionnaire named (each has its own). A 400 naming any other field for
# schema-valid input is a mismatch between schema and validation.
RULES_NO_SCHEMA_STATES = {"date", "from", "session", "non_field_errors", "code", "answers"}


def positive_data_acceptance(ctx: Any, response: Any, case: Any) -> bool | None:
    """Schemathesis's check of the same name, except for the rules above."""
    if response.status_code == 400:
        try:
            errors = json.loads(get_payload(response))
        except ValueError:
            errors = None
        if isinstance(errors, dict) and set(errors) <= RULES_NO_SCHEMA_STATES:
            return None
    return openapi_checks.positive_data_acceptance(ctx, response, case)


def negative_data_rejection(ctx: Any, response: Any, case: Any) -> bool | None:
    """Schemathesis's check of the same name, where something invalid was sent: a body, a
    path or a declared query parameter's value. It also marks as negative extra headers and
    query names (which HTTP lets a server ignore), and bodies and paths it did not send."""
    meta = case.meta
    sent_body = case.body is not NOT_SET and case.body is not None
    if meta is None or (meta.body and meta.body.is_negative and sent_body):
        return openapi_checks.negative_data_rejection(ctx, response, case)
    if meta.path_parameters and meta.path_parameters.is_negative and case.path_parameters:
        return openapi_checks.negative_data_rejection(ctx, response, case)
    if meta.query and meta.query.is_negative and case.query:
        parameters = case.operation.query
        names = {parameter.name for parameter in parameters}
        declared = {name: value for name, value in case.query.items() if name in names}
        schema = get_schema_for_location(case.operation, "query", parameters)
        if not case.operation.schema.validator_cls(schema).is_valid(declared):
            return openapi_checks.negative_data_rejection(ctx, response, case)
    return None


CHECKS = (
    not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.response_schema_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    openapi_checks.missing_required_header,
    openapi_checks.unsupported_method,
    openapi_checks.use_after_free,
    openapi_checks.ensure_resource_availability,
    openapi_checks.ignored_auth,
)
FUZZ = settings(
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.filter_too_much,
    ],
)


@pytest.fixture
def patient_token(patient, settings, monkeypatch) -> str:
    make_active_plan(patient)
    # The limits have their own tests; here they would only turn fuzzing into 429s.
    settings.LOGIN_FAILURES_PER_USERNAME = settings.LOGIN_FAILURES_PER_ADDRESS = 10**6
    monkeypatch.setattr(WriteRateThrottle, "THROTTLE_RATES", {"writes": "1000000/min"})
    _instance, token = AuthToken.objects.create(user=patient.user)
    return token


@pytest.fixture
def raw_schema(client) -> dict[str, Any]:
    return client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


@pytest.fixture
def wsgi_in_test_transaction(raw_schema):
    # The real WSGI handler closes the database connection after each request, which
    # would end the test's transaction; Django's own test client stops that the same way
    # (and puts it back after each of its requests: so this comes after the last one).
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


def load_schema(raw: dict[str, Any], methods: list[DataGenerationMethod] | None = None) -> Any:
    return schemathesis.from_dict(
        raw,
        app=WSGIHandler(),
        data_generation_methods=methods or DataGenerationMethod.all(),
        # The token is this test's to give; a generated one would only ever be a 401.
        generation_config=GenerationConfig(with_security_parameters=False),
        # Logging out would revoke the token the rest of the run uses; it has its own tests.
    ).exclude(path="/api/v1/auth/logout/")


@pytest.fixture
def api_schema(raw_schema, patient_token, wsgi_in_test_transaction):
    return load_schema(raw_schema)


schema = schemathesis.from_pytest_fixture("api_schema")


@schema.parametrize()
@seed(20261121)
@settings(FUZZ, max_examples=25)
def test_api_conforms_to_its_schema(case, patient_token):
    auth = {"Authorization": f"Bearer {patient_token}"}
    # On the case and given explicitly: the auth check takes both away to try without.
    case.headers = {**(case.headers or {}), **auth}
    case.call_and_validate(headers=auth, checks=CHECKS)


def test_api_conforms_to_its_schema_along_links(raw_schema, patient_token, wsgi_in_test_transaction):
    # Positive data only: mixed with negative data, Hypothesis reports the state machine's
    # own generation as inconsistent between runs. The test above covers negative data.
    api = load_schema(raw_schema, [DataGenerationMethod.positive])
    # One link into each target per status code: the state machine names a rule by its
    # target and status, so a second one would replace the first.
    links = [
        ("/api/v1/me/plans/", "GET", "/api/v1/me/plans/{id}/", "200", {"id": "$response.body#/results/0/id"}),
        ("/api/v1/me/checkins/", "POST", "/api/v1/me/today/", "201", {"date": "$response.body#/date"}),
        (
            "/api/v1/me/completions/",
            "POST",
            "/api/v1/me/completions/",
            "201",
            {"from": "$response.body#/date", "to": "$response.body#/date"},
        ),
    ]
    for source, method, target, status, parameters in links:
        api.add_link(
            source=api[source][method], target=api[target]["GET"], status_code=status, parameters=parameters
        )

    auth = {"Authorization": f"Bearer {patient_token}"}

    class Workflow(api.as_state_machine()):  # type: ignore[misc]
        # Each scenario starts from the same database: what Hypothesis generates next
        # follows the responses, and must not change from one run to the next.
        def setup(self) -> None:
            self.savepoint = transaction.savepoint()

        def teardown(self) -> None:
            transaction.savepoint_rollback(self.savepoint)

        def before_call(self, case: Any) -> None:
            case.headers = {**(case.headers or {}), **auth}

        def validate_response(self, response: Any, case: Any, additional_checks: Any = ()) -> None:
            # The headers given, so the auth check knows which to take away.
            case.validate_response(response, checks=CHECKS, headers=auth)

    # Generation only: replaying or shrinking a run whose steps follow earlier responses
    # meets a database that has moved on.
    Workflow.run(
        settings=settings(
            FUZZ, max_examples=10, stateful_step_count=5, database=None, phases=[Phase.generate]
        )
    )
