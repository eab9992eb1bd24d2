"""Outcome instruments as data: items, scoring rules and meaningful change (CLINICAL.md §7)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType


class InstrumentError(ValueError):
    """A definition the domain cannot score; the message says what and where."""


class AnswerError(ValueError):
    """Answers that do not fit the definition: item key -> what is wrong with it."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{key}: {problem}" for key, problem in problems.items()))
        self.problems = dict(problems)


@dataclass(frozen=True, slots=True)
class Choice:
    value: int
    label: str


@dataclass(frozen=True, slots=True)
class Item:
    """One question: a number from `low` to `high`, or one of `choices` (each choice's
    value is already the item's score, so a reverse-scored item lists its values reversed)."""

    key: str
    text: str
    low: int = 0
    high: int = 0
    choices: tuple[Choice, ...] = ()
    optional: bool = False
    # Branch -> an activity proposed to patients with that branch (PSFS).
    proposed: tuple[tuple[str, str], ...] = ()

    def text_for(self, branches: Sequence[str]) -> str:
        """The item's text, with the activity proposed for the first of `branches` that has one."""
        proposals = dict(self.proposed)
        for branch in branches:
            if branch in proposals:
                return f"{self.text} Suggested activity: {proposals[branch]}."
        return self.text

    @property
    def allowed(self) -> frozenset[int]:
        if self.choices:
            return frozenset(choice.value for choice in self.choices)
        return frozenset(range(self.low, self.high + 1))

    def describe(self) -> str:
        if self.choices:
            return "one of " + ", ".join(str(value) for value in sorted(self.allowed))
        return f"a whole number from {self.low} to {self.high}"


@dataclass(frozen=True, slots=True)
class Change:
    """The smallest change that matters: `points`, or `percent` of the baseline when given."""

    points: float
    percent: float | None
    higher_is_better: bool

    def threshold(self, baseline: float) -> float:
        """The smallest change from `baseline` that matters (points, or the percent when smaller)."""
        if self.percent is not None and baseline > 0:
            return min(self.points, baseline * self.percent / 100)
        return self.points

    def is_meaningful(self, *, baseline: float, by: float) -> bool:
        # Rounded, so a change of exactly the threshold counts despite float error.
        return round(abs(by), 6) >= round(self.threshold(baseline), 6) and by != 0

    def is_worse(self, *, by: float) -> bool:
        return by < 0 if self.higher_is_better else by > 0


@dataclass(frozen=True, slots=True)
class Instrument:
    code: str
    name: str
    scoring: str
    items: tuple[Item, ...]
    # None where no minimal important change is established (tolerance in minutes).
    change: Change | None
    min_answered: int = 0

    def __post_init__(self) -> None:
        if self.scoring not in SCORING_RULES:
            raise InstrumentError(f"{self.code}: unknown scoring rule {self.scoring!r}.")
        if not self.items:
            raise InstrumentError(f"{self.code}: no items.")
        keys = [item.key for item in self.items]
        if len(set(keys)) != len(keys):
            raise InstrumentError(f"{self.code}: an item key appears twice.")
        for item in self.items:
            if not item.choices and item.high <= item.low:
                raise InstrumentError(f"{self.code}.{item.key}: needs choices or a range low < high.")
        if self.scoring == "odi" and (
            len(self.items) != ODI_SECTIONS or any(item.allowed != ODI_SECTION_RANGE for item in self.items)
        ):
            raise InstrumentError(f"{self.code}: the Oswestry index has {ODI_SECTIONS} sections scored 0-5.")
        if self.scoring == "value" and len(self.items) != 1:
            raise InstrumentError(f"{self.code}: a single-value instrument has exactly one item.")


def score_range(instrument: Instrument) -> tuple[float, float]:
    """The lowest and highest score the instrument can give."""
    lows = [min(item.allowed) for item in instrument.items]
    highs = [max(item.allowed) for item in instrument.items]
    if instrument.scoring == "sum":
        return float(sum(lows)), float(sum(highs))
    if instrument.scoring == "odi":
        return 0.0, 100.0
    return float(min(lows)), float(max(highs))


def _sum(values: Sequence[int]) -> float:
    return float(sum(values))


def _mean(values: Sequence[int]) -> float:
    return round(sum(values) / len(values), 2)


ODI_SECTIONS = 10
ODI_SECTION_RANGE = frozenset(range(6))


def _odi(values: Sequence[int]) -> float:
    # Fairbank: sum / (5 x sections answered) x 100, so a skipped section does not count as 0.
    return round(sum(values) / (5 * len(values)) * 100, 1)


def _value(values: Sequence[int]) -> float:
    return float(values[0])


# Scoring rule name (as the definitions name it) -> how the answered items' scores combine.
SCORING_RULES: Mapping[str, Callable[[Sequence[int]], float]] = MappingProxyType(
    {"sum": _sum, "mean": _mean, "odi": _odi, "value": _value}
)

# Oswestry bands (CLINICAL.md §7): upper bound of each band, inclusive.
ODI_BANDS = ((20, "minimal"), (40, "moderate"), (60, "severe"), (80, "crippled"), (100, "bed-bound"))


def odi_band(score: float) -> str:
    """The Oswestry band of a score 0-100 (a band's upper bound belongs to it)."""
    for upper, band in ODI_BANDS:
        if score <= upper:
            return band
    raise InstrumentError(f"An Oswestry score is 0-100, not {score}.")


