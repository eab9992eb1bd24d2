"""The outcome rules without a database: scoring worked examples, meaningful change both
ways, and the questionnaire schedule across a plan."""

import datetime as dt
import json
from pathlib import Path

import pytest

from ptrx.outcomes.domain import (
    NPRS_CHANGE,
    SCORING_RULES,
    AnswerError,
    Change,
    Instrument,
    InstrumentError,
    Item,
    Outcome,
    Timing,
    ears_dropped,
    instrument_from_json,
    odi_band,
    questionnaires_due,
    score_answers,
)

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "questionnaires.json"
SHIPPED = {entry["code"]: instrument_from_json(entry) for entry in json.loads(FIXTURE.read_text())}
# An Oswestry definition shaped like a licensed one, with placeholder text.
ODI = Instrument(
    code="odi",
    name="Oswestry Disability Index",
    scoring="odi",
    items=tuple(
        Item(key=f"section_{n}", text=f"Section {n}", low=0, high=5, optional=True) for n in range(10)
    ),
    change=Change(points=10, percent=30, higher_is_better=False),
    min_answered=8,
)


def test_the_fixture_ships_the_four_instruments_and_no_oswestry_text():
    assert set(SHIPPED) == {"psfs", "ears", "sitting_tolerance", "standing_tolerance"}
    assert all(instrument.scoring in SCORING_RULES for instrument in SHIPPED.values())


def test_psfs_is_the_mean_of_three_to_five_activities():
    psfs = SHIPPED["psfs"]
    assert score_answers(psfs, {"activity_1": 4, "activity_2": 5, "activity_3": 6}) == 5.0
    five = {f"activity_{n}": value for n, value in zip(range(1, 6), (3, 4, 5, 6, 8), strict=True)}
    assert score_answers(psfs, five) == 5.2
    with pytest.raises(AnswerError) as missing:
        score_answers(psfs, {"activity_1": 4, "activity_2": 5})
    assert "activity_3" in missing.value.problems


def test_psfs_proposes_sitting_for_the_inferior_branch_and_standing_for_the_others():
    first = SHIPPED["psfs"].items[0]
    assert "Sit for 30 minutes on a firm chair" in first.text_for(("inferior",))
    assert "Stand or walk for 30 minutes" in first.text_for(("superior",))
    assert "Suggested" not in SHIPPED["psfs"].items[1].text_for(("inferior",))


def test_ears_reverses_the_positively_worded_items():
    ears = SHIPPED["ears"]
    completely_agree = {item.key: item.choices[0].value for item in ears.items}
    # Items 1, 4 and 6 say "I do ...": agreeing scores 4; items 2, 3 and 5 say "I forget ...": 0.
    assert completely_agree == {"item_1": 4, "item_2": 0, "item_3": 0, "item_4": 4, "item_5": 0, "item_6": 4}
    assert score_answers(ears, completely_agree) == 12
    best = {item.key: max(item.allowed) for item in ears.items}
    assert score_answers(ears, best) == 24
    with pytest.raises(AnswerError) as out_of_range:
        score_answers(ears, {**best, "item_2": 5})
    assert set(out_of_range.value.problems) == {"item_2"}


def test_oswestry_divides_by_the_sections_answered():
    all_ten = {f"section_{n}": 2 for n in range(10)}
    assert score_answers(ODI, all_ten) == 40.0
    nine = {f"section_{n}": 2 for n in range(9)}
    # 18 / (5 x 9) x 100, not 18 / 50.
    assert score_answers(ODI, nine) == 40.0
    with pytest.raises(AnswerError):
        score_answers(ODI, {f"section_{n}": 1 for n in range(7)})


@pytest.mark.parametrize(
    ("score", "band"),
    [(0, "minimal"), (20, "minimal"), (21, "moderate"), (40, "moderate"), (60, "severe"), (61, "crippled"),
     (81, "bed-bound"), (100, "bed-bound")],
)  # fmt: skip
def test_oswestry_bands(score, band):
    assert odi_band(score) == band


def test_an_oswestry_definition_needs_ten_sections_scored_0_to_5():
    with pytest.raises(InstrumentError):
        Instrument(code="odi", name="ODI", scoring="odi", items=ODI.items[:9], change=None)


def test_unknown_items_and_non_numbers_are_named():
    tolerance = SHIPPED["sitting_tolerance"]
    assert score_answers(tolerance, {"minutes": 45}) == 45
    with pytest.raises(AnswerError) as bad:
        score_answers(tolerance, {"minutes": "45", "extra": 1})
    assert set(bad.value.problems) == {"minutes", "extra"}
    with pytest.raises(AnswerError):
        score_answers(tolerance, {"minutes": True})


