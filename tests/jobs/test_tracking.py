"""Completion tracking: the nightly adherence snapshots and the therapists' daily digest."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from celery import Celery
from django.core import mail
from django.utils import timezone

from ptrx.plans.domain import EXERCISE_CATEGORIES
from ptrx.plans.models import (
    AdherenceSnapshot,
    NotificationStatus,
    Patient,
    Plan,
    Prescription,
    TherapistDigest,
)
from ptrx.plans.selectors import adherence_summary
from ptrx.plans.services.logs import checkin_record, completion_log
from ptrx.plans.services.plans import plan_pause
from ptrx.plans.services.tracking import (
    DIGEST_HOUR_UTC,
    therapist_digests_prepare,
    therapist_digests_send,
)
from ptrx.plans.tasks import snapshot_adherence
from tests.factories import CLEAR_SCREEN, make_active_plan, make_patient, make_therapist
from tests.jobs.conftest import finished_tasks, running_worker, wait_until

DIAGNOSIS_WORDS = re.compile(r"cluneal|nerve|superior|middle|inferior|entrapment", re.IGNORECASE)


@pytest.fixture(autouse=True)
def _not_near_midnight() -> None:
    if timezone.now().time() > dt.time(23, 58):
        pytest.skip("too close to midnight UTC")


def started_days_ago(days: int, **fields) -> Patient:  # type: ignore[no-untyped-def]
    patient = make_patient(timezone_name="UTC", **fields)
    make_active_plan(patient, start=timezone.now().date() - dt.timedelta(days=days))
    return patient


def log_sessions(patient: Patient, day: dt.date, sessions: int) -> None:
    """Log the first `sessions` due session-items of `day`."""
    plan = Plan.objects.get(patient=patient, status="active")
    logged = 0
    for prescription in Prescription.objects.filter(
        phase__plan=plan, phase__number=1, exercise__category__in=EXERCISE_CATEGORIES
    ).order_by("order", "pk"):
        for session in range(1, prescription.sessions_per_day + 1):
            if logged == sessions:
                return
            completion_log(
                patient=patient,
                prescription_id=prescription.pk,
                date=day,
                session=session,
                sets_done=1,
                pain_during=2,
            )
            logged += 1


@pytest.mark.django_db(transaction=True)
def test_the_nightly_snapshot_records_each_finished_day_once(library: None, celery_app: Celery) -> None:
    today = timezone.now().date()
    patient = started_days_ago(3)
    log_sessions(patient, today - dt.timedelta(days=2), 3)
    # Inferior phase 1 asks 6 exercise sessions a day (advice items do not count).
    log_sessions(patient, today - dt.timedelta(days=1), 6)
    log_sessions(patient, today, 6)  # today is not over: no snapshot yet
    paused = started_days_ago(3)
    plan_pause(plan=Plan.objects.get(patient=paused), reason="holiday")

    with finished_tasks() as finished, running_worker(celery_app):
        snapshot_adherence.delay()
        snapshot_adherence.delay()
        wait_until(lambda: finished[snapshot_adherence.name] == 2)

    plan = Plan.objects.get(patient=patient)
    snapshots = list(
        AdherenceSnapshot.objects.filter(plan=plan)
        .order_by("date")
        .values_list("date", "prescribed", "completed")
    )
    by_day = adherence_summary(
        plan=plan, start=today - dt.timedelta(days=3), end=today - dt.timedelta(days=1)
    ).by_day
    assert snapshots == by_day
    assert [completed for _day, _prescribed, completed in snapshots] == [0, 3, 6]
    assert {prescribed for _day, prescribed, _completed in snapshots} == {6}
    assert not AdherenceSnapshot.objects.filter(plan__patient=paused).exists()


def test_the_snapshot_waits_for_the_patients_own_midnight(library: None) -> None:
    from ptrx.plans.services.tracking import adherence_snapshots_take

    patient = make_patient(timezone_name="Pacific/Auckland")
    plan = make_active_plan(patient, start=dt.date(2025, 6, 1))
    # 11:30 UTC on 3 June is 23:30 on 3 June in Auckland: 1 and 2 June are over, 3 June is not.
    assert adherence_snapshots_take(now=dt.datetime(2025, 6, 3, 11, 30, tzinfo=dt.UTC)) == 2
    # Half an hour later it is 4 June there.
    assert adherence_snapshots_take(now=dt.datetime(2025, 6, 3, 12, 0, 30, tzinfo=dt.UTC)) == 1
    assert list(
        AdherenceSnapshot.objects.filter(plan=plan).order_by("date").values_list("date", flat=True)
    ) == [
        dt.date(2025, 6, 1),
        dt.date(2025, 6, 2),
        dt.date(2025, 6, 3),
    ]


def test_the_daily_digest_lists_low_adherence_flares_and_red_flags_once_a_day(library: None) -> None:
    now = timezone.now().replace(hour=DIGEST_HOUR_UTC + 1, minute=0)
    today = now.date()
    therapist = make_therapist(email="lead@clinic.example")
    quiet_therapist = make_therapist(email="quiet@clinic.example")
    low = started_days_ago(10, therapist=therapist, first_name="Lou", last_name="Low")
    steady = started_days_ago(10, therapist=therapist, first_name="Stef", last_name="Steady")
    flaring = started_days_ago(10, therapist=therapist, first_name="Flo", last_name="Flare")
    flagged = started_days_ago(10, therapist=therapist, first_name="Red", last_name="Flag")
    started_days_ago(10, therapist=quiet_therapist)
    for day in range(1, 8):
        for patient, done in ((low, 2), (steady, 9)):
            AdherenceSnapshot.objects.create(
                plan=Plan.objects.get(patient=patient),
                date=today - dt.timedelta(days=day),
                prescribed=9,
                completed=done,
            )
    checkin_record(red_flags=CLEAR_SCREEN, patient=flaring, pain_now=6, flare=True)
    checkin_record(patient=flagged, pain_now=3, red_flags={**CLEAR_SCREEN, "saddle_numbness": True})

    assert therapist_digests_prepare(now=now.replace(hour=DIGEST_HOUR_UTC - 1)) == []
    ids = therapist_digests_prepare(now=now)
    (digest,) = TherapistDigest.objects.all()
    assert ids == [digest.pk]
    assert digest.therapist == therapist
    assert "Lou Low: 22%" in digest.body
    assert "Flo Flare" in digest.body
    assert "Red Flag" in digest.body
    assert "Stef" not in digest.body
    assert not DIAGNOSIS_WORDS.search(digest.body + digest.html_body + digest.subject)

    assert therapist_digests_send(ids=ids, now=now) == [digest.pk]
    assert therapist_digests_send(ids=ids, now=now) == []
    # The hourly job runs again: the day's digest is already written and sent.
    assert therapist_digests_prepare(now=now + dt.timedelta(hours=1)) == []
    assert TherapistDigest.objects.get().status == NotificationStatus.SENT
    (message,) = mail.outbox
    assert message.to == ["lead@clinic.example"]
    assert message.alternatives[0][1] == "text/html"
