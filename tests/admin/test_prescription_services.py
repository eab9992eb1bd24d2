"""The prescription services the plan page writes through: what they accept and refuse."""

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from ptrx.exercises.models import Exercise
from ptrx.plans.models import Plan, Prescription
from ptrx.plans.services.logs import completion_log
from ptrx.plans.services.plans import plan_complete, plan_generate
from ptrx.plans.services.prescriptions import (
    prescription_add,
    prescription_remove,
    prescription_reorder,
    prescription_step,
    prescription_update,
    prescription_validate,
)
from tests.factories import make_patient

GOOD = {
    "sets": 2,
    "reps": 10,
    "hold_seconds": 0,
    "sessions_per_day": 1,
    "days_of_week": [0, 2, 4],
    "side": "",
}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sets", 0),
        ("reps", 0),
        ("reps", None),
        ("reps", True),
        ("hold_seconds", -1),
        ("sessions_per_day", 0),
        ("days_of_week", []),
        ("days_of_week", [7]),
        ("days_of_week", [1, 1]),
        ("days_of_week", "0,1"),
        ("side", "up"),
    ],
)
def test_a_dose_a_patient_cannot_follow_is_refused(field: str, value: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        prescription_validate(**{**GOOD, field: value})
    assert set(refused.value.message_dict) == {field}


@pytest.mark.parametrize("side", ["", "left", "right", "bilateral"])
def test_a_sound_dose_passes(side: str) -> None:
    prescription_validate(**{**GOOD, "side": side})


@pytest.fixture
def draft(patient: Any) -> Plan:
    return plan_generate(patient=patient, start=dt.date(2026, 3, 2))


def test_add_update_and_reorder(draft: Plan) -> None:
    phase = draft.phases.get(number=2)
    exercise = Exercise.objects.exclude(prescriptions__phase=phase).filter(is_active=True).first()
    assert exercise is not None
    added = prescription_add(phase=phase, exercise=exercise, reps=7)
    assert (added.reps, added.sets) == (7, exercise.sets)
    assert added.order == phase.prescriptions.count()
    with pytest.raises(ValidationError, match="already in phase 2"):
        prescription_add(phase=phase, exercise=exercise)

    prescription_update(prescription=added, sets=3, days_of_week=[5, 6])
    added.refresh_from_db()
    assert (added.sets, added.reps, added.days_of_week) == (3, 7, [5, 6])
    with pytest.raises(ValidationError):
        prescription_update(prescription=added, sets=0)

    other_plan = plan_generate(
        patient=make_patient(therapist=draft.patient.therapist), start=draft.start_date
    )
    with pytest.raises(ValidationError, match="same plan"):
        prescription_update(prescription=added, phase=other_plan.phases.get(number=1))

    ids = list(phase.prescriptions.order_by("order").values_list("pk", flat=True))
    prescription_reorder(phase=phase, prescription_ids=[ids[-1], *ids[:-1]])
    assert list(phase.prescriptions.order_by("order").values_list("pk", flat=True)) == [ids[-1], *ids[:-1]]
    with pytest.raises(ValidationError):
        prescription_reorder(phase=phase, prescription_ids=ids[1:])


def test_a_logged_exercise_stays_and_a_finished_plan_is_not_edited(plan: Plan) -> None:
    prescription = plan.phases.get(number=1).prescriptions.first()
    assert prescription is not None
    completion_log(
        patient=plan.patient,
        prescription_id=prescription.pk,
        date=plan.start_date,
        sets_done=1,
        pain_during=0,
    )
    with pytest.raises(ValidationError, match="logged session"):
        prescription_remove(prescription=prescription)
    plan_complete(plan=plan)
    with pytest.raises(ValidationError, match="cannot be changed"):
        prescription_update(prescription=Prescription.objects.get(pk=prescription.pk), reps=3)


@pytest.mark.django_db
def test_a_seated_exercise_is_refused_where_the_generator_leaves_sitting_out(library: Any) -> None:
    seated = Exercise.objects.get(slug="seated-slump-slider")
    inferior = plan_generate(patient=make_patient(branches=["inferior"]), start=dt.date(2026, 3, 2))
    with pytest.raises(ValidationError) as refused:
        prescription_add(phase=inferior.phases.get(number=1), exercise=seated)
    assert "done sitting" in refused.value.message_dict["exercise"][0]
    # Later phases take it, and so does phase 1 for a branch that sits without harm.
    prescription_add(
        phase=inferior.phases.get(number=3),
        exercise=Exercise.objects.get(slug="diaphragmatic-breathing-sitting"),
    )
    middle = plan_generate(patient=make_patient(branches=["middle"]), start=dt.date(2026, 3, 2))
    Prescription.objects.filter(phase__plan=middle, exercise=seated).delete()
    prescription_add(phase=middle.phases.get(number=1), exercise=seated)


@pytest.mark.django_db
def test_a_step_takes_only_easier_or_harder(library: Any) -> None:
    plan = plan_generate(patient=make_patient(), start=dt.date(2026, 3, 2))
    prescription = Prescription.objects.filter(phase__plan=plan).first()
    with pytest.raises(ValidationError) as refused:
        prescription_step(prescription=prescription, direction="sideways")  # type: ignore[arg-type]
    assert "direction" in refused.value.message_dict
