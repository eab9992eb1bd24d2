"""The pain-monitoring progression rule (CLINICAL.md §4), without a database."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ptrx.plans.domain import (
    ADVANCE,
    HOLD,
    REGRESS,
    SLIDER_QUIET_MAX_PAIN,
    DayRecord,
    Decision,
    DomainError,
    ProgressInput,
    evaluate_progress,
    plan_baseline,
    tensioner_deferral,
)

TODAY = date(2025, 5, 14)


def fortnight(
    *,
    prescribed: int = 10,
    completed: int = 10,
    pain: int | None = 2,
    morning: int | None = 2,
) -> tuple[DayRecord, ...]:
    """Fourteen calm, fully adherent days ending today, oldest first."""
    return tuple(
        DayRecord(
            date=TODAY - timedelta(days=back),
            prescribed=prescribed,
            completed=completed,
            max_pain_during=pain,
            pain_next_morning=morning,
            flare=False,
        )
        for back in range(13, -1, -1)
    )


def with_days(days: tuple[DayRecord, ...], changes: dict[int, dict[str, Any]]) -> tuple[DayRecord, ...]:
    """The days with fields changed, keyed by how many days before today."""
    by_date = {TODAY - timedelta(days=back): fields for back, fields in changes.items()}
    return tuple(replace(day, **by_date.get(day.date, {})) for day in days)


def progress_input(**overrides: object) -> ProgressInput:
    values: dict[str, object] = {
        "today": TODAY,
        "phase_number": 2,
        "phase_count": 4,
        "phase_started_on": TODAY - timedelta(weeks=3),
        "phase_min_weeks": 2,
        "baseline_pain": 3,
        "days": fortnight(),
    }
    values.update(overrides)
    return ProgressInput(**values)  # type: ignore[arg-type]


def codes(decision: Decision) -> set[str]:
    return {reason.code for reason in decision.reasons}


# -- advance ------------------------------------------------------------------------


def test_advances_when_every_criterion_is_met() -> None:
    decision = evaluate_progress(progress_input())
    assert decision.outcome == ADVANCE
    assert codes(decision) == {"criteria_met"}
    assert "100%" in decision.reasons[0].text


def test_exactly_80_percent_adherence_is_enough() -> None:
    # 12 of 15 is 80%: exact arithmetic, no float rounding down to 79.99%.
    days = fortnight(prescribed=15, completed=12)
    decision = evaluate_progress(progress_input(days=days))
    assert decision.outcome == ADVANCE
    assert "80%" in decision.reasons[0].text


def test_one_amber_day_is_a_caution_not_a_stop() -> None:
    # The week before averaged higher, so the single amber day is not a rising trend.
    earlier = {back: {"max_pain_during": 3} for back in range(7, 14)}
    days = with_days(fortnight(), {**earlier, 2: {"max_pain_during": 5}})
    assert evaluate_progress(progress_input(days=days)).outcome == ADVANCE


def test_the_minimum_length_counts_whole_weeks() -> None:
    started = TODAY - timedelta(weeks=2)
    assert evaluate_progress(progress_input(phase_started_on=started)).outcome == ADVANCE
    one_day_short = started + timedelta(days=1)
    decision = evaluate_progress(progress_input(phase_started_on=one_day_short))
    assert decision.outcome == HOLD
    assert codes(decision) == {"phase_too_short"}


# -- hold: one reason each ------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"phase_started_on": TODAY - timedelta(days=5)}, "phase_too_short"),
        ({"days": fortnight(prescribed=10, completed=7)}, "low_adherence"),
        ({"days": fortnight(prescribed=0, completed=0)}, "low_adherence"),
        ({"days": fortnight(morning=None)}, "next_morning_unknown"),
        ({"baseline_pain": None}, "next_morning_unknown"),
        ({"days": fortnight(morning=4)}, "next_morning_above_baseline"),
        ({"days": fortnight(morning=6), "baseline_pain": 6}, "next_morning_red"),
        ({"phase_number": 4}, "last_phase"),
    ],
    ids=[
        "too-short",
        "low-adherence",
        "nothing-prescribed",
        "no-morning-pain",
        "no-baseline",
        "morning-above-baseline",
        "morning-red-at-baseline",
        "last-phase",
    ],
)
def test_holds_with_the_unmet_criterion(overrides: dict[str, object], code: str) -> None:
    decision = evaluate_progress(progress_input(**overrides))
    assert decision.outcome == HOLD
    assert codes(decision) == {code}
    assert all(reason.text for reason in decision.reasons)


def test_holds_when_pain_rises_from_the_week_before() -> None:
    days = fortnight(pain=1)
    days = with_days(days, {back: {"max_pain_during": 3} for back in range(7)})
    decision = evaluate_progress(progress_input(days=days))
    assert decision.outcome == HOLD
    assert codes(decision) == {"pain_rising"}
    assert "1.0" in decision.reasons[0].text and "3.0" in decision.reasons[0].text


def test_pain_trend_needs_both_weeks_of_data() -> None:
    days = with_days(fortnight(pain=3), {back: {"max_pain_during": None} for back in range(7, 14)})
    assert evaluate_progress(progress_input(days=days)).outcome == ADVANCE


def test_one_high_morning_holds_even_if_others_are_at_baseline() -> None:
    days = with_days(fortnight(), {3: {"pain_next_morning": 5}})
    decision = evaluate_progress(progress_input(days=days))
    assert codes(decision) == {"next_morning_above_baseline"}
    assert "5/10" in decision.reasons[0].text


def test_back_to_a_red_baseline_is_not_ready_to_advance() -> None:
    # Issue 12's worked example: next-morning 6/10 every day against a baseline of 6.
    decision = evaluate_progress(progress_input(baseline_pain=6, days=fortnight(morning=6)))
    assert decision.outcome == HOLD
    assert codes(decision) == {"next_morning_red"}
    assert "6/10" in decision.reasons[0].text


def test_next_morning_pain_of_5_is_not_red() -> None:
    decision = evaluate_progress(progress_input(baseline_pain=5, days=fortnight(morning=5)))
    assert decision.outcome == ADVANCE


def test_one_red_morning_holds_whatever_the_baseline() -> None:
    days = with_days(fortnight(), {2: {"pain_next_morning": 7}})
    decision = evaluate_progress(progress_input(baseline_pain=8, days=days))
    assert decision.outcome == HOLD
    assert codes(decision) == {"next_morning_red"}


def test_holds_with_every_unmet_criterion_at_once() -> None:
    decision = evaluate_progress(
        progress_input(
            phase_number=4,
            phase_started_on=TODAY,
            baseline_pain=None,
            days=fortnight(completed=1),
        )
    )
    assert decision.outcome == HOLD
    assert codes(decision) == {
        "phase_too_short",
        "low_adherence",
        "next_morning_unknown",
        "last_phase",
    }


# -- the plan's baseline -----------------------------------------------------------


def test_the_intake_rating_is_the_baseline() -> None:
    assert plan_baseline(intake=4, first_week_mornings=[1, 1, 1]) == 4
    assert plan_baseline(intake=0, first_week_mornings=[6, 6]) == 0


@pytest.mark.parametrize(
    ("mornings", "baseline"),
    [
        ([5], 5),
        ([5, 1, 3], 3),
        ([4, 2], 2),
        ([6, 2, 5, 3], 3),
        ([3, 3, 7, 7, 7, 7], 7),
        ([], None),
    ],
    ids=["one", "odd", "even-two", "even-four", "even-tie", "none"],
)
def test_without_intake_the_baseline_is_the_lower_median_of_the_first_week(
    mornings: list[int], baseline: int | None
) -> None:
    assert plan_baseline(intake=None, first_week_mornings=mornings) == baseline


# -- sliders before tensioners --------------------------------------------------------


@pytest.mark.parametrize("pains", [[0], [2, 2, 2], [1, 0, 2, 1]])
def test_a_quiet_slider_keeps_the_tensioner(pains: list[int]) -> None:
    assert tensioner_deferral(pains) is None


def test_a_slider_above_2_defers_the_tensioner() -> None:
    reason = tensioner_deferral([1, SLIDER_QUIET_MAX_PAIN + 1, 2])
    assert reason is not None
    assert reason.code == "tensioner_deferred"
    assert "3/10" in reason.text and "slider continues" in reason.text


def test_an_unlogged_slider_defers_the_tensioner() -> None:
    reason = tensioner_deferral([])
    assert reason is not None
    assert reason.code == "tensioner_deferred"
    assert "not logged" in reason.text


# -- regress -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({1: {"max_pain_during": 6}}, "red_pain"),
        ({1: {"max_pain_during": 4}, 5: {"max_pain_during": 5}}, "amber_days"),
        ({0: {"flare": True}}, "flare"),
    ],
    ids=["red", "two-amber", "flare"],
)
def test_regresses_on_warning_signs(changes: dict[int, dict[str, Any]], code: str) -> None:
    decision = evaluate_progress(progress_input(days=with_days(fortnight(), changes)))
    assert decision.outcome == REGRESS
    assert codes(decision) == {code}


def test_regression_reports_every_warning_sign() -> None:
    days = with_days(
        fortnight(),
        {0: {"max_pain_during": 8, "flare": True}, 1: {"max_pain_during": 4}, 2: {"max_pain_during": 5}},
    )
    decision = evaluate_progress(progress_input(days=days))
    assert decision.outcome == REGRESS
    assert codes(decision) == {"red_pain", "amber_days", "flare"}
    assert "8/10" in next(r.text for r in decision.reasons if r.code == "red_pain")


def test_warning_signs_outweigh_met_criteria() -> None:
    # Adherent, long enough, morning pain fine, yet a red day: no advance.
    days = with_days(fortnight(), {6: {"max_pain_during": 7}})
    assert evaluate_progress(progress_input(days=days)).outcome == REGRESS


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({1: {"max_pain_during": 6}}, "red_pain"),
        ({1: {"max_pain_during": 4}, 5: {"max_pain_during": 5}}, "amber_days"),
        ({0: {"flare": True}}, "flare"),
    ],
    ids=["red", "two-amber", "flare"],
)
def test_phase_1_cannot_regress_so_it_holds(changes: dict[int, dict[str, Any]], code: str) -> None:
    days = with_days(fortnight(), changes)
    decision = evaluate_progress(progress_input(phase_number=1, days=days))
    assert decision.outcome == HOLD
    assert codes(decision) == {code, "already_first_phase"}


def test_only_the_last_seven_days_count_for_warning_signs() -> None:
    # Day 7 back is outside the window (dates after today-7 up to today).
    days = with_days(fortnight(), {7: {"max_pain_during": 9, "flare": True}})
    assert evaluate_progress(progress_input(days=days)).outcome == ADVANCE
    days = with_days(fortnight(), {6: {"flare": True}})
    assert evaluate_progress(progress_input(days=days)).outcome == REGRESS


def test_days_outside_the_fortnight_and_in_the_future_are_ignored() -> None:
    stray = (
        DayRecord(TODAY - timedelta(days=30), 10, 0, 9, 9, True),
        DayRecord(TODAY + timedelta(days=1), 10, 0, 9, 9, True),
    )
    decision = evaluate_progress(progress_input(days=(stray[0], *fortnight(), stray[1])))
    assert decision.outcome == ADVANCE


# -- bad input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"phase_number": 0},
        {"phase_number": 5},
        {"days": with_days(fortnight(), {0: {"max_pain_during": 11}})},
        {"days": with_days(fortnight(), {0: {"pain_next_morning": -1}})},
        {"days": with_days(fortnight(), {0: {"completed": -1}})},
    ],
)
def test_invalid_input_is_a_domain_error(overrides: dict[str, object]) -> None:
    with pytest.raises(DomainError):
        progress_input(**overrides)


# -- property-based ------------------------------------------------------------------

pains = st.none() | st.integers(0, 10)
day_records = st.tuples(st.integers(0, 6), st.integers(0, 6), pains, pains, st.booleans())


@settings(max_examples=200, deadline=None)
@given(
    records=st.lists(day_records, min_size=14, max_size=14),
    phase_number=st.integers(1, 4),
    baseline=st.none() | st.integers(0, 10),
)
def test_property_outcome_follows_the_traffic_light(
    records: list[tuple[int, int, int | None, int | None, bool]],
    phase_number: int,
    baseline: int | None,
) -> None:
    days = tuple(
        DayRecord(TODAY - timedelta(days=13 - i), prescribed, completed, pain, morning, flare)
        for i, (prescribed, completed, pain, morning, flare) in enumerate(records)
    )
    decision = evaluate_progress(progress_input(phase_number=phase_number, baseline_pain=baseline, days=days))
    week = days[7:]
    during = [d.max_pain_during for d in week if d.max_pain_during is not None]
    warning = (
        any(p >= 6 for p in during) or sum(4 <= p <= 5 for p in during) >= 2 or any(d.flare for d in week)
    )
    assert decision.reasons
    if warning:
        assert decision.outcome == (REGRESS if phase_number > 1 else HOLD)
    else:
        assert decision.outcome in (ADVANCE, HOLD)
    if decision.outcome == ADVANCE:
        prescribed = sum(d.prescribed for d in week)
        assert prescribed and sum(d.completed for d in week) * 5 >= prescribed * 4
        assert phase_number < 4 and baseline is not None
        assert all(d.pain_next_morning is None or d.pain_next_morning <= baseline for d in week)
        assert all(d.pain_next_morning is None or d.pain_next_morning <= 5 for d in week)
