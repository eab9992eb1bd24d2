"""The therapist's side in a real browser (Debian's Chromium, headless): a precaution
recorded at intake, the plan generated around it with each swap and its reason on the
plan page; responses recorded on the patient's behalf, then the trend with its
meaningful-change band on the plan page and the flag on the patient list. Screenshots
in test-artifacts/outcomes/."""

import importlib
import itertools
import re
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings

from ptrx.exercises.services import library_load
from ptrx.outcomes.models import QuestionnaireResponse
from ptrx.outcomes.services import questionnaires_load
from ptrx.plans.models import Plan, Prescription
from ptrx.plans.services.protocols import protocols_load_fixture
from tests.admin.test_browser import CHROMIUM, CHROMIUM_ARGS, log_in
from tests.admin.test_browser import pytestmark as browser_marks
from tests.factories import make_therapist

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "outcomes"
pytestmark = browser_marks


@pytest.fixture
def ana(transactional_db: None) -> Any:
    # The live server needs committed data; the flush after the test empties every table.
    library_load()
    protocols_load_fixture()
    questionnaires_load()
    for migration in (
        "ptrx.plans.migrations.0002_therapists_group",
        "ptrx.outcomes.migrations.0002_therapist_permissions",
    ):
        module = importlib.import_module(migration)
        grant = getattr(module, "grant_therapist_permissions", None) or module.grant_outcome_permissions
        grant(apps, None)
    return make_therapist(username="ana")


def test_precautions_at_intake_then_trends_and_the_flag(live_server: Any, ana: Any) -> None:
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

            def shot(name: str, part: str | None = None) -> None:
                """The whole page, or only the part a step is about (readable at a glance)."""
                path = ARTIFACTS / f"{next(step):02d}-{name}.png"
                if part is None:
                    page.screenshot(path=path, full_page=True)
                else:
                    page.locator(part).first.screenshot(path=path)

            log_in(page, base, "ana")
            page.goto(f"{base}/admin/plans/patient/add/")
            page.fill("#id_username", "robin")
            page.fill("#id_first_name", "Robin")
            page.fill("#id_password1", "gluteal-bridge-42")
            page.fill("#id_password2", "gluteal-bridge-42")
            page.check("input[name=branches][value=middle]")
            page.select_option("#id_side", "left")
            page.fill("#id_timezone", "Europe/London")
            page.fill("#id_reminder_time", "18:30")
            page.check("input[name=precautions][value=pregnancy]")
            shot("intake-precautions")
            page.click("input[name=_save]")
            expect(page.locator("ul.messagelist")).to_contain_text("was added successfully")
            patient_url = page.url

            page.click("a.generate-plan")
            page.click("input[name=_submit]")
            page.wait_for_url(re.compile(r".*/admin/plans/plan/\d+/change/$"))
            plan_url = page.url
            changes = page.locator(".precaution-change")
            expect(changes.first).to_be_visible()
            expect(
                changes.filter(has_text="Belly breathing lying down swapped for Belly breathing sitting")
            ).to_have_count(1)
            expect(changes.first).to_contain_text(
                "Why: Pregnancy past the first trimester: no prolonged lying flat"
            )
            expect(page.locator("#outcomes-heading")).to_have_count(0)
            shot("plan-with-swaps", ".field-precautions")
            page.click("input[name=_activate]")
            expect(page.locator(".ptrx-status")).to_contain_text("Active")

            page.goto(patient_url)
            for answers in ((6, 7, 6), (3, 4, 3)):
                page.click("a.record-questionnaire:has-text('Patient-Specific Functional Scale')")
                expect(page.locator("label[for=id_activity_1]")).to_contain_text(
                    "Stand or walk for 30 minutes"
                )
                for key, value in zip(("activity_1", "activity_2", "activity_3"), answers, strict=True):
                    page.fill(f"#id_{key}", str(value))
                if answers[0] == 3:
                    page.fill("#id_activity_4", "11")
                    page.click("input[type=submit]")
                    expect(page.locator(".errorlist")).to_contain_text(
                        "Ensure this value is less than or equal to 10"
                    )
                    shot("record-out-of-range", "#content")
                    page.fill("#id_activity_4", "")
                page.click("input[type=submit]")
                expect(page.locator("ul.messagelist")).to_contain_text(
                    "Patient-Specific Functional Scale recorded"
                )
            shot("patient-after-responses")

            page.goto(plan_url)
            trend = page.locator(".outcome-trend").first
            expect(trend).to_contain_text("meaningfully worse")
            expect(trend.locator("svg rect.band")).to_have_count(1)
            expect(trend.locator("svg circle.score")).to_have_count(2)
            shot("plan-trend", "fieldset:has(#outcomes-heading)")

            page.goto(f"{base}/admin/plans/patient/?outcome_worse=yes")
            expect(page.locator("#result_list")).to_contain_text("Robin")
            expect(page.locator("#result_list .ptrx-flag")).to_contain_text("outcome worse")
            shot("patient-list-flag", "#changelist")
            page.goto(f"{base}/admin/plans/patient/?outcome_worse=no")
            expect(page.locator("#result_list")).to_have_count(0)
        finally:
            browser.close()

    plan = Plan.objects.get(patient__user__username="robin")
    slugs = set(Prescription.objects.filter(phase__plan=plan).values_list("exercise__slug", flat=True))
    assert not slugs & {"diaphragmatic-breathing-supine", "prone-hip-extension", "dead-bug-full"}
    assert [r.recorded_by.username for r in QuestionnaireResponse.objects.order_by("id")] == ["ana", "ana"]
