"""Build domain values from the fixtures' JSON (already parsed), with errors that say where."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from ptrx.plans.domain.types import (
    BRANCHES,
    Catalogue,
    CatalogueExercise,
    DomainError,
    Dose,
    Protocol,
    ProtocolEntry,
    ProtocolPhase,
)

_DOSE_FIELDS = ("sets", "reps", "hold_seconds", "sessions_per_day", "days_per_week")


def protocols_from_json(data: object, *, catalogue: Catalogue | None = None) -> Mapping[str, Protocol]:
    """Protocols keyed by branch from fixtures/protocols.json's list.

    With a catalogue, every exercise slug must be in it.
    """
    protocols: dict[str, Protocol] = {}
    for index, record in enumerate(_records(data, "protocols")):
        where = f"protocol #{index + 1}"
        branch = _text(record, "branch", where)
        where = f"{branch} protocol"
        if branch not in BRANCHES:
            raise DomainError(f"{where}: unknown branch; expected one of {BRANCHES}.")
        if branch in protocols:
            raise DomainError(f"{where}: appears twice.")
        phases = tuple(
            _phase(raw, where, position, catalogue)
            for position, raw in enumerate(_records(record.get("phases"), f"{where} phases"), 1)
        )
        numbers = [phase.number for phase in phases]
        if numbers != list(range(1, len(phases) + 1)):
            raise DomainError(f"{where}: phases must be numbered 1..n in order, got {numbers}.")
        protocols[branch] = Protocol(
            branch=branch, phases=phases, name=_text(record, "name", where, blank=True, default="")
        )
    return MappingProxyType(protocols)


def catalogue_from_json(data: object) -> Catalogue:
    """The catalogue from fixtures/exercise_library.json; regressions follow progressions.

    Accepts plain records or Django fixture records (`{"model", "fields"}`), whose
    progression is a natural key such as `["bridge"]`.
    """
    records = [
        _mapping(record.get("fields", record), "exercise") for record in _records(data, "exercise library")
    ]
    progression_of: dict[str, str | None] = {}
    regression_of: dict[str, str] = {}
    for record in records:
        slug = _text(record, "slug", "exercise")
        up = _slug_or_none(record.get("progression"), f"exercise {slug!r} progression")
        progression_of[slug] = up
        if up is not None:
            if up in regression_of:
                raise DomainError(f"Exercises {regression_of[up]!r} and {slug!r} both progress to {up!r}.")
            regression_of[up] = slug
    exercises = []
    for record in records:
        slug = _text(record, "slug", "exercise")
        where = f"exercise {slug!r}"
        exercises.append(
            CatalogueExercise(
                slug=slug,
                category=_text(record, "category", where),
                position=_text(record, "position", where, blank=True),
                per_side=_flag(record, "per_side", where),
                level=_number(record, "level", where),
                progression=progression_of[slug],
                regression=regression_of.get(slug),
                branches=_branches(record.get("branches"), where),
                precautions=frozenset(record.get("precautions") or ()),
            )
        )
    return Catalogue.of(exercises)


def _phase(
    record: Mapping[str, Any], protocol: str, position: int, catalogue: Catalogue | None
) -> ProtocolPhase:
    number = _number(record, "number", f"{protocol}, phase #{position}")
    where = f"{protocol}, phase {number}"
    min_weeks = _number(record, "min_weeks", where)
    typical_weeks = _number(record, "typical_weeks", where)
    if not 1 <= min_weeks <= typical_weeks:
        raise DomainError(f"{where}: need 1 <= min_weeks <= typical_weeks.")
    entries = tuple(
        _entry(raw, where, catalogue) for raw in _records(record.get("entries"), f"{where} entries")
    )
    if not entries:
        raise DomainError(f"{where}: has no exercises.")
    return ProtocolPhase(
        number=number,
        name=_text(record, "name", where),
        goal=_text(record, "goal", where),
        min_weeks=min_weeks,
        typical_weeks=typical_weeks,
        entries=entries,
    )


def _entry(record: Mapping[str, Any], where: str, catalogue: Catalogue | None) -> ProtocolEntry:
    exercise = _text(record, "exercise", where)
    where = f"{where}, exercise {exercise!r}"
    if catalogue is not None and exercise not in catalogue.exercises:
        raise DomainError(f"{where}: not in the exercise library.")
    values = {name: _number(record, name, where, minimum=0) for name in _DOSE_FIELDS}
    try:
        dose = Dose(**values)
    except DomainError as error:
        raise DomainError(f"{where}: {error}") from None
    optional = record.get("optional", False)
    if not isinstance(optional, bool):
        raise DomainError(f"{where}: optional must be true or false.")
    return ProtocolEntry(
        exercise=exercise,
        dose=dose,
        notes=_text(record, "notes", where, blank=True, default=""),
        optional=optional,
    )


def _records(value: object, where: str) -> list[Mapping[str, Any]]:
    if not isinstance(value, list):
        raise DomainError(f"{where}: expected a list.")
    return [_mapping(item, where) for item in value]


def _mapping(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise DomainError(f"{where}: expected an object, got {type(value).__name__}.")
    return value


def _text(
    record: Mapping[str, Any],
    key: str,
    where: str,
    *,
    blank: bool = False,
    default: str | None = None,
) -> str:
    value = record.get(key, default)
    if not isinstance(value, str) or not (blank or value):
        raise DomainError(f"{where}: {key!r} must be a {'' if blank else 'non-empty '}string.")
    return value


def _number(record: Mapping[str, Any], key: str, where: str, *, minimum: int = 1) -> int:
    value = record.get(key)
    # bool is an int in Python; `true` is not a count.
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise DomainError(f"{where}: {key!r} must be a whole number >= {minimum}.")
    return value


def _flag(record: Mapping[str, Any], key: str, where: str) -> bool:
    value = record.get(key, False)
    if not isinstance(value, bool):
        raise DomainError(f"{where}: {key!r} must be true or false.")
    return value


def _slug_or_none(value: object, where: str) -> str | None:
    # A Django natural key is a one-item list.
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if value is None or (isinstance(value, str) and value):
        return value
    raise DomainError(f"{where}: expected a slug or null.")


def _branches(value: object, where: str) -> frozenset[str]:
    if value == "all" or value == ["all"]:
        return frozenset(BRANCHES)
    if not isinstance(value, list) or not all(isinstance(branch, str) for branch in value):
        raise DomainError(f"{where}: 'branches' must be a list of branch names.")
    return frozenset(value)
