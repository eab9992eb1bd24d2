"""Test factories. Patients and plans are made through the services, as every
writer in ptrx does; the factories only fill in the boring fields."""

import datetime as dt
from typing import Any

from ptrx.plans.domain.red_flags import EMERGENCY_CODES
from ptrx.plans.models import Patient, Plan
from ptrx.plans.services.patients import patient_create, therapist_create
from ptrx.plans.services.plans import plan_activate, plan_generate

PASSWORD = "a-long-test-password-9"


_counter = iter(range(1, 10**9))


def make_therapist(**fields: Any) -> Any:
    fields.setdefault("username", f"therapist{next(_counter)}")
    return therapist_create(password=PASSWORD, **fields)


def make_patient(*, therapist: Any = None, registered_days_ago: int = 730, **fields: Any) -> Patient:
    """A patient registered `registered_days_ago` days ago (nothing can be logged before then)."""
    fields.setdefault("username", f"patient{next(_counter)}")
    fields.setdefault("branches", ["inferior"])
    fields.setdefault("side", "left")
    fields.setdefault("first_name", "Sam")
    fields.setdefault("email", f"{fields['username']}@example.org")
    patient = patient_create(password=PASSWORD, therapist=therapist or make_therapist(), **fields)
    patient.created_at -= dt.timedelta(days=registered_days_ago)
    Patient.objects.filter(pk=patient.pk).update(created_at=patient.created_at)
    return patient


def make_active_plan(patient: Patient, *, start: dt.date | None = None) -> Plan:
    from ptrx.plans.selectors import patient_local_today

    plan = plan_generate(patient=patient, start=start or patient_local_today(patient=patient))
    return plan_activate(plan=plan, today=plan.start_date)


# The four emergency questions answered no, as every check-in must answer them.
CLEAR_SCREEN = dict.fromkeys(EMERGENCY_CODES, False)
