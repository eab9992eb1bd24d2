"""Failed-login limits per username and per client address (DESIGN.md: Limits).

Every attempt is counted before the password is checked, so concurrent guesses
cannot slip past the limit, and taken back when it succeeds or is refused: only
failures use up the allowance.
"""

import hashlib
import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from ptrx.counters import Hit, counter_hit, counter_undo


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the entry TRUSTED_PROXIES proxies back in
    X-Forwarded-For (each proxy appends the address it saw; earlier entries are the client's say)."""
    remote = str(request.META.get("REMOTE_ADDR") or "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if settings.TRUSTED_PROXIES <= 0 or not forwarded:
        return remote
    hops = [hop.strip() for hop in str(forwarded).split(",")]
    return hops[-min(settings.TRUSTED_PROXIES, len(hops))] or remote


@dataclass(frozen=True)
class LoginAttempt:
    hits: tuple[Hit, ...]
    # Seconds to wait when the attempt is refused; None when it may go ahead.
    retry_after: int | None


def login_attempt_start(*, username: str, address: str) -> LoginAttempt:
    """Count an attempt for `username` from `address`; refused while either has no failures left."""
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    # Hashed: a username may hold any character, and the counters need no copy of it.
    user_key = hashlib.sha256(username.casefold().encode()).hexdigest()
    limits = (
        (counter_hit(f"login-user:{user_key}", window=window), settings.LOGIN_FAILURES_PER_USERNAME),
        (counter_hit(f"login-address:{address}", window=window), settings.LOGIN_FAILURES_PER_ADDRESS),
    )
    hits = tuple(hit for hit, _limit in limits)
    waits = [hit.retry_after for hit, limit in limits if hit.count > limit]
    if waits:
        login_attempt_forget(LoginAttempt(hits=hits, retry_after=None))
        return LoginAttempt(hits=(), retry_after=max(waits))
    return LoginAttempt(hits=hits, retry_after=None)


def login_attempt_forget(attempt: LoginAttempt) -> None:
    """Take back an attempt that did not fail (it succeeded, or was refused unchecked)."""
    for hit in attempt.hits:
        counter_undo(hit)


class AdminLoginForm(AdminAuthenticationForm):
    """The admin's login form, under the same failed-login limits as the API."""

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        if not username or self.request is None:
            return super().clean()
        attempt = login_attempt_start(username=username, address=client_address(self.request))
        if attempt.retry_after is not None:
            minutes = math.ceil(attempt.retry_after / 60)
            raise ValidationError(f"Too many failed logins. Try again in {minutes} min.", code="throttled")
        # A wrong password raises here, and the attempt stays counted.
        cleaned = super().clean()
        login_attempt_forget(attempt)
        return cleaned
