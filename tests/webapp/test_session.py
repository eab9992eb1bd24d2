"""The patient app's session (issue 15, Security): log in at /app/session/ to an HttpOnly,
SameSite=Strict cookie, patients only, under the failed-login limits; CSRF on every write;
log out ends the session. Bearer tokens work as before beside it."""

import pytest
from django.test import Client

from tests.factories import CLEAR_SCREEN, PASSWORD

pytestmark = pytest.mark.django_db

SESSION_URL = "/app/session/"
CHECKINS_URL = "/api/v1/me/checkins/"


@pytest.fixture
def browser() -> Client:
    """A client that checks CSRF as a browser's requests are checked, holding the
    CSRF cookie the app's page sets."""
    client = Client(enforce_csrf_checks=True)
    assert client.get("/app/").status_code == 200
    return client


def csrf(client: Client) -> dict[str, str]:
    return {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value}


def log_in(client: Client, username: str, password: str = PASSWORD, **headers: str):
    body = {"username": username, "password": password}
    return client.post(SESSION_URL, body, content_type="application/json", **headers)


def test_a_patient_logs_in_to_an_httponly_strict_session_cookie(browser, patient):
    csrf_cookie = browser.cookies["csrftoken"]
    assert csrf_cookie["samesite"] == "Strict"
    assert not csrf_cookie["httponly"]  # the app reads it to send it back, as Django intends
    answer = log_in(browser, patient.user.username, **csrf(browser))
    assert answer.status_code == 204
    cookie = answer.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Strict"
    me = browser.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["username"] == patient.user.username
    assert "no-store" in me["Cache-Control"]


def test_logging_in_without_the_csrf_token_is_refused(browser, patient):
    answer = log_in(browser, patient.user.username)
    assert answer.status_code == 403
    assert "CSRF" in answer.json()["detail"]
    assert "sessionid" not in browser.cookies


def test_a_write_without_the_csrf_token_is_refused_and_writes_nothing(browser, patient):
    log_in(browser, patient.user.username, **csrf(browser))
    body = {"pain_now": 2, "red_flags": CLEAR_SCREEN}
    refused = browser.post(CHECKINS_URL, body, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert not patient.checkins.exists()
    sent = browser.post(CHECKINS_URL, body, content_type="application/json", **csrf(browser))
    assert sent.status_code == 201
    assert patient.checkins.count() == 1


def test_a_therapist_cannot_log_in_to_the_app(browser, therapist):
    answer = log_in(browser, therapist.username, **csrf(browser))
    assert answer.status_code == 400
    assert answer.json() == {"account": ["This app is for patients. Therapists use the clinic's admin site."]}
    assert "sessionid" not in browser.cookies
    assert browser.get("/api/v1/me/").status_code == 401


def test_a_therapist_logged_in_to_the_admin_is_refused_by_the_patient_api(therapist):
    admin = Client(enforce_csrf_checks=True)
    admin.force_login(therapist)
    assert admin.get("/admin/").status_code == 200
    answer = admin.get("/api/v1/me/")
    assert answer.status_code == 403
    assert answer.json() == {"detail": "This account is not a patient's."}


def test_bad_credentials_are_a_400_with_field_errors(browser, patient):
    wrong = log_in(browser, patient.user.username, "wrong", **csrf(browser))
    assert wrong.status_code == 400
    assert "non_field_errors" in wrong.json()
    missing = browser.post(SESSION_URL, {"username": ""}, content_type="application/json", **csrf(browser))
    assert missing.status_code == 400
    assert {"username", "password"} <= set(missing.json())
    assert browser.post(SESSION_URL, "{", content_type="application/json", **csrf(browser)).status_code == 400


def test_failed_logins_are_limited_as_the_token_endpoints_are(browser, patient, settings):
    username = patient.user.username
    codes = [log_in(browser, username, "wrong", **csrf(browser)).status_code for _ in range(5)]
    assert codes == [400] * settings.LOGIN_FAILURES_PER_USERNAME
    locked = log_in(browser, username, **csrf(browser))
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 0
    # One allowance for both ways in: the token endpoint is locked for this username too.
    token = Client().post(
        "/api/v1/auth/token/", {"username": username, "password": PASSWORD}, content_type="application/json"
    )
    assert token.status_code == 429


def test_a_therapists_refusal_uses_up_none_of_the_allowance(browser, therapist, settings):
    for _ in range(settings.LOGIN_FAILURES_PER_USERNAME + 1):
        assert log_in(browser, therapist.username, **csrf(browser)).status_code == 400


def test_logging_out_ends_the_session(browser, patient):
    log_in(browser, patient.user.username, **csrf(browser))
    old_session = browser.cookies["sessionid"].value
    assert browser.delete(SESSION_URL).status_code == 403  # no CSRF token: still logged in
    assert browser.get("/api/v1/me/").status_code == 200
    assert browser.delete(SESSION_URL, **csrf(browser)).status_code == 204
    assert browser.get("/api/v1/me/").status_code == 401
    # The old cookie, kept by someone, opens nothing either: the session is gone on the server.
    replayed = Client()
    replayed.cookies["sessionid"] = old_session
    assert replayed.get("/api/v1/me/").status_code == 401


def test_bearer_tokens_need_no_csrf_token_and_their_logout_is_theirs(browser, patient):
    token = browser.post(
        "/api/v1/auth/token/", {"username": patient.user.username, "password": PASSWORD},
        content_type="application/json",
    ).json()["token"]  # fmt: skip
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    body = {"pain_now": 1, "red_flags": CLEAR_SCREEN}
    assert browser.post(CHECKINS_URL, body, content_type="application/json", **bearer).status_code == 201
    # A session cannot call the token logout (it has no token); it is a 401, never a 500.
    log_in(browser, patient.user.username, **csrf(browser))
    assert browser.post("/api/v1/auth/logout/", **csrf(browser)).status_code == 401
    assert browser.post("/api/v1/auth/logout/", **bearer).status_code == 204
