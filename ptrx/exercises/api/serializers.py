"""Output and query serializers of the exercise library API."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ptrx.exercises.models import Branch, Category, Exercise, Position


def choice_field(choices: list[tuple[str, str]], **kwargs: Any) -> serializers.ChoiceField:
    """A choice field whose error names the allowed values."""
    allowed = ", ".join(value for value, _label in choices)
    return serializers.ChoiceField(
        choices=choices,
        error_messages={"invalid_choice": f'"{{input}}" is not allowed; use one of: {allowed}.'},
        **kwargs,
    )


class ExerciseQuerySerializer(serializers.Serializer[dict[str, str]]):
    category = choice_field(Category.choices, required=False)
    branch = choice_field(Branch.choices, required=False)


class ExerciseSerializer(serializers.ModelSerializer[Exercise]):
    progression: serializers.SlugRelatedField[Exercise] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )
    regression = serializers.SerializerMethodField()
    branches = serializers.ListField(child=serializers.ChoiceField(choices=Branch.choices))
    instructions = serializers.ListField(child=serializers.CharField())
    cues = serializers.ListField(child=serializers.CharField())
    cautions = serializers.ListField(child=serializers.CharField())
    # Empty when the exercise has no video or picture.
    media_url = serializers.CharField(read_only=True)
    # Empty for education items, which are not done in a position.
    position = serializers.ChoiceField(choices=Position.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Exercise
        fields = (
            "slug", "name", "category", "branches", "summary", "instructions", "cues",
            "cautions", "position", "equipment", "per_side", "sets", "reps", "hold_seconds",
            "sessions_per_day", "days_per_week", "level", "progression", "regression",
            "media_url", "is_active",
        )  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_regression(self, exercise: Exercise) -> str | None:
        regression = exercise.regression_or_none
        return regression.slug if regression else None
