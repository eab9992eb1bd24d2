"""Request limits and response headers (DESIGN.md: Limits): body size, JSON depth,
the write throttle under concurrency, privacy headers, JSON 404s under /api/."""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from asgiref.testing import ApplicationCommunicator
from django.core.asgi import get_asgi_application
from knox.models import AuthToken

from tests.factories import CLEAR_SCREEN, PASSWORD

pytestmark = pytest.mark.django_db

DEEP = "[" * 1000 + "]" * 1000
# Deeper than the limit (32) but shallow enough for Python's decoder.
FIFTY_DEEP = "[" * 50 + "]" * 50


@pytest.mark.parametrize("body", [DEEP, FIFTY_DEEP, '{"a":' * 40 + "1" + "}" * 40])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/auth/token/"),
        ("patch", "/api/v1/me/"),
        ("post", "/api/v1/me/completions/"),
        ("post", "/api/v1/me/checkins/"),
    ],
)
def test_deeply_nested_json_is_a_400_with_a_message(api, method, path, body):
    answer = getattr(api, method)(path, body, content_type="application/json")
    assert answer.status_code == 400
    assert "nested deeper than 32" in answer.json()["detail"]


def test_json_within_the_depth_limit_is_parsed(api, plan):
    answer = api.post("/api/v1/me/checkins/", {"pain_now": 2, "red_flags": CLEAR_SCREEN, "note": "fine"})
    assert answer.status_code == 201


def test_a_body_over_the_limit_is_a_413_whatever_its_type(api, plan):
    big = {"pain_now": 1, "padding": "x" * 300_000}
    answer = api.post("/api/v1/me/checkins/", big)
    assert answer.status_code == 413
    assert "256 KB" in answer.json()["detail"]
    # No parser exists for this type: the size is refused before it would be a 415.
    plain = api.post("/api/v1/auth/token/", "x" * 300_000, content_type="text/plain")
    assert plain.status_code == 413
    assert not plan.patient.checkins.exists()


def test_a_body_just_under_the_limit_is_served(api, plan):
    body = json.dumps({"pain_now": 1, "red_flags": CLEAR_SCREEN, "padding": "x" * 200_000})
    assert api.post("/api/v1/me/checkins/", body, content_type="application/json").status_code == 201


def test_a_body_streamed_without_a_length_is_limited_too():
    # ASGI: chunks of a body with no Content-Length; only what is read can be counted.
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/auth/token/",
        "raw_path": b"/api/v1/auth/token/",
        "query_string": b"",
        "headers": [(b"host", b"localhost"), (b"content-type", b"application/json")],
        "server": ("localhost", 80),
        "client": ("127.0.0.1", 5000),
    }
    communicator = ApplicationCommunicator(get_asgi_application(), scope)

    async def exchange() -> int:
        for _ in range(5):
            await communicator.send_input({"type": "http.request", "body": b" " * 100_000, "more_body": True})
        await communicator.send_input({"type": "http.request", "body": b"{}", "more_body": False})
        start = await communicator.receive_output(timeout=10)
        await communicator.receive_output(timeout=10)
        return int(start["status"])

    from asgiref.sync import async_to_sync

    assert async_to_sync(exchange)() == 413


def test_patient_data_and_tokens_are_not_cached(client, api, patient):
    for path in ("/api/v1/me/", "/api/v1/me/today/", "/api/v1/me/plans/", "/api/v1/me/checkins/"):
        assert "no-store" in api.get(path)["Cache-Control"], path
    token = client.post(
        "/api/v1/auth/token/",
        {"username": patient.user.username, "password": PASSWORD},
        content_type="application/json",
    )
    assert token.status_code == 200
    assert "no-store" in token["Cache-Control"]


def test_every_response_has_a_policy_for_scripts_and_powerful_features(client, api, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    for answer in (client.get("/admin/login/"), client.get("/api/docs/"), api.get("/api/v1/me/")):
        policy = answer["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert "camera=()" in answer["Permissions-Policy"]


def test_unmatched_api_paths_answer_json_404_under_debug(client, settings):
    settings.DEBUG = True
    for path in ("/api/v1/nothing-here/", "/api/v2/me/", "/api/v1/me/plans/notanumber/"):
        answer = client.get(path)
        assert answer.status_code == 404
        assert answer.json() == {"detail": "Not found."}


@pytest.mark.django_db(transaction=True)
def test_write_throttle_admits_exactly_its_rate_under_concurrency(live_server, plan, monkeypatch):
    from ptrx.plans.api.views import WriteRateThrottle

    # A day's window: the test cannot straddle the boundary where counts restart.
    monkeypatch.setattr(
        WriteRateThrottle, "THROTTLE_RATES", {**WriteRateThrottle.THROTTLE_RATES, "writes": "20/day"}
    )
    _instance, token = AuthToken.objects.create(user=plan.patient.user)
    url = f"{live_server.url}/api/v1/me/checkins/"

    def write(_n: int) -> int:
        headers = {"Authorization": f"Bearer {token}"}
        return requests.post(
            url, json={"pain_now": 1, "red_flags": CLEAR_SCREEN}, headers=headers, timeout=60
        ).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        codes = list(pool.map(write, range(60)))
    assert codes.count(201) == 20
    assert codes.count(429) == 40
