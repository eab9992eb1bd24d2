"""Start-up configuration: production refuses to start without its secrets, the deploy
check passes with production-like variables, and a fresh clone's management commands run
with nothing in the environment once make has written its .env."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

# What a second terminal on a developer's machine does not have.
SET_BY_THE_SUITE = {
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    "VAR_DIR",
    "ENV_FILE",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}}
    # Production as its environment alone makes it: no development .env of this checkout.
    base["ENV_FILE"] = os.devnull
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


def test_a_fresh_clone_runs_the_readme_commands_in_a_terminal_without_debug(tmp_path: Path):
    clone = tmp_path / "ptrx"
    subprocess.run(["git", "clone", "--quiet", str(settings.BASE_DIR), str(clone)], check=True)
    terminal = {k: v for k, v in os.environ.items() if k not in SET_BY_THE_SUITE}

    def run(*command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(command, cwd=clone, env=terminal, capture_output=True, text=True, check=False)

    # The files `make run` and `make test` write first (the venv is this suite's).
    made = run("make", "--no-print-directory", "local")
    assert made.returncode == 0, made.stderr
    dotenv = (clone / ".env").read_text()
    assert "DEBUG=1" in dotenv.splitlines()
    secret_key = next(line for line in dotenv.splitlines() if line.startswith("SECRET_KEY="))
    assert len(secret_key) > len("SECRET_KEY=") + 40
    assert secret_key not in (Path(settings.BASE_DIR) / ".env.example").read_text()

    for command in (
        ("manage.py", "migrate", "--noinput"),
        ("manage.py", "create_therapist", "drsmith", "--password", "Str0ng-enough-pass", "--email",
         "smith@clinic.example"),
    ):  # fmt: skip
        result = run(sys.executable, *command)
        assert result.returncode == 0, result.stderr
    assert (clone / "var" / "ptrx.sqlite3").exists()

    # A second `make` keeps the file (and so the key) as it is.
    assert run("make", "--no-print-directory", "local").returncode == 0
    assert (clone / ".env").read_text() == dotenv
