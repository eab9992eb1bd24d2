"""What plan generation reads: the library and the protocols, kept per process."""

from collections.abc import Mapping
from dataclasses import dataclass

from ptrx.content import content_changes_pending, content_version
from ptrx.exercises.models import Exercise
from ptrx.plans.domain import Catalogue, CatalogueExercise, Dose, Protocol, ProtocolEntry, ProtocolPhase
from ptrx.plans.models import Protocol as ProtocolModel
from ptrx.plans.models import ProtocolEntry as ProtocolEntryModel
from ptrx.plans.models import ProtocolPhase as ProtocolPhaseModel


def catalogue_load() -> Catalogue:
    """The exercise library as the pure generator sees it."""
    rows = list(
        Exercise.objects.values(
            "pk",
            "slug",
            "category",
            "position",
            "per_side",
            "level",
            "progression_id",
            "branches",
            "precautions",
        )
    )
    slug_of = {row["pk"]: row["slug"] for row in rows}
    regression_of = {row["progression_id"]: row["slug"] for row in rows if row["progression_id"]}
    return Catalogue.of(
        CatalogueExercise(
            slug=row["slug"],
            category=row["category"],
            position=row["position"],
            per_side=row["per_side"],
            level=row["level"],
            progression=slug_of.get(row["progression_id"]),
            regression=regression_of.get(row["pk"]),
            branches=frozenset(row["branches"]),
            precautions=frozenset(row["precautions"]),
        )
        for row in rows
    )


def protocols_load() -> Mapping[str, Protocol]:
    """Every protocol in the database, keyed by branch.

    Three queries of plain rows (no model instances, no exercise content): plan
    generation reads every protocol for every plan it makes.
    """
    entries: dict[int, list[ProtocolEntry]] = {}
    for (
        phase_id,
        slug,
        sets,
        reps,
        hold,
        sessions,
        days,
        notes,
        optional,
    ) in ProtocolEntryModel.objects.order_by("phase_id", "id").values_list(
        "phase_id",
        "exercise__slug",
        "sets",
        "reps",
        "hold_seconds",
        "sessions_per_day",
        "days_per_week",
        "notes",
        "optional",
    ):
        entries.setdefault(phase_id, []).append(
            ProtocolEntry(
                exercise=slug,
                dose=Dose(
                    sets=sets, reps=reps, hold_seconds=hold, sessions_per_day=sessions, days_per_week=days
                ),
                notes=notes,
                optional=optional,
            )
        )
    phases: dict[int, list[ProtocolPhase]] = {}
    for (
        phase_id,
        protocol_id,
        number,
        name,
        goal,
        min_weeks,
        typical_weeks,
    ) in ProtocolPhaseModel.objects.order_by("protocol_id", "number").values_list(
        "id", "protocol_id", "number", "name", "goal", "min_weeks", "typical_weeks"
    ):
        phases.setdefault(protocol_id, []).append(
            ProtocolPhase(
                number=number,
                name=name,
                goal=goal,
                min_weeks=min_weeks,
                typical_weeks=typical_weeks,
                entries=tuple(entries.get(phase_id, ())),
            )
        )
    return {
        branch: Protocol(branch=branch, name=name, phases=tuple(phases.get(protocol_id, ())))
        for protocol_id, branch, name in ProtocolModel.objects.order_by("pk").values_list(
            "id", "branch", "name"
        )
    }


@dataclass(frozen=True)
class PlanSources:
    """What plan generation reads: the library, the protocols, and each exercise's id by slug."""

    catalogue: Catalogue
    protocols: Mapping[str, Protocol]
    exercise_ids: Mapping[str, int]


# This process's last plan sources and the content version they were read under.
_plan_sources: tuple[str, PlanSources] | None = None


def plan_sources_load() -> PlanSources:
    """`catalogue_load` and `protocols_load` for plan generation, kept in this process while
    the content version (ptrx.content) is unchanged: no query when nothing changed.

    The loaders and the exercise admin give the content a new version when they commit,
    so a change committed by any process is seen on the next call.
    """
    global _plan_sources  # one per process, replaced whole (never mutated)
    # The version first: what is read after it is at least as new, so a change committed
    # in between costs one more read on the next call, never a stale answer.
    version = content_version()
    pending = content_changes_pending()
    kept = _plan_sources
    if not pending and kept is not None and kept[0] == version:
        return kept[1]
    sources = PlanSources(
        catalogue=catalogue_load(),
        protocols=protocols_load(),
        exercise_ids=dict(Exercise.objects.values_list("slug", "id")),
    )
    # What this transaction changed but has not committed is for its own reads only.
    if not pending:
        _plan_sources = (version, sources)
    return sources
