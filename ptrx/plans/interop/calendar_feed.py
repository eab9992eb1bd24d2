"""The patient's private calendar feed (RFC 5545).

Calendar apps cannot send a token, so the feed's URL carries a secret. The database
keeps only its SHA-256, found by an indexed equality on that digest (what a guess
hashes to says nothing about any stored digest, so lookups cannot be timed into a
secret). The secret is derived from a random nonce with the server's key, which is
how `me/calendar/` can give the same URL again without keeping it.
"""

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import icalendar
from django.utils import timezone
from django.utils.crypto import salted_hmac

from ptrx.links import app_url, site_host, site_url
from ptrx.plans.domain.local_time import zone_named
from ptrx.plans.models import CalendarFeed, Patient, Phase, Plan
from ptrx.plans.selectors import patient_local_today, plan_get_active, plan_weeks

TITLE = "Home exercises"  # never a diagnosis, a branch or an exercise name: it shows on lock screens
BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# The current phase stays on the calendar at least this far ahead while it runs past
# its typical length (the plan holds until the criteria are met, CLINICAL.md §4).
AHEAD = dt.timedelta(days=7)
MIN_EVENT_MINUTES = 5
REFRESH = dt.timedelta(hours=6)


def _secret(nonce: str) -> str:
    return salted_hmac("ptrx.calendar-feed", nonce, algorithm="sha256").hexdigest()


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def calendar_feed_url(secret: str) -> str:
    return site_url(f"calendar/{secret}.ics")


def _fields(nonce: str) -> dict[str, str]:
    return {"nonce": nonce, "secret_hash": _digest(_secret(nonce))}


def calendar_feed_secret(*, patient: Patient) -> str:
    """The secret of the patient's feed, made on first use (two first calls at once get
    the same one: the patient is unique). Should the server's key change, the stored
    digest no longer matches and is replaced, so the old URL stops."""
    feed, _created = CalendarFeed.objects.get_or_create(
        patient=patient, defaults=_fields(secrets.token_urlsafe(32))
    )
    secret = _secret(feed.nonce)
    if feed.secret_hash != _digest(secret):
        CalendarFeed.objects.filter(pk=feed.pk).update(secret_hash=_digest(secret))
    return secret


def calendar_feed_rotate(*, patient: Patient) -> str:
    """A new secret for the patient's feed; the previous URL answers 404 from now on."""
    fields = _fields(secrets.token_urlsafe(32))
    if not CalendarFeed.objects.filter(patient=patient).update(**fields, rotated_at=timezone.now()):
        CalendarFeed.objects.get_or_create(patient=patient, defaults=fields)
    return calendar_feed_secret(patient=patient)


def calendar_feed_patient(*, secret: str) -> Patient | None:
    """The patient whose feed `secret` opens, or None."""
    feed = CalendarFeed.objects.select_related("patient").filter(secret_hash=_digest(secret)).first()
    return None if feed is None else feed.patient


@dataclass(frozen=True)
class PhaseWindow:
    """When a phase is expected on the calendar: [start, end) in local dates."""

    phase: Phase
    start: dt.date
    end: dt.date


def phase_windows(*, plan: Plan, phases: list[Phase], today: dt.date) -> list[PhaseWindow]:
    """The current phase from its start, then each coming phase at its typical length.
    Coming dates are estimates: the plan moves by the progression rule, and the feed
    follows it when it does."""
    windows: list[PhaseWindow] = []
    for phase in phases:
        if phase.number < plan.current_phase:
            continue
        if not windows:
            start = phase.started_on or plan.start_date
            end = max(start + dt.timedelta(weeks=phase.typical_weeks), today + AHEAD)
        else:
            start = windows[-1].end
            end = start + dt.timedelta(weeks=phase.typical_weeks)
        windows.append(PhaseWindow(phase=phase, start=start, end=end))
    return windows


def _event(
    *, plan: Plan, window: PhaseWindow, days: list[int], minutes: int, patient: Patient
) -> icalendar.Event:
    zone = zone_named(patient.timezone)
    first = next(
        window.start + dt.timedelta(days=offset)
        for offset in range(7)
        if (window.start + dt.timedelta(days=offset)).weekday() in days
    )
    last_moment = dt.datetime.combine(window.end - dt.timedelta(days=1), dt.time(23, 59, 59), tzinfo=zone)
    event = icalendar.Event()
    event.add("uid", f"ptrx-plan-{plan.pk}-phase-{window.phase.number}@{site_host()}")
    event.add("dtstamp", plan.updated_at)
    event.add("summary", TITLE)
    event.add("description", f"Your exercises for today are in the app: {app_url()}")
    event.add("url", app_url())
    event.add("dtstart", dt.datetime.combine(first, patient.reminder_time, tzinfo=zone))
    event.add("duration", dt.timedelta(minutes=max(minutes, MIN_EVENT_MINUTES)))
    # UNTIL is UTC when DTSTART carries a TZID (RFC 5545 3.3.10).
    event.add(
        "rrule",
        {"freq": "weekly", "byday": [BYDAY[day] for day in days], "until": last_moment.astimezone(dt.UTC)},
    )
    alarm = icalendar.Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", TITLE)
    alarm.add("trigger", dt.timedelta(0))
    event.add_component(alarm)
    return event


def calendar_feed_ics(*, patient: Patient) -> bytes:
    """The feed: one weekly event per current or coming phase of the active plan, on its
    exercise days at the patient's reminder time in their zone. Empty without an active
    plan (a paused plan asks for nothing)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//ptrx//home exercise plan//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", TITLE)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    # An X- property is text to icalendar: written as the duration it means.
    calendar.add("x-published-ttl", icalendar.vDuration(REFRESH).to_ical().decode())
    plan = plan_get_active(patient=patient)
    if plan is not None:
        weeks = {week.number: week for week in plan_weeks(plan=plan)}
        phases = list(Phase.objects.filter(plan=plan).order_by("number"))
        windows = phase_windows(plan=plan, phases=phases, today=patient_local_today(patient=patient))
        for window in windows:
            week = weeks[window.phase.number].days
            days = [index for index, day in enumerate(week) if day.exercises]
            if days:
                minutes = max(week[day].minutes for day in days)
                calendar.add_component(
                    _event(plan=plan, window=window, days=days, minutes=minutes, patient=patient)
                )
        if windows:
            calendar.add_missing_timezones(
                first_date=windows[0].start - dt.timedelta(days=7),
                last_date=windows[-1].end + dt.timedelta(days=7),
            )
    return bytes(calendar.to_ical())
