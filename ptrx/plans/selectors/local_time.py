"""A patient's local date (the rule is the domain's local_date)."""

import datetime as dt

from django.utils import timezone

from ptrx.plans.domain.local_time import local_date
from ptrx.plans.models import Patient


def patient_local_today(*, patient: Patient, now: dt.datetime | None = None) -> dt.date:
    """The patient's current date in their own time zone."""
    return local_date(zone_name=patient.timezone, now=now or timezone.now())


def patient_registered_on(*, patient: Patient) -> dt.date:
    """The patient's registration date in their own time zone: nothing is logged before it."""
    return local_date(zone_name=patient.timezone, now=patient.created_at)
