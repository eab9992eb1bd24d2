"""Request and response guards for the whole site: the API body limit and privacy headers."""

import io
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers

API_PREFIX = "/api/"
# Responses under these paths carry a patient's data or a token: no cache may keep them.
PRIVATE_PREFIXES = ("/api/v1/me/", "/api/v1/auth/")


def _too_large() -> JsonResponse:
    limit = settings.API_MAX_BODY_BYTES
    return JsonResponse({"detail": f"The request body is larger than {limit // 1024} KB."}, status=413)


class BodySizeLimitMiddleware:
    """API bodies over API_MAX_BODY_BYTES are a 413, checked before any parser runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PREFIX):
            refused = self._refusal(request)
            if refused is not None:
                return refused
        return self.get_response(request)

    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        limit = settings.API_MAX_BODY_BYTES
        declared = request.META.get("CONTENT_LENGTH") or "0"
        if not declared.isdigit():
            return JsonResponse({"detail": "Content-Length must be a number of bytes."}, status=400)
        if int(declared) > limit:
            return _too_large()
        # The declared length is not the whole story: under ASGI a chunked body comes
        # without one. Read at most one byte past the limit, and hand on what was read
        # as Django's own `request.body` would.
        body = request.read(limit + 1)
        if len(body) > limit:
            return _too_large()
        request._body = body  # type: ignore[attr-defined]
        request._stream = io.BytesIO(body)  # type: ignore[attr-defined]
        return None


class PrivacyHeadersMiddleware:
    """Permissions-Policy on every response; `Cache-Control: no-store` on patient data and tokens."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        if request.path.startswith(PRIVATE_PREFIXES):
            add_never_cache_headers(response)
        return response
