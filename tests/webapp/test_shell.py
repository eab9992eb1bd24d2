"""The patient app's server side: the shell page, its manifest and service worker."""

import json
import re

import pytest
from django.contrib.staticfiles import finders

from ptrx.plans.domain.red_flags import EMERGENCY_CODES, RED_FLAGS

pytestmark = pytest.mark.django_db


def test_the_shell_is_a_page_with_no_inline_script_and_a_strict_policy(client):
    answer = client.get("/app/")
    assert answer.status_code == 200
    assert answer["Cache-Control"] == "no-cache"
    policy = dict(part.strip().split(" ", 1) for part in answer["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'"
    assert policy["default-src"] == "'self'"
    html = answer.content.decode()
    # Only the module from this site and one JSON data block; no inline code, no style block.
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
    assert [attributes.strip() for attributes, _body in scripts] == [
        'id="emergency-questions" type="application/json"',
        'type="module" src="/static/webapp/app.js"',
    ]
    assert "<style" not in html
    assert 'style="' not in html
    assert "http://" not in html and "https://" not in html


def test_the_shell_carries_the_emergency_questions_of_the_red_flag_screen(client):
    html = client.get("/app/").content.decode()
    block = re.search(r'<script id="emergency-questions" type="application/json">(.*?)</script>', html, re.S)
    assert block is not None
    assert json.loads(block.group(1)) == [
        {"code": code, "question": RED_FLAGS[code][1]} for code in EMERGENCY_CODES
    ]


def test_the_manifest_makes_the_app_installable(client):
    answer = client.get("/app/manifest.webmanifest")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/manifest+json"
    manifest = json.loads(answer.content)
    assert manifest["name"] and manifest["short_name"]
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == ("/app/", "/app/", "standalone")
    sizes = {icon["sizes"] for icon in manifest["icons"] if icon["type"] == "image/png"}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        path = finders.find(icon["src"].removeprefix("/static/"))
        assert path is not None, icon["src"]
        if icon["type"] == "image/png":
            with open(path, "rb") as file:
                header = file.read(24)
            assert header[:8] == b"\x89PNG\r\n\x1a\n"
            width, height = int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")
            assert f"{width}x{height}" == icon["sizes"]


def test_the_service_worker_keeps_every_file_of_the_shell(client):
    answer = client.get("/app/sw.js")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/javascript")
    assert answer["Cache-Control"] == "no-cache"
    body = answer.content.decode()
    urls = json.loads(re.search(r"const SHELL_URLS = (\[.*?\]);", body).group(1))
    assert "/app/" in urls
    assert "/static/webapp/app.js" in urls and "/static/webapp/screens/today.js" in urls
    for url in urls:
        if url != "/app/":
            assert finders.find(url.removeprefix("/static/")) is not None, url
    # Nothing from another origin.
    assert not [url for url in urls if "//" in url]


@pytest.mark.parametrize("path", ["/app/", "/app/manifest.webmanifest", "/app/sw.js"])
def test_the_app_pages_refuse_writes(client, path):
    assert client.post(path).status_code == 405


def test_the_admins_view_site_link_opens_the_app(admin_client):
    assert 'href="/app/"' in admin_client.get("/admin/").content.decode()
