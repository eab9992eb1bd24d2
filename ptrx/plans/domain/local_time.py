"""A patient's local time: when a reminder time happens on a local date.

A patient's reminder for local date D falls at the instant their `reminder_time`
happens on D in their own zone (zoneinfo). Two clock changes need a rule:

- a wall time skipped when clocks go forward (02:30 on the night clocks jump from
  02:00 to 03:00) is taken as the first valid minute after it, the moment of the
  jump (03:00);
- a wall time that happens twice when clocks go back (01:30 on the fall-back
  night) is taken at its first occurrence (fold=0).

A reminder is due while that instant <= now < instant + the send window.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from dataclasses import dataclass
from typing import Any

UTC = dt.UTC


@functools.lru_cache(maxsize=1024)
def zone_named(name: str) -> zoneinfo.ZoneInfo:
    """The zone a patient's stored name stands for. Names are validated when saved; a
    row that somehow holds an unknown one counts in UTC, everywhere (the API's dates,
    the reminder sweep, the nightly jobs), rather than failing a job or going silent.
    Cached: ZoneInfo keeps only the last few zones it built."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def local_date(*, zone_name: str, now: dt.datetime) -> dt.date:
    """The date at `now` in the patient's zone `zone_name` (zone_named's rule)."""
    return now.astimezone(zone_named(zone_name)).date()


def reminder_instant(*, day: dt.date, at: dt.time, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """When wall time `at` happens on `day` in `zone`, by the rule in the module docstring."""
    wall = dt.datetime.combine(day, at.replace(tzinfo=None), tzinfo=zone)  # fold=0: first occurrence
    instant = wall.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == wall.replace(tzinfo=None):
        return instant
    # `at` was skipped. Read with the offsets after (fold=1) and before (fold=0) the
    # jump, it lands on either side of the jump; find the jump by bisection.
    low = wall.replace(fold=1).astimezone(UTC)
    high = instant
    after = high.astimezone(zone).utcoffset()
    while high - low > dt.timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == after:
            high = middle
        else:
            low = middle
    jump = high.replace(microsecond=0)
    # The first valid minute: the jump itself when on a whole minute (it always is in tzdata).
    if jump.second:
        jump = jump.replace(second=0) + dt.timedelta(minutes=1)
    return jump


@dataclass(frozen=True)
class DueWindow:
    """The reminder times due now in one zone, on that zone's local date."""

    zone: zoneinfo.ZoneInfo
    local_date: dt.date
    earliest: dt.time
    latest: dt.time


def _time_of(second: int) -> dt.time:
    return dt.time(second // 3600, second // 60 % 60, second % 60)


def due_window(*, zone: zoneinfo.ZoneInfo, now: dt.datetime, window: dt.timedelta) -> DueWindow | None:
    """The reminder times t with instant(t) <= now < instant(t) + window, or None.

    instant() never decreases as t grows, so those times form one range: its ends
    are found by bisection over the seconds of the day (no per-patient work).
    """
    today = now.astimezone(zone).date()

    def instant(second: int) -> dt.datetime:
        return reminder_instant(day=today, at=_time_of(second), zone=zone)

    def first_second(predicate: Any) -> int:
        low, high = 0, 86400  # the answer is in [low, high]; 86400 means "none"
        while low < high:
            middle = (low + high) // 2
            if predicate(middle):
                high = middle
            else:
                low = middle + 1
        return low

    earliest = first_second(lambda second: instant(second) > now - window)
    after_latest = first_second(lambda second: instant(second) > now)
    if earliest >= after_latest:
        return None
    return DueWindow(
        zone=zone, local_date=today, earliest=_time_of(earliest), latest=_time_of(after_latest - 1)
    )
