"""Creating therapists and patients and changing a patient's own settings."""

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ptrx.exercises.validators import validate_precautions
from ptrx.plans.domain.local_time import local_date
from ptrx.plans.domain.red_flags import positive_red_flags
from ptrx.plans.models import Irritability, Patient, Plan, Side
from ptrx.plans.services.plans import plans_pause_for_red_flags
from ptrx.plans.validators import (
    canonical_branches,
    validate_branches,
    validate_red_flag_answers,
    validate_timezone,
)

THERAPISTS_GROUP = "Therapists"


def username_validate(username: str) -> None:
    """A username that is well formed and not taken yet."""
    User = get_user_model()
    if not username or not username.strip():
        raise ValidationError({"username": "A username is required."})
    User.username_validator(username)
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": f'A user named "{username}" already exists.'})


def login_build(
    *, username: str, password: str, email: str, first_name: str, last_name: str, is_staff: bool
) -> Any:
    """An unsaved user whose password passes the site's password rules (errors under
    `password`); the password is set, the user not saved."""
    user = get_user_model()(
        username=username, email=email, first_name=first_name, last_name=last_name, is_staff=is_staff
    )
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    return user


def therapist_create(
    *, username: str, password: str, email: str = "", first_name: str = "", last_name: str = ""
) -> AbstractUser:
    """A staff user in the Therapists group, able to use the admin for their own patients."""
    username_validate(username)
    user = login_build(
        username=username,
        password=password,
        email=email,
        first_name=first_name,
        last_name=last_name,
        is_staff=True,
    )
    with transaction.atomic():
        user.save()
        group, _created = Group.objects.get_or_create(name=THERAPISTS_GROUP)
        user.groups.add(group)
    return user


def patient_validate(
    *,
    therapist: Any,
    branches: list[str],
    side: str,
    irritability: str,
    timezone_name: str,
    red_flags: dict[str, bool],
    precautions: list[str] | None = None,
) -> list[str]:
    """Check a patient's clinical and settings fields; returns branches in canonical order."""
    errors: dict[str, list[str]] = {}

    def check(field: str, validator: Any, value: Any) -> None:
        try:
            validator(value)
        except ValidationError as exc:
            errors.setdefault(field, []).extend(exc.messages)

    check("branches", validate_branches, branches)
    check("timezone", validate_timezone, timezone_name)
    check("red_flags", validate_red_flag_answers, red_flags)
    check("precautions", validate_precautions, precautions or [])
    if side not in Side.values:
        errors["side"] = [f'"{side}" is not a side; use {", ".join(Side.values)}.']
    if irritability not in Irritability.values:
        errors["irritability"] = [f'"{irritability}" is not allowed; use {", ".join(Irritability.values)}.']
    if therapist is None or not therapist.is_staff or not therapist.is_active:
        errors["therapist"] = ["The therapist must be an active staff user."]
    if errors:
        raise ValidationError(errors)
    return canonical_branches(branches)


def patient_create(
    *,
    username: str,
    password: str,
    therapist: Any,
    branches: list[str],
    side: str,
    irritability: str = Irritability.MODERATE,
    timezone_name: str = "UTC",
    reminder_time: dt.time = dt.time(9, 0),
    reminders_enabled: bool = True,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    red_flags: dict[str, bool] | None = None,
    screened_on: dt.date | None = None,
    precautions: list[str] | None = None,
    precautions_cleared_on: dt.date | None = None,
) -> Patient:
    """A patient with their login. The login cannot reach the admin (not staff)."""
    red_flags = red_flags or {}
    username_validate(username)
    branches = patient_validate(
        therapist=therapist,
        branches=branches,
        side=side,
        irritability=irritability,
        timezone_name=timezone_name,
        red_flags=red_flags,
        precautions=precautions,
    )
    user = login_build(
        username=username,
        password=password,
        email=email,
        first_name=first_name,
        last_name=last_name,
        is_staff=False,
    )
    with transaction.atomic():
        user.save()
        return Patient.objects.create(
            user=user,
            therapist=therapist,
            branches=branches,
            side=side,
            irritability=irritability,
            timezone=timezone_name,
            reminder_time=reminder_time,
            reminders_enabled=reminders_enabled,
            red_flags=red_flags,
            red_flags_screened_on=screened_on or local_date(zone_name=timezone_name, now=timezone.now()),
            precautions=list(precautions or []),
            precautions_cleared_on=precautions_cleared_on,
        )


def patient_update_settings(
    *,
    patient: Patient,
    timezone_name: str | None = None,
    reminder_time: dt.time | None = None,
    reminders_enabled: bool | None = None,
) -> Patient:
    """Change the patient's own reminder settings."""
    changed: list[str] = []
    if timezone_name is not None:
        try:
            validate_timezone(timezone_name)
        except ValidationError as exc:
            raise ValidationError({"timezone": exc.messages}) from exc
        patient.timezone = timezone_name
        changed.append("timezone")
    if reminder_time is not None:
        patient.reminder_time = reminder_time
        changed.append("reminder_time")
    if reminders_enabled is not None:
        patient.reminders_enabled = reminders_enabled
        changed.append("reminders_enabled")
    if changed:
        patient.save(update_fields=changed)
    return patient


def patient_update(
    *,
    patient: Patient,
    therapist: Any,
    branches: list[str],
    side: str,
    irritability: str,
    timezone_name: str,
    reminder_time: dt.time,
    reminders_enabled: bool,
    first_name: str,
    last_name: str,
    email: str,
    red_flags: dict[str, bool],
    screened_on: dt.date | None,
    precautions: list[str] | None = None,
    precautions_cleared_on: dt.date | None = None,
) -> list[Plan]:
    """Change a patient's details and intake screen. A positive screen pauses their
    active plan, as a red flag at check-in does; returns the plans it paused.
    `precautions` None leaves the precaution screen as it is."""
    branches = patient_validate(
        therapist=therapist,
        branches=branches,
        side=side,
        irritability=irritability,
        timezone_name=timezone_name,
        red_flags=red_flags,
        precautions=precautions,
    )
    flags = positive_red_flags(red_flags)
    with transaction.atomic():
        patient.therapist = therapist
        patient.branches = branches
        patient.side = side
        patient.irritability = irritability
        patient.timezone = timezone_name
        patient.reminder_time = reminder_time
        patient.reminders_enabled = reminders_enabled
        patient.red_flags = red_flags
        patient.red_flags_screened_on = screened_on
        if precautions is not None:
            patient.precautions = list(precautions)
            patient.precautions_cleared_on = precautions_cleared_on
        patient.save()
        user = patient.user
        user.first_name, user.last_name, user.email = first_name, last_name, email
        user.save(update_fields=["first_name", "last_name", "email"])
        if not flags:
            return []
        return plans_pause_for_red_flags(patient=patient, flags=flags, source="recorded by the therapist")
