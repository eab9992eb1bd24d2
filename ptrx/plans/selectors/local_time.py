"""A patient's local date."""

import datetime as dt
import functools
import zoneinfo

from django.utils import timezone

from ptrx.plans.models import Patient


def local_date(*, timezone_name: str, now: dt.datetime) -> dt.date:
    """The date at `now` in the IANA zone `timezone_name`. Zones are validated when
    saved; a row that somehow holds an unknown one counts in UTC rather than failing
    a whole nightly job."""
    return now.astimezone(_zone(timezone_name)).date()


@functools.lru_cache(maxsize=1024)
def _zone(name: str) -> dt.tzinfo:
    # ZoneInfo keeps only the last few zones it built: a nightly job going through
    # patients of 24 zones in turn would read the zone files again for most of them.
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def patient_local_today(*, patient: Patient, now: dt.datetime | None = None) -> dt.date:
    """The patient's current date in their own time zone."""
    return local_date(timezone_name=patient.timezone, now=now or timezone.now())


def patient_registered_on(*, patient: Patient) -> dt.date:
    """The patient's registration date in their own time zone: nothing is logged before it."""
    return local_date(timezone_name=patient.timezone, now=patient.created_at)
