"""Addresses outside documents point at (reminders, handouts, calendar events, FHIR),
all from APP_URL, the site's public root."""

from urllib.parse import urljoin, urlparse

from django.conf import settings
from django.urls import reverse


def site_url(path: str = "") -> str:
    """`path` under the site's public root (APP_URL)."""
    return urljoin(settings.APP_URL.rstrip("/") + "/", path)


def app_url() -> str:
    """The patient app, which reminders, the handout's QR code and calendar events open."""
    return site_url(reverse("app").lstrip("/"))


def site_host() -> str:
    return urlparse(settings.APP_URL).hostname or "localhost"
