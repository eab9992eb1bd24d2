"""A prescription's dose and week said in words, the one wording the admin, the
handout and the exports share. The numbers are the prescription's (CLINICAL.md:
instruction text carries none)."""

from __future__ import annotations

from collections.abc import Iterable

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
SIDE_WORDS = {"left": "left side", "right": "right side", "bilateral": "each side"}


def hold_text(seconds: int) -> str:
    """`hold 5 s`, or whole minutes from a minute up (`hold 15 min`)."""
    if seconds >= 60 and seconds % 60 == 0:
        return f"hold {seconds // 60} min"
    return f"hold {seconds} s"


def dose_text(*, sets: int, reps: int, hold_seconds: int = 0, side: str = "") -> str:
    """`2 sets of 10, hold 5 s, each side`: sets, repetitions, the hold when there is one,
    and the side when the exercise is done one side at a time."""
    parts = [f"{sets} set{'s' if sets != 1 else ''} of {reps}"]
    if hold_seconds > 0:
        parts.append(hold_text(hold_seconds))
    if side in SIDE_WORDS:
        parts.append(SIDE_WORDS[side])
    return ", ".join(parts)


def times_a_day_text(sessions_per_day: int) -> str:
    """`once a day`, `twice a day`, `3 times a day`."""
    if sessions_per_day == 1:
        return "once a day"
    if sessions_per_day == 2:
        return "twice a day"
    return f"{sessions_per_day} times a day"


def days_text(days_of_week: Iterable[int]) -> str:
    """`every day`, or the weekdays in order (`Mon, Wed, Fri`); 0 is Monday."""
    days = sorted({day for day in days_of_week if 0 <= day <= 6})
    if len(days) == len(WEEKDAY_NAMES):
        return "every day"
    if not days:
        return "no set days"
    return ", ".join(WEEKDAY_NAMES[day] for day in days)
