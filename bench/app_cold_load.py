"""Benchmark: the patient app's cold load to a visible Today, and the bytes it transfers.

A fresh browser context each run (no HTTP cache, no service worker), the patient already
logged in (its session cookie and account kept, as after a login), Chromium throttled through the
DevTools protocol as Lighthouse's mobile profile: 4x CPU slowdown, 150 ms round trip,
1.6 Mbit/s down and 750 kbit/s up. Measured: milliseconds from navigation start until
the "Today" heading and the day's items are on screen; bytes transferred (compressed,
headers included) for the shell (page, scripts, styles, icons) and for the API answers.
Targets: 1.5 s, and 60 KB for the shell.

The site runs with production settings (DEBUG=0, gunicorn, whitenoise's compressed,
hashed static files) on a SQLite file in a temporary folder: what is measured is the
front end, not the database. Needs Debian's Chromium at /usr/bin/chromium.

Run alone: .venv/bin/python bench/app_cold_load.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOAD_TARGET_MS = 1500
SHELL_TARGET_KB = 60
CPU_SLOWDOWN = 4
NETWORK = {"offline": False, "latency": 150, "downloadThroughput": 1.6e6 / 8, "uploadThroughput": 750e3 / 8}
PASSWORD = "bench-app-cold-load-42"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def site_env(var_dir: Path, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key-not-for-production-use-0123456789",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "SECURE_HSTS_SECONDS": "0",
        "VAR_DIR": str(var_dir),
        "DATABASE_URL": f"sqlite:///{var_dir / 'bench.sqlite3'}",
        "REDIS_URL": "",
        "PORT": str(port),
        "LOG_LEVEL": "WARNING",
    }


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def prepare(env: dict[str, str]) -> None:
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    manage(env, "load_library")
    manage(env, "load_protocols")
    manage(env, "create_therapist", "bench-therapist", "--password", PASSWORD)
    manage(
        env, "create_patient", "bench-patient", "--password", PASSWORD, "--therapist", "bench-therapist",
        "--branch", "inferior", "--side", "left", "--timezone", "Europe/London",
    )  # fmt: skip


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the site did not answer at {url}")


def logged_in(browser: Any, base: str) -> Any:
    """What a browser keeps after the patient logs in to the app: the session and CSRF
    cookies, and the account in localStorage."""
    context = browser.new_context()
    try:
        context.request.get(f"{base}/app/")
        csrf = next(cookie["value"] for cookie in context.cookies() if cookie["name"] == "csrftoken")
        answer = context.request.post(
            f"{base}/app/session/",
            data={"username": "bench-patient", "password": PASSWORD},
            headers={"X-CSRFToken": csrf},
        )
        if answer.status != 204:
            raise SystemExit(f"the bench patient could not log in: {answer.status} {answer.text()}")
        me = context.request.get(f"{base}/api/v1/me/").json()
        state = context.storage_state()
    finally:
        context.close()
    state["origins"] = [{"origin": base, "localStorage": [{"name": "ptrx.me", "value": json.dumps(me)}]}]
    return state


def one_load(browser: Any, base: str, storage: Any) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 390, "height": 844}, storage_state=storage)
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        cdp.send("Network.emulateNetworkConditions", NETWORK)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
        urls: dict[str, str] = {}
        sizes = {"shell": 0.0, "api": 0.0}
        cdp.on(
            "Network.requestWillBeSent",
            lambda event: urls.__setitem__(event["requestId"], event["request"]["url"]),
        )

        def finished(event: dict[str, Any]) -> None:
            url = urls.get(event["requestId"], "")
            sizes["api" if "/api/" in url else "shell"] += event["encodedDataLength"]

        cdp.on("Network.loadingFinished", finished)
        page.goto(f"{base}/app/")
        page.locator("h1", has_text="Today").wait_for()
        page.locator("article").first.wait_for()
        visible_ms = float(page.evaluate("performance.now()"))
        # Whatever else the page loads on its own (the service worker's copies are not
        # the page's and are not counted here) is in by the time the network is idle.
        page.wait_for_load_state("networkidle")
        return {"visible_ms": visible_ms, "shell_kb": sizes["shell"] / 1024, "api_kb": sizes["api"] / 1024}
    finally:
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="ptrx-bench-app-") as folder:
        port = free_port()
        env = site_env(Path(folder), port)
        prepare(env)
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [str(Path(PYTHON).parent / "gunicorn"), "ptrx.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(f"{base}/app/")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    storage = logged_in(browser, base)
                    one_load(browser, base, storage)  # warm the server's own caches
                    results = [one_load(browser, base, storage) for _ in range(runs)]
                finally:
                    browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)

    visible = statistics.median(result["visible_ms"] for result in results)
    shell = statistics.median(result["shell_kb"] for result in results)
    api_kb = statistics.median(result["api_kb"] for result in results)
    report = {
        "runs": runs,
        "visible_ms_median": round(visible),
        "visible_ms_all": [round(result["visible_ms"]) for result in results],
        "shell_kb_median": round(shell, 1),
        "api_kb_median": round(api_kb, 1),
        "targets": {"visible_ms": LOAD_TARGET_MS, "shell_kb": SHELL_TARGET_KB},
        "visible_ratio_to_target": round(visible / LOAD_TARGET_MS, 2),
        "shell_ratio_to_target": round(shell / SHELL_TARGET_KB, 2),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
