"""The patient API: thin views over the plans' services and selectors.

Every queryset starts from the requesting patient, so another patient's object is
simply not found (404).
"""

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from ptrx.api_errors import ERROR_RESPONSES
from ptrx.counters import counter_hit
from ptrx.outcomes.api.serializers import DueSerializer, TodayWithQuestionnairesSerializer
from ptrx.outcomes.selectors import questionnaires_due_for
from ptrx.plans.api import serializers as s
from ptrx.plans.models import CheckIn, Completion, Notification, Patient, Plan
from ptrx.plans.selectors import (
    Adherence,
    adherence_summary,
    completion_list,
    notification_list,
    patient_local_today,
    plan_get_active,
    plan_list,
    plan_with_prescriptions,
    today_for,
)
from ptrx.plans.services.logs import checkin_record, completion_log
from ptrx.plans.services.patients import patient_update_settings

READ_ERRORS = ERROR_RESPONSES(401, 403)
# Lists answer 400 for a page that is not a positive integer, 404 for one past the end.
LIST_ERRORS = ERROR_RESPONSES(400, 401, 403, 404)
WRITE_ERRORS = ERROR_RESPONSES(400, 401, 403, 429)


class IsPatient(BasePermission):
    message = "This account is not a patient's."

    def has_permission(self, request: Request, view: Any) -> bool:
        return hasattr(request.user, "patient")


class WriteRateThrottle(UserRateThrottle):
    """Limits writes per user in fixed windows, counted atomically; reads are not counted."""

    scope = "writes"

    def allow_request(self, request: Request, view: Any) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS") or self.rate is None:
            return True
        # DRF's own throttle reads, appends and writes back a history: concurrent
        # requests each see the old one and all pass. One atomic count cannot.
        limit, window = self.parse_rate(self.rate)
        hit = counter_hit(f"writes:{request.user.pk}", window=int(window or 60))
        self.retry_after = hit.retry_after
        return hit.count <= int(limit or 0)

    def wait(self) -> float:
        return float(self.retry_after)


class PatientView(APIView):
    permission_classes = [IsAuthenticated, IsPatient]
    throttle_classes = [WriteRateThrottle]

    @property
    def patient(self) -> Patient:
        return self.request.user.patient  # type: ignore[union-attr]


class PatientListView(PatientView, generics.ListAPIView[Any]):
    pass


def _query(serializer_class: type, request: Request) -> dict[str, Any]:
    # A plain dict: given the QueryDict itself, DRF reads an empty value (`?date=`) as
    # "not given", the way an HTML form means it; the schema says a date or nothing.
    query = serializer_class(data=request.query_params.dict())
    query.is_valid(raise_exception=True)
    return dict(query.validated_data)


class MeView(PatientView):
    """The patient's own account and reminder settings."""

    @extend_schema(responses={200: s.MeSerializer, **READ_ERRORS})
    def get(self, request: Request) -> Response:
        return Response(s.MeSerializer(self.patient).data)

    @extend_schema(request=s.MeSerializer, responses={200: s.MeSerializer, **WRITE_ERRORS})
    def patch(self, request: Request) -> Response:
        changes = s.MeSerializer(data=request.data, partial=True)
        changes.is_valid(raise_exception=True)
        data = changes.validated_data
        patient = patient_update_settings(
            patient=self.patient,
            timezone_name=data.get("timezone"),
            reminder_time=data.get("reminder_time"),
            reminders_enabled=data.get("reminders_enabled"),
        )
        return Response(s.MeSerializer(patient).data)


@extend_schema_view(get=extend_schema(responses={200: s.PlanSummarySerializer(many=True), **LIST_ERRORS}))
class PlanListView(PatientListView):
    """The patient's plans (drafts are not shown)."""

    serializer_class = s.PlanSummarySerializer

    def get_queryset(self) -> QuerySet[Plan]:
        return plan_list(patient=self.patient)


