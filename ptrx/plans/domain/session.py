"""How long one pass through a day's exercises takes (CLINICAL.md §8, our model).

Per exercise 30 s to set up; each set its repetitions at 4 s a repetition, 10 s a
breath, 5 s a glide cycle, or a hold's seconds plus 2 s when it has a hold; doubled
when done on both sides; 60 s rest between sets. Advice items take no time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ptrx.plans.domain.adherence import counts_for_adherence

SETUP_SECONDS = 30
REST_BETWEEN_SETS_SECONDS = 60
SECONDS_PER_REP = 4
SECONDS_PER_BREATH = 10
SECONDS_PER_GLIDE = 5
HOLD_EXTRA_SECONDS = 2
# CLINICAL.md §8 (our rule): at most 6 exercise items a day and about 30 minutes a pass.
MAX_EXERCISES_PER_DAY = 6
MAX_SECONDS_PER_DAY = 30 * 60
BOTH_SIDES = "bilateral"


@dataclass(frozen=True, slots=True)
class SessionItem:
    """One prescription as the estimate sees it."""

    category: str
    sets: int
    reps: int
    hold_seconds: int
    per_side: bool
    side: str


def item_seconds(item: SessionItem) -> int:
    """One pass through one prescription, in seconds."""
    if not counts_for_adherence(item.category):
        return 0
    if item.hold_seconds > 0:
        per_rep = item.hold_seconds + HOLD_EXTRA_SECONDS
    elif item.category == "breathing":
        per_rep = SECONDS_PER_BREATH
    elif item.category == "neurodynamic_glide":
        per_rep = SECONDS_PER_GLIDE
    else:
        per_rep = SECONDS_PER_REP
    sides = 2 if item.per_side and item.side in (BOTH_SIDES, "") else 1
    work = item.sets * item.reps * per_rep * sides
    return SETUP_SECONDS + work + REST_BETWEEN_SETS_SECONDS * (item.sets - 1)


def session_seconds(items: list[SessionItem] | tuple[SessionItem, ...]) -> int:
    return sum(item_seconds(item) for item in items)


def session_minutes(items: list[SessionItem] | tuple[SessionItem, ...]) -> int:
    """The estimate shown to therapist and patient: whole minutes, rounded up."""
    return math.ceil(session_seconds(items) / 60)


def over_home_session(*, exercises: int, minutes: int) -> bool:
    """More than a home session holds (more than 6 exercise items or 30 minutes)."""
    return exercises > MAX_EXERCISES_PER_DAY or minutes * 60 > MAX_SECONDS_PER_DAY
