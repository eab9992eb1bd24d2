"""Error response shapes shared by every API view, for the published schema."""

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import page_not_found
from django.views.defaults import server_error as django_server_error
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

_Detail = inline_serializer("ErrorDetail", {"detail": serializers.CharField()})
_FieldErrors = inline_serializer(
    "FieldErrors",
    {
        "non_field_errors": serializers.ListField(child=serializers.CharField(), required=False),
    },
)

_DESCRIPTIONS = {
    400: ("Invalid input: an object mapping each field to its errors.", _FieldErrors),
    401: ("Missing, invalid or expired token.", _Detail),
    403: ("The account is not a patient.", _Detail),
    404: ("Not found (or not yours).", _Detail),
    429: ("Too many requests; see the Retry-After header.", _Detail),
}


def ERROR_RESPONSES(*codes: int) -> dict[int, OpenApiResponse]:  # noqa: N802
    """The documented error responses for the given status codes."""
    return {
        code: OpenApiResponse(response=_DESCRIPTIONS[code][1], description=_DESCRIPTIONS[code][0])
        for code in codes
    }


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus the services' errors: a Django ValidationError is a 400 with
    field errors and a missing object is a 404, never a 500."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, ObjectDoesNotExist):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    return drf_exception_handler(exc, context)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404 for URLs no view matched: JSON under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)


def api_not_found(request: HttpRequest) -> HttpResponse:
    """404 for a path under /api/ that no API view serves."""
    return JsonResponse({"detail": "Not found."}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """500 without a traceback: JSON under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Server error."}, status=500)
    return django_server_error(request)
