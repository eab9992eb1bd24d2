"""The plan outside ptrx: the handout PDF, the calendar feed, the FHIR Bundle and the
patient's own data (DESIGN.md: Interop). Thin views over ptrx.plans.interop."""

from typing import Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ptrx.api_errors import ERROR_RESPONSES
from ptrx.counters import counter_hit, counter_undo
from ptrx.login_limits import client_address
from ptrx.plans.api.export import PatientExportSerializer, patient_export
from ptrx.plans.api.views import PatientView
from ptrx.plans.interop.calendar_feed import (
    calendar_feed_ics,
    calendar_feed_patient,
    calendar_feed_rotate,
    calendar_feed_secret,
    calendar_feed_url,
)
from ptrx.plans.interop.fhir import FHIR_JSON, fhir_bundle
from ptrx.plans.interop.handout import handout_pdf, handout_plans
from ptrx.plans.selectors import patient_local_today, plan_list

# Unknown feed secrets one client address may ask for in an hour; then it is refused
# every feed until the hour ends (answering a found one would tell a guess apart). A
# found feed is not counted: a calendar service fetching many patients' feeds from one
# address passes, with room for the rotated URLs it still polls. The secrets are 256
# bits, so this spares the server rather than guards them.
FEED_MISSES_PER_HOUR = 60
FEED_MISS_WINDOW = 3600

FeedUrlSerializer = inline_serializer("CalendarFeedUrl", {"url": serializers.URLField()})


class FirstRenderer(BaseContentNegotiation):
    """Always the view's first renderer: a file download answers in its own type, and its
    errors in JSON, whatever the client's Accept header says."""

    def select_parser(self, request: Request, parsers: Any) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Request, renderers: Any, format_suffix: Any = None) -> Any:
        return renderers[0], renderers[0].media_type


class FhirJSONRenderer(JSONRenderer):
    media_type = FHIR_JSON
    format = "fhir"


def _download(content: bytes, *, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class HandoutQuerySerializer(serializers.Serializer[Any]):
    phases = serializers.ChoiceField(
        choices=["current", "all"], required=False, default="current", help_text="The current phase or all."
    )
    paper = serializers.ChoiceField(
        choices=["a4", "letter"], required=False, default="a4", help_text="A4 (the default) or US Letter."
    )


class HandoutView(PatientView):
    """The printable handout of one of the patient's plans."""

    content_negotiation_class = FirstRenderer
    renderer_classes = [JSONRenderer]

    @extend_schema(
        operation_id="api_v1_me_plans_handout_retrieve",
        parameters=[HandoutQuerySerializer],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **ERROR_RESPONSES(400, 401, 403, 404)},
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        query = HandoutQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        plan = get_object_or_404(handout_plans(plans=plan_list(patient=self.patient)), pk=pk)
        pdf = handout_pdf(
            plan=plan,
            every_phase=query.validated_data["phases"] == "all",
            paper=query.validated_data["paper"],
            printed_on=patient_local_today(patient=self.patient),
        )
        return _download(pdf, content_type="application/pdf", filename=f"handout-plan-{plan.pk}.pdf")


class CalendarView(PatientView):
    """The private address of the patient's calendar feed (made on the first call)."""

    @extend_schema(responses={200: FeedUrlSerializer, **ERROR_RESPONSES(401, 403)})
    def get(self, request: Request) -> Response:
        return Response({"url": calendar_feed_url(calendar_feed_secret(patient=self.patient))})


class CalendarRotateView(PatientView):
    """A new feed address; the old one answers 404 from now on."""

    @extend_schema(request=None, responses={200: FeedUrlSerializer, **ERROR_RESPONSES(401, 403, 429)})
    def post(self, request: Request) -> Response:
        return Response({"url": calendar_feed_url(calendar_feed_rotate(patient=self.patient))})


class CalendarFeedView(APIView):
    """The iCalendar feed (RFC 5545): no login, the secret in the address is the key."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    content_negotiation_class = FirstRenderer
    renderer_classes = [JSONRenderer]

    @extend_schema(
        operation_id="calendar_feed_retrieve",
        auth=[],
        parameters=[OpenApiParameter("secret", str, OpenApiParameter.PATH, description="The feed's secret.")],
        responses={(200, "text/calendar"): OpenApiTypes.STR, **ERROR_RESPONSES(404, 429)},
    )
    def get(self, request: Request, secret: str) -> HttpResponse:
        miss = counter_hit(f"calendar-miss:{client_address(request)}", window=FEED_MISS_WINDOW)
        if miss.count > FEED_MISSES_PER_HOUR:
            counter_undo(miss)
            raise exceptions.Throttled(wait=miss.retry_after)
        patient = calendar_feed_patient(secret=secret)
        if patient is None:
            raise exceptions.NotFound()
        counter_undo(miss)
        response = HttpResponse(
            calendar_feed_ics(patient=patient), content_type="text/calendar; charset=utf-8"
        )
        response["Content-Disposition"] = 'inline; filename="home-exercises.ics"'
        add_never_cache_headers(response)
        return response


class FhirExportView(PatientView):
    """The patient's plans and pain ratings as a FHIR R4 Bundle (docs/FHIR.md)."""

    content_negotiation_class = FirstRenderer
    renderer_classes = [FhirJSONRenderer]

    @extend_schema(responses={200: OpenApiTypes.OBJECT, **ERROR_RESPONSES(401, 403)})
    def get(self, request: Request) -> Response:
        bundle = fhir_bundle(patient=self.patient, plans=plan_list(patient=self.patient), now=timezone.now())
        response = Response(bundle, content_type=FHIR_JSON)
        response["Content-Disposition"] = 'attachment; filename="ptrx-fhir.json"'
        return response


class ExportView(PatientView):
    """Everything ptrx holds about the patient, as one JSON document."""

    @extend_schema(responses={200: PatientExportSerializer, **ERROR_RESPONSES(401, 403)})
    def get(self, request: Request) -> Response:
        response = Response(patient_export(patient=self.patient, now=timezone.now()))
        response["Content-Disposition"] = 'attachment; filename="ptrx-export.json"'
        return response
