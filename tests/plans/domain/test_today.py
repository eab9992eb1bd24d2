"""What is left of a day: the rule me/today/ and the reminder sweep share."""

import datetime as dt

import pytest

from ptrx.plans.domain import due_on, sessions_left

MONDAY = dt.date(2026, 3, 2)
WEEKDAYS = (0, 2, 4)


@pytest.mark.parametrize(
    ("category", "day", "done", "left"),
    [
        ("gluteal_strength", MONDAY, 0, 2),
        ("gluteal_strength", MONDAY, 1, 1),
        ("gluteal_strength", MONDAY, 2, 0),
        ("gluteal_strength", MONDAY, 3, 0),  # an extra session never makes it negative
        ("gluteal_strength", MONDAY + dt.timedelta(days=1), 0, 0),  # a day off
        ("education", MONDAY, 0, 0),  # advice is read, never left to do
    ],
)
def test_sessions_left(category: str, day: dt.date, done: int, left: int) -> None:
    assert (
        sessions_left(
            category=category, sessions_per_day=2, sessions_done=done, days_of_week=WEEKDAYS, day=day
        )
        == left
    )


def test_due_on_the_weekdays_of_days_of_week() -> None:
    week = [MONDAY + dt.timedelta(days=n) for n in range(7)]
    assert [due_on(WEEKDAYS, day) for day in week] == [True, False, True, False, True, False, False]
