"""The plan page's downloads in a real browser: the therapist clicks "Print handout" and
gets the PDF; the page with its links is left in test-artifacts/admin/."""

from typing import Any

from tests.admin.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, log_in, pytestmark, therapists
from tests.factories import make_active_plan, make_patient
from tests.plans.interop.conftest import pdf_text

__all__ = ["pytestmark", "therapists"]


def test_the_therapist_prints_the_handout_from_the_plan_page(
    live_server: Any, therapists: Any, tmp_path: Any
) -> None:
    from playwright.sync_api import expect, sync_playwright

    ana, _ben = therapists
    plan = make_active_plan(make_patient(therapist=ana, first_name="Robin"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900}, accept_downloads=True)
            log_in(page, live_server.url, "ana")
            page.goto(f"{live_server.url}/admin/plans/plan/{plan.pk}/change/")
            link = page.get_by_role("link", name="Print handout")
            expect(link).to_be_visible()
            expect(page.get_by_role("link", name="FHIR export")).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "interop-plan-page-downloads.png"))
            with page.expect_download() as download_info:
                link.click()
            download = download_info.value
            assert download.suggested_filename == f"handout-plan-{plan.pk}.pdf"
            saved = tmp_path / "handout.pdf"
            download.save_as(saved)
        finally:
            browser.close()
    pdf = saved.read_bytes()
    assert pdf.startswith(b"%PDF")
    assert "Home exercises for Robin" in pdf_text(pdf, tmp_path)
