"""The admin's login is under the same failed-login limits as the API's token endpoint."""

import pytest
from django.test import Client

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def admin_login(username: str, password: str, address: str) -> object:
    return Client(REMOTE_ADDR=address).post(
        "/admin/login/?next=/admin/", {"username": username, "password": password}
    )


def test_a_locked_out_therapist_cannot_log_in_to_the_admin_from_anywhere(therapist):
    for n in range(5):
        assert admin_login(therapist.username, "wrong", f"10.1.0.{n}").status_code == 200
    locked = admin_login(therapist.username, PASSWORD, "10.2.0.1")
    assert locked.status_code == 200
    assert "Too many failed logins" in locked.content.decode()
    assert "_auth_user_id" not in locked.wsgi_request.session


def test_a_right_password_logs_in_and_is_not_counted(therapist):
    for _ in range(8):
        answer = admin_login(therapist.username, PASSWORD, "10.3.0.1")
        assert answer.status_code == 302
