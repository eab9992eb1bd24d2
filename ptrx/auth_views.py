"""Token issue and logout for the patient API."""

from typing import Any

from django.contrib.auth import authenticate, get_user_model
from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from knox.models import AuthToken
from knox.settings import knox_settings
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ptrx.api_errors import ERROR_RESPONSES
from ptrx.authentication import BearerTokenAuthentication
from ptrx.login_limits import client_address, login_attempt_forget, login_attempt_start


class CredentialsSerializer(serializers.Serializer[dict[str, str]]):
    # Not trimmed: the schema allows any non-empty string, and no username starts with a space.
    username = serializers.CharField(max_length=150, trim_whitespace=False)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


TokenSerializer = inline_serializer(
    "Token", {"token": serializers.CharField(), "expiry": serializers.DateTimeField()}
)


def credentials_authenticate(request: Request) -> Any:
    """The active user whose username and password the request's body gives, under the
    failed-login limits: otherwise a 400 with field errors, or a 429 with Retry-After."""
    credentials = CredentialsSerializer(data=request.data)
    credentials.is_valid(raise_exception=True)
    username, password = credentials.validated_data["username"], credentials.validated_data["password"]
    attempt = login_attempt_start(username=username, address=client_address(request))
    if attempt.retry_after is not None:
        raise exceptions.Throttled(wait=attempt.retry_after, detail="Too many failed logins.")
    user = authenticate(request, username=username, password=password)
    if user is None or not user.is_active:
        raise exceptions.ValidationError(
            {"non_field_errors": ["Unable to log in with the provided credentials."]},
            code="authorization",
        )
    login_attempt_forget(attempt)
    return user


def token_create(*, user: object) -> tuple[AuthToken, str]:
    """A new token for `user`; beyond TOKEN_LIMIT_PER_USER live tokens the oldest are revoked
    (a patient with a new phone must not be locked out until old tokens expire)."""
    limit = knox_settings.TOKEN_LIMIT_PER_USER
    with transaction.atomic():
        # The user's row lock makes concurrent logins of one user take turns.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()  # type: ignore[attr-defined]
        tokens = AuthToken.objects.filter(user=user)
        tokens.filter(expiry__lte=timezone.now()).delete()
        if limit is not None:
            keep = tokens.order_by("-created").values_list("pk", flat=True)[: max(limit - 1, 0)]
            tokens.exclude(pk__in=list(keep)).delete()
        return AuthToken.objects.create(user=user, expiry=knox_settings.TOKEN_TTL)  # type: ignore[no-any-return]


class TokenView(APIView):
    """Exchange a username and password for a bearer token."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=CredentialsSerializer,
        responses={200: TokenSerializer, **ERROR_RESPONSES(400, 429)},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        user = credentials_authenticate(request)
        instance, token = token_create(user=user)
        return Response({"token": token, "expiry": instance.expiry})


class LogoutView(APIView):
    """Revoke the token this request was made with."""

    # A token's logout: a session (the patient app's) ends at /app/session/.
    authentication_classes = [BearerTokenAuthentication]

    @extend_schema(request=None, responses={204: None, **ERROR_RESPONSES(401)})
    def post(self, request: Request) -> Response:
        request.auth.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
