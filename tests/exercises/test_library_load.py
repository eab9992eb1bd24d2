"""Loading the library: idempotent, keeps therapists' edits, resets on request, refuses broken ladders."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from ptrx.exercises.models import Exercise
from ptrx.exercises.services import LIBRARY_FIXTURE, library_load

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_library(db):
    """These tests load the library themselves, from nothing."""
    from ptrx.plans.models import Protocol

    Protocol.objects.all().delete()
    Exercise.objects.all().delete()


def _snapshot() -> list[tuple]:
    return list(Exercise.objects.order_by("slug").values_list("slug", "name", "reps", "progression__slug"))


def test_first_load_creates_every_exercise_with_its_ladder():
    entries = json.loads(LIBRARY_FIXTURE.read_text())
    result = library_load()
    assert result.created == len(entries) == Exercise.objects.count()
    assert Exercise.objects.get(slug="bridge").progression.slug == "marching-bridge"
    assert Exercise.objects.get(slug="marching-bridge").regression_or_none.slug == "bridge"


def test_second_load_changes_and_duplicates_nothing():
    library_load()
    before = _snapshot()
    result = library_load()
    assert (result.created, result.updated) == (0, 0)
    assert _snapshot() == before


def test_a_therapists_edit_survives_a_reload_until_reset():
    library_load()
    Exercise.objects.filter(slug="bridge").update(reps=12, name="Bridge (clinic version)")
    Exercise.objects.filter(slug="bridge").update(progression=None)
    library_load()
    bridge = Exercise.objects.get(slug="bridge")
    assert (bridge.reps, bridge.name, bridge.progression) == (12, "Bridge (clinic version)", None)
    result = library_load(reset=True)
    bridge.refresh_from_db()
    assert result.updated >= 1
    assert bridge.name == "Bridge"
    assert bridge.progression.slug == "marching-bridge"


def test_command_reports_counts_and_a_broken_ladder_is_refused(capsys):
    call_command("load_library")
    assert "created" in capsys.readouterr().out
    entries = json.loads(LIBRARY_FIXTURE.read_text())
    by_slug = {e["slug"]: e for e in entries}
    by_slug["dead-bug-full"]["progression"] = "abdominal-draw-in"  # closes a loop
    before = _snapshot()
    with pytest.raises(ValidationError, match="dead-bug-full"):
        library_load(entries=entries, reset=True)
    assert _snapshot() == before
