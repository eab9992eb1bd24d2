"""The patient app's log in and log out: a Django session in an HttpOnly, SameSite=Strict
cookie, so no script in the page can read a credential. The patient API accepts the
session beside Bearer tokens (DRF's SessionAuthentication, which checks CSRF on writes).

Only patients may log in here; wrong passwords count against the same failed-login
limits as the token endpoint and the admin.
"""

from typing import Any

from django.contrib.auth import login, logout
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ptrx.auth_views import credentials_authenticate

NOT_A_PATIENT = "This app is for patients. Therapists use the clinic's admin site."


# Not part of the published API: the app's own way in; other clients use Bearer tokens.
@extend_schema(exclude=True)
class AppSessionView(APIView):
    """POST: log a patient in (204; 400 with field errors, `account` for a therapist; 429).
    DELETE: log out (204)."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # Both ways need the CSRF token, logged in or not: a page of another site must not
        # log the patient in to someone else's account, nor out of their own.
        SessionAuthentication().enforce_csrf(request)
        super().initial(request, *args, **kwargs)

    def post(self, request: Request) -> Response:
        user = credentials_authenticate(request)
        if not hasattr(user, "patient"):
            # The password was right, so the attempt used up none of the allowance.
            raise exceptions.ValidationError({"account": [NOT_A_PATIENT]})
        login(request, user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def delete(self, request: Request) -> Response:
        logout(request)
        return Response(status=status.HTTP_204_NO_CONTENT)
