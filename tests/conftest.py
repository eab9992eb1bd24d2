"""Fixtures shared by the whole suite: the library, patients with plans, API clients."""

import os
from collections.abc import Callable

import pytest
from django.core.cache import cache
from django.db import connection
from knox.models import AuthToken
from rest_framework.test import APIClient

from ptrx.counters import counters_clear
from ptrx.exercises.services import library_load
from ptrx.outcomes.services import questionnaires_load
from ptrx.plans.models import Patient, Plan, Protocol
from ptrx.plans.services.protocols import protocols_load_fixture
from tests.factories import make_active_plan, make_patient, make_therapist

ON_POSTGRES = connection.vendor == "postgresql"
HAS_REDIS = bool(os.environ.get("REDIS_URL"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # In CI (REQUIRE_SERVICES=1) a test that needs PostgreSQL or Redis must run, not skip.
    required = os.environ.get("REQUIRE_SERVICES") == "1"
    for item in items:
        if "postgres" in item.keywords and not ON_POSTGRES:
            if required:
                raise pytest.UsageError("REQUIRE_SERVICES=1 but DATABASE_URL is not PostgreSQL")
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)"))
        if "redis" in item.keywords and not HAS_REDIS:
            if required:
                raise pytest.UsageError("REQUIRE_SERVICES=1 but REDIS_URL is not set")
            item.add_marker(pytest.mark.skip(reason="needs Redis (set REDIS_URL)"))


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [f"ptrx: database {connection.vendor}, broker {'redis' if HAS_REDIS else 'filesystem'}"]


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    # Throttle counters live in the cache (or the counters file); each test starts with none.
    cache.clear()
    counters_clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:  # type: ignore[no-untyped-def]
    # PBKDF2's deliberate slowness is half a second per patient; tests need no such cost.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _load_library() -> None:
    library_load()
    protocols_load_fixture()
    questionnaires_load()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker) -> None:  # type: ignore[no-untyped-def]
    # Loaded once for the session; each test's transaction rolls back over it.
    with django_db_blocker.unblock():
        _load_library()


@pytest.fixture
def library(db: None) -> None:
    """The exercise library and protocols, loaded as `make run` loads them (again after a
    transactional test has emptied the tables)."""
    if not Protocol.objects.exists():
        _load_library()


@pytest.fixture
def therapist(db: None):  # type: ignore[no-untyped-def]
    return make_therapist()


@pytest.fixture
def patient(library: None, therapist) -> Patient:  # type: ignore[no-untyped-def]
    return make_patient(therapist=therapist, timezone_name="Europe/London")


@pytest.fixture
def plan(patient: Patient) -> Plan:
    return make_active_plan(patient)


def client_for(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    _instance, token = AuthToken.objects.create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def api(patient: Patient) -> APIClient:
    """An API client authenticated as `patient`."""
    return client_for(patient.user)


@pytest.fixture
def make_client() -> Callable[..., APIClient]:
    return client_for
