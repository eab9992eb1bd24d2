"""The hand-built renderings of the plan and today endpoints (docs/PERFORMANCE.md) give
exactly what DRF's generic rendering of the declared fields gives, so the published
schema stays true."""

import datetime as dt
from typing import Any

import pytest
from rest_framework import serializers

from ptrx.exercises.models import Exercise
from ptrx.plans.api import serializers as s
from ptrx.plans.models import Phase, Plan, Prescription
from ptrx.plans.selectors import phase_status, plan_with_prescriptions, today_for
from tests.plans.api.conftest import START

pytestmark = pytest.mark.django_db


def generic(serializer: serializers.BaseSerializer, instance: Any) -> Any:
    """DRF's own Serializer.to_representation, field by field."""
    return serializers.Serializer.to_representation(serializer, instance)


def test_exercise_and_prescription_renderings_match_drf(started_plan):
    prescriptions = list(Prescription.objects.filter(phase__plan=started_plan).select_related("exercise"))
    assert prescriptions
    # Blank and odd values take the same path in both renderings.
    odd = prescriptions[0]
    odd.side, odd.notes = "", "Keep it easy"
    odd.exercise.media_url = ""
    odd.exercise.instructions = ["Lie down", 3]
    for prescription in prescriptions:
        brief = s.ExerciseBriefSerializer(prescription.exercise)
        assert brief.data == generic(brief, prescription.exercise)
        detail = s.PrescriptionSerializer(prescription)
        expected = generic(detail, prescription)
        expected["exercise"] = generic(
            s.ExerciseBriefSerializer(prescription.exercise), prescription.exercise
        )
        assert detail.data == expected


def test_plan_phases_rendering_matches_drf(started_plan):
    plan = plan_with_prescriptions(plans=Plan.objects.filter(pk=started_plan.pk)).get()
    expected = []
    for phase in plan.phases.all():
        prescriptions = list(phase.prescriptions.all())
        values = {
            "number": phase.number,
            "name": phase.name,
            "goal": phase.goal,
            "status": phase_status(plan=plan, phase=phase),
            "prescriptions": prescriptions,
        }
        rendered = generic(s.PhaseSerializer(values), values)
        rendered["prescriptions"] = [
            {
                **generic(s.PrescriptionSerializer(p), p),
                "exercise": generic(s.ExerciseBriefSerializer(p.exercise), p.exercise),
            }
            for p in prescriptions
        ]
        expected.append(rendered)
    assert s.PlanDetailSerializer(plan).data["phases"] == expected


def _generic_today(today: Any) -> dict[str, Any]:
    serializer = s.TodaySerializer(today)
    body = generic(serializer, today)
    body["items"] = [
        {
            **generic(s.TodayItemSerializer(item), item),
            "exercise": generic(
                s.ExerciseBriefSerializer(item.prescription.exercise), item.prescription.exercise
            ),
        }
        for item in today.items
    ]
    return body


def test_today_rendering_matches_drf(started_plan, patient):
    with_items = today_for(patient=patient, day=START)
    assert with_items.items
    assert s.TodaySerializer(with_items).data == _generic_today(with_items)
    Plan.objects.filter(pk=started_plan.pk).update(status="paused")
    without_plan = today_for(patient=patient, day=START)
    assert without_plan.plan is None
    assert s.TodaySerializer(without_plan).data == _generic_today(without_plan)


def test_today_of_a_phase_without_prescriptions_names_the_plan_and_phase(api, started_plan):
    Phase.objects.get(plan=started_plan, number=1).prescriptions.all().delete()
    body = api.get(f"/api/v1/me/today/?date={START.isoformat()}").json()
    assert (body["plan"], body["phase"], body["items"], body["complete"]) == (started_plan.pk, 1, [], False)


def test_today_before_the_plan_starts_lists_nothing(api, started_plan):
    body = api.get(f"/api/v1/me/today/?date={(START - dt.timedelta(days=1)).isoformat()}").json()
    assert (body["plan"], body["phase"], body["items"]) == (started_plan.pk, 1, [])


def test_an_exercise_edit_shows_in_today_and_the_plan(api, started_plan):
    exercise = Prescription.objects.filter(phase__plan=started_plan, phase__number=1).first().exercise
    Exercise.objects.filter(pk=exercise.pk).update(name="Renamed for the test")
    today = api.get(f"/api/v1/me/today/?date={START.isoformat()}").json()
    plan = api.get(f"/api/v1/me/plans/{started_plan.pk}/").json()
    assert "Renamed for the test" in {item["exercise"]["name"] for item in today["items"]}
    assert "Renamed for the test" in {
        p["exercise"]["name"] for phase in plan["phases"] for p in phase["prescriptions"]
    }
