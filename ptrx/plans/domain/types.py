"""Value types of the plan domain: frozen, hashable where they can be, framework-free."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType

BRANCHES = ("superior", "middle", "inferior")  # canonical order
SIDES = ("left", "right", "bilateral")
IRRITABILITIES = ("low", "moderate", "high")
NAMED_CATEGORIES = (
    "breathing",
    "rotational_stretch",
    "neurodynamic_glide",
    "core_strength",
    "gluteal_strength",
)
CATEGORIES = (*NAMED_CATEGORIES, "mobility", "education")
POSITIONS = ("supine", "prone", "side_lying", "sitting", "standing", "quadruped", "")


class DomainError(ValueError):
    """Input the plan domain cannot work with; the message says what and where."""


@dataclass(frozen=True, slots=True)
class CatalogueExercise:
    slug: str
    category: str
    position: str
    per_side: bool
    level: int
    progression: str | None
    regression: str | None
    branches: frozenset[str]
    # Precaution codes (CLINICAL.md §9) that rule the exercise out.
    precautions: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not self.slug:
            raise DomainError("An exercise needs a slug.")
        if self.category not in CATEGORIES:
            raise DomainError(f"Exercise {self.slug!r}: unknown category {self.category!r}.")
        if self.position not in POSITIONS:
            raise DomainError(f"Exercise {self.slug!r}: unknown position {self.position!r}.")
        if self.level < 1:
            raise DomainError(f"Exercise {self.slug!r}: level must be 1 or more.")
        if not self.branches or not self.branches <= frozenset(BRANCHES):
            raise DomainError(f"Exercise {self.slug!r}: branches must be a non-empty subset of {BRANCHES}.")


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The exercise library as the generator sees it: slugs linked into ladders."""

    exercises: Mapping[str, CatalogueExercise]
    # Each exercise's ladder foot, worked out once (generation asks for it per entry).
    roots: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def of(cls, exercises: Iterable[CatalogueExercise]) -> Catalogue:
        by_slug: dict[str, CatalogueExercise] = {}
        for exercise in exercises:
            if exercise.slug in by_slug:
                raise DomainError(f"Exercise {exercise.slug!r} appears twice in the catalogue.")
            by_slug[exercise.slug] = exercise
        # A ladder is a chain: each link must point at a real exercise one level up
        # and be mirrored by the link back down, otherwise ladder_root could loop.
        for exercise in by_slug.values():
            up = exercise.progression
            if up is not None:
                upper = by_slug.get(up)
                if upper is None:
                    raise DomainError(f"Exercise {exercise.slug!r}: progression {up!r} is unknown.")
                if upper.regression != exercise.slug:
                    raise DomainError(f"Exercise {exercise.slug!r}: {up!r} does not regress back to it.")
                if upper.level <= exercise.level:
                    raise DomainError(
                        f"Exercise {exercise.slug!r}: progression {up!r} is not at a higher level."
                    )
            down = exercise.regression
            if down is not None and (down not in by_slug or by_slug[down].progression != exercise.slug):
                raise DomainError(f"Exercise {exercise.slug!r}: regression {down!r} does not progress to it.")
        roots = {}
        for slug, exercise in by_slug.items():
            current = exercise
            # Levels strictly fall on the way down (checked above), so this ends.
            while current.regression is not None:
                current = by_slug[current.regression]
            roots[slug] = current.slug
        return cls(exercises=MappingProxyType(by_slug), roots=MappingProxyType(roots))

    def get(self, slug: str) -> CatalogueExercise:
        try:
            return self.exercises[slug]
        except KeyError:
            raise DomainError(f"Exercise {slug!r} is not in the catalogue.") from None

    def step_down(self, slug: str) -> str | None:
        return self.get(slug).regression

    def ladder_root(self, slug: str) -> str:
        root = self.roots.get(slug)
        if root is not None:
            return root
        # Levels strictly fall on the way down (checked in `of`), so this ends.
        current = self.get(slug)
        while current.regression is not None:
            current = self.get(current.regression)
        return current.slug


@dataclass(frozen=True, slots=True)
class Dose:
    sets: int
    reps: int
    hold_seconds: int
    sessions_per_day: int
    days_per_week: int

    def __post_init__(self) -> None:
        if self.sets < 1 or self.reps < 1 or self.sessions_per_day < 1:
            raise DomainError(f"{self}: sets, reps and sessions per day must be at least 1.")
        if self.hold_seconds < 0:
            raise DomainError(f"{self}: hold seconds cannot be negative.")
        if not 1 <= self.days_per_week <= 7:
            raise DomainError(f"{self}: days per week must be 1 to 7.")

    @property
    def volume(self) -> int:
        """A single number to compare doses of the same exercise (time under load per week)."""
        return self.sets * self.reps * max(self.hold_seconds, 1) * self.sessions_per_day * self.days_per_week


@dataclass(frozen=True, slots=True)
class ProtocolEntry:
    exercise: str
    dose: Dose
    notes: str = ""
    # An option the therapist adds by hand when the patient is ready; never generated.
    optional: bool = False


@dataclass(frozen=True, slots=True)
class ProtocolPhase:
    number: int
    name: str
    goal: str
    min_weeks: int
    typical_weeks: int
    entries: tuple[ProtocolEntry, ...]


@dataclass(frozen=True, slots=True)
class Protocol:
    branch: str
    phases: tuple[ProtocolPhase, ...]
    name: str = ""


@dataclass(frozen=True, slots=True)
class PatientContext:
    branches: frozenset[str]
    side: str
    irritability: str

    def __post_init__(self) -> None:
        if isinstance(self.branches, str):
            raise DomainError("Branches must be a collection of branch names, not one string.")
        branches = frozenset(self.branches)
        object.__setattr__(self, "branches", branches)
        unknown = sorted(branches - frozenset(BRANCHES))
        if unknown:
            raise DomainError(f"Unknown branch {', '.join(unknown)}; expected {BRANCHES}.")
        if not branches:
            raise DomainError("At least one branch must be involved.")
        if self.side not in SIDES:
            raise DomainError(f"Unknown side {self.side!r}; expected one of {SIDES}.")
        if self.irritability not in IRRITABILITIES:
            raise DomainError(
                f"Unknown irritability {self.irritability!r}; expected one of {IRRITABILITIES}."
            )

    @property
    def ordered_branches(self) -> tuple[str, ...]:
        return tuple(branch for branch in BRANCHES if branch in self.branches)


@dataclass(frozen=True, slots=True)
class PrescriptionDraft:
    exercise: str
    sets: int
    reps: int
    hold_seconds: int
    side: str
    sessions_per_day: int
    days_of_week: tuple[int, ...]
    notes: str
    order: int

    @property
    def volume(self) -> int:
        """Same measure as Dose.volume, over the scheduled days."""
        return (
            self.sets * self.reps * max(self.hold_seconds, 1) * self.sessions_per_day * len(self.days_of_week)
        )


@dataclass(frozen=True, slots=True)
class PhaseDraft:
    number: int
    name: str
    goal: str
    min_weeks: int
    typical_weeks: int
    prescriptions: tuple[PrescriptionDraft, ...]


@dataclass(frozen=True, slots=True)
class PlanDraft:
    title: str
    branches: tuple[str, ...]
    side: str
    irritability: str
    start: date
    phases: tuple[PhaseDraft, ...]
