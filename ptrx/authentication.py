"""Patient API authentication: expiring, revocable knox tokens sent as `Bearer <token>`."""

import binascii
from hmac import compare_digest
from typing import Any

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS, knox_settings
from rest_framework import exceptions


class BearerTokenAuthentication(TokenAuthentication):
    """Knox authentication that checks only the presented token's expiry.

    Knox's own clean-up loads every token of the user on each request; expired
    tokens are removed when presented and by `token_cleanup` instead. The token's
    user comes with their patient record in the same query, so the patient API's
    permission check and views need no query of their own for it.
    """

    def authenticate_credentials(self, token: bytes) -> tuple[Any, AuthToken]:
        # knox.auth.TokenAuthentication.authenticate_credentials, with `user__patient`
        # joined (a reverse one-to-one: None for a therapist, without a second query).
        try:
            presented = token.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid token.") from exc
        candidates = AuthToken.objects.filter(
            token_key=presented[: CONSTANTS.TOKEN_KEY_LENGTH]
        ).select_related("user", "user__patient")
        for auth_token in candidates:
            if self._cleanup_token(auth_token):
                continue
            try:
                digest = hash_token(presented)
            except (TypeError, binascii.Error) as exc:
                raise exceptions.AuthenticationFailed("Invalid token.") from exc
            if compare_digest(digest, auth_token.digest):
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                return self.validate_user(auth_token)  # type: ignore[no-any-return]
        raise exceptions.AuthenticationFailed("Invalid token.")

    def _cleanup_token(self, auth_token: AuthToken) -> bool:
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "ptrx.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer"}
