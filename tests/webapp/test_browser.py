"""The patient app in a real browser: Debian's Chromium, headless, driven by Playwright,
through the accessible names of DESIGN.md ("The patient app").

Two journeys, each a patient with an active plan. On a phone-sized screen: a therapist is
turned away, the patient logs every session of the day and acknowledges the advice, sees
the day complete and adherence at 100%, checks in, changes the reminder time and logs out.
On a desktop screen, offline: the app opens from the service worker, three sessions and a
check-in are saved on the device, two sessions the server then refuses; back online the
rest is synced exactly once and the refusals are shown; an emergency answer shows the
urgent-care screen before any network reply, and the plan is paused once it is synced.
Both log in to an HttpOnly, SameSite=Strict session cookie, and logging out ends the
session on the server and leaves nothing on the device (IndexedDB, Cache Storage,
localStorage). On every screen axe-core finds no serious or critical violation at
390 x 844 and 1280 x 800; each leaves a screenshot in test-artifacts/app/.
"""

import itertools
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from django.conf import settings
from django.db import connections
from knox.models import AuthToken
from playwright.sync_api import expect, sync_playwright

from ptrx.plans.domain.red_flags import EMERGENCY_CODES, RED_FLAGS
from ptrx.plans.models import CheckIn, Completion, Notification, Patient, Plan, PlanStatus, Prescription
from ptrx.plans.services.prescriptions import prescription_update
from tests.admin.test_browser import CHROMIUM, CHROMIUM_ARGS
from tests.admin.test_browser import pytestmark as browser_marks
from tests.factories import PASSWORD, make_active_plan, make_patient, make_therapist
from tests.webapp.accessibility import DESKTOP, PHONE, assert_accessible

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "app"
QUESTIONS = [RED_FLAGS[code][1] for code in EMERGENCY_CODES]

pytestmark = browser_marks
T = TypeVar("T")


def outside_the_browser_loop(work: Callable[[], T]) -> T:
    """Run database work in a thread of its own: Playwright's sync API keeps an event loop
    running in this one, where Django refuses database calls."""

    def run() -> T:
        try:
            return work()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


