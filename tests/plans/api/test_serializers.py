"""The compiled renderings of the plan and today endpoints (api/rendering.py) give
exactly what DRF's generic rendering of the same declared fields gives."""

import datetime as dt
import json
from typing import Any

import pytest
from django.db.models import Manager
from rest_framework import serializers

from ptrx.exercises.models import Exercise
from ptrx.plans.api import serializers as s
from ptrx.plans.api.rendering import FastRender
from ptrx.plans.models import Phase, Plan, Prescription
from ptrx.plans.selectors import plan_with_prescriptions, today_for
from tests.plans.api.conftest import START

pytestmark = pytest.mark.django_db


def generic(serializer: serializers.Serializer, instance: Any) -> dict[str, Any]:
    """DRF's own Serializer.to_representation, field by field, at every level."""
    body: dict[str, Any] = {}
    for field in serializer._readable_fields:
        value = field.get_attribute(instance)
        if value is None:
            body[field.field_name] = None
        elif isinstance(field, serializers.ListSerializer) and isinstance(field.child, FastRender):
            items = value.all() if isinstance(value, Manager) else value
            body[field.field_name] = [generic(field.child, item) for item in items]
        elif isinstance(field, FastRender):
            body[field.field_name] = generic(field, value)
        else:
            body[field.field_name] = field.to_representation(value)
    return body


def as_json(body: Any) -> str:
    """Compared as JSON text: True and 1, or "3" and 3, are not the same answer."""
    return json.dumps(body, sort_keys=True)


def test_exercise_and_prescription_renderings_match_drf(started_plan):
    prescriptions = list(Prescription.objects.filter(phase__plan=started_plan).select_related("exercise"))
    assert prescriptions
    # Blank and odd values take the same path in both renderings.
    odd = prescriptions[0]
    odd.side, odd.notes = "", "Keep it easy"
    odd.exercise.media_url = ""
    odd.exercise.instructions = ["Lie down", 3, None]
    for prescription in prescriptions:
        brief = s.ExerciseBriefSerializer(prescription.exercise)
        assert as_json(brief.data) == as_json(generic(brief, prescription.exercise))
        detail = s.PrescriptionSerializer(prescription)
        assert as_json(detail.data) == as_json(generic(detail, prescription))
    assert s.ExerciseBriefSerializer(odd.exercise).data["instructions"] == ["Lie down", "3", None]


def test_plan_rendering_matches_drf(started_plan, django_assert_num_queries):
    plan = plan_with_prescriptions(plans=Plan.objects.filter(pk=started_plan.pk)).get()
    with django_assert_num_queries(0):  # each phase's plan comes with the prefetch
        body = s.PlanDetailSerializer(plan).data
    assert as_json(body) == as_json(generic(s.PlanDetailSerializer(plan), plan))
    assert [phase["status"] for phase in body["phases"]][:2] == ["current", "upcoming"]
    assert body["phases"][0]["prescriptions"][0]["exercise"]["slug"]


def test_today_rendering_matches_drf(started_plan, patient):
    with_items = today_for(patient=patient, day=START)
    assert with_items.items
    assert as_json(s.TodaySerializer(with_items).data) == as_json(
        generic(s.TodaySerializer(with_items), with_items)
    )
    Plan.objects.filter(pk=started_plan.pk).update(status="paused")
    without_plan = today_for(patient=patient, day=START)
    assert without_plan.plan is None
    body = s.TodaySerializer(without_plan).data
    assert as_json(body) == as_json(generic(s.TodaySerializer(without_plan), without_plan))
    assert (body["plan"], body["phase"], body["items"]) == (None, None, [])


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
