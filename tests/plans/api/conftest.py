import datetime as dt

import pytest

from ptrx.exercises.models import Exercise
from ptrx.plans.models import Phase, Plan, Prescription
from ptrx.plans.services.plans import plan_activate, plan_generate

# A Monday, in the past for every test.
START = dt.date(2026, 11, 2)


@pytest.fixture
def started_plan(patient) -> Plan:
    """An active plan that started on START (a Monday)."""
    return plan_activate(plan=plan_generate(patient=patient, start=START), today=START)


def plan_with_prescriptions(patient, count: int) -> Plan:
    """An active plan whose current phase has `count` daily prescriptions."""
    plan = plan_activate(plan=plan_generate(patient=patient, start=START), today=START)
    phase = Phase.objects.get(plan=plan, number=1)
    phase.prescriptions.all().delete()
    for index in range(count):
        exercise, _ = Exercise.objects.get_or_create(
            slug=f"test-exercise-{index}",
            defaults={"name": f"Test exercise {index}", "category": "core_strength", "summary": "s",
                      "instructions": ["a"], "cues": ["b"], "cautions": ["Stop if"], "position": "supine",
                      "branches": ["inferior"]},
        )  # fmt: skip
        Prescription.objects.create(
            phase=phase,
            exercise=exercise,
            sets=1,
            reps=10,
            sessions_per_day=2,
            days_of_week=list(range(7)),
            order=index,
        )
    return plan
