"""The private calendar feed: parsed with icalendar and expanded with
recurring-ical-events across clock changes in two zones; the secret (stored only as
a digest) is the one way in, and a rotated one answers 404."""

import datetime as dt
import zoneinfo

import icalendar
import pytest
import recurring_ical_events
import time_machine
from django.conf import settings

from ptrx.plans.api.interop import FEED_MISSES_PER_HOUR
from ptrx.plans.interop.calendar_feed import calendar_feed_patient
from ptrx.plans.models import CalendarFeed, Phase, Plan, Prescription
from ptrx.plans.services.plans import plan_activate, plan_generate, plan_pause, plan_set_phase
from ptrx.plans.services.prescriptions import prescription_update
from tests.factories import make_patient, make_therapist

pytestmark = pytest.mark.django_db

MON_WED_FRI = [0, 2, 4]
TUE_THU = [1, 3]


def feed_path(url: str) -> str:
    assert url.startswith(settings.APP_URL.rstrip("/") + "/calendar/")
    return "/" + url.split("/", 3)[3]


def feed_of(api) -> tuple[str, str]:
    """(the feed's URL, its path on this site) for the API client's patient."""
    answer = api.get("/api/v1/me/calendar/")
    assert answer.status_code == 200
    url = answer.json()["url"]
    return url, feed_path(url)


def parsed(client, path: str) -> icalendar.Calendar:
    answer = client.get(path)
    assert answer.status_code == 200, answer.content
    assert answer["Content-Type"].startswith("text/calendar")
    assert "no-store" in answer["Cache-Control"]
    return icalendar.Calendar.from_ical(answer.content)


def plan_on_days(patient, start: dt.date) -> Plan:
    """An active plan from `start` whose phase 1 exercises fall on Mon/Wed/Fri and
    phase 2's on Tue/Thu (advice left on its own days: it makes no exercise day)."""
    plan = plan_activate(plan=plan_generate(patient=patient, start=start), today=start)
    exercises = Prescription.objects.filter(phase__plan=plan).exclude(exercise__category="education")
    exercises.filter(phase__number=1).update(days_of_week=MON_WED_FRI)
    exercises.filter(phase__number=2).update(days_of_week=TUE_THU)
    Prescription.objects.filter(phase__plan=plan, exercise__category="education").update(days_of_week=[6])
    return plan


def occurrences(calendar: icalendar.Calendar, start: dt.date, end: dt.date) -> list[dt.datetime]:
    return sorted(event["DTSTART"].dt for event in recurring_ical_events.of(calendar).between(start, end))


@pytest.mark.parametrize(
    ("zone", "start", "clock_change"),
    [
        ("Europe/London", dt.date(2027, 3, 22), dt.date(2027, 3, 28)),  # spring forward
        ("Europe/London", dt.date(2026, 10, 19), dt.date(2026, 10, 25)),  # fall back
        ("America/New_York", dt.date(2027, 3, 8), dt.date(2027, 3, 14)),
        ("America/New_York", dt.date(2026, 10, 26), dt.date(2026, 11, 1)),
    ],
)
def test_events_fall_on_exercise_days_at_the_local_reminder_time_across_clock_changes(
    library, client, make_client, zone, start, clock_change
):
    patient = make_patient(timezone_name=zone, reminder_time=dt.time(18, 30), registered_days_ago=30)
    with time_machine.travel(dt.datetime.combine(start, dt.time(12), tzinfo=zoneinfo.ZoneInfo(zone))):
        plan_on_days(patient, start)
        _url, path = feed_of(make_client(patient.user))
        calendar = parsed(client, path)
    # The week before the change and the week after it, in the patient's zone.
    seen = occurrences(calendar, clock_change - dt.timedelta(days=6), clock_change + dt.timedelta(days=8))
    assert seen, "no events in the weeks around the clock change"
    offsets = set()
    for moment in seen:
        local = moment.astimezone(zoneinfo.ZoneInfo(zone))
        assert (local.hour, local.minute) == (18, 30)
        assert local.weekday() in MON_WED_FRI + TUE_THU
        offsets.add(local.utcoffset())
    assert len(offsets) == 2, "the events do not follow the clock change"
    assert {event["DTSTART"].params["TZID"] for event in calendar.walk("VEVENT")} == {zone}
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == [zone]


def test_the_current_phase_then_the_coming_ones_each_on_its_own_days(library, client, make_client):
    zone = zoneinfo.ZoneInfo("Europe/London")
    start = dt.date(2027, 1, 4)  # a Monday
    patient = make_patient(timezone_name="Europe/London", reminder_time=dt.time(9), registered_days_ago=30)
    with time_machine.travel(dt.datetime(2027, 1, 4, 12, tzinfo=zone)):
        plan = plan_on_days(patient, start)
        _url, path = feed_of(make_client(patient.user))
        calendar = parsed(client, path)
    phase1, phase2 = Phase.objects.filter(plan=plan, number__in=[1, 2]).order_by("number")
    events = {event["UID"]: event for event in calendar.walk("VEVENT")}
    assert len(events) == Phase.objects.filter(plan=plan).count()
    first = events[next(uid for uid in events if uid.startswith(f"ptrx-plan-{plan.pk}-phase-1@"))]
    assert first["RRULE"]["BYDAY"] == ["MO", "WE", "FR"]
    assert first["DTSTART"].dt == dt.datetime(2027, 1, 4, 9, tzinfo=zone)
    assert first["SUMMARY"] == "Home exercises"
    assert calendar["X-PUBLISHED-TTL"] == "PT6H"
    assert first["URL"] == settings.APP_URL.rstrip("/") + "/app/"
    alarm = first.walk("VALARM")[0]
    assert alarm["ACTION"] == "DISPLAY" and alarm["TRIGGER"].dt == dt.timedelta(0)
    # Phase 1 for its typical weeks, then phase 2 on Tuesdays and Thursdays.
    phase2_starts = start + dt.timedelta(weeks=phase1.typical_weeks)
    seen = occurrences(calendar, phase2_starts - dt.timedelta(days=7), phase2_starts + dt.timedelta(days=7))
    before = [moment.weekday() for moment in seen if moment.date() < phase2_starts]
    after = [moment.weekday() for moment in seen if moment.date() >= phase2_starts]
    assert set(before) == set(MON_WED_FRI) and set(after) == set(TUE_THU)
    assert phase2.typical_weeks >= 1


