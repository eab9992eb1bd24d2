"""Storing the sweep's reminders: one insert that ignores a concurrent sweep's rows."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from ptrx.iterables import batched
from ptrx.plans.models import PATIENT_KINDS, Notification, NotificationStatus
from ptrx.plans.reminders.bodies import ReminderBodies, ReminderRow

# Rows per INSERT statement.
INSERT_BATCH_SIZE = 2000


# The PostgreSQL insert: the bodies are put together by the server from their shapes
# and the names, so each row sends a few short values instead of two rendered bodies;
# the values many rows share (send_before, subject, kind, local date, channel: a
# "slot") are sent once and numbered, as the shapes are.
# The columns and values are those of bulk_create (the model's defaults, created_at now).
_PG_INSERT = f"""
INSERT INTO {Notification._meta.db_table} (status, attempts, claimed_at, sent_at, send_before, subject, body,
                                html_body, created_at, patient_id, plan_id, kind, local_date, channel)
SELECT %(status)s, 0, NULL, NULL, t.send_before, t.subject, replace(s.body, %(placeholder)s, r.name),
       replace(s.html_body, %(placeholder)s, r.html_name), %(created_at)s, r.patient_id, r.plan_id,
       t.kind, t.local_date, t.channel
FROM unnest(%(name)s::text[], %(html_name)s::text[], %(patient_id)s::bigint[], %(plan_id)s::bigint[],
            %(slot)s::int[], %(shape)s::int[]) WITH ORDINALITY
     AS r(name, html_name, patient_id, plan_id, slot, shape, ord)
JOIN unnest(%(send_before)s::timestamptz[], %(subject)s::text[], %(kind)s::text[], %(local_date)s::date[],
            %(channel)s::text[]) WITH ORDINALITY AS t(send_before, subject, kind, local_date, channel, n)
  ON t.n = r.slot + 1
JOIN unnest(%(bodies)s::text[], %(html_bodies)s::text[]) WITH ORDINALITY AS s(body, html_body, n)
  ON s.n = r.shape + 1
ORDER BY r.ord
ON CONFLICT DO NOTHING
RETURNING id
"""  # noqa: S608 (the table names are the models' own)


def reminders_insert(rows: Sequence[ReminderRow], bodies: ReminderBodies) -> list[int] | None:
    """Insert the rows, ignoring those whose unique key is taken (a concurrent sweep's).

    Returns the ids of the rows inserted on PostgreSQL, None elsewhere (not known)."""
    if not rows:
        return []
    if connection.vendor == "postgresql":
        return _reminders_insert_postgresql(rows, bodies)
    _reminders_insert_orm(rows, bodies)
    return None


def _reminders_insert_orm(rows: Sequence[ReminderRow], bodies: ReminderBodies) -> None:
    Notification.objects.bulk_create(
        [
            Notification(
                patient_id=row.patient_id,
                plan_id=row.plan_id,
                kind=row.kind,
                local_date=row.local_date,
                channel=row.channel,
                send_before=row.send_before,
                subject=row.subject,
                body=(texts := bodies.bodies(row))[0],
                html_body=texts[1],
            )
            for row in rows
        ],
        batch_size=INSERT_BATCH_SIZE,
        ignore_conflicts=True,
    )


def _reminders_insert_postgresql(rows: Sequence[ReminderRow], bodies: ReminderBodies) -> list[int]:
    """reminders_insert in one statement per batch (_PG_INSERT); returns the ids inserted."""
    inserted: list[int] = []
    shapes = sorted({row.shape for row in rows})
    position = {shape: number for number, shape in enumerate(shapes)}
    created_at = timezone.now()
    with connection.cursor() as cursor:
        for batch in batched(rows, INSERT_BATCH_SIZE):
            slots: dict[tuple[dt.datetime, str, str, dt.date, str], int] = {}
            slot_of_row = [
                slots.setdefault(
                    (row.send_before, row.subject, str(row.kind), row.local_date, row.channel), len(slots)
                )
                for row in batch
            ]
            cursor.execute(
                _PG_INSERT,
                {
                    "status": NotificationStatus.PENDING.value,
                    "placeholder": bodies.PLACEHOLDER,
                    "created_at": created_at,
                    "name": [row.name for row in batch],
                    "html_name": [row.html_name for row in batch],
                    "patient_id": [row.patient_id for row in batch],
                    "plan_id": [row.plan_id for row in batch],
                    "slot": slot_of_row,
                    "shape": [position[row.shape] for row in batch],
                    "send_before": [slot[0] for slot in slots],
                    "subject": [slot[1] for slot in slots],
                    "kind": [slot[2] for slot in slots],
                    "local_date": [slot[3] for slot in slots],
                    "channel": [slot[4] for slot in slots],
                    "bodies": [bodies.shapes[shape][0] for shape in shapes],
                    "html_bodies": [bodies.shapes[shape][1] for shape in shapes],
                },
            )
            inserted.extend(pk for (pk,) in cursor.fetchall())
    return sorted(inserted)


def pending_ids_for(rows: Sequence[ReminderRow]) -> list[int]:
    """Ids of the pending, unclaimed rows with these keys (ours, or a concurrent sweep's)."""
    if not rows:
        return []
    keys = {(row.patient_id, row.kind, row.local_date) for row in rows}
    by_date: dict[dt.date, set[int]] = defaultdict(set)
    for patient_id, _kind, local_date in keys:
        by_date[local_date].add(patient_id)
    found = Q()
    for local_date, patient_ids in by_date.items():
        found |= Q(local_date=local_date, patient_id__in=patient_ids)
    return [
        pk
        for pk, patient_id, kind, local_date in Notification.objects.filter(
            found, kind__in=PATIENT_KINDS, status=NotificationStatus.PENDING, claimed_at__isnull=True
        )
        .order_by("pk")
        .values_list("pk", "patient_id", "kind", "local_date")
        if (patient_id, kind, local_date) in keys
    ]
