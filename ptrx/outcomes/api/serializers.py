"""Serializers of the outcome endpoints. Scoring and validation live in the domain and services."""

from typing import Any

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from ptrx.outcomes.domain import REASONS, Instrument, Item
from ptrx.outcomes.models import QuestionnaireResponse
from ptrx.outcomes.selectors import response_change
from ptrx.plans.api.serializers import TodaySerializer


class ChoiceSerializer(serializers.Serializer[Any]):
    value = serializers.IntegerField()
    # `label` is a Field attribute, so the field is put in the class namespace by name.
    vars()["label"] = serializers.CharField()


class QuestionnaireItemSerializer(serializers.Serializer[Any]):
    """A number from `min` to `max`, or one of `choices` (then `min` and `max` are absent)."""

    key = serializers.CharField()
    text = serializers.CharField()
    min = serializers.IntegerField(required=False)
    max = serializers.IntegerField(required=False)
    choices = ChoiceSerializer(many=True, required=False)
    optional = serializers.BooleanField()


class MeaningfulChangeSerializer(serializers.Serializer[Any]):
    points = serializers.FloatField()
    percent = serializers.FloatField(allow_null=True, help_text="Of the baseline, when it also counts")
    higher_is_better = serializers.BooleanField()


def item_for(item: Item, branches: tuple[str, ...]) -> dict[str, Any]:
    rendered: dict[str, Any] = {"key": item.key, "text": item.text_for(branches), "optional": item.optional}
    if item.choices:
        rendered["choices"] = [{"value": c.value, "label": c.label} for c in item.choices]
    else:
        rendered.update(min=item.low, max=item.high)
    return rendered


class QuestionnaireSerializer(serializers.Serializer[Any]):
    """Renders (instrument, the patient's branches): item texts propose branch-specific activities."""

    code = serializers.CharField()
    name = serializers.CharField()
    items = QuestionnaireItemSerializer(many=True)
    meaningful_change = MeaningfulChangeSerializer(allow_null=True)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        instrument, branches = instance
        assert isinstance(instrument, Instrument)
        change = instrument.change
        return {
            "code": instrument.code,
            "name": instrument.name,
            "items": [item_for(item, branches) for item in instrument.items],
            "meaningful_change": None
            if change is None
            else {
                "points": change.points,
                "percent": change.percent,
                "higher_is_better": change.higher_is_better,
            },
        }


class DueSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    name = serializers.CharField()


@extend_schema_serializer(component_name="Today")
class TodayWithQuestionnairesSerializer(TodaySerializer):
    """The schema of me/today/: the day's items and the questionnaires due that day (which
    the view adds to TodaySerializer's rendering)."""

    questionnaires_due = DueSerializer(many=True, read_only=True)


class DueWithReasonSerializer(DueSerializer):
    reason = serializers.ChoiceField(choices=REASONS)


class RecentResponseSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    code = serializers.CharField(source="questionnaire.code")
    date = serializers.DateField()
    score = serializers.FloatField()


class MyQuestionnairesSerializer(serializers.Serializer[Any]):
    due = DueWithReasonSerializer(many=True)
    recent = RecentResponseSerializer(many=True)


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"type": "integer"},
        "description": "Item key -> the answer (a number in the item's range, or a choice's value)",
        "example": {"activity_1": 4, "activity_2": 6, "activity_3": 5},
    }
)
class AnswersField(serializers.DictField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=serializers.IntegerField(min_value=-(10**6), max_value=10**6), **kwargs)


@extend_schema_field(
    {
        "type": "string",
        "format": "uuid",
        "pattern": "^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$",
        "description": "Made by the client: a replay with the same one writes nothing",
    }
)
class ClientIdField(serializers.UUIDField):
    """A UUID, its pattern in the schema (a format alone is not checked by every client)."""


class ResponseInputSerializer(serializers.Serializer[Any]):
    code = serializers.SlugField(max_length=40)
    answers = AnswersField()
    date = serializers.DateField(required=False)
    client_id = ClientIdField(required=False)


class ChangeSerializer(serializers.Serializer[Any]):
    baseline = serializers.FloatField()
    by = serializers.FloatField()
    # Null where the instrument has no established meaningful change.
    meaningful = serializers.BooleanField(allow_null=True)


class ResponseSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    code = serializers.CharField()
    date = serializers.DateField()
    score = serializers.FloatField()
    change = ChangeSerializer(allow_null=True, help_text="Against the first response; null for the first")

    def to_representation(self, instance: Any) -> dict[str, Any]:
        assert isinstance(instance, QuestionnaireResponse)
        change = response_change(response=instance)
        return {
            "id": instance.pk,
            "code": instance.questionnaire.code,
            "date": instance.date.isoformat(),
            "score": instance.score,
            "change": None
            if change is None
            else {"baseline": change.baseline, "by": change.by, "meaningful": change.meaningful},
        }


class PointSerializer(serializers.Serializer[Any]):
    date = serializers.DateField()
    score = serializers.FloatField()


class OutcomeSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    name = serializers.CharField()
    baseline = serializers.FloatField(source="outcome.baseline")
    latest = serializers.FloatField(source="outcome.latest")
    by = serializers.FloatField(source="outcome.by")
    # Null where the instrument has no established meaningful change.
    meaningful = serializers.BooleanField(source="outcome.meaningful", allow_null=True)
    points = PointSerializer(many=True)


class OutcomesSerializer(serializers.Serializer[Any]):
    outcomes = OutcomeSerializer(many=True)
