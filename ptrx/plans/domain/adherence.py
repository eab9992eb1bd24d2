"""What counts toward adherence, and the one adherence rule (CLINICAL.md §4 and §6).

Only exercise items count: advice items (category `education`) are read and
acknowledged, never scored for adherence, completeness or pain.
"""

from __future__ import annotations

import math
from fractions import Fraction

from ptrx.plans.domain.types import CATEGORIES

ADVICE_CATEGORIES = frozenset({"education"})
EXERCISE_CATEGORIES = frozenset(CATEGORIES) - ADVICE_CATEGORIES
EXERCISE = "exercise"
ADVICE = "advice"

# CLINICAL.md §6: adherent at 80% of prescribed sessions; below 80% in a week is our
# notice, below 50% our alert.
ADHERENT_PERCENT = 80
ALERT_PERCENT = 50

ADHERENT = "adherent"
NOTICE = "notice"
ALERT = "alert"


def item_kind(category: str) -> str:
    """`advice` for an education item, `exercise` for everything a patient performs."""
    return ADVICE if category in ADVICE_CATEGORIES else EXERCISE


def counts_for_adherence(category: str) -> bool:
    return item_kind(category) == EXERCISE


def adherence_percent(*, prescribed: int, completed: int) -> int:
    """Completed over prescribed exercise session-items, as a whole percent rounded half
    up (0 when nothing was prescribed; extra sessions never lift it past 100). The
    admin's patient list writes the same rounding in SQL to sort and filter by it."""
    if prescribed <= 0:
        return 0
    return math.floor(100 * Fraction(min(completed, prescribed), prescribed) + Fraction(1, 2))


def is_adherent(*, prescribed: int, completed: int) -> bool:
    """At least 80% done; nothing prescribed shows nothing, so it is not adherence.
    Exact fractions, so 12 of 15 is 80% and not a float's 79.99...%."""
    return prescribed > 0 and Fraction(min(completed, prescribed), prescribed) >= Fraction(
        ADHERENT_PERCENT, 100
    )


def adherence_band(percent: int) -> str:
    """`adherent` (80% or more), `notice` (50-79%) or `alert` (below 50%)."""
    if percent >= ADHERENT_PERCENT:
        return ADHERENT
    if percent >= ALERT_PERCENT:
        return NOTICE
    return ALERT
