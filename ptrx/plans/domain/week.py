"""A phase's week: which weekdays each item falls on, kept to what a home session can
hold (CLINICAL.md §8)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from ptrx.plans.domain.session import MAX_EXERCISES_PER_DAY, MAX_SECONDS_PER_DAY
from ptrx.plans.domain.types import ProtocolEntry

# Spread sessions over the week; strength days stay non-consecutive where the
# count allows (CLINICAL.md §2, ACSM: 2-3 non-consecutive days).
DAYS_OF_WEEK: Mapping[int, tuple[int, ...]] = MappingProxyType(
    {
        1: (2,),
        2: (1, 4),
        3: (0, 2, 4),
        4: (0, 1, 3, 4),
        5: (0, 1, 2, 3, 4),
        6: (0, 1, 2, 3, 4, 5),
        7: (0, 1, 2, 3, 4, 5, 6),
    }
)
# Other weekly patterns with the same spacing, so that a phase can put some of its
# strength work on alternate days and keep each day short (CLINICAL.md §8).
ALTERNATE_DAYS: Mapping[int, tuple[tuple[int, ...], ...]] = MappingProxyType(
    {1: ((4,), (0,)), 2: ((0, 3), (2, 5)), 3: ((1, 3, 5),)}
)


@dataclass(frozen=True, slots=True)
class Placed:
    entry: ProtocolEntry
    category: str
    level: int
    side: str
    seconds: int
    counts: bool  # an exercise item (advice items take no place in a session)
    emphasised: bool
    protected: bool  # a tensioner and its fallback slider stay together


def _place(items: Sequence[Placed]) -> tuple[list[tuple[int, ...]], bool]:
    """Weekdays for each item (in the order given, emphasised categories first): its
    usual pattern, or an alternate with the same spacing when that makes the busiest
    day lighter; and whether a day then holds more than a home session."""
    # Daily items weigh on every day alike, so only the others decide between patterns.
    every_day_count = every_day_seconds = 0
    count = [0] * 7
    seconds = [0] * 7
    placed = []
    for item in items:
        usual = DAYS_OF_WEEK[item.entry.dose.days_per_week]
        if not item.counts:
            placed.append(usual)
            continue
        if len(usual) == 7:
            every_day_count += 1
            every_day_seconds += item.seconds
            placed.append(usual)
            continue
        days = usual
        best = (max(count[day] for day in usual), max(seconds[day] for day in usual))
        for pattern in ALTERNATE_DAYS.get(len(usual), ()):
            load = (max(count[day] for day in pattern), max(seconds[day] for day in pattern))
            if load < best:  # ties keep the usual pattern
                days, best = pattern, load
        for day in days:
            count[day] += 1
            seconds[day] += item.seconds
        placed.append(days)
    over = (
        every_day_count + max(count) > MAX_EXERCISES_PER_DAY
        or every_day_seconds + max(seconds) > MAX_SECONDS_PER_DAY
    )
    return placed, over


def fit_sessions(items: list[Placed]) -> list[tuple[Placed, tuple[int, ...]]]:
    """Leave out exercise items until no day holds more than 6 of them or 30 estimated
    minutes. Kept longest: the last item of its category in the phase, a tensioner
    with its fallback slider, then the branches' emphasised categories; among the
    rest the lowest rung goes first (what the phase adds is its harder work, CLINICAL.md
    §3), then the longest. The week is laid out again after each one."""
    items = sorted(items, key=lambda item: (not item.emphasised, item.entry.exercise))
    while True:
        days, over = _place(items)
        if not over:
            return list(zip(items, days, strict=True))
        per_category: dict[str, int] = {}
        for item in items:
            if item.counts:
                per_category[item.category] = per_category.get(item.category, 0) + 1
        dropped = min(
            (item for item in items if item.counts),
            key=lambda item: _keep_rank(item, per_category),
        )
        items = [item for item in items if item is not dropped]


def _keep_rank(item: Placed, per_category: Mapping[str, int]) -> tuple[bool, bool, bool, int, int, str]:
    """Lower ranks are left out first (see fit_sessions)."""
    sole = per_category[item.category] == 1
    return (sole, item.protected, item.emphasised, item.level, -item.seconds, item.entry.exercise)