@pytest.mark.parametrize(
    ("scores", "change", "meaningful", "worse"),
    [
        ((6, 4), NPRS_CHANGE, True, False),  # 2 points better
        ((4, 6), NPRS_CHANGE, True, True),  # 2 points worse
        ((3, 2), NPRS_CHANGE, True, False),  # 1 point is over 30% of 3
        ((5, 4), NPRS_CHANGE, False, False),  # 1 point, 20% of 5
        ((20, 14), ODI.change, True, False),  # 6 points is 30% of 20
        ((50, 42), ODI.change, False, False),  # 8 points, 16%
        ((30, 40), ODI.change, True, True),  # 10 points worse
        ((3.0, 5.0), SHIPPED["psfs"].change, True, False),
        ((5.0, 3.2), SHIPPED["psfs"].change, False, False),
        ((5.0, 3.0), SHIPPED["psfs"].change, True, True),
        ((20, 14), SHIPPED["ears"].change, True, True),  # a drop of 6
        ((20, 15), SHIPPED["ears"].change, False, False),
        ((60, 10), None, None, False),  # tolerance: no established threshold, no claim
    ],
)
def test_meaningful_change_both_ways(scores, change, meaningful, worse):
    outcome = Outcome.of(scores, change)
    assert outcome.baseline == scores[0]
    assert outcome.by == pytest.approx(scores[-1] - scores[0])
    assert outcome.meaningful is meaningful
    assert outcome.worse is worse


def test_one_score_is_no_change():
    assert Outcome.of([5], NPRS_CHANGE).meaningful is False
    assert Outcome.of([], NPRS_CHANGE).baseline is None


def test_an_ears_drop_of_5_5_or_more_from_the_last_rating():
    assert ears_dropped([22, 16])
    assert not ears_dropped([22, 17])
    assert not ears_dropped([16, 22])
    assert not ears_dropped([22])


START = dt.date(2026, 11, 2)
TIMINGS = (
    Timing(code="psfs", name="PSFS"),
    Timing(code="ears", name="EARS", first_day=14),
    Timing(code="sitting_tolerance", name="Sitting", branches=frozenset({"inferior"})),
    Timing(code="standing_tolerance", name="Standing", branches=frozenset({"superior", "middle"})),
)


def due(day: int, answered=None, *, branches=("inferior",), completed_on=None):
    found = questionnaires_due(
        TIMINGS,
        branches=frozenset(branches),
        start=START,
        today=START + dt.timedelta(days=day),
        completed_on=completed_on,
        answered=answered or {},
    )
    return {(item.code, item.reason) for item in found}


def test_the_schedule_across_a_plan():
    # Activation: the baseline of what applies to the branch; EARS waits for week 2.
    assert due(0) == {("psfs", "baseline"), ("sitting_tolerance", "baseline")}
    assert due(0, branches=("superior",)) == {("psfs", "baseline"), ("standing_tolerance", "baseline")}
    answered = {"psfs": [START], "sitting_tolerance": [START + dt.timedelta(days=2)]}
    assert due(13, answered) == set()
    assert due(14, answered) == {("ears", "baseline")}
    answered["ears"] = [START + dt.timedelta(days=15)]
    assert due(27, answered) == set()
    # Every 4 weeks, whatever the phase the plan has reached.
    assert due(28, answered) == {("psfs", "review"), ("ears", "review"), ("sitting_tolerance", "review")}
    answered = {code: [START + dt.timedelta(days=30)] for code in ("psfs", "ears", "sitting_tolerance")}
    assert due(55, answered) == set()
    assert due(56, answered) == {("psfs", "review"), ("ears", "review"), ("sitting_tolerance", "review")}


def test_a_missed_occasion_is_replaced_by_the_next():
    assert due(60) == {("psfs", "review"), ("ears", "review"), ("sitting_tolerance", "review")}


def test_completion_asks_once_more_then_stops():
    completed = START + dt.timedelta(days=70)
    answered = {"psfs": [START + dt.timedelta(days=60)]}
    assert due(70, answered, completed_on=completed) == {
        ("psfs", "completion"), ("ears", "completion"), ("sitting_tolerance", "completion"),
    }  # fmt: skip
    assert due(71, {"psfs": [completed]}, completed_on=completed) == {
        ("ears", "completion"), ("sitting_tolerance", "completion"),
    }  # fmt: skip
    assert due(70 + 28, completed_on=completed) == set()
