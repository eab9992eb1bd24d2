"""Field rules shared by the services, the admin forms and the API serializers."""

import functools
import zoneinfo

from django.core.exceptions import ValidationError

from ptrx.exercises.models import Branch
from ptrx.plans.domain.red_flags import RED_FLAGS

# IANA's geographic areas. A patient's zone is Area/Location in one of them, or UTC;
# the other names zoneinfo knows are legacy aliases (US/Eastern, GB), POSIX-style
# rules (EST5EDT, Etc/GMT+5, whose sign is inverted) or system entries (localtime, Factory).
TIME_ZONE_AREAS = frozenset(
    {
        "Africa",
        "America",
        "Antarctica",
        "Arctic",
        "Asia",
        "Atlantic",
        "Australia",
        "Europe",
        "Indian",
        "Pacific",
    }
)


@functools.cache
def time_zones() -> tuple[str, ...]:
    """The time zone names a patient may have, sorted."""
    return tuple(
        sorted(
            name
            for name in zoneinfo.available_timezones()
            if name == "UTC" or name.split("/", 1)[0] in TIME_ZONE_AREAS
        )
    )


@functools.cache
def _time_zone_set() -> frozenset[str]:
    return frozenset(time_zones())


def validate_timezone(name: str) -> None:
    if name not in _time_zone_set():
        raise ValidationError(
            f'"{name}" is not a known IANA time zone (for example Europe/London).', code="timezone"
        )


def validate_branches(branches: object) -> None:
    allowed = [value for value, _label in Branch.choices]
    if not isinstance(branches, list | tuple) or not branches:
        raise ValidationError("Give at least one branch.", code="branches")
    unknown = [branch for branch in branches if branch not in allowed]
    if unknown:
        raise ValidationError(
            f"Unknown branch {', '.join(map(str, unknown))}; use {', '.join(allowed)}.", code="branches"
        )
    if len(set(branches)) != len(branches):
        raise ValidationError("A branch is listed twice.", code="branches")


def validate_red_flag_answers(answers: object) -> None:
    if not isinstance(answers, dict):
        raise ValidationError(
            "Red-flag answers must be an object of question code to true/false.", code="red_flags"
        )
    unknown = sorted(set(answers) - set(RED_FLAGS))
    if unknown:
        raise ValidationError(
            f"Unknown red-flag question {', '.join(unknown)}; use {', '.join(RED_FLAGS)}.", code="red_flags"
        )
    if any(not isinstance(value, bool) for value in answers.values()):
        raise ValidationError("Each red-flag answer must be true or false.", code="red_flags")


def canonical_branches(branches: list[str] | tuple[str, ...]) -> list[str]:
    """Branches in the canonical order superior, middle, inferior."""
    order = [value for value, _label in Branch.choices]
    return sorted(set(branches), key=order.index)
