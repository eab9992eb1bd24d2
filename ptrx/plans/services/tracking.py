"""Completion tracking: nightly adherence snapshots and the therapists' daily digest.

Both are written once by a unique key ((plan, date) and (therapist, date)), so the
hourly jobs that run them can run twice, late or concurrently without doubling anything.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Max, Sum
from django.template.loader import render_to_string
from django.utils import timezone

from ptrx.plans.domain.adherence import ALERT, ALERT_PERCENT, adherence_band, adherence_percent
from ptrx.plans.models import (
    AdherenceSnapshot,
    CheckIn,
    Notification,
    NotificationKind,
    NotificationStatus,
    Patient,
    Plan,
    PlanStatus,
    TherapistDigest,
)
from ptrx.plans.outbox import outbox_deliver, outbox_recover
from ptrx.plans.selectors import active_plan_chunks, adherence_by_day_many, patient_local_today

logger = logging.getLogger(__name__)

# Days a missed snapshot is still written for (after the job did not run).
SNAPSHOT_BACKFILL_DAYS = 7
# Plans read and written together (a fixed number of queries each).
SNAPSHOT_CHUNK_SIZE = 1000
ADHERENCE_DAYS = 7
# The digest is written from this UTC hour on, once per UTC date.
DIGEST_HOUR_UTC = 6
# How long a written digest may still be sent, and how far back a digest looks at most.
DIGEST_SEND_HOURS = 12
DIGEST_MAX_LOOKBACK = dt.timedelta(days=7)


def adherence_snapshots_take(*, now: dt.datetime | None = None) -> int:
    """Write each active plan's snapshot for every finished local day (up to a week back)
    that has none; returns how many were written.

    A day is finished once the patient's local date has moved past it, so this runs
    hourly and each plan's snapshot appears soon after the patient's midnight.
    Plans go by chunks of SNAPSHOT_CHUNK_SIZE, four queries each whatever their size.
    """
    now = now or timezone.now()
    written = 0
    for plans in active_plan_chunks(size=SNAPSHOT_CHUNK_SIZE):
        yesterday_of = {
            plan.pk: patient_local_today(patient=plan.patient, now=now) - dt.timedelta(days=1)
            for plan in plans
        }
        written += _snapshots_write(plans, yesterday_of)
    return written


def _snapshots_write(plans: list[Plan], yesterday_of: dict[int, dt.date]) -> int:
    """The missing snapshots of these plans, from their first missing day to yesterday."""
    oldest = min(yesterday_of.values()) - dt.timedelta(days=SNAPSHOT_BACKFILL_DAYS - 1)
    have = set(
        AdherenceSnapshot.objects.filter(plan_id__in=yesterday_of, date__gte=oldest).values_list(
            "plan_id", "date"
        )
    )
    missing: dict[int, set[dt.date]] = {}
    windows: list[tuple[Plan, dt.date, dt.date]] = []
    for plan in plans:
        yesterday = yesterday_of[plan.pk]
        first = max(plan.start_date, yesterday - dt.timedelta(days=SNAPSHOT_BACKFILL_DAYS - 1))
        days = {
            first + dt.timedelta(days=n)
            for n in range((yesterday - first).days + 1)
            if (plan.pk, first + dt.timedelta(days=n)) not in have
        }
        if days:
            missing[plan.pk] = days
            windows.append((plan, min(days), yesterday))
    snapshots = [
        AdherenceSnapshot(plan_id=plan_id, date=day, prescribed=prescribed, completed=completed)
        for plan_id, by_day in adherence_by_day_many(windows=windows).items()
        for day, prescribed, completed in by_day
        if day in missing[plan_id]
    ]
    # Another run may have written some meanwhile: the unique (plan, date) key keeps theirs.
    AdherenceSnapshot.objects.bulk_create(snapshots, ignore_conflicts=True, batch_size=SNAPSHOT_CHUNK_SIZE)
    return len(snapshots)


@dataclass
class _DigestItems:
    low_adherence: list[dict[str, Any]] = field(default_factory=list)
    flares: list[dict[str, Any]] = field(default_factory=list)
    red_flags: list[dict[str, Any]] = field(default_factory=list)
    worse_outcomes: list[dict[str, Any]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.low_adherence or self.flares or self.red_flags or self.worse_outcomes)


def therapist_digests_prepare(*, now: dt.datetime | None = None) -> list[int]:
    """Write today's digest for each therapist with something to report (low adherence,
    flares, red flags, worse outcomes) and return the ids of digests still to send.

    One digest per therapist and UTC date (unique key); it covers what happened
    since that therapist's previous digest (at most a week). Nothing to report, no email.
    """
    now = now or timezone.now()
    today = now.astimezone(dt.UTC).date()
    _expired, _failed, resend = outbox_recover(TherapistDigest, now=now)
    if now.astimezone(dt.UTC).hour < DIGEST_HOUR_UTC:
        return resend
    done = set(TherapistDigest.objects.filter(date=today).values_list("therapist_id", flat=True))
    previous = dict(
        TherapistDigest.objects.filter(date__lt=today, created_at__gte=now - DIGEST_MAX_LOOKBACK)
        .order_by()
        .values("therapist_id")
        .annotate(last=Max("created_at"))
        .values_list("therapist_id", "last")
    )
    default_since = now - dt.timedelta(days=1)
    earliest = min([default_since, *previous.values()])

    def since(therapist_id: int) -> dt.datetime:
        return previous.get(therapist_id, default_since)

    items: dict[int, _DigestItems] = defaultdict(_DigestItems)
    low = (
        AdherenceSnapshot.objects.filter(
            plan__status=PlanStatus.ACTIVE,
            date__gte=today - dt.timedelta(days=ADHERENCE_DAYS),
            date__lt=today,
        )
        .order_by()
        .values("plan_id", "plan__patient_id", "plan__patient__therapist_id")
        .annotate(prescribed=Sum("prescribed"), completed=Sum("completed"))
        .filter(prescribed__gt=0)
    )
    patient_names = _PatientNames()
    for row in low:
        percent = adherence_percent(prescribed=row["prescribed"], completed=row["completed"])
        if adherence_band(percent) == ALERT:
            items[row["plan__patient__therapist_id"]].low_adherence.append(
                {"patient_id": row["plan__patient_id"], "percent": percent}
            )
    for checkin in CheckIn.objects.filter(flare=True, created_at__gt=earliest).values(
        "patient_id", "patient__therapist_id", "date", "pain_now", "created_at"
    ):
        therapist_id = checkin["patient__therapist_id"]
        if checkin["created_at"] > since(therapist_id):
            items[therapist_id].flares.append(dict(checkin))
    for alert in Notification.objects.filter(
        kind__in=(NotificationKind.RED_FLAG, NotificationKind.OUTCOME_ALERT), created_at__gt=earliest
    ).values("patient_id", "patient__therapist_id", "local_date", "created_at", "kind", "subject"):
        therapist_id = alert["patient__therapist_id"]
        if alert["created_at"] > since(therapist_id):
            found = items[therapist_id]
            (found.red_flags if alert["kind"] == NotificationKind.RED_FLAG else found.worse_outcomes).append(
                dict(alert)
            )

    wanted = {
        therapist_id: found for therapist_id, found in items.items() if found and therapist_id not in done
    }
    if wanted:
        patient_names.load(
            {
                entry["patient_id"]
                for found in wanted.values()
                for entry in (*found.low_adherence, *found.flares, *found.red_flags, *found.worse_outcomes)
            }
        )
        digests = []
        for therapist_id, found in wanted.items():
            context = {
                "date": today,
                "days": ADHERENCE_DAYS,
                "threshold": ALERT_PERCENT,
                "low_adherence": patient_names.named(found.low_adherence),
                "flares": patient_names.named(found.flares),
                "red_flags": patient_names.named(found.red_flags),
                "worse_outcomes": patient_names.named(found.worse_outcomes),
                "url": settings.APP_URL.rstrip("/") + "/admin/",
            }
            digests.append(
                TherapistDigest(
                    therapist_id=therapist_id,
                    date=today,
                    send_before=now + dt.timedelta(hours=DIGEST_SEND_HOURS),
                    subject=f"ptrx daily digest, {today:%d %b %Y}",
                    body=render_to_string("emails/therapist_digest.txt", context).strip() + "\n",
                    html_body=render_to_string("emails/therapist_digest.html", context),
                )
            )
        TherapistDigest.objects.bulk_create(digests, ignore_conflicts=True)
    fresh = TherapistDigest.objects.filter(
        date=today, status=NotificationStatus.PENDING, claimed_at__isnull=True
    ).values_list("pk", flat=True)
    return sorted({*resend, *fresh})


class _PatientNames:
    """Display names of patients, loaded in one query."""

    def __init__(self) -> None:
        self.names: dict[int, str] = {}

    def load(self, patient_ids: set[int]) -> None:
        self.names = {
            patient.pk: str(patient)
            for patient in Patient.objects.filter(pk__in=patient_ids).select_related("user")
        }

    def named(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return sorted(
            ({**entry, "patient": self.names.get(entry["patient_id"], "?")} for entry in entries),
            key=lambda entry: entry["patient"],
        )


def therapist_digests_send(*, ids: Sequence[int], now: dt.datetime | None = None) -> list[int]:
    """Send the digests among `ids` this call can claim, over one mail connection
    (see outbox_deliver); returns the ids sent."""
    clock = (lambda: now) if now is not None else timezone.now
    digests = list(
        TherapistDigest.objects.filter(pk__in=ids, status=NotificationStatus.PENDING)
        .select_related("therapist")
        .order_by("pk")
    )
    report = outbox_deliver(
        TherapistDigest, digests, recipient=lambda digest: digest.therapist.email, kind="digest", clock=clock
    )
    return report.sent


def therapist_digests_fail(*, ids: Sequence[int]) -> int:
    """Give up on digests whose retries ran out."""
    return TherapistDigest.objects.filter(pk__in=ids, status=NotificationStatus.PENDING).update(
        status=NotificationStatus.FAILED
    )
