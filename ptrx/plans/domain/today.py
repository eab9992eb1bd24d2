"""What is left of a day: the one rule that `me/today/` and the reminder sweep share.

A prescription is due on the weekdays of its `days_of_week` (0 = Monday). An exercise
due that day has `sessions_per_day` sessions to log; advice is read, not logged, so
nothing of it is ever left to do (CLINICAL.md §4).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from ptrx.plans.domain.adherence import counts_for_adherence


def due_on(days_of_week: Collection[int], day: dt.date) -> bool:
    return day.weekday() in days_of_week


def sessions_left(
    *, category: str, sessions_per_day: int, sessions_done: int, days_of_week: Collection[int], day: dt.date
) -> int:
    """The sessions of one prescription still to log on `day`: none on a day off, none
    for advice, none once all are logged."""
    if not counts_for_adherence(category) or not due_on(days_of_week, day):
        return 0
    return max(0, sessions_per_day - sessions_done)