@pytest.fixture
def patients(transactional_db: None, library: None) -> dict[str, Patient]:
    therapist = make_therapist(username="ana")
    found = {}
    for username, first_name in (("robin", "Robin"), ("sky", "Sky")):
        patient = make_patient(
            therapist=therapist, username=username, first_name=first_name, timezone_name="Europe/London"
        )
        plan = make_active_plan(patient)
        Notification.objects.create(
            patient=patient,
            plan=plan,
            kind="daily",
            local_date=plan.start_date,
            subject=f"Exercises for {first_name}",
            body=f"Hi {first_name},\n\nYour plan has exercises for today.",
        )
        found[username] = patient
    return found


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Callable[..., None]:
    """Screenshots named by the test's screen size and step; the test's old ones are removed."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    prefix = "phone" if "day" in request.node.name else "desktop"
    for old in ARTIFACTS.glob(f"{prefix}-*.png"):
        old.unlink()
    step = itertools.count(1)

    def shot(page: Any, name: str, *, full_page: bool = True) -> None:
        page.screenshot(path=ARTIFACTS / f"{prefix}-{next(step):02d}-{name}.png", full_page=full_page)

    return shot


def watch(page: Any, problems: list[str]) -> None:
    """Collect what the page refused (CSP) or failed at (script errors)."""
    page.on("console", lambda message: problems.append(message.text) if "Refused" in message.text else None)
    page.on("pageerror", lambda error: problems.append(str(error)))


STORED_ON_DEVICE = """() => new Promise((resolve, reject) => {
  const opening = indexedDB.open("ptrx");
  opening.onerror = () => reject(opening.error);
  opening.onsuccess = () => {
    const db = opening.result;
    const transaction = db.transaction(["queue", "refused"]);
    const counts = {};
    for (const name of ["queue", "refused"]) {
      const counting = transaction.objectStore(name).count();
      counting.onsuccess = () => { counts[name] = counting.result; };
    }
    transaction.oncomplete = () => { db.close(); resolve(counts); };
  };
})"""


def session_cookie(context: Any) -> dict[str, Any]:
    (cookie,) = [cookie for cookie in context.cookies() if cookie["name"] == settings.SESSION_COOKIE_NAME]
    return cookie


def assert_logged_out_everywhere(playwright: Any, page: Any, base: str, old_session: str) -> None:
    """Logged out: the device keeps nothing of the patient, and the session is over on the
    server, for this browser and for anyone holding a copy of its cookie."""
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    assert page.evaluate("caches.has('ptrx-data')") is False
    assert page.evaluate(STORED_ON_DEVICE) == {"queue": 0, "refused": 0}
    assert page.evaluate("localStorage.length") == 0
    assert page.request.get(f"{base}/api/v1/me/").status == 401
    copy = playwright.request.new_context(
        extra_http_headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={old_session}"}
    )
    try:
        assert copy.get(f"{base}/api/v1/me/").status == 401
    finally:
        copy.dispose()


def log_in(page: Any, username: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def answer_questions(page: Any, yes: tuple[str, ...] = ()) -> None:
    for question in QUESTIONS:
        group = page.get_by_role("group", name=question)
        group.get_by_label("Yes" if question in yes else "No", exact=True).check()


def log_session(page: Any, article: Any, pain: str) -> None:
    article.get_by_role("button", name="Log session").click()
    article.get_by_label("Sets done").fill("1")
    article.get_by_label("Pain during (0-10)").fill(pain)
    # The pain scale's traffic light says what the number means (CLINICAL.md §4).
    zone = {"1": "Fine: carry on", "2": "Fine: carry on", "5": "Take care: ease off"}[pain]
    expect(article.get_by_text(zone)).to_be_visible()
    article.get_by_role("button", name="Save").click()


def test_a_patient_logs_a_day_checks_in_changes_settings_and_logs_out(
    live_server: Any, patients: dict[str, Patient], shots: Any
) -> None:
    base = live_server.url
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=PHONE)
            page = context.new_page()
            watch(page, problems)
            page.goto(f"{base}/app/")
            expect(page.get_by_role("heading", name="Log in to your exercise plan")).to_be_visible()
            scope = page.evaluate("navigator.serviceWorker.ready.then((registration) => registration.scope)")
            assert scope == f"{base}/app/"
            manifest = page.request.get(f"{base}/app/manifest.webmanifest").json()
            assert (manifest["start_url"], manifest["display"]) == ("/app/", "standalone")
            shots(page, "login")
            assert_accessible(page, "login")

            log_in(page, "ana")
            expect(page.get_by_role("alert")).to_contain_text("This app is for patients")
            shots(page, "therapist-refused")

            log_in(page, "robin")
            expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()
            # The credential is a cookie no script can read, never sent from another site.
            cookie = session_cookie(context)
            assert (cookie["httpOnly"], cookie["sameSite"]) == (True, "Strict")
            assert settings.SESSION_COOKIE_NAME not in page.evaluate("document.cookie")
            assert cookie["value"] not in page.evaluate("JSON.stringify({ ...localStorage })")
            expect(
                page.get_by_role("navigation", name="Main").get_by_role("link", name="Today")
            ).to_have_attribute("aria-current", "page")
            for name in ("Plan", "Progress", "Check-in", "Messages", "Settings"):
                expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
            expect(page.get_by_text("set of 30, 3 times a day")).to_be_visible()
            shots(page, "today")
            assert_accessible(page, "Today")

            logged = 0
            exercises = page.get_by_role("article").filter(has=page.get_by_role("button", name="Log session"))
            for name in exercises.locator("h2").all_inner_texts():
                article = page.get_by_role("article", name=name, exact=True)
                match = re.search(r"of (\d+) session", article.locator(".sessions").inner_text())
                assert match is not None
                total = int(match.group(1))
                for session in range(1, total + 1):
                    log_session(page, article, pain="5" if logged == 0 else "2")
                    if logged == 0:
                        shots(page, "logging-a-session")
                    expect(article.get_by_text(f"{session} of {total} session(s) done today")).to_be_visible()
                    logged += 1
            assert logged >= 3
            expect(page.get_by_text("All done for today")).to_be_visible()
            advice = page.get_by_role("button", name="Mark as read")
            acknowledged = advice.count()
            assert acknowledged > 0
            for left in range(acknowledged - 1, -1, -1):
                page.get_by_role("button", name="Mark as read").first.click()
                expect(page.get_by_role("button", name="Mark as read")).to_have_count(left)
            expect(page.get_by_text("Read today").first).to_be_visible()
            shots(page, "today-done")
            assert_accessible(page, "Today, all done")
            page.emulate_media(color_scheme="dark")
            page.set_viewport_size({"width": 320, "height": 700})
            shots(page, "today-done-dark-320px")
            # Nothing runs off the side of the narrowest screen.
            assert page.evaluate("document.documentElement.scrollWidth") <= 320
            page.emulate_media(color_scheme="light")
            page.set_viewport_size(PHONE)

            page.get_by_role("link", name="Progress").click()
            expect(page.get_by_text("Last 7 days:")).to_contain_text("(100%)")
            expect(page.get_by_role("img", name="Pain over the last 28 days")).to_be_visible()
            shots(page, "progress")
            assert_accessible(page, "Progress")

            page.get_by_role("link", name="Plan").click()
            expect(page.get_by_role("heading", name="What the next phase asks")).to_be_visible()
            expect(page.locator("[aria-current=step]")).to_contain_text("Now")
            shots(page, "plan")
            assert_accessible(page, "Plan")

            page.get_by_role("link", name="Messages").click()
            expect(page.get_by_role("heading", name="Exercises for Robin")).to_be_visible()
            expect(page.get_by_text("Hi Robin,")).to_be_visible()
            shots(page, "messages")
            assert_accessible(page, "Messages")

            page.get_by_role("link", name="Check-in").click()
            page.get_by_label("Pain now (0-10)").fill("3")
            page.get_by_label("Pain this morning (0-10)").fill("2")
            page.get_by_role("button", name="Send check-in").click()
            expect(page.get_by_role("alert")).to_contain_text("Answer yes or no")
            answer_questions(page)
            shots(page, "check-in")
            assert_accessible(page, "Check-in")
            page.get_by_role("button", name="Send check-in").click()
            expect(page.get_by_text("Check-in sent")).to_be_visible()

            page.get_by_role("link", name="Settings").click()
            page.get_by_label("Reminder time").fill("19:15")
            expect(page.get_by_label("Time zone")).to_have_value("Europe/London")
            expect(page.get_by_label("Send me reminders")).to_be_checked()
            page.get_by_label("Time zone").fill("Mars/Olympus")
            page.get_by_role("button", name="Save settings").click()
            expect(page.get_by_role("alert")).to_contain_text("Time zone:")
            page.get_by_label("Time zone").fill("Europe/Paris")
            page.get_by_role("button", name="Save settings").click()
            expect(page.get_by_text("Settings saved.")).to_be_visible()
            shots(page, "settings")
            assert_accessible(page, "Settings")

            page.wait_for_function("caches.has('ptrx-data')")  # the service worker kept today
            page.get_by_role("button", name="Log out").click()
            assert_logged_out_everywhere(playwright, page, base, cookie["value"])
            assert problems == []
        finally:
            browser.close()

    def stored() -> tuple[Any, ...]:
        robin = Patient.objects.get(pk=patients["robin"].pk)
        completions = Completion.objects.filter(plan__patient=robin)
        return (
            completions.filter(pain_during__isnull=False).count(),
            completions.filter(pain_during__isnull=True).count(),
            list(CheckIn.objects.filter(patient=robin).values_list("pain_now", "pain_next_morning", "flare")),
            robin.reminder_time.strftime("%H:%M"),
            robin.timezone,
        )

    assert stored() == (logged, acknowledged, [(3, 2, False)], "19:15", "Europe/Paris")
    # The app used its session alone: no token was ever made.
    assert not AuthToken.objects.exists()
    assert not Completion.objects.filter(plan__patient=patients["sky"]).exists()


def test_offline_logs_are_synced_once_refusals_shown_and_an_emergency_answered_at_once(
    live_server: Any, patients: dict[str, Patient], shots: Any
) -> None:
    sky = patients["sky"]
    plan = Plan.objects.get(patient=sky, status=PlanStatus.ACTIVE)
    breathing = Prescription.objects.get(phase__plan=plan, phase__number=1, exercise__category="breathing")
    slider = Prescription.objects.get(
        phase__plan=plan, phase__number=1, exercise__category="neurodynamic_glide"
    )
    assert breathing.sessions_per_day == 3
    breathing_name, slider_name = breathing.exercise.name, slider.exercise.name
    base = live_server.url
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=DESKTOP)
            page = context.new_page()
            watch(page, problems)
            page.goto(f"{base}/app/")
            log_in(page, "sky")
            expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()
            # Another patient's data never appears: the feed is Sky's alone.
            page.get_by_role("link", name="Messages").click()
            expect(page.get_by_role("heading", name="Exercises for Sky")).to_be_visible()
            expect(page.get_by_text("Robin")).to_have_count(0)
            page.get_by_role("link", name="Today").click()
            page.wait_for_function("navigator.serviceWorker.controller !== null")
            page.reload()  # today's plan now passes through the service worker, which keeps it
            expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()

            context.set_offline(True)
            page.reload()
            expect(page.get_by_text("You are offline.")).to_be_visible()
            breathing_card = page.get_by_role("article", name=breathing_name)
            slider_card = page.get_by_role("article", name=slider_name)
            log_session(page, breathing_card, pain="1")
            expect(breathing_card.get_by_text("Saved on this device")).to_be_visible()
            log_session(page, breathing_card, pain="2")
            expect(breathing_card.get_by_text("2 of 3 session(s) done today")).to_be_visible()
            log_session(page, breathing_card, pain="1")
            expect(breathing_card.get_by_text("3 of 3 session(s) done today")).to_be_visible()
            log_session(page, slider_card, pain="1")
            expect(slider_card.get_by_text("Saved on this device")).to_be_visible()
            page.get_by_role("link", name="Check-in").click()
            page.get_by_label("Pain now (0-10)").fill("2")
            answer_questions(page)
            page.get_by_role("button", name="Send check-in").click()
            expect(page.get_by_text("Check-in saved on this device")).to_be_visible()
            expect(page.locator("#status")).to_contain_text("5 waiting to be sent")
            shots(page, "offline-saved-on-this-device")

            # Meanwhile the therapist cuts the breathing to once a day: its second and third
            # sessions will be refused (400) when they arrive.
            outside_the_browser_loop(lambda: prescription_update(prescription=breathing, sessions_per_day=1))
            assert not outside_the_browser_loop(lambda: Completion.objects.filter(plan=plan).exists())

            context.set_offline(False)
            expect(page.locator("#status")).to_contain_text("Synced")
            refusals = page.get_by_role("region", name="Not accepted by the clinic's server")
            expect(refusals).to_contain_text(breathing_name)
            expect(refusals).to_contain_text("1 session(s) a day")
            shots(page, "back-online-synced-two-refused")
            assert_accessible(page, "refusals listed")
            expect(refusals.get_by_role("listitem")).to_have_count(2)
            refusals.get_by_role("button", name="Dismiss").first.click()
            expect(refusals.get_by_role("listitem")).to_have_count(1)
            assert page.evaluate(STORED_ON_DEVICE) == {"queue": 0, "refused": 1}

            context.set_offline(True)
            page.get_by_role("link", name="Check-in").click()
            page.get_by_label("Pain now (0-10)").fill("4")
            answer_questions(page, yes=(RED_FLAGS["saddle_numbness"][1],))
            page.get_by_role("button", name="Send check-in").click()
            # Offline: nothing but the answers themselves can have shown this.
            urgent = page.get_by_role("alertdialog")
            expect(urgent.get_by_role("heading")).to_contain_text("urgent medical care")
            expect(urgent).to_contain_text("saved on this device")
            shots(page, "emergency-offline", full_page=False)  # what the screen shows: all of it
            assert_accessible(page, "urgent care")
            expect(page.locator("#status")).to_contain_text("1 waiting to be sent")
            context.set_offline(False)
            expect(page.locator("#status")).to_contain_text("Synced")

            # Logging out forgets the refusal still listed and the cached plan.
            urgent.get_by_role("button", name="Back to the app").click()
            expect(urgent).to_have_count(0)
            old_session = session_cookie(context)["value"]
            assert page.evaluate("caches.has('ptrx-data')") is True
            page.get_by_role("button", name="Log out").click()
            assert_logged_out_everywhere(playwright, page, base, old_session)
            assert problems == []
        finally:
            browser.close()

    def stored() -> tuple[Any, ...]:
        completions = Completion.objects.filter(plan=plan).order_by("prescription_id", "session")
        checkins = CheckIn.objects.filter(patient=sky).order_by("id")
        return (
            sorted(completions.values_list("prescription_id", "session")),
            [(c.pain_now, c.red_flags.get("saddle_numbness")) for c in checkins],
            len({c.client_id for c in checkins if c.client_id}),
            Plan.objects.get(pk=plan.pk).status,
        )

    assert stored() == (
        sorted([(breathing.pk, 1), (slider.pk, 1)]),
        [(2, False), (4, True)],
        2,
        PlanStatus.PAUSED,
    )
