"""Addresses the interop documents point at, all from APP_URL (the site's public root)."""

from urllib.parse import urljoin, urlparse

from django.conf import settings


def site_url(path: str = "") -> str:
    """`path` under the site's public root (APP_URL)."""
    return urljoin(settings.APP_URL.rstrip("/") + "/", path)


def app_url() -> str:
    """The patient app, which the handout's QR code and the calendar's events open."""
    return site_url("app/")


def site_host() -> str:
    return urlparse(settings.APP_URL).hostname or "localhost"
