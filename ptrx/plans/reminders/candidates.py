"""The sweep's candidates: active plans whose reminder time is due now in their zone."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Sequence
from typing import NamedTuple

from django.db.models import Exists, OuterRef, Q

from ptrx.plans.domain.local_time import DueWindow, due_window, reminder_instant, zone_named
from ptrx.plans.models import PATIENT_KINDS, Notification, Patient, Plan, PlanStatus

logger = logging.getLogger(__name__)


class Candidate(NamedTuple):
    plan_id: int
    patient_id: int
    first_name: str
    channel: str
    start_date: dt.date
    local_date: dt.date
    send_before: dt.datetime
    current_phase: int
    branches: list[str]


class ZoneDue(NamedTuple):
    """The reminder times due now for the patients whose stored zone is `name`."""

    name: str
    due: DueWindow


def due_windows(*, now: dt.datetime, window: dt.timedelta) -> list[ZoneDue]:
    zones = (
        Patient.objects.filter(reminders_enabled=True, plans__status=PlanStatus.ACTIVE)
        .order_by()
        .values_list("timezone", flat=True)
        .distinct()
    )
    windows = []
    for name in zones:
        zone = zone_named(name)
        if zone.key != name:
            logger.error("Patients with the unknown time zone %r get their reminders in UTC.", name)
        due = due_window(zone=zone, now=now, window=window)
        if due is not None:
            windows.append(ZoneDue(name=name, due=due))
    return windows


def candidates_due(
    windows: Sequence[ZoneDue], *, now: dt.datetime, window: dt.timedelta
) -> Iterator[Candidate]:
    """Active plans of patients with reminders on, whose reminder time is due now and
    who have no reminder for their local today yet: one query for up to ZONES_PER_QUERY zones."""
    by_zone = dict(windows)
    in_range = Q()
    for name, due in windows:
        already_reminded = Notification.objects.filter(
            patient_id=OuterRef("patient_id"), kind__in=PATIENT_KINDS, local_date=due.local_date
        )
        in_range |= Q(
            ~Exists(already_reminded),
            patient__timezone=name,
            patient__reminder_time__gte=due.earliest,
            patient__reminder_time__lte=due.latest,
        )
    plans = (
        Plan.objects.filter(in_range, status=PlanStatus.ACTIVE, patient__reminders_enabled=True)
        .values_list(
            "id",
            "patient_id",
            "start_date",
            "patient__timezone",
            "patient__reminder_time",
            "patient__reminder_channel",
            "patient__user__first_name",
            "current_phase",
            "branches",
        )
        .order_by("id")
    )
    instants: dict[tuple[str, dt.time], dt.datetime] = {}  # patients share zones and times
    for plan_id, patient_id, start_date, zone, reminder_time, channel, first_name, phase, branches in list(
        plans
    ):
        due = by_zone[zone]
        at = instants.get((zone, reminder_time))
        if at is None:
            at = instants[zone, reminder_time] = reminder_instant(
                day=due.local_date, at=reminder_time, zone=due.zone
            )
        if not at <= now < at + window:  # the exact rule, past the query's whole-second range
            continue
        yield Candidate(
            plan_id=plan_id,
            patient_id=patient_id,
            first_name=first_name,
            channel=channel,
            start_date=start_date,
            local_date=due.local_date,
            send_before=at + window,
            current_phase=phase,
            branches=branches,
        )
