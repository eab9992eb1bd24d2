"""Start-up configuration: production refuses to start without its secrets, and the
deploy check passes with production-like variables."""

import os
import subprocess
import sys

import pytest
from django.conf import settings


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "missing"),
    [({"DEBUG": "0"}, "SECRET_KEY"), ({"DEBUG": "0", "SECRET_KEY": "x" * 60}, "ALLOWED_HOSTS")],
)
def test_production_without_its_secrets_stops_with_a_message(env, missing):
    result = manage("check", **env)
    assert result.returncode != 0
    assert missing in result.stderr
    assert "Traceback" not in result.stderr


def test_deploy_check_passes_with_production_variables():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DEBUG="0", SECRET_KEY="k" * 20 + "-production-like-secret-key-of-length", ALLOWED_HOSTS="clinic.example.org",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
