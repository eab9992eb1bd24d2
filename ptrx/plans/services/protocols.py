"""Loading the clinic's protocols from fixtures/protocols.json."""

import json
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from ptrx.content import content_changed
from ptrx.exercises.models import Exercise
from ptrx.plans.domain import DomainError, protocols_from_json
from ptrx.plans.models import Protocol, ProtocolEntry, ProtocolPhase
from ptrx.plans.selectors import catalogue_load

PROTOCOLS_FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "protocols.json"


def protocols_load_fixture(*, path: Path = PROTOCOLS_FIXTURE, reset: bool = False) -> tuple[int, int]:
    """Create the protocols that are missing; with `reset`, rewrite existing ones from the
    fixture (otherwise a clinic's edits in the admin are kept). Returns (written, kept)."""
    try:
        protocols = protocols_from_json(
            json.loads(path.read_text(encoding="utf-8")), catalogue=catalogue_load()
        )
    except (DomainError, json.JSONDecodeError) as exc:
        raise ValidationError(f"{path.name}: {exc}") from exc
    exercises = Exercise.objects.in_bulk(field_name="slug")
    written = kept = 0
    with transaction.atomic():
        for branch, protocol in protocols.items():
            existing = Protocol.objects.filter(branch=branch).first()
            if existing and not reset:
                kept += 1
                continue
            if existing:
                existing.delete()
            row = Protocol.objects.create(
                branch=branch, name=protocol.name or f"{branch.title()} cluneal programme"
            )
            for phase in protocol.phases:
                phase_row = ProtocolPhase.objects.create(
                    protocol=row,
                    number=phase.number,
                    name=phase.name,
                    goal=phase.goal,
                    min_weeks=phase.min_weeks,
                    typical_weeks=phase.typical_weeks,
                )
                ProtocolEntry.objects.bulk_create(
                    ProtocolEntry(
                        phase=phase_row,
                        exercise=exercises[entry.exercise],
                        sets=entry.dose.sets,
                        reps=entry.dose.reps,
                        hold_seconds=entry.dose.hold_seconds,
                        sessions_per_day=entry.dose.sessions_per_day,
                        days_per_week=entry.dose.days_per_week,
                        notes=entry.notes,
                        optional=entry.optional,
                    )
                    for entry in phase.entries
                )
            written += 1
        content_changed()
    return written, kept
