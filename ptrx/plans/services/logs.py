"""What patients report: exercise completions and check-ins."""

import datetime as dt
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from ptrx.plans.domain.adherence import ADVICE, item_kind
from ptrx.plans.domain.red_flags import (
    EMERGENCY,
    EMERGENCY_CODES,
    RED_FLAGS,
    URGENT,
    positive_red_flags,
    red_flag_level,
)
from ptrx.plans.models import (
    CheckIn,
    Completion,
    Notification,
    NotificationKind,
    Patient,
    Plan,
    PlanStatus,
    Prescription,
)
from ptrx.plans.selectors import patient_local_today, patient_registered_on
from ptrx.plans.services.plans import plans_pause_for_red_flags
from ptrx.plans.validators import validate_red_flag_answers

SEEK_URGENT_CARE = "seek_urgent_care"
CONTACT_THERAPIST = "contact_therapist"
# What the patient is told, and how the therapist's alert is marked, per level (CLINICAL.md §5).
ACTIONS = {EMERGENCY: SEEK_URGENT_CARE, URGENT: CONTACT_THERAPIST}
ALERT_MARKS = {EMERGENCY: "EMERGENCY", URGENT: "URGENT"}
TOLD = {
    EMERGENCY: "They were told to stop and get same-day emergency care",
    URGENT: "They were told to stop and speak to you before exercising again",
}


def _check_scale(
    errors: dict[str, list[str]], field: str, value: int | None, *, required: bool = True
) -> None:
    if value is None:
        if required:
            errors.setdefault(field, []).append("This field is required.")
        return
    if not 0 <= value <= 10:
        errors.setdefault(field, []).append("Give a number from 0 to 10.")


def _check_date(errors: dict[str, list[str]], day: dt.date, today: dt.date, patient: Patient) -> None:
    if day > today:
        errors.setdefault("date", []).append(
            f"{day.isoformat()} is in the future (today is {today.isoformat()})."
        )
    registered = patient_registered_on(patient=patient)
    if day < registered:
        errors.setdefault("date", []).append(
            f"{day.isoformat()} is before you were registered ({registered.isoformat()})."
        )


def completion_log(
    *,
    patient: Patient,
    prescription_id: int,
    date: dt.date | None = None,
    session: int = 1,
    sets_done: int | None = None,
    reps_done: int | None = None,
    pain_during: int | None = None,
    effort: int | None = None,
    note: str = "",
) -> tuple[Completion, bool]:
    """Record one session of one prescription, or the acknowledgement of an advice item
    (no sets, no pain: CLINICAL.md §4). Idempotent on (prescription, date, session): a
    repeat returns the record already saved and False."""
    prescription = (
        Prescription.objects.select_related("phase__plan", "exercise")
        .filter(pk=prescription_id, phase__plan__patient=patient, phase__plan__status=PlanStatus.ACTIVE)
        .first()
    )
    if prescription is None:
        raise Prescription.DoesNotExist("No such prescription in your active plan.")
    plan = prescription.phase.plan
    today = patient_local_today(patient=patient)
    date = date or today
    errors: dict[str, list[str]] = {}
    _check_date(errors, date, today, patient)
    if date < plan.start_date:
        errors.setdefault("date", []).append(f"The plan starts on {plan.start_date.isoformat()}.")
    if not 1 <= session <= prescription.sessions_per_day:
        errors["session"] = [f"This exercise has {prescription.sessions_per_day} session(s) a day."]
    if item_kind(prescription.exercise.category) == ADVICE:
        # Read and acknowledged, never scored: any sets or pain sent with it are not kept,
        # so they can never feed adherence or progression (CLINICAL.md §4).
        sets_done, reps_done, pain_during, effort = 0, None, None, None
    else:
        _check_scale(errors, "pain_during", pain_during)
        if sets_done is None:
            errors["sets_done"] = ["This field is required."]
    _check_scale(errors, "effort", effort, required=False)
    if errors:
        raise ValidationError(errors)
    return Completion.objects.get_or_create(
        prescription=prescription,
        date=date,
        session=session,
        defaults={
            "plan": plan,
            "sets_done": sets_done,
            "reps_done": reps_done,
            "pain_during": pain_during,
            "effort": effort,
            "note": note,
        },
    )


