"""The exercise picker of the plan page: the admin's autocomplete, narrowed by
`category:`, `branch:` and `position:` words in the search, with each result labelled
by its category, level, position and the rungs either side of it on its ladder."""

from typing import Any

from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.db.models import QuerySet

from ptrx.exercises.models import Exercise
from ptrx.exercises.selectors import exercises_for_branch

# A search word `name:value` -> the field it narrows (a part of the stored value matches);
# `branch:` goes through the library's own branch rule.
PICKER_FILTERS = {"category": "category", "position": "position"}


def picker_filters(exercises: QuerySet[Exercise], term: str) -> tuple[QuerySet[Exercise], str]:
    """`exercises` narrowed by the `name:value` words of `term`, and the rest of the term."""
    words = []
    for word in term.split():
        name, colon, value = word.partition(":")
        name = name.lower()
        if colon and value and name == "branch":
            exercises = exercises_for_branch(exercises, branch=value.lower())
        elif colon and value and name in PICKER_FILTERS:
            exercises = exercises.filter(**{f"{PICKER_FILTERS[name]}__icontains": value})
        else:
            words.append(word)
    return exercises, " ".join(words)


def picker_label(exercise: Exercise) -> str:
    easier = exercise.regression_or_none
    harder = exercise.progression
    position = exercise.get_position_display().lower() if exercise.position else "no position"
    return (
        f"{exercise.name} ({exercise.get_category_display().lower()}, level {exercise.level}, {position}; "
        f"easier: {easier.name if easier else 'none'}; harder: {harder.name if harder else 'none'})"
    )


class ExercisePickerView(AutocompleteJsonView):
    """The admin's autocomplete answer, with the ladder in each label (two joins, no
    query per result)."""

    def get_queryset(self) -> QuerySet[Exercise]:
        return super().get_queryset().select_related("progression", "regression")

    def serialize_result(self, obj: Any, to_field_name: str) -> dict[str, str]:
        return {"id": str(getattr(obj, to_field_name)), "text": picker_label(obj)}
