"""The exercise list's filters, `?category=&branch=`, as a django-filter FilterSet."""

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django_filters.fields import ChoiceField
from drf_spectacular.utils import extend_schema_field

from ptrx.exercises.models import Branch, Category, Exercise
from ptrx.exercises.selectors import exercises_for_branch


class _GivenChoiceField(ChoiceField):
    """A choice that may be left out but not given empty: `?branch=` is a 400, not "any"."""

    def clean(self, value: Any) -> Any:
        if value == "":
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
            )
        return super().clean(value)


class _ChoiceFilter(django_filters.ChoiceFilter):
    field_class = _GivenChoiceField


def choice_filter(choices: list[tuple[str, str]], **kwargs: Any) -> _ChoiceFilter:
    """A choice filter whose error names the value given and the allowed ones."""
    allowed = ", ".join(value for value, _label in choices)
    built = _ChoiceFilter(
        choices=choices,
        empty_label=None,
        error_messages={"invalid_choice": f'"%(value)s" is not allowed; use one of: {allowed}.'},
        **kwargs,
    )
    # The published schema says an empty value is refused too.
    schema = {
        "type": "string",
        "enum": [value for value, _label in choices],
        "minLength": 1,
        "description": "\n".join(f"* `{value}` - {label}" for value, label in choices),
    }
    return extend_schema_field(schema)(built)  # type: ignore[no-any-return]


class ExerciseFilter(django_filters.FilterSet):
    category = choice_filter(Category.choices)
    branch = choice_filter(Branch.choices, method="filter_branch")

    class Meta:
        model = Exercise
        fields = ("category", "branch")

    def filter_branch(self, exercises: QuerySet[Exercise], name: str, value: str) -> QuerySet[Exercise]:
        return exercises_for_branch(exercises, branch=value)