@dataclass(frozen=True)
class CheckInResult:
    checkin: CheckIn
    action: str | None
    # False when the check-in was a replay of one already recorded (the same client_id).
    created: bool = True


def _checkin_action(red_flags: dict[str, bool]) -> str | None:
    flags = positive_red_flags(red_flags)
    return ACTIONS[red_flag_level(flags)] if flags else None


def _checkin_replayed(*, patient: Patient, client_id: uuid.UUID | None) -> CheckInResult | None:
    if client_id is None:
        return None
    first = CheckIn.objects.filter(patient=patient, client_id=client_id).first()
    if first is None:
        return None
    return CheckInResult(checkin=first, action=_checkin_action(first.red_flags), created=False)


def red_flag_alert_record(
    *, patient: Patient, plan: Plan | None, local_date: dt.date, flags: tuple[str, ...]
) -> None:
    """Queue the therapist's red-flag alert, marked EMERGENCY or URGENT by the most severe
    answer (sent by the next sweep; once a day per patient)."""
    level = red_flag_level(flags)
    questions = "\n".join(f"- {RED_FLAGS[code][1]}" for code in flags)
    Notification.objects.get_or_create(
        patient=patient,
        kind=NotificationKind.RED_FLAG,
        local_date=local_date,
        defaults={
            "plan": plan,
            "subject": f"{ALERT_MARKS[level]}: red flag reported by {patient}",
            "body": (f"{patient} answered yes to:\n{questions}\n\n{TOLD[level]}, and their plan is paused."),
        },
    )


def checkin_record(
    *,
    patient: Patient,
    date: dt.date | None = None,
    pain_now: int,
    pain_next_morning: int | None = None,
    flare: bool = False,
    red_flags: dict[str, bool] | None = None,
    note: str = "",
    client_id: uuid.UUID | None = None,
) -> CheckInResult:
    """Record a check-in; the four emergency questions must be answered. A positive red
    flag pauses the active plan, keeps the flag on the patient's screen (so no plan can
    start until a therapist clears it) and queues an alert to the therapist, all in one
    transaction; the action says what the patient must do (CLINICAL.md §5). A `client_id`
    this patient sent before returns that first check-in, unchanged (`created` False)."""
    replayed = _checkin_replayed(patient=patient, client_id=client_id)
    if replayed is not None:
        return replayed
    red_flags = red_flags or {}
    today = patient_local_today(patient=patient)
    date = date or today
    errors: dict[str, list[str]] = {}
    _check_date(errors, date, today, patient)
    _check_scale(errors, "pain_now", pain_now)
    _check_scale(errors, "pain_next_morning", pain_next_morning, required=False)
    try:
        validate_red_flag_answers(red_flags)
    except ValidationError as exc:
        errors["red_flags"] = exc.messages
    else:
        missing = [code for code in EMERGENCY_CODES if code not in red_flags]
        if missing:
            errors["red_flags"] = [
                f"Answer {code} (true or false): it is asked at every check-in." for code in missing
            ]
    if errors:
        raise ValidationError(errors)
    flags = positive_red_flags(red_flags)
    try:
        return _checkin_create(
            patient=patient,
            flags=flags,
            date=date,
            pain_now=pain_now,
            pain_next_morning=pain_next_morning,
            flare=flare,
            red_flags=red_flags,
            note=note,
            client_id=client_id,
        )
    except IntegrityError:
        # The same replay arrived twice at once: the other request recorded it first.
        replayed = _checkin_replayed(patient=patient, client_id=client_id)
        if replayed is None:
            raise
        return replayed


def _checkin_create(
    *, patient: Patient, flags: tuple[str, ...], date: dt.date, **fields: object
) -> CheckInResult:
    with transaction.atomic():
        checkin = CheckIn.objects.create(patient=patient, date=date, **fields)
        if not flags:
            return CheckInResult(checkin=checkin, action=None)
        paused = plans_pause_for_red_flags(patient=patient, flags=flags, source="reported at check-in")
        patient.red_flags = {**patient.red_flags, **dict.fromkeys(flags, True)}
        patient.red_flags_screened_on = date
        patient.save(update_fields=["red_flags", "red_flags_screened_on"])
        red_flag_alert_record(
            patient=patient, plan=paused[0] if paused else None, local_date=date, flags=flags
        )
    return CheckInResult(checkin=checkin, action=_checkin_action(checkin.red_flags))
