"""The pain-monitoring rule: advance, hold or step back one phase (CLINICAL.md §4).

The pain limits follow Silbernagel et al. 2007 and the clinic traffic light; how they
combine with adherence into advance / hold / regress is our design choice, not
evidence (CLINICAL.md §4 says so), and every threshold is a named constant here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from ptrx.plans.domain.adherence import ADHERENT_PERCENT, adherence_percent, is_adherent
from ptrx.plans.domain.types import DomainError

WINDOW_DAYS = 7  # "in the last 7 days" (CLINICAL.md §4)
GREEN_MAX_PAIN = 3  # traffic light: 0-3 green (CLINICAL.md §4)
AMBER_MAX_PAIN = 5  # 4-5 amber; also Silbernagel's ceiling for pain during exercise
AMBER_DAYS_TO_REGRESS = 2  # "two amber days in a week" (our rule, CLINICAL.md §4)
# The baseline comes from the check-ins of the plan's first 7 days (CLINICAL.md §4).
BASELINE_DAYS = 7
# Sliders before tensioners (CLINICAL.md §4): the tensioner is kept only when the
# slider's pain during exercise over the previous 7 days stayed at 2/10 or less.
SLIDER_QUIET_MAX_PAIN = 2

ADVANCE = "advance"
HOLD = "hold"
REGRESS = "regress"


@dataclass(frozen=True, slots=True)
class DayRecord:
    date: date
    prescribed: int  # session-items scheduled that day
    completed: int  # session-items logged that day
    max_pain_during: int | None  # highest pain during exercise, 0-10
    pain_next_morning: int | None  # 0-10, from the next day's check-in
    flare: bool


@dataclass(frozen=True, slots=True)
class ProgressInput:
    today: date
    phase_number: int
    phase_count: int
    phase_started_on: date
    phase_min_weeks: int
    baseline_pain: int | None
    days: tuple[DayRecord, ...]  # the last 14 days, oldest first

    def __post_init__(self) -> None:
        if not 1 <= self.phase_number <= self.phase_count:
            raise DomainError(f"Phase {self.phase_number} is not within 1..{self.phase_count}.")
        for day in self.days:
            if day.prescribed < 0 or day.completed < 0:
                raise DomainError(f"{day.date}: session counts cannot be negative.")
            for pain in (day.max_pain_during, day.pain_next_morning):
                if pain is not None and not 0 <= pain <= 10:
                    raise DomainError(f"{day.date}: pain {pain} is outside 0-10.")


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    text: str


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: str  # ADVANCE, HOLD or REGRESS
    reasons: tuple[Reason, ...]


def evaluate_progress(data: ProgressInput) -> Decision:
    """Decide whether the patient moves up a phase, stays, or steps back one."""
    this_week = _between(data.days, data.today - timedelta(days=WINDOW_DAYS), data.today)
    last_week = _between(
        data.days,
        data.today - timedelta(days=2 * WINDOW_DAYS),
        data.today - timedelta(days=WINDOW_DAYS),
    )

    warnings = _warning_signs(this_week)
    if warnings:
        if data.phase_number > 1:
            return Decision(REGRESS, warnings)
        return Decision(
            HOLD,
            (*warnings, Reason("already_first_phase", "Already in the first phase: staying here.")),
        )

    unmet = _unmet_criteria(data, this_week, last_week)
    if unmet:
        return Decision(HOLD, unmet)
    return Decision(
        ADVANCE,
        (
            Reason(
                "criteria_met",
                f"{_percent(this_week)}% of the planned exercise sessions were done in the "
                "last 7 days, pain stayed within limits and settled by the next morning.",
            ),
        ),
    )


def _between(days: Sequence[DayRecord], after: date, until: date) -> tuple[DayRecord, ...]:
    return tuple(day for day in days if after < day.date <= until)


def _warning_signs(week: Sequence[DayRecord]) -> tuple[Reason, ...]:
    """Signs that the load is too much: any red day, repeated amber days, a flare."""
    pains = [day.max_pain_during for day in week if day.max_pain_during is not None]
    red = [pain for pain in pains if pain > AMBER_MAX_PAIN]
    amber = [pain for pain in pains if GREEN_MAX_PAIN < pain <= AMBER_MAX_PAIN]
    reasons = []
    if red:
        reasons.append(Reason("red_pain", f"Pain during exercise reached {max(red)}/10 this week."))
    if len(amber) >= AMBER_DAYS_TO_REGRESS:
        reasons.append(
            Reason("amber_days", f"Pain during exercise was 4-5/10 on {len(amber)} days this week.")
        )
    if any(day.flare for day in week):
        reasons.append(Reason("flare", "A flare-up was reported this week."))
    return tuple(reasons)


def _unmet_criteria(
    data: ProgressInput, this_week: Sequence[DayRecord], last_week: Sequence[DayRecord]
) -> tuple[Reason, ...]:
    reasons = []
    if (data.today - data.phase_started_on).days < WINDOW_DAYS * data.phase_min_weeks:
        reasons.append(
            Reason(
                "phase_too_short",
                f"This phase lasts at least {data.phase_min_weeks} week(s); it is not over yet.",
            )
        )
    if not is_adherent(**_sessions(this_week)):
        reasons.append(
            Reason(
                "low_adherence",
                f"{_percent(this_week)}% of the planned exercise sessions were done in the "
                f"last 7 days; {ADHERENT_PERCENT}% is needed to move on.",
            )
        )
    mornings = [day.pain_next_morning for day in this_week if day.pain_next_morning is not None]
    if data.baseline_pain is None or not mornings:
        reasons.append(
            Reason(
                "next_morning_unknown",
                "No next-morning pain was recorded this week, so we cannot tell whether "
                "pain settles overnight.",
            )
        )
    elif max(mornings) > data.baseline_pain:
        reasons.append(
            Reason(
                "next_morning_above_baseline",
                f"Next-morning pain reached {max(mornings)}/10, above the usual {data.baseline_pain}/10.",
            )
        )
    # Back to a baseline that is itself in the red zone is not ready to move on.
    if mornings and max(mornings) > AMBER_MAX_PAIN:
        reasons.append(
            Reason(
                "next_morning_red",
                f"Next-morning pain reached {max(mornings)}/10; it needs to be 5/10 or less to move on.",
            )
        )
    this_mean, last_mean = _mean_pain(this_week), _mean_pain(last_week)
    if this_mean is not None and last_mean is not None and this_mean > last_mean:
        reasons.append(
            Reason(
                "pain_rising",
                f"Average pain during exercise rose from {last_mean:.1f} to {this_mean:.1f}/10 "
                "since the week before.",
            )
        )
    if data.phase_number >= data.phase_count:
        reasons.append(Reason("last_phase", "This is the last phase of the plan."))
    return tuple(reasons)


def _sessions(week: Sequence[DayRecord]) -> dict[str, int]:
    return {
        "prescribed": sum(day.prescribed for day in week),
        "completed": sum(day.completed for day in week),
    }


def _percent(week: Sequence[DayRecord]) -> int:
    return adherence_percent(**_sessions(week))


def _mean_pain(week: Sequence[DayRecord]) -> float | None:
    pains = [day.max_pain_during for day in week if day.max_pain_during is not None]
    return sum(pains) / len(pains) if pains else None


def plan_baseline(*, intake: int | None, first_week_mornings: Sequence[int]) -> int | None:
    """The plan's baseline next-morning pain, fixed for the whole plan (CLINICAL.md §4):
    the intake rating when the therapist recorded one, otherwise the median next-morning
    pain of the check-ins dated in the plan's first BASELINE_DAYS days; None until there
    is one (the rule then holds with `next_morning_unknown`)."""
    if intake is not None:
        return intake
    if not first_week_mornings:
        return None
    ordered = sorted(first_week_mornings)
    # With an even count, the lower of the two middle values: CLINICAL.md leaves it
    # open, and a lower baseline is harder to get back to, so the conservative choice.
    return ordered[(len(ordered) - 1) // 2]


def slider_unquiet(slider_pains: Sequence[int]) -> str | None:
    """Why the slider's logs over the previous 7 days do not show it quiet enough for a
    tensioner beside it (pain during at SLIDER_QUIET_MAX_PAIN or less, CLINICAL.md §4),
    or None when they do. No logs show nothing, so they are not quiet (conservative)."""
    if not slider_pains:
        return "the slider was not logged in the last 7 days"
    if max(slider_pains) > SLIDER_QUIET_MAX_PAIN:
        return f"pain during the slider reached {max(slider_pains)}/10 in the last 7 days"
    return None


def tensioner_deferral(slider_pains: Sequence[int]) -> Reason | None:
    """None when a tensioner may stay beside its fallback slider (slider_unquiet), else
    why the phase keeps the slider alone."""
    why = slider_unquiet(slider_pains)
    if why is None:
        return None
    return Reason(
        "tensioner_deferred",
        f"The tensioner waits: {why}, and it must stay at {SLIDER_QUIET_MAX_PAIN}/10 or less "
        "first. The gentler slider continues on its own.",
    )
