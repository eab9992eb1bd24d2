"""When each questionnaire is due (our design, from the issue): a baseline when the plan
is activated, then every 4 weeks, and once more when the plan is completed. An
instrument may start later (EARS from week 2, when there is an exercise routine to rate)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

REVIEW_EVERY_DAYS = 28
# How long after completion the closing questionnaires stay due.
COMPLETION_WINDOW_DAYS = 28

BASELINE = "baseline"
REVIEW = "review"
COMPLETION = "completion"
REASONS = (BASELINE, REVIEW, COMPLETION)


@dataclass(frozen=True, slots=True)
class Timing:
    code: str
    name: str
    # Days after the plan's start of the first occasion (0: at activation).
    first_day: int = 0
    # Branches the instrument is for; empty for every patient.
    branches: frozenset[str] = frozenset()

    def applies_to(self, branches: frozenset[str]) -> bool:
        return not self.branches or bool(self.branches & branches)


@dataclass(frozen=True, slots=True)
class Due:
    code: str
    name: str
    reason: str
    since: date


def occasion(timing: Timing, *, start: date, today: date) -> tuple[date, str] | None:
    """The latest occasion on or before `today` while the plan runs, with its reason."""
    first = start + timedelta(days=timing.first_day)
    if today < first:
        return None
    # Later occasions fall on the plan's 4-weekly rhythm, after the first one.
    reviews = (today - start).days // REVIEW_EVERY_DAYS
    latest = start + timedelta(days=reviews * REVIEW_EVERY_DAYS)
    if latest <= first:
        return first, BASELINE
    return latest, REVIEW


def occasion_on(timing: Timing, *, start: date, day: date) -> bool:
    """Whether `day` is one of the instrument's occasions while the plan runs."""
    found = occasion(timing, start=start, today=day)
    return found is not None and found[0] == day


def questionnaires_due(
    timings: Sequence[Timing],
    *,
    branches: frozenset[str],
    start: date,
    today: date,
    completed_on: date | None,
    answered: Mapping[str, Sequence[date]],
) -> tuple[Due, ...]:
    """What the patient should answer today: each instrument whose latest occasion has
    no response on or after it. `answered` maps a code to its response dates."""
    due: list[Due] = []
    for timing in timings:
        if not timing.applies_to(branches):
            continue
        if completed_on is not None:
            if not completed_on <= today < completed_on + timedelta(days=COMPLETION_WINDOW_DAYS):
                continue
            found: tuple[date, str] | None = (completed_on, COMPLETION)
        else:
            found = occasion(timing, start=start, today=today)
        if found is None:
            continue
        since, reason = found
        if any(day >= since for day in answered.get(timing.code, ())):
            continue
        due.append(Due(code=timing.code, name=timing.name, reason=reason, since=since))
    return tuple(due)
