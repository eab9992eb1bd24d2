"""Reads of the exercise library."""

from django.db.models import QuerySet

from ptrx.exercises.models import Exercise


def exercise_list(*, category: str | None = None, branch: str | None = None) -> QuerySet[Exercise]:
    """Active exercises, optionally of one category and suiting one branch, ladder links loaded."""
    exercises = Exercise.objects.filter(is_active=True).select_related("progression", "regression")
    if category:
        exercises = exercises.filter(category=category)
    if branch:
        # `branch` is a validated Branch value; matching its quoted JSON string works
        # on SQLite and PostgreSQL alike (SQLite has no JSON containment lookup).
        exercises = exercises.filter(branches__icontains=f'"{branch}"')
    return exercises
