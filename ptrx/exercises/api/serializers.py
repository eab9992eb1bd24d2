"""The exercise library API's output serializer."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ptrx.exercises.models import Branch, Exercise, Position


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