def test_the_feed_changes_when_the_plan_does(library, client, make_client):
    patient = make_patient(timezone_name="Europe/London")
    plan = plan_on_days(patient, dt.date.today() - dt.timedelta(days=3))
    api = make_client(patient.user)
    _url, path = feed_of(api)
    first = client.get(path).content
    assert client.get(path).content == first  # the same plan, the same feed
    prescription = Prescription.objects.filter(phase__plan=plan, phase__number=1).exclude(
        exercise__category="education"
    )[0]
    Prescription.objects.filter(phase__plan=plan, phase__number=1).exclude(pk=prescription.pk).exclude(
        exercise__category="education"
    ).update(days_of_week=[0])
    prescription_update(prescription=prescription, days_of_week=[5])
    byday = [
        event["RRULE"]["BYDAY"]
        for event in icalendar.Calendar.from_ical(client.get(path).content).walk("VEVENT")
        if "-phase-1@" in event["UID"]
    ]
    assert byday == [["MO", "SA"]]
    plan_set_phase(plan=plan, number=2, on=dt.date.today())
    uids = [str(e["UID"]) for e in icalendar.Calendar.from_ical(client.get(path).content).walk("VEVENT")]
    assert not any("-phase-1@" in uid for uid in uids) and any("-phase-2@" in uid for uid in uids)
    plan_pause(plan=plan, reason="test")
    assert icalendar.Calendar.from_ical(client.get(path).content).walk("VEVENT") == []


def test_the_feed_names_no_diagnosis_branch_or_exercise(library, client, make_client):
    patient = make_patient(branches=["inferior", "middle"], timezone_name="Europe/London")
    plan = plan_on_days(patient, dt.date.today())
    _url, path = feed_of(make_client(patient.user))
    text = client.get(path).content.decode().lower()
    for word in ("cluneal", "inferior", "middle", "superior", "nerve", plan.title.lower()):
        assert word not in text
    for prescription in Prescription.objects.filter(phase__plan=plan).select_related("exercise"):
        assert prescription.exercise.name.lower() not in text


def test_the_url_stays_until_rotated_and_the_old_one_then_answers_404(api, plan, client):
    url, path = feed_of(api)
    assert feed_of(api)[0] == url
    assert client.get(path).status_code == 200
    rotated = api.post("/api/v1/me/calendar/rotate/")
    assert rotated.status_code == 200
    new_url = rotated.json()["url"]
    assert new_url != url
    assert client.get(path).status_code == 404
    assert client.get(feed_path(new_url)).status_code == 200
    assert feed_of(api)[0] == new_url
    assert CalendarFeed.objects.get(patient=plan.patient).rotated_at is not None


def test_the_database_keeps_a_digest_not_the_secret(api, plan):
    url, _path = feed_of(api)
    secret = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert len(secret) >= 43
    row = CalendarFeed.objects.values().get(patient=plan.patient)
    assert not any(secret in str(value) for value in row.values())
    assert calendar_feed_patient(secret=secret) == plan.patient


def test_a_changed_server_key_gives_a_new_url_and_retires_the_old(api, plan, client, settings):
    url, path = feed_of(api)
    settings.SECRET_KEY = "another-key-" + "x" * 50
    new_url, new_path = feed_of(api)
    assert new_url != url
    assert client.get(path).status_code == 404
    assert client.get(new_path).status_code == 200


def test_each_patient_has_their_own_feed(api, plan, client, make_client):
    other = make_patient(therapist=make_therapist())
    plan_on_days(other, dt.date.today())
    mine, theirs = feed_of(api)[0], feed_of(make_client(other.user))[0]
    assert mine != theirs
    assert calendar_feed_patient(secret=theirs.rsplit("/", 1)[1].removesuffix(".ics")) == other


def test_unknown_secrets_are_404_and_a_guessing_address_is_slowed(api, plan, client):
    _url, path = feed_of(api)
    assert client.get("/calendar/" + "0" * 64 + ".ics").status_code == 404
    assert client.get("/calendar/not-a-feed").status_code == 404
    guesser = {"REMOTE_ADDR": "10.9.9.9"}
    for _ in range(FEED_MISSES_PER_HOUR):
        assert client.get(path, **guesser).status_code == 200  # found feeds use up nothing
        assert client.get("/calendar/guess.ics", **guesser).status_code == 404
    refused = client.get("/calendar/guess.ics", **guesser)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    # Refused whatever it asks for, so a 200 cannot tell a guess apart; others go on.
    assert client.get(path, **guesser).status_code == 429
    assert client.get(path).status_code == 200


def test_the_feed_takes_the_same_queries_however_long_the_plan(
    api, patient, client, django_assert_num_queries
):
    from tests.plans.api.conftest import plan_with_prescriptions

    small = plan_with_prescriptions(patient, 2)
    _url, path = feed_of(api)
    with django_assert_num_queries(6) as small_run:
        assert client.get(path).status_code == 200
    Plan.objects.filter(pk=small.pk).update(status="completed")
    plan_with_prescriptions(patient, 12)
    with django_assert_num_queries(len(small_run.captured_queries)):
        assert client.get(path).status_code == 200
