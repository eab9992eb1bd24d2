"""Token issue, use, expiry, logout and throttling (DESIGN.md: auth/token, auth/logout)."""

import datetime as dt

import pytest
from django.utils import timezone
from knox.models import AuthToken

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


def test_token_is_issued_for_good_credentials_and_works(client, patient):
    answer = client.post(
        TOKEN_URL, {"username": patient.user.username, "password": PASSWORD}, content_type="application/json"
    )
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"token", "expiry"}
    expiry = dt.datetime.fromisoformat(body["expiry"])
    assert expiry > timezone.now() + dt.timedelta(days=1)
    me = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert me.status_code == 200
    assert me.json()["username"] == patient.user.username


def test_token_is_stored_hashed(client, patient):
    body = client.post(
        TOKEN_URL, {"username": patient.user.username, "password": PASSWORD}, content_type="application/json"
    ).json()
    stored = AuthToken.objects.get(user=patient.user)
    assert body["token"] not in (stored.digest, stored.token_key)
    assert stored.digest != body["token"]


def test_bad_credentials_are_a_400(client, patient):
    answer = client.post(
        TOKEN_URL, {"username": patient.user.username, "password": "wrong"}, content_type="application/json"
    )
    assert answer.status_code == 400
    assert "non_field_errors" in answer.json()
    missing = client.post(TOKEN_URL, {"username": ""}, content_type="application/json")
    assert missing.status_code == 400
    assert {"username", "password"} <= set(missing.json())


def test_expired_token_is_refused_and_removed(patient, make_client):
    instance, token = AuthToken.objects.create(user=patient.user, expiry=dt.timedelta(seconds=10))
    AuthToken.objects.filter(pk=instance.pk).update(expiry=timezone.now() - dt.timedelta(seconds=1))
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/api/v1/me/").status_code == 401
    assert not AuthToken.objects.filter(pk=instance.pk).exists()


def test_logout_revokes_the_token(api):
    assert api.get("/api/v1/me/").status_code == 200
    assert api.post("/api/v1/auth/logout/").status_code == 204
    assert api.get("/api/v1/me/").status_code == 401


def test_no_token_and_garbage_tokens_are_401(client, patient):
    assert client.get("/api/v1/me/").status_code == 401
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION="Bearer not-a-token").status_code == 401
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION="Bearer \xff\xfe").status_code == 401


def test_token_requests_are_throttled(client, patient):
    codes = [
        client.post(
            TOKEN_URL,
            {"username": patient.user.username, "password": "wrong"},
            content_type="application/json",
        ).status_code
        for _ in range(11)
    ]
    assert codes[:10] == [400] * 10
    assert codes[10] == 429
    last = client.post(
        TOKEN_URL, {"username": patient.user.username, "password": PASSWORD}, content_type="application/json"
    )
    assert last.status_code == 429
    assert int(last["Retry-After"]) > 0
