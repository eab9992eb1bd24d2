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


def login(client, username, password, **meta):
    return client.post(
        TOKEN_URL, {"username": username, "password": password}, content_type="application/json", **meta
    )


def test_failed_logins_lock_the_username_whatever_address_it_comes_from(client, patient):
    username = patient.user.username
    codes = [
        login(client, username, "wrong", REMOTE_ADDR=f"10.0.0.{n}", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
        for n in range(5)
    ]
    assert [answer.status_code for answer in codes] == [400] * 5
    # The right password, from an address never seen: still locked out.
    locked = login(client, username, PASSWORD, REMOTE_ADDR="10.9.9.9")
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 0
    assert not AuthToken.objects.filter(user=patient.user).exists()


def test_forwarded_for_is_not_trusted_without_trusted_proxies(client, patient):
    # Wrong passwords for many usernames from one address, each naming another
    # address in X-Forwarded-For: the address limit (30) counts them all.
    codes = [
        login(client, f"nobody{n}", "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
        for n in range(31)
    ]
    assert codes == [400] * 30 + [429]
    assert login(client, patient.user.username, PASSWORD).status_code == 429


def test_with_a_trusted_proxy_the_address_it_saw_is_limited(client, patient, settings):
    settings.TRUSTED_PROXIES = 1
    for n in range(30):
        login(client, f"nobody{n}", "wrong", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7")
    # The client's own claim (first entry) changes nothing; the proxy's entry is the address.
    assert login(client, "someone", "wrong", HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.7").status_code == 429
    assert (
        login(client, patient.user.username, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 200
    )


def test_patients_behind_one_address_do_not_lock_each_other_out(client, patient, therapist):
    from tests.factories import make_patient

    other = make_patient(therapist=therapist)
    # One patient mistypes until locked out; logins that succeed are never counted.
    for _ in range(6):
        login(client, other.user.username, "wrong")
    answers = [login(client, patient.user.username, PASSWORD).status_code for _ in range(40)]
    assert answers == [200] * 40
    assert login(client, other.user.username, PASSWORD).status_code == 429


def test_live_tokens_per_user_are_limited_and_the_oldest_revoked(client, patient):
    tokens = [login(client, patient.user.username, PASSWORD).json()["token"] for _ in range(25)]
    assert AuthToken.objects.filter(user=patient.user).count() == 20
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {tokens[-1]}").status_code == 200
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {tokens[0]}").status_code == 401
