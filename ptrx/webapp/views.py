"""The patient app's shell, web app manifest and service worker, served under /app/.

The app itself is static files (ES modules and CSS, no build step) and a client of the
patient API only. The service worker is served from /app/ so that its scope is /app/.
"""

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_safe

from ptrx.plans.domain.red_flags import EMERGENCY_CODES, RED_FLAGS

# The page's own words are in static/webapp/strings.js; these are the installer's.
APP_NAME = "ptrx: my exercise plan"
APP_SHORT_NAME = "ptrx"
APP_DESCRIPTION = "Your home exercise plan: today's exercises, check-ins and progress."
THEME_COLOUR = "#0b6e4f"
BACKGROUND_COLOUR = "#ffffff"

STATIC_DIR = Path(__file__).resolve().parent / "static"
APP_STATIC = STATIC_DIR / "webapp"


def _app_files() -> tuple[str, ...]:
    """The app's static files, as paths relative to the static root (listed once per
    process, except while developing)."""
    return _app_files_listed() if settings.DEBUG else _app_files_cached()


@lru_cache(maxsize=1)
def _app_files_cached() -> tuple[str, ...]:
    return _app_files_listed()


def _app_files_listed() -> tuple[str, ...]:
    return tuple(
        sorted(
            path.relative_to(STATIC_DIR).as_posix()
            for path in APP_STATIC.rglob("*")
            if path.is_file() and not path.name.startswith(".")
        )
    )


@lru_cache(maxsize=1)
def _shell_version_cached() -> str:
    return _shell_version()


def _shell_version() -> str:
    # A new version of any file makes a new service worker, which fetches the new shell.
    digest = hashlib.sha256()
    for name in _app_files():
        digest.update(name.encode())
        digest.update((STATIC_DIR / name).read_bytes())
    digest.update((Path(__file__).parent / "templates" / "webapp" / "shell.html").read_bytes())
    return digest.hexdigest()[:16]


def _shell_urls() -> list[str]:
    """What the service worker keeps for offline use: the shell page and every app file,
    under both its stored (hashed) name and its plain one, which the modules import."""
    urls = {reverse("app")}
    for name in _app_files():
        urls.add(static(name))
        urls.add(_plain_static(name))
    return sorted(urls)


def _plain_static(name: str) -> str:
    prefix = settings.STATIC_URL
    return (prefix if prefix.startswith(("/", "http")) else "/" + prefix) + name


def _module_urls() -> list[str]:
    """The modules app.js imports, under the names its imports give them (plain, relative),
    so the browser fetches them all at once instead of one import level at a time."""
    return [_plain_static(name) for name in _app_files() if name.endswith(".js") and name != "webapp/app.js"]


def _revalidated(response: HttpResponse) -> HttpResponse:
    # The shell holds no patient data: a cache may keep it but must ask again each time.
    patch_cache_control(response, no_cache=True)
    return response


@require_safe
@ensure_csrf_cookie
def shell(request: HttpRequest) -> HttpResponse:
    """The one page of the app; its screens are drawn by the app's scripts. It sets the
    CSRF cookie, which the app sends back on every write (logging in included)."""
    questions = [{"code": code, "question": RED_FLAGS[code][1]} for code in EMERGENCY_CODES]
    context = {"app_name": APP_NAME, "emergency_questions": questions, "module_urls": _module_urls()}
    return _revalidated(render(request, "webapp/shell.html", context))


@require_safe
def manifest(request: HttpRequest) -> HttpResponse:
    """The web app manifest that makes the app installable."""
    body = {
        "name": APP_NAME,
        "short_name": APP_SHORT_NAME,
        "description": APP_DESCRIPTION,
        "id": reverse("app"),
        "start_url": reverse("app"),
        "scope": reverse("app"),
        "display": "standalone",
        "background_color": BACKGROUND_COLOUR,
        "theme_color": THEME_COLOUR,
        "lang": "en",
        "icons": [
            {"src": static("webapp/icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("webapp/icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static("webapp/icons/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
            {"src": static("webapp/icons/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
    }
    response = HttpResponse(json.dumps(body, indent=2), content_type="application/manifest+json")
    patch_cache_control(response, max_age=3600)
    return response


@require_safe
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker: keeps the shell and the last answers of the patient's reads."""
    version = _shell_version() if settings.DEBUG else _shell_version_cached()
    context = {
        "version": version,
        "shell_urls": json.dumps(_shell_urls()),
        "app_url": json.dumps(reverse("app")),
        "data_prefix": json.dumps("/api/v1/me/"),
    }
    return _revalidated(
        render(request, "webapp/sw.js", context, content_type="text/javascript; charset=utf-8")
    )