@extend_schema_view(
    get=extend_schema(responses={200: s.PlanDetailSerializer, **ERROR_RESPONSES(401, 403, 404)})
)
class PlanDetailView(PatientView, generics.RetrieveAPIView[Plan]):
    """One plan with its phases and prescriptions."""

    serializer_class = s.PlanDetailSerializer

    def get_queryset(self) -> QuerySet[Plan]:
        return plan_with_prescriptions(plans=plan_list(patient=self.patient))


class TodayView(PatientView):
    """What is due today (the patient's local date, or `?date=`)."""

    @extend_schema(
        parameters=[s.DateQuerySerializer],
        responses={200: TodayWithQuestionnairesSerializer, **ERROR_RESPONSES(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        # Without a query string (the app's usual call) there is nothing to validate.
        day = _query(s.DateQuerySerializer, request).get("date") if request.query_params else None
        today = today_for(patient=self.patient, day=day)
        body = s.TodaySerializer(today).data
        due = questionnaires_due_for(patient=self.patient, day=today.date, plan=today.plan)
        body["questionnaires_due"] = DueSerializer(due, many=True).data
        return Response(body)


@extend_schema_view(
    get=extend_schema(
        parameters=[s.CompletionQuerySerializer],
        responses={200: s.CompletionSerializer(many=True), **ERROR_RESPONSES(400, 401, 403, 404)},
    )
)
class CompletionListView(PatientListView):
    """The patient's logged completions (`?from=&to=`); POST logs one."""

    serializer_class = s.CompletionSerializer

    def get_queryset(self) -> QuerySet[Completion]:
        query = _query(s.CompletionQuerySerializer, self.request)
        return completion_list(patient=self.patient, start=query.get("from"), end=query.get("to"))

    @extend_schema(
        request=s.CompletionInputSerializer,
        responses={
            201: s.CompletionSerializer,
            200: s.CompletionSerializer,
            **ERROR_RESPONSES(400, 401, 403, 404, 429),
        },
    )
    def post(self, request: Request) -> Response:
        given = s.CompletionInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = dict(given.validated_data)
        completion, created = completion_log(
            patient=self.patient, prescription_id=data.pop("prescription"), **data
        )
        return Response(
            s.CompletionSerializer(completion).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


@extend_schema_view(get=extend_schema(responses={200: s.CheckInSerializer(many=True), **LIST_ERRORS}))
class CheckInListView(PatientListView):
    """The patient's check-ins; POST records one (with the red-flag screen)."""

    serializer_class = s.CheckInSerializer

    def get_queryset(self) -> QuerySet[CheckIn]:
        return CheckIn.objects.filter(patient=self.patient)

    @extend_schema(
        request=s.CheckInInputSerializer,
        responses={201: s.CheckInSerializer, 200: s.CheckInSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request) -> Response:
        given = s.CheckInInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        result = checkin_record(patient=self.patient, **given.validated_data)
        body = s.CheckInSerializer(result.checkin).data
        body["action"] = result.action
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class AdherenceView(PatientView):
    """Adherence of the active plan over the last `days` days (1-90, default 7)."""

    @extend_schema(
        parameters=[s.AdherenceQuerySerializer],
        responses={200: s.AdherenceSerializer, **ERROR_RESPONSES(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        days = _query(s.AdherenceQuerySerializer, request)["days"]
        end = patient_local_today(patient=self.patient)
        start = end - dt.timedelta(days=days - 1)
        plan = plan_get_active(patient=self.patient)
        summary = adherence_summary(plan=plan, start=start, end=end) if plan else Adherence.empty(start, end)
        return Response(s.AdherenceSerializer(summary).data)


@extend_schema_view(get=extend_schema(responses={200: s.NotificationSerializer(many=True), **LIST_ERRORS}))
class NotificationListView(PatientListView):
    """Reminders and messages sent to the patient."""

    serializer_class = s.NotificationSerializer

    def get_queryset(self) -> QuerySet[Notification]:
        return notification_list(patient=self.patient)
