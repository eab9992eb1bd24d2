"""The sweep renders each distinct reminder once and puts the first name in: the bodies
it stores are exactly what the templates give for each patient."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from ptrx.outcomes.selectors import questionnaire_day, questionnaire_timings
from ptrx.plans.domain import EXERCISE_CATEGORIES
from ptrx.plans.models import Notification, NotificationKind
from ptrx.plans.reminders import CATEGORY_WORDS, join_words, reminders_dispatch
from tests.jobs.conftest import active_plan, minutes_from_now, reminded_patient

ZONE = "UTC"
NAMES = [
    "Robin",
    "",
    "<b>Zoë</b> & 'Ann' \"Jo\"",
    "  spaced  ",
    "\ue000ptrx:first_name\ue000",
    "Ré{{ app_url }}%s",
]


@pytest.fixture(autouse=True)
def _not_near_midnight() -> None:
    if timezone.now().time() < dt.time(0, 10):
        pytest.skip("too close to midnight UTC for a reminder five minutes ago")


def expected_bodies(row: Notification) -> tuple[str, str]:
    plan = active_plan(row.patient)
    items = [
        item
        for item in plan.phases.get(number=plan.current_phase)
        .prescriptions.filter(exercise__category__in=EXERCISE_CATEGORIES)
        .order_by("order", "pk")
        if row.local_date.weekday() in item.days_of_week
    ]
    categories: list[str] = []
    for item in items:
        words = CATEGORY_WORDS.get(item.exercise.category, "exercise")
        if words not in categories:
            categories.append(words)
    context = {
        "first_name": row.patient.user.first_name,
        "missed": row.kind == NotificationKind.MISSED,
        "date": row.local_date,
        "exercises": len(items),
        "sessions": sum(item.sessions_per_day for item in items),
        "kinds": join_words(categories),
        "questionnaire": questionnaire_day(
            questionnaire_timings(), branches=plan.branches, start=plan.start_date, day=row.local_date
        ),
        "app_url": settings.APP_URL.rstrip("/") + "/app/",
    }
    return (
        render_to_string("emails/reminder.txt", context).strip() + "\n",
        render_to_string("emails/reminder.html", context),
    )


def test_the_stored_bodies_are_the_templates_rendered_for_each_patient(library: None) -> None:
    start = timezone.now().date() - dt.timedelta(days=5)
    for name in NAMES:
        for begun in (None, start):  # today's plan, and one idle for days (the nudge)
            reminded_patient(
                zone=ZONE, reminder_time=minutes_from_now(ZONE, -5), start=begun, first_name=name
            )

    report = reminders_dispatch()

    rows = list(Notification.objects.select_related("patient__user").order_by("pk"))
    assert report.created == len(rows) == 2 * len(NAMES)
    assert {row.kind for row in rows} == {NotificationKind.DAILY, NotificationKind.MISSED}
    for row in rows:
        assert (row.body, row.html_body) == expected_bodies(row), row.patient.user.first_name
