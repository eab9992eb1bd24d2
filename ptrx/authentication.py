"""Patient API authentication: expiring, revocable knox tokens sent as `Bearer <token>`.

The prefix is knox's own `AUTH_HEADER_PREFIX` setting (REST_KNOX in settings); the
subclass below changes only what knox gives no setting or hook for.
"""

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
    """Knox's token authentication, reading the token's user with their patient record in
    one query and checking only the presented token's expiry.

    Knox's own clean-up loads every token of the user on each request; here an expired
    token is removed when presented, and the hourly `delete_expired_tokens` job removes
    the rest.
    """

    def authenticate_credentials(self, token: bytes) -> tuple[Any, AuthToken]:
        # Knox's loop with two changes it has no hook for: the query joins `user__patient`
        # (a reverse one-to-one, None for a therapist), so the patient API's permission
        # check and views need no query of their own; and a token that is not UTF-8 is
        # "Invalid token." (401) where knox's decode would fail with a 500.
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
        """Delete the presented token if it has expired (knox also deletes the user's others)."""
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False


def expired_tokens_delete() -> int:
    """Delete every token past its expiry; returns how many went."""
    deleted, _by_model = AuthToken.objects.filter(expiry__lt=timezone.now()).delete()
    return deleted


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "ptrx.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer"}
