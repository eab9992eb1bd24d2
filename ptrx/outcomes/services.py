"""Writes: loading questionnaire definitions and recording responses."""

import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse

from ptrx.links import site_url
from ptrx.outcomes.domain import (
    AnswerError,
    InstrumentError,
    instrument_from_json,
    score_answers,
    worsened,
)
from ptrx.outcomes.models import Questionnaire, QuestionnaireResponse
from ptrx.outcomes.selectors import instrument_of, questionnaire_list, questionnaire_plan
from ptrx.plans.domain import BRANCHES
from ptrx.plans.models import Notification, NotificationKind, Patient, Plan
from ptrx.plans.selectors import patient_local_today, patient_registered_on

QUESTIONNAIRES_FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "questionnaires.json"
# Every key of a definition apart from `code`.
DEFINITION_FIELDS = ("name", "items", "scoring", "min_answered", "meaningful_change", "first_day", "branches")


def _checked(entry: dict[str, Any]) -> dict[str, Any]:
    try:
        instrument_from_json(entry)
    except InstrumentError as exc:
        raise ValidationError(str(exc)) from exc
    branches = entry.get("branches", [])
    if not isinstance(branches, list) or not set(branches) <= set(BRANCHES):
        raise ValidationError(f"{entry['code']}: branches must be a list of {', '.join(BRANCHES)}.")
    first_day = entry.get("first_day", 0)
    if isinstance(first_day, bool) or not isinstance(first_day, int) or not 0 <= first_day <= 365:
        raise ValidationError(f"{entry['code']}: first_day must be a whole number of days from 0 to 365.")
    return {name: entry[name] for name in DEFINITION_FIELDS if name in entry}


def questionnaires_load(
    *, entries: list[dict[str, Any]] | None = None, path: Path | None = None, reset: bool = False
) -> tuple[int, int]:
    """Load definitions (the shipped fixture, or a clinic's file such as its licensed
    Oswestry index): new codes are created, existing ones kept unless `reset`.
    Returns (written, kept); every entry is checked before anything is written."""
    if entries is None:
        try:
            entries = json.loads((path or QUESTIONNAIRES_FIXTURE).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValidationError(f"cannot read {path or QUESTIONNAIRES_FIXTURE}: {exc}") from exc
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise ValidationError("a questionnaire file is a list of definitions.")
    checked = {str(entry.get("code")): _checked(entry) for entry in entries}
    written = 0
    with transaction.atomic():
        existing = set(Questionnaire.objects.filter(code__in=checked).values_list("code", flat=True))
        for code, fields in checked.items():
            if code in existing and not reset:
                continue
            Questionnaire.objects.update_or_create(code=code, defaults=fields)
            written += 1
    return written, len(checked) - written


def response_record(
    *,
    patient: Patient,
    code: str,
    answers: dict[str, Any],
    date: dt.date | None = None,
    client_id: uuid.UUID | None = None,
    recorded_by: Any = None,
) -> tuple[QuestionnaireResponse, bool]:
    """Score and store one questionnaire response. A repeated `client_id` returns the
    first record and False, writing nothing."""
    if client_id is not None:
        first = QuestionnaireResponse.objects.filter(patient=patient, client_id=client_id).first()
        if first is not None:
            return first, False
    errors: dict[str, list[str]] = {}
    questionnaire = questionnaire_list().filter(code=code).first()
    if questionnaire is None:
        errors["code"] = [f"{code!r} is not a questionnaire here."]
    today = patient_local_today(patient=patient)
    date = date or today
    if date > today:
        errors["date"] = [f"{date.isoformat()} is in the future (today is {today.isoformat()})."]
    elif date < patient_registered_on(patient=patient):
        errors["date"] = [f"{date.isoformat()} is before the patient was registered."]
    score = 0.0
    instrument = None if questionnaire is None else instrument_of(questionnaire)
    if instrument is not None:
        try:
            score = score_answers(instrument, answers)
        except AnswerError as exc:
            errors["answers"] = [f"{key}: {problem}" for key, problem in exc.problems.items()]
    if errors:
        raise ValidationError(errors)
    assert questionnaire is not None and instrument is not None
    earlier = list(
        QuestionnaireResponse.objects.filter(patient=patient, questionnaire=questionnaire, date__lte=date)
        .order_by("date", "id")
        .values_list("score", flat=True)
    )
    worse = worsened(code, [*earlier, score], instrument.change)
    plan = questionnaire_plan(patient=patient)
    try:
        with transaction.atomic():
            response = QuestionnaireResponse.objects.create(
                patient=patient,
                questionnaire=questionnaire,
                plan=plan,
                date=date,
                answers=answers,
                score=score,
                worse=worse,
                client_id=client_id,
                recorded_by=recorded_by,
            )
            # The therapist who records it on the patient's behalf sees it already.
            if worse and recorded_by is None:
                _outcome_alert_record(response=response, baseline=earlier[0], previous=earlier[-1], plan=plan)
    except IntegrityError:
        # A concurrent replay with the same client_id won the race: answer with its record.
        return QuestionnaireResponse.objects.get(patient=patient, client_id=client_id), False
    return response, True


def _outcome_alert_record(
    *, response: QuestionnaireResponse, baseline: float, previous: float, plan: Plan | None
) -> None:
    """Queue the therapist's alert about a worse outcome (sent by the next sweep; once a
    day per patient, however many responses that day are worse)."""
    patient, questionnaire = response.patient, response.questionnaire
    context = {
        "patient": str(patient),
        "name": questionnaire.name,
        "date": response.date,
        "baseline": baseline,
        "previous": previous,
        "score": response.score,
        "change": questionnaire.meaningful_change,
        "url": site_url(reverse("admin:plans_patient_change", args=[patient.pk])),
    }
    Notification.objects.get_or_create(
        patient=patient,
        kind=NotificationKind.OUTCOME_ALERT,
        local_date=response.date,
        defaults={
            "plan": plan,
            "subject": f"{patient}: {questionnaire.name} is worse"[:200],
            "body": render_to_string("emails/outcome_alert.txt", context).strip() + "\n",
        },
    )
