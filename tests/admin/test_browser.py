"""The admin in a real browser: Debian's Chromium, headless, driven by Playwright.

A therapist logs in, creates a patient, generates a plan for the inferior branch on the
left side, changes one prescription's reps, activates the plan; the change is in the
database, and a second therapist cannot open that patient. Each step leaves a screenshot
in test-artifacts/admin/.
"""

import importlib
import itertools
import os
import re
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings

from ptrx.exercises.services import library_load
from ptrx.plans.models import Patient, Plan, PlanStatus, Prescription
from ptrx.plans.services.protocols import protocols_load_fixture
from tests.factories import PASSWORD, make_therapist

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "admin"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    # In CI (REQUIRE_SERVICES=1) a missing Chromium fails the test instead of skipping it.
    pytest.mark.skipif(
        not CHROMIUM.exists() and os.environ.get("REQUIRE_SERVICES") != "1",
        reason=f"no Chromium at {CHROMIUM}: the admin's browser tests are SKIPPED "
        "(apt-get install chromium, or run .ci/run)",
    ),
]


@pytest.fixture
def therapists(transactional_db: None) -> tuple[Any, Any]:
    # A live server needs committed data, and the flush after each such test empties
    # every table: load what `migrate` and `make run` would have.
    library_load()
    protocols_load_fixture()
    importlib.import_module("ptrx.plans.migrations.0002_therapists_group").grant_therapist_permissions(
        apps, None
    )
    return make_therapist(username="ana"), make_therapist(username="ben")


def log_in(page: Any, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base_url}/admin/")


def test_a_therapist_sets_up_a_patient_and_activates_their_plan(live_server: Any, therapists: Any) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    step = itertools.count(1)
    base = live_server.url

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            # The Content-Security-Policy blocks inline scripts and unsigned <style>
            # blocks: the browser reports whatever it refused here.
            refused: list[str] = []

            def watch(watched: Any) -> None:
                watched.on(
                    "console",
                    lambda message: refused.append(message.text) if "Refused" in message.text else None,
                )

            watch(page)

            def shot(name: str) -> None:
                page.screenshot(path=ARTIFACTS / f"{next(step):02d}-{name}.png", full_page=True)

            log_in(page, base, "ana")
            shot("therapist-logged-in")

            page.goto(f"{base}/admin/plans/patient/add/")
            page.fill("#id_username", "robin")
            page.fill("#id_first_name", "Robin")
            page.fill("#id_email", "robin@example.org")
            page.fill("#id_password1", "gluteal-bridge-42")
            page.fill("#id_password2", "gluteal-bridge-42")
            page.check("input[name=branches][value=inferior]")
            page.select_option("#id_side", "left")
            page.select_option("#id_irritability", "moderate")
            page.fill("#id_timezone", "Europe/London")
            page.fill("#id_reminder_time", "18:30")
            shot("patient-form")
            page.click("input[name=_save]")
            expect(page.locator("ul.messagelist")).to_contain_text("was added successfully")
            patient_url = page.url
            shot("patient-created")

            page.click("a.generate-plan")
            expect(page.locator("input[name=branches][value=inferior]")).to_be_checked()
            page.select_option("#id_side", "left")
            shot("generate-plan-form")
            page.click("input[name=_submit]")
            page.wait_for_url(re.compile(r".*/admin/plans/plan/\d+/change/$"))
            plan_id = int(page.url.rstrip("/").split("/")[-2])
            expect(page.locator(".ptrx-status")).to_contain_text("Draft")
            # The page's own <style> block (signed with the request's nonce) applies.
            expect(page.locator(".ptrx-status")).to_have_css("border-left-width", "4px")
            expect(page.locator(".adherence-chart svg")).to_be_visible()
            shot("draft-plan")

            page.fill("input[name=prescriptions-0-reps]", "17")
            page.click("input[name=_activate]")
            expect(page.locator("ul.messagelist")).to_contain_text("is activated")
            expect(page.locator(".ptrx-status")).to_contain_text("Active")
            shot("plan-activated")

            page.goto(f"{base}/admin/plans/patient/")
            expect(page.locator("#result_list")).to_contain_text("Robin")
            expect(page.locator("#result_list")).to_contain_text("Active, phase 1")
            shot("patient-list")

            page.goto(f"{base}/api/docs/")
            expect(page.locator(".swagger-ui .info")).to_contain_text("ptrx patient API")

            intruder = browser.new_page(viewport={"width": 1400, "height": 800})
            watch(intruder)
            page = intruder
            log_in(page, base, "ben")
            page.goto(patient_url)
            expect(page.locator("ul.messagelist")).to_contain_text("Perhaps it was deleted?")
            assert page.url == f"{base}/admin/"
            shot("other-therapist-not-found")
            assert refused == []
        finally:
            browser.close()

    # Checked after the browser is closed, outside Playwright's event loop.
    patient = Patient.objects.get(user__username="robin")
    assert patient.therapist.username == "ana"
    plan = Plan.objects.get(pk=plan_id, patient=patient)
    assert (plan.status, plan.branches, plan.side) == (PlanStatus.ACTIVE, ["inferior"], "left")
    first = Prescription.objects.filter(phase__plan=plan).order_by("phase__number", "order", "pk").first()
    assert first is not None and first.reps == 17
    assert len(list(ARTIFACTS.glob("*.png"))) == next(step) - 1 == 8
