"""The product's URLs plus the two baselines of the API benchmark (bench only).

Both baselines authenticate the same Bearer token the same way as the patient API
(ptrx.authentication.BearerTokenAuthentication: one knox token lookup) and answer
a constant JSON body, so the ratio of an endpoint to them is what the endpoint's
own work costs.
"""

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import path
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ptrx.authentication import BearerTokenAuthentication
from ptrx.urls import handler404, handler500
from ptrx.urls import urlpatterns as product_urlpatterns

BODY = {"status": "ok", "service": "ptrx", "baseline": True}


def bare_django(request: HttpRequest) -> JsonResponse:
    """A plain Django view: the token check, then a constant body."""
    try:
        found = BearerTokenAuthentication().authenticate(request)
    except AuthenticationFailed:
        found = None
    if found is None:
        return JsonResponse({"detail": "Authentication credentials were not provided."}, status=401)
    return JsonResponse(BODY)


class BareDRF(APIView):
    """A plain DRF view with the patient API's authentication and permission."""

    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        return Response(BODY)


urlpatterns: list[Any] = [
    path("bench/django/", bare_django),
    path("bench/drf/", BareDRF.as_view()),
    *product_urlpatterns,
]

__all__ = ["handler404", "handler500", "urlpatterns"]
