"""The plan page in a real browser (issue 18), the way a therapist builds a plan: open
the patient, generate a plan, find the current phase open, swap an exercise for its
easier rung, drag another to the top of its phase, add one to phase 2 through the
picker, see the day go over the limit and its mark appear. The database is checked
after each change; axe-core finds no serious or critical problem on the page. Each
step leaves a screenshot in test-artifacts/admin/plan-page-*.png.
"""

import itertools
from typing import Any

import pytest

from ptrx.plans.models import Plan, Prescription
from tests.admin.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, log_in, pytestmark, therapists
from tests.factories import make_patient

__all__ = ["pytestmark", "therapists"]  # the browser marks and the live server's data


def rows_of(plan: Plan, phase: int) -> list[str]:
    return list(
        Prescription.objects.filter(phase__plan=plan, phase__number=phase)
        .order_by("order", "pk")
        .values_list("exercise__slug", flat=True)
    )


def serious_violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    return [
        f"{violation['id']} ({violation['impact']}): {[node['target'] for node in violation['nodes']]}"
        for violation in violations
        if violation["impact"] in ("serious", "critical")
    ]


def test_a_therapist_builds_a_plan_on_the_plan_page(
    live_server: Any, therapists: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from playwright.sync_api import expect, sync_playwright

    # The database is read between browser steps, while Playwright's loop runs in this
    # thread; the reads are plain synchronous queries.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    ana, _ben = therapists
    patient = make_patient(therapist=ana, username="robin", first_name="Robin", branches=["inferior"])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("plan-page-*.png"):
        old.unlink()
    step = itertools.count(1)
    base = live_server.url

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            refused: list[str] = []
            page.on(
                "console", lambda message: refused.append(message.text) if "Refused" in message.text else None
            )

            def shot(name: str, locator: Any = None) -> None:
                path = ARTIFACTS / f"plan-page-{next(step):02d}-{name}.png"
                if locator is None:
                    page.screenshot(path=path)
                else:
                    locator.screenshot(path=path)

            log_in(page, base, "ana")
            page.goto(f"{base}/admin/plans/patient/{patient.pk}/change/")
            page.click("a.generate-plan")
            page.click("input[name=_submit]")
            page.wait_for_url(f"{base}/admin/plans/plan/*/change/")
            plan = Plan.objects.get(patient=patient)
            change_url = page.url

            # The patient at a glance, and the current phase first and open.
            expect(page.locator(".ptrx-glance")).to_contain_text("Robin")
            expect(page.locator(".ptrx-glance")).to_contain_text("inferior; left")
            sections = page.locator("section.ptrx-phase")
            expect(sections.first).to_have_attribute("id", "phase-1")
            expect(sections.first.locator("details")).to_have_attribute("open", "")
            expect(sections.first.locator("summary")).to_contain_text("current phase")
            shot("plan-page-top")
            assert serious_violations(page) == []

            # Easier, in one action: phase 3's marching bridge becomes the bridge.
            phase_3 = page.locator("#phase-3")
            assert "marching-bridge" in rows_of(plan, 3)
            phase_3.locator("button.ptrx-step", has_text="Easier: Bridge").click()
            expect(page.locator("ul.messagelist")).to_contain_text("Phase 3, Marching bridge is now Bridge")
            shot("easier-rung", page.locator("#phase-3"))
            assert "bridge" in rows_of(plan, 3) and "marching-bridge" not in rows_of(plan, 3)

            # Drag the last exercise of phase 1 to the top, then save.
            phase_1 = page.locator("#phase-1")
            last = rows_of(plan, 1)[-1]
            saved_rows = phase_1.locator("tr.ptrx-saved")
            last_name = saved_rows.last.locator(".select2-selection__rendered").get_attribute("title")
            saved_rows.last.locator(".ptrx-drag-handle").drag_to(
                saved_rows.first, target_position={"x": 20, "y": 3}
            )
            expect(saved_rows.first.locator(".select2-selection__rendered")).to_have_attribute(
                "title", last_name or ""
            )
            expect(saved_rows.first.locator("input[name$='-order']")).to_have_value("1")
            shot("dragged-to-top", phase_1)
            page.click("input[name=_continue]")
            expect(page.locator("ul.messagelist")).to_contain_text("was changed successfully")
            assert rows_of(plan, 1)[0] == last

            # Add to phase 2 through the picker, on a Monday already holding 6 exercises.
            phase_2 = page.locator("#phase-2")
            monday = phase_2.locator("td.ptrx-day").first
            expect(monday).to_contain_text("6 exercises")
            expect(monday).not_to_contain_text("Over the limit")
            new_row = phase_2.locator("tr.ptrx-new")
            new_row.locator(".select2-selection").click()
            page.locator(".select2-search__field").fill("category:core position:quadruped")
            option = page.locator(".select2-results__option", has_text="Bird dog (core strength, level 1")
            expect(option).to_contain_text("harder: Bird dog with band")
            shot("picker")
            option.first.click()
            new_row.locator("input[type=checkbox][value='0']").check()
            page.click("input[name=_continue]")
            expect(page.locator("ul.messagelist")).to_contain_text("was changed successfully")
            assert "bird-dog" in rows_of(plan, 2)
            added = Prescription.objects.get(phase__plan=plan, phase__number=2, exercise__slug="bird-dog")
            assert 0 in added.days_of_week and added.sets == added.exercise.sets

            # The Monday of phase 2 is now over the limit, marked in words.
            monday = page.locator("#phase-2 td.ptrx-day").first
            expect(monday).to_contain_text("7 exercises")
            expect(monday.locator(".ptrx-over-mark")).to_have_text("Over the limit")
            shot("over-the-limit", page.locator("#phase-2 .ptrx-week"))
            assert serious_violations(page) == []
            assert page.url.split("#")[0] == change_url
            assert refused == []
        finally:
            browser.close()

    assert len(list(ARTIFACTS.glob("plan-page-*.png"))) == next(step) - 1 == 5
