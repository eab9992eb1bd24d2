"""Reads of the exercise library."""

from collections.abc import Iterable

from django.db.models import QuerySet

from ptrx.exercises.models import Exercise


def exercise_list() -> QuerySet[Exercise]:
    """Active exercises, ladder links loaded."""
    return Exercise.objects.filter(is_active=True).select_related("progression", "regression")


def exercises_for_branch(exercises: QuerySet[Exercise], *, branch: str) -> QuerySet[Exercise]:
    """Those of `exercises` that suit `branch` (a Branch value)."""
    # Matching its quoted JSON string works on SQLite and PostgreSQL alike (SQLite
    # has no JSON containment lookup).
    return exercises.filter(branches__icontains=f'"{branch}"')


def exercise_names(*, slugs: Iterable[str]) -> dict[str, str]:
    """Slug -> name of the given exercises, in one query."""
    return dict(Exercise.objects.filter(slug__in=list(slugs)).values_list("slug", "name"))
