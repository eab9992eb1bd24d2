"""Writes to the exercise library: loading the clinical content from fixtures, and the
admin's saves and deletions. Each gives the content a new version (ptrx.content), so plan
generation reads the library again."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from ptrx.content import content_changed
from ptrx.exercises.ladders import ladder_problems
from ptrx.exercises.models import Exercise

LIBRARY_FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "exercise_library.json"

# Every key a library entry carries, apart from `slug` and `progression`.
CONTENT_FIELDS = (
    "name", "category", "branches", "summary", "instructions", "cues", "cautions", "precautions",
    "position", "equipment", "per_side", "sets", "reps", "hold_seconds",
    "sessions_per_day", "days_per_week", "level", "media_url", "is_active",
)  # fmt: skip


@dataclass(frozen=True)
class LibraryLoadResult:
    created: int
    updated: int
    unchanged: int


def library_load(*, entries: list[dict[str, Any]] | None = None, reset: bool = False) -> LibraryLoadResult:
    """Load library entries: new exercises are created; existing ones are left as a
    therapist may have edited them, unless `reset` puts them back to the fixture."""
    if entries is None:
        entries = json.loads(LIBRARY_FIXTURE.read_text(encoding="utf-8"))
    problems = ladder_problems(entries)
    if problems:
        raise ValidationError(problems)
    updated = 0
    new_slugs: set[str] = set()
    with transaction.atomic():
        existing = {exercise.slug: exercise for exercise in Exercise.objects.all()}
        for entry in entries:
            fields = {name: entry[name] for name in CONTENT_FIELDS if name in entry}
            exercise = existing.get(entry["slug"])
            if exercise is None:
                exercise = Exercise(slug=entry["slug"], **fields)
                exercise.full_clean(exclude=["progression"])
                exercise.save()
                existing[exercise.slug] = exercise
                new_slugs.add(exercise.slug)
            elif reset and any(getattr(exercise, k) != v for k, v in fields.items()):
                for name, value in fields.items():
                    setattr(exercise, name, value)
                exercise.full_clean(exclude=["progression"])
                exercise.save()
                updated += 1
        # Links second, once every target exists: on exercises new in this load, or
        # everywhere on reset. A ladder edited in the admin is otherwise kept.
        for entry in entries:
            exercise = existing[entry["slug"]]
            target = existing.get(entry.get("progression") or "")
            target_id = target.pk if target else None
            if (exercise.slug not in new_slugs and not reset) or exercise.progression_id == target_id:
                continue
            if target is not None:
                # Free the target first so the one-to-one link never clashes mid-reset.
                Exercise.objects.filter(progression=target).exclude(pk=exercise.pk).update(progression=None)
            exercise.progression = target
            exercise.save(update_fields=["progression"])
        content_changed()
    created = len(new_slugs)
    return LibraryLoadResult(created=created, updated=updated, unchanged=len(entries) - created - updated)


def exercise_save(*, exercise: Exercise) -> Exercise:
    """Save an exercise as edited (the admin's form has validated it)."""
    with transaction.atomic():
        exercise.save()
        content_changed()
    return exercise


def exercises_delete(*, exercises: QuerySet[Exercise]) -> int:
    """Delete these exercises (none that a protocol or a prescription uses: PROTECT)."""
    with transaction.atomic():
        deleted, _by_model = exercises.delete()
        content_changed()
    return deleted
