"""create_therapist and create_patient: one JSON line on success; on bad input a
non-zero exit with a message and nothing written."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from ptrx.plans.models import Patient, Plan, PlanStatus
from ptrx.plans.services.patients import THERAPISTS_GROUP

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password-9"


def run(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def dr_jones(library):
    run("create_therapist", "drjones", "--password", PASSWORD, "--email", "jones@example.org")
    return get_user_model().objects.get(username="drjones")


def test_create_therapist_makes_a_staff_user_in_the_group(dr_jones):
    assert dr_jones.is_staff
    assert not dr_jones.is_superuser
    assert dr_jones.groups.filter(name=THERAPISTS_GROUP).exists()


def test_create_patient_with_a_plan(dr_jones):
    line = run(
        "create_patient", "pat", "--password", PASSWORD, "--therapist", "drjones",
        "--branch", "inferior", "--branch", "middle", "--side", "left", "--irritability", "high",
        "--timezone", "America/New_York", "--reminder-time", "18:30", "--first-name", "Pat",
        "--start", "2026-11-01",
    )  # fmt: skip
    ids = json.loads(line)
    patient = Patient.objects.get(pk=ids["patient"])
    assert patient.branches == ["middle", "inferior"]
    assert str(patient.reminder_time) == "18:30:00"
    assert patient.timezone == "America/New_York"
    plan = Plan.objects.get(pk=ids["plan"])
    assert (plan.status, plan.irritability, str(plan.start_date)) == (PlanStatus.ACTIVE, "high", "2026-11-01")


def test_create_patient_without_a_plan(dr_jones):
    line = run(
        "create_patient", "pat2", "--password", PASSWORD, "--therapist", "drjones",
        "--branch", "superior", "--side", "right", "--no-plan",
    )  # fmt: skip
    assert json.loads(line)["plan"] is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"--timezone": "Mars/Olympus"}, "time zone"),
        ({"--reminder-time": "25:00"}, "HH:MM"),
        ({"--reminder-time": "7pm"}, "HH:MM"),
        ({"--therapist": "nobody"}, "No therapist"),
        ({"--start": "2026-13-01"}, "YYYY-MM-DD"),
        ({"--password": "123"}, "password"),
    ],
)
def test_bad_input_exits_with_a_message_and_writes_nothing(dr_jones, change, message):
    options = {
        "--password": PASSWORD, "--therapist": "drjones", "--branch": "inferior", "--side": "left",
        "--timezone": "UTC", "--reminder-time": "09:00",
    }  # fmt: skip
    options.update(change)
    args = [item for pair in options.items() for item in pair]
    users_before = get_user_model().objects.count()
    with pytest.raises(CommandError, match=message):
        run("create_patient", "newbie", *args)
    assert get_user_model().objects.count() == users_before
    assert not Patient.objects.exists()
    assert not Plan.objects.exists()


@pytest.mark.parametrize(
    ("flag", "value"), [("--branch", "lateral"), ("--side", "middle"), ("--irritability", "extreme")]
)
def test_unknown_choices_exit_non_zero(dr_jones, flag, value):
    options = {"--branch": "inferior", "--side": "left"}
    options[flag] = value
    args = [item for pair in options.items() for item in pair]
    with pytest.raises(CommandError, match="invalid choice"):
        run("create_patient", "newbie", "--password", PASSWORD, "--therapist", "drjones", *args)
    assert not Patient.objects.exists()


def test_existing_username_is_refused(dr_jones):
    with pytest.raises(CommandError, match="already exists"):
        run(
            "create_patient",
            "drjones",
            "--password",
            PASSWORD,
            "--therapist",
            "drjones",
            "--branch",
            "inferior",
            "--side",
            "left",
        )
    with pytest.raises(CommandError, match="already exists"):
        run("create_therapist", "drjones", "--password", PASSWORD)
    assert not Patient.objects.exists()


def test_process_exit_code_and_message_on_bad_input(dr_jones, tmp_path):
    import subprocess
    import sys

    from django.conf import settings

    result = subprocess.run(
        [sys.executable, "manage.py", "create_patient", "x", "--password", PASSWORD, "--therapist", "drjones",
         "--branch", "inferior", "--side", "sideways"],
        cwd=settings.BASE_DIR, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "sideways" in result.stderr
    assert "Traceback" not in result.stderr


def test_seed_demo_refuses_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        run("seed_demo")
    assert not get_user_model().objects.filter(username__in=["admin", "therapist", "patient"]).exists()


def test_seed_demo_with_debug_on_seeds_the_demo_accounts(settings, library):
    settings.DEBUG = True
    assert "demo patient: username patient" in run("seed_demo")
    assert Plan.objects.filter(patient__user__username="patient", status=PlanStatus.ACTIVE).exists()


@pytest.mark.parametrize(("debug", "seeds"), [("0", False), ("1", True)])
def test_make_run_seeds_demo_accounts_only_with_debug_on(debug, seeds):
    import subprocess

    from django.conf import settings

    # What `make run` would do, printed (-n) rather than done.
    planned = subprocess.run(
        ["make", "-n", "-o", ".venv/.installed", "run", f"DEBUG={debug}"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "manage.py migrate" in planned
    assert ("manage.py seed_demo" in planned) is seeds
