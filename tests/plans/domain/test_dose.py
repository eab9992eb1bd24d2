"""The dose and week said in words (no database)."""

import pytest

from ptrx.plans.domain.dose import days_text, dose_text, hold_text, times_a_day_text


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"sets": 1, "reps": 30}, "1 set of 30"),
        ({"sets": 2, "reps": 10, "hold_seconds": 5}, "2 sets of 10, hold 5 s"),
        ({"sets": 3, "reps": 8, "side": "bilateral"}, "3 sets of 8, each side"),
        ({"sets": 1, "reps": 10, "side": "left"}, "1 set of 10, left side"),
        ({"sets": 2, "reps": 1, "hold_seconds": 900, "side": ""}, "2 sets of 1, hold 15 min"),
    ],
)
def test_dose_text(fields, words):
    assert dose_text(**fields) == words


def test_holds_under_a_minute_or_not_whole_minutes_stay_in_seconds():
    assert (hold_text(30), hold_text(90), hold_text(120)) == ("hold 30 s", "hold 90 s", "hold 2 min")


def test_times_a_day_and_days():
    assert [times_a_day_text(n) for n in (1, 2, 3)] == ["once a day", "twice a day", "3 times a day"]
    assert days_text(range(7)) == "every day"
    assert days_text([4, 0, 2]) == "Mon, Wed, Fri"
    assert days_text([]) == "no set days"
