"""Input and output serializers of the patient API. Validation rules live in the services."""

import re
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ptrx.exercises.models import Exercise
from ptrx.plans.api.rendering import FastRender
from ptrx.plans.domain.adherence import ADVICE, EXERCISE
from ptrx.plans.domain.red_flags import EMERGENCY_CODES, RED_FLAGS
from ptrx.plans.models import CheckIn, Completion, Notification, Phase, Plan, Prescription, Side
from ptrx.plans.selectors import phase_status
from ptrx.plans.services.logs import CONTACT_THERAPIST, SEEK_URGENT_CARE
from ptrx.plans.validators import time_zones

HH_MM = "%H:%M"


@extend_schema_field({"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "example": "18:30"})
class LocalTimeField(serializers.TimeField):
    """A local wall-clock time written HH:MM."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format=HH_MM, input_formats=[HH_MM], **kwargs)


class MeSerializer(serializers.Serializer[Any]):
    username = serializers.CharField(source="user.username", read_only=True)
    first_name = serializers.CharField(source="user.first_name", read_only=True)
    # The choices publish the allowed names in the schema; the service checks them too.
    timezone = serializers.ChoiceField(
        choices=time_zones(),
        required=False,
        error_messages={
            "invalid_choice": '"{input}" is not a known IANA time zone (for example Europe/London).'
        },
    )
    reminder_time = LocalTimeField(required=False)
    reminders_enabled = serializers.BooleanField(required=False)
    reminder_channel = serializers.CharField(read_only=True)


class EasierVersionSerializer(FastRender):
    slug = serializers.CharField()
    name = serializers.CharField()


# The plan and today endpoints render one exercise and one prescription per item, so
# their shapes render through FastRender (rendering.py) from the fields declared here.


class ExerciseBriefSerializer(FastRender, serializers.ModelSerializer[Exercise]):
    # Empty when the exercise has no video or picture.
    media_url = serializers.CharField(read_only=True)
    instructions = serializers.ListField(child=serializers.CharField())
    cues = serializers.ListField(child=serializers.CharField())
    cautions = serializers.ListField(child=serializers.CharField())
    # The easier version to go back to ("use the easier version"); null at a ladder's foot.
    regression = EasierVersionSerializer(source="regression_or_none", allow_null=True, read_only=True)

    class Meta:
        model = Exercise
        fields = (
            "slug", "name", "category", "summary", "equipment", "instructions", "cues",
            "cautions", "media_url", "regression",
        )  # fmt: skip
        read_only_fields = fields


KIND_CHOICES = [EXERCISE, ADVICE]


class PrescriptionSerializer(FastRender, serializers.ModelSerializer[Prescription]):
    # `advice` items are read and acknowledged; only `exercise` items are scored.
    kind = serializers.ChoiceField(choices=KIND_CHOICES, read_only=True)
    exercise = ExerciseBriefSerializer(read_only=True)
    days_of_week = serializers.ListField(child=serializers.IntegerField(min_value=0, max_value=6))
    # Empty when the exercise is not done one side at a time.
    side = serializers.ChoiceField(choices=Side.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Prescription
        fields = (
            "id", "kind", "exercise", "sets", "reps", "hold_seconds", "side",
            "sessions_per_day", "days_of_week", "notes",
        )  # fmt: skip
        read_only_fields = fields


class PhaseSerializer(FastRender):
    number = serializers.IntegerField()
    name = serializers.CharField()
    goal = serializers.CharField()
    status = serializers.SerializerMethodField()
    prescriptions = PrescriptionSerializer(many=True)

    @extend_schema_field(serializers.ChoiceField(choices=["completed", "current", "upcoming"]))
    def get_status(self, phase: Phase) -> str:
        return phase_status(plan=phase.plan, phase=phase)  # the plan comes cached with its phases


class PlanSummarySerializer(serializers.ModelSerializer[Plan]):
    branches = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = Plan
        fields = ("id", "title", "status", "branches", "side", "start_date", "current_phase")
        read_only_fields = fields


class PlanDetailSerializer(FastRender, PlanSummarySerializer):
    phases = PhaseSerializer(many=True)

    class Meta:
        model = Plan
        fields = (*PlanSummarySerializer.Meta.fields, "phases")
        read_only_fields = fields


class TodayItemSerializer(FastRender):
    prescription = serializers.IntegerField(source="prescription.id")
    kind = serializers.ChoiceField(choices=KIND_CHOICES)
    exercise = ExerciseBriefSerializer(source="prescription.exercise")
    sets = serializers.IntegerField(source="prescription.sets")
    reps = serializers.IntegerField(source="prescription.reps")
    hold_seconds = serializers.IntegerField(source="prescription.hold_seconds")
    side = serializers.CharField(source="prescription.side")
    sessions_per_day = serializers.IntegerField(source="prescription.sessions_per_day")
    sessions_done = serializers.IntegerField()
    done = serializers.BooleanField()


class TodaySerializer(FastRender):
    date = serializers.DateField()
    plan = serializers.IntegerField(source="plan.id", allow_null=True, default=None)
    phase = serializers.IntegerField(source="phase.number", allow_null=True, default=None)
    # One pass through the day's exercises (CLINICAL.md §8's model); advice takes none.
    estimated_minutes = serializers.IntegerField()
    items = TodayItemSerializer(many=True)
    # Every exercise session of the day logged (advice items do not count).
    complete = serializers.BooleanField()


class DateQuerySerializer(serializers.Serializer[Any]):
    date = serializers.DateField(required=False)


class CompletionInputSerializer(serializers.Serializer[Any]):
    prescription = serializers.IntegerField(min_value=1, max_value=2**62)
    date = serializers.DateField(required=False)
    session = serializers.IntegerField(required=False, default=1, min_value=1, max_value=32767)
    # Required for an exercise; an advice item is acknowledged with no sets and no pain.
    sets_done = serializers.IntegerField(required=False, min_value=0, max_value=100)
    reps_done = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=1000)
    pain_during = serializers.IntegerField(required=False, min_value=0, max_value=10)
    effort = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=10)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class CompletionSerializer(serializers.ModelSerializer[Completion]):
    exercise = serializers.CharField(source="prescription.exercise.slug", read_only=True)

    class Meta:
        model = Completion
        fields = (
            "id", "prescription", "exercise", "date", "session", "sets_done", "reps_done",
            "pain_during", "effort", "note", "created_at",
        )  # fmt: skip
        read_only_fields = fields


class CompletionQuerySerializer(serializers.Serializer[Any]):
    # `from` is a Python keyword, so the field is put in the class namespace by name.
    vars()["from"] = serializers.DateField(
        required=False, help_text="Earliest date; a `from` after `to` is a 400."
    )
    to = serializers.DateField(required=False, help_text="Latest date.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("from") and attrs.get("to") and attrs["from"] > attrs["to"]:
            raise serializers.ValidationError({"from": "`from` must not be after `to`."})
        return attrs


@extend_schema_field(
    {
        "type": "object",
        "description": (
            "Answers (true or false) to the red-flag questions. The emergency ones "
            f"({', '.join(EMERGENCY_CODES)}) are required at every check-in; the urgent ones are optional."
        ),
        "properties": {
            code: {"type": "boolean", "description": question} for code, (_s, question) in RED_FLAGS.items()
        },
        "required": list(EMERGENCY_CODES),
        "additionalProperties": False,
    }
)
class RedFlagAnswersField(serializers.DictField):
    """Red-flag answers; the services check which must be there (CLINICAL.md §5)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=serializers.BooleanField(), **kwargs)


UUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


@extend_schema_field({"type": "string", "format": "uuid", "pattern": UUID_PATTERN})
class ClientIdField(serializers.UUIDField):
    """A UUID in its usual written form, 8-4-4-4-12 hex digits (DRF's own field also takes
    other spellings and a JSON number; the schema promises one form, and so does this)."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str) or not re.fullmatch(UUID_PATTERN, data):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


class CheckInInputSerializer(serializers.Serializer[Any]):
    date = serializers.DateField(required=False)
    pain_now = serializers.IntegerField(min_value=0, max_value=10)
    pain_next_morning = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=10)
    flare = serializers.BooleanField(required=False, default=False)
    red_flags = RedFlagAnswersField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    client_id = ClientIdField(
        required=False,
        help_text="Made by the client: a repeat from the same patient answers 200 with the first "
        "check-in and records nothing, so a queued check-in can be sent again safely.",
    )


class CheckInSerializer(serializers.ModelSerializer[CheckIn]):
    # seek_urgent_care (an emergency answer), contact_therapist (an urgent one) or null.
    action = serializers.ChoiceField(
        choices=[SEEK_URGENT_CARE, CONTACT_THERAPIST], allow_null=True, read_only=True, default=None
    )

    class Meta:
        model = CheckIn
        fields = (
            "id",
            "date",
            "pain_now",
            "pain_next_morning",
            "flare",
            "red_flags",
            "note",
            "client_id",
            "created_at",
            "action",
        )
        read_only_fields = fields


class AdherenceQuerySerializer(serializers.Serializer[Any]):
    days = serializers.IntegerField(required=False, default=7, min_value=1, max_value=90)


class ExerciseAdherenceSerializer(serializers.Serializer[Any]):
    exercise = serializers.CharField()
    name = serializers.CharField()
    prescribed = serializers.IntegerField()
    completed = serializers.IntegerField()
    percent = serializers.IntegerField()


class AdherenceSerializer(serializers.Serializer[Any]):
    vars()["from"] = serializers.DateField(source="start")
    to = serializers.DateField(source="end")
    prescribed = serializers.IntegerField()
    completed = serializers.IntegerField()
    percent = serializers.IntegerField()
    streak_days = serializers.IntegerField()
    by_exercise = ExerciseAdherenceSerializer(many=True)


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    class Meta:
        model = Notification
        fields = ("id", "kind", "local_date", "channel", "status", "subject", "body", "sent_at", "created_at")
        read_only_fields = fields