def score_answers(instrument: Instrument, answers: Mapping[str, object]) -> float:
    """The instrument's score for `answers` (item key -> value); AnswerError names each
    missing, unknown or out-of-range item."""
    problems: dict[str, str] = {}
    known = {item.key for item in instrument.items}
    for key in answers:
        if key not in known:
            problems[key] = f"not an item of {instrument.code}."
    values: list[int] = []
    for item in instrument.items:
        value = answers.get(item.key)
        if value is None:
            if not item.optional:
                problems[item.key] = "this item needs an answer."
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value not in item.allowed:
            problems[item.key] = f"answer with {item.describe()}."
            continue
        values.append(value)
    if not problems and len(values) < max(instrument.min_answered, 1):
        first_skipped = next(item.key for item in instrument.items if item.key not in answers)
        problems[first_skipped] = f"answer at least {instrument.min_answered} items."
    if problems:
        raise AnswerError(problems)
    score = SCORING_RULES[instrument.scoring](values)
    if not math.isfinite(score):
        raise InstrumentError(f"{instrument.code}: the score is not a number.")
    return score


@dataclass(frozen=True, slots=True)
class Outcome:
    """A series of scores over time, against its first one."""

    baseline: float | None
    latest: float | None
    by: float | None
    meaningful: bool | None
    worse: bool

    @classmethod
    def of(cls, scores: Sequence[float], change: Change | None) -> Outcome:
        if not scores:
            return cls(baseline=None, latest=None, by=None, meaningful=None, worse=False)
        baseline, latest = scores[0], scores[-1]
        by = round(latest - baseline, 2)
        if change is None:
            return cls(baseline=baseline, latest=latest, by=by, meaningful=None, worse=False)
        meaningful = len(scores) > 1 and change.is_meaningful(baseline=baseline, by=by)
        return cls(
            baseline=baseline,
            latest=latest,
            by=by,
            meaningful=meaningful,
            worse=meaningful and change.is_worse(by=by),
        )


# NPRS (0-10, from the check-ins): 2 points or 30% of the baseline, lower is better.
NPRS_CODE = "nprs"
NPRS_CHANGE = Change(points=2, percent=30, higher_is_better=False)
# EARS: a drop of 5.5 or more alerts the therapist (CLINICAL.md §6).
EARS_CODE = "ears"
EARS_ALERT_DROP = 5.5


def ears_dropped(scores: Sequence[float]) -> bool:
    """True when the latest EARS total is at least 5.5 below the one before it (a slower
    decline shows as a meaningful worsening from the baseline instead)."""
    return len(scores) > 1 and scores[-2] - scores[-1] >= EARS_ALERT_DROP


def _item_from_json(code: str, entry: Mapping[str, object]) -> Item:
    key, text = entry.get("key"), entry.get("text")
    if not isinstance(key, str) or not key or not isinstance(text, str) or not text:
        raise InstrumentError(f"{code}: every item needs a key and a text.")
    raw_choices = entry.get("choices") or []
    if not isinstance(raw_choices, list):
        raise InstrumentError(f"{code}.{key}: choices must be a list.")
    choices = []
    for choice in raw_choices:
        value = choice.get("value") if isinstance(choice, dict) else None
        label = choice.get("label") if isinstance(choice, dict) else None
        if isinstance(value, bool) or not isinstance(value, int) or not isinstance(label, str):
            raise InstrumentError(f"{code}.{key}: each choice needs an integer value and a label.")
        choices.append(Choice(value=value, label=label))
    low, high = entry.get("min", 0), entry.get("max", 0)
    if not isinstance(low, int) or not isinstance(high, int):
        raise InstrumentError(f"{code}.{key}: min and max must be whole numbers.")
    proposed = entry.get("proposed") or {}
    if not isinstance(proposed, dict) or not all(isinstance(v, str) for v in proposed.values()):
        raise InstrumentError(f"{code}.{key}: proposed maps a branch to an activity.")
    return Item(
        key=key,
        text=text,
        low=low,
        high=high,
        choices=tuple(choices),
        optional=bool(entry.get("optional")),
        proposed=tuple(sorted(proposed.items())),
    )


def instrument_from_json(entry: Mapping[str, object]) -> Instrument:
    """An Instrument from its definition as fixtures/questionnaires.json spells it."""
    code, name = entry.get("code"), entry.get("name")
    if not isinstance(code, str) or not code or not isinstance(name, str) or not name:
        raise InstrumentError("A questionnaire needs a code and a name.")
    items = entry.get("items")
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise InstrumentError(f"{code}: items must be a list of objects.")
    change = entry.get("meaningful_change")
    if change is not None:
        if not isinstance(change, dict) or not isinstance(change.get("points"), int | float):
            raise InstrumentError(f"{code}: meaningful_change needs points (or is null).")
        percent = change.get("percent")
        if percent is not None and not isinstance(percent, int | float):
            raise InstrumentError(f"{code}: meaningful_change percent must be a number or null.")
        change = Change(
            points=float(change["points"]),
            percent=None if percent is None else float(percent),
            higher_is_better=bool(change.get("higher_is_better")),
        )
    min_answered = entry.get("min_answered", 0)
    scoring = entry.get("scoring")
    if not isinstance(min_answered, int) or not isinstance(scoring, str):
        raise InstrumentError(f"{code}: scoring must be a name and min_answered a whole number.")
    return Instrument(
        code=code,
        name=name,
        scoring=scoring,
        items=tuple(_item_from_json(code, item) for item in items),
        change=change,
        min_answered=min_answered,
    )


def worsened(code: str, scores: Sequence[float], change: Change | None) -> bool:
    """Whether the latest of `scores` (oldest first) calls for the therapist: a meaningful
    worsening from the first, or an EARS drop of 5.5 or more from the one before."""
    return Outcome.of(scores, change).worse or (code == EARS_CODE and ears_dropped(scores))
