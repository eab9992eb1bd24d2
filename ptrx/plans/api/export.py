"""The patient's own data as one JSON document (`me/export/`), rendered with the same
serializers as the API, so each record reads as the API shows it."""

import datetime as dt
from typing import Any

from rest_framework import serializers

from ptrx.plans.api import serializers as s
from ptrx.plans.models import CalendarFeed, CheckIn, Patient, ProgressionDecision
from ptrx.plans.selectors import completion_list, notification_list, plan_list, plan_with_prescriptions


class ProfileSerializer(s.MeSerializer):
    last_name = serializers.CharField(source="user.last_name", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    therapist = serializers.SerializerMethodField()
    branches = serializers.ListField(child=serializers.CharField(), read_only=True)
    side = serializers.CharField(read_only=True)
    irritability = serializers.CharField(read_only=True)
    red_flags = serializers.DictField(child=serializers.BooleanField(), read_only=True)
    red_flags_screened_on = serializers.DateField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)

    def get_therapist(self, patient: Patient) -> str:
        return str(patient.therapist.get_full_name() or patient.therapist.get_username())


class DecisionSerializer(serializers.ModelSerializer[ProgressionDecision]):
    class Meta:
        model = ProgressionDecision
        fields = ("plan", "date", "outcome", "reasons", "from_phase", "to_phase", "applied", "created_at")
        read_only_fields = fields


class CalendarFeedSerializer(serializers.ModelSerializer[CalendarFeed]):
    class Meta:
        model = CalendarFeed
        fields = ("created_at", "rotated_at")
        read_only_fields = fields


class PatientExportSerializer(serializers.Serializer[Any]):
    """The schema of the export; `patient_export` builds it."""

    exported_at = serializers.DateTimeField()
    profile = ProfileSerializer()
    plans = s.PlanDetailSerializer(many=True)
    progression_decisions = DecisionSerializer(many=True)
    completions = s.CompletionSerializer(many=True)
    checkins = s.CheckInSerializer(many=True)
    notifications = s.NotificationSerializer(many=True)
    calendar_feed = CalendarFeedSerializer(allow_null=True)


def patient_export(*, patient: Patient, now: dt.datetime) -> dict[str, Any]:
    """Everything ptrx holds about `patient` that is theirs to see, in a fixed number of
    queries. Drafts are left out: the patient never sees a plan before it is activated."""
    plans = list(plan_with_prescriptions(plans=plan_list(patient=patient).order_by("start_date", "id")))
    feed = CalendarFeed.objects.filter(patient=patient).first()
    profile = Patient.objects.select_related("user", "therapist").get(pk=patient.pk)
    return {
        "exported_at": now.isoformat(),
        "profile": ProfileSerializer(profile).data,
        "plans": s.PlanDetailSerializer(plans, many=True).data,
        "progression_decisions": DecisionSerializer(
            ProgressionDecision.objects.filter(plan__in=[plan.pk for plan in plans]).order_by("date", "id"),
            many=True,
        ).data,
        "completions": s.CompletionSerializer(
            completion_list(patient=patient).order_by("date", "id"), many=True
        ).data,
        "checkins": s.CheckInSerializer(
            CheckIn.objects.filter(patient=patient).order_by("date", "id"), many=True
        ).data,
        "notifications": s.NotificationSerializer(notification_list(patient=patient), many=True).data,
        "calendar_feed": None if feed is None else CalendarFeedSerializer(feed).data,
    }
