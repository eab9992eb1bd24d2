"""The daily reminder mentions a questionnaire on the days one falls due, in plain words."""

import datetime as dt

import pytest
from django.utils import timezone

from ptrx.plans.models import Notification
from ptrx.plans.reminders import reminders_dispatch
from tests.jobs.conftest import minutes_from_now, reminded_patient

pytestmark = pytest.mark.django_db
MENTION = "short questionnaire"


@pytest.fixture(autouse=True)
def _not_near_midnight() -> None:
    if timezone.now().time() < dt.time(0, 10):
        pytest.skip("too close to midnight UTC for a reminder five minutes ago")


def test_the_reminder_mentions_a_questionnaire_on_its_days_only(library):
    today = timezone.now().date()
    by_day = {}
    for days_ago in (0, 5, 14, 28):
        by_day[days_ago] = reminded_patient(
            zone="UTC", reminder_time=minutes_from_now("UTC", -5), start=today - dt.timedelta(days=days_ago),
            first_name=f"P{days_ago}",
        )  # fmt: skip
    reminders_dispatch()
    bodies = {days: Notification.objects.get(patient=patient) for days, patient in by_day.items()}
    # At activation, EARS at week 2, every 4 weeks; nothing on an ordinary day.
    assert {days for days, row in bodies.items() if MENTION in row.body} == {0, 14, 28}
    assert all(MENTION in row.html_body for days, row in bodies.items() if days != 5)
    for row in bodies.values():
        assert "cluneal" not in row.body.lower() and "nerve" not in row.body.lower()
