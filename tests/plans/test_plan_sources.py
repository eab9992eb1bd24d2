"""Plan generation keeps the library and protocols in the process while the content version
is unchanged, and sees every change made through the loaders and the exercise admin's
services on its next call: an edit, a deletion, another connection's commit; and forgets an
edit rolled back (tests/admin/test_exercises.py edits through the admin's page)."""

import copy
import datetime as dt
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction

from ptrx.exercises.models import Exercise
from ptrx.exercises.services import LIBRARY_FIXTURE, exercise_save, exercises_delete, library_load
from ptrx.plans.models import Plan, Prescription
from ptrx.plans.selectors import plan_sources_load
from ptrx.plans.services.plans import plan_generate
from ptrx.plans.services.protocols import PROTOCOLS_FIXTURE, protocols_load_fixture
from tests.factories import make_patient

pytestmark = pytest.mark.django_db

START = dt.date(2026, 11, 2)


def phase_one(plan: Plan) -> dict[str, Prescription]:
    """The plan's phase-1 prescriptions by exercise slug."""
    prescriptions = Prescription.objects.filter(phase__plan=plan, phase__number=1).select_related("exercise")
    return {prescription.exercise.slug: prescription for prescription in prescriptions}


def phase_one_notes(branch: str) -> dict[str, str]:
    """What plan_sources_load says the branch's phase 1 prescribes, with the notes."""
    return {entry.exercise: entry.notes for entry in plan_sources_load().protocols[branch].phases[0].entries}


def a_sided_exercise(patient: Any) -> str:
    """An exercise of the patient's phase 1 done on one side (so `per_side` shows in the plan)."""
    sided = sorted(
        slug for slug, p in phase_one(plan_generate(patient=patient, start=START)).items() if p.side
    )
    assert sided
    return sided[0]


def per_side(slug: str) -> bool:
    return plan_sources_load().catalogue.exercises[slug].per_side


def test_nothing_changed_costs_no_query_and_gives_the_same_sources(library, django_assert_num_queries):
    first = plan_sources_load()
    with django_assert_num_queries(0):
        again = plan_sources_load()
    assert again is first


@pytest.mark.postgres
def test_a_plan_is_one_statement_when_nothing_changed(patient, django_assert_num_queries):
    plan_generate(patient=patient, start=START)
    # The plan with its phases and prescriptions; the sources come from the process.
    with django_assert_num_queries(1):
        plan = plan_generate(patient=patient, start=START)
    assert plan.pk and phase_one(plan)


def test_a_library_load_is_in_the_next_plan(patient):
    slug = a_sided_exercise(patient)
    entries = json.loads(LIBRARY_FIXTURE.read_text(encoding="utf-8"))
    for entry in entries:
        if entry["slug"] == slug:
            entry["per_side"] = False
    library_load(entries=entries, reset=True)
    assert phase_one(plan_generate(patient=patient, start=START))[slug].side == ""


def test_a_protocol_load_is_in_the_next_plan(patient, tmp_path: Path):
    slug = sorted(phase_one(plan_generate(patient=patient, start=START)))[0]
    protocols = json.loads(PROTOCOLS_FIXTURE.read_text(encoding="utf-8"))
    edited = copy.deepcopy(protocols)
    for protocol in edited if isinstance(edited, list) else edited.values():
        if protocol["branch"] == "inferior":
            for entry in protocol["phases"][0]["entries"]:
                if entry["exercise"] == slug:
                    entry["notes"] = "Keep the breath slow and easy."
    assert edited != protocols
    path = tmp_path / "protocols.json"
    path.write_text(json.dumps(edited), encoding="utf-8")
    protocols_load_fixture(path=path, reset=True)
    assert (
        phase_one(plan_generate(patient=patient, start=START))[slug].notes == "Keep the breath slow and easy."
    )


def test_deletions_are_in_the_next_plan(library):
    spare = exercise_save(
        exercise=Exercise(
            slug="spare-breathing", name="Spare", category="breathing", branches=["inferior"], summary="-"
        )
    )
    assert "spare-breathing" in plan_sources_load().exercise_ids
    exercises_delete(exercises=Exercise.objects.filter(pk=spare.pk))
    sources = plan_sources_load()
    assert "spare-breathing" not in sources.exercise_ids
    assert "spare-breathing" not in sources.catalogue.exercises


def test_an_edit_rolled_back_is_forgotten(patient):
    slug = a_sided_exercise(patient)
    assert per_side(slug) is True
    with transaction.atomic():
        exercise = Exercise.objects.get(slug=slug)
        exercise.per_side = False
        exercise_save(exercise=exercise)
        # The transaction reads its own change...
        assert per_side(slug) is False
        transaction.set_rollback(True)
    # ...and nobody keeps it once it is rolled back.
    assert per_side(slug) is True
    assert phase_one(plan_generate(patient=patient, start=START))[slug].side != ""


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_by_another_connection_is_seen_at_once(library, therapist):
    patient = make_patient(therapist=therapist)
    slug = a_sided_exercise(patient)

    def edit() -> None:
        # Another connection, as the admin's web process is to a worker.
        try:
            exercise = Exercise.objects.get(slug=slug)
            exercise.per_side = False
            exercise_save(exercise=exercise)
        finally:
            connection.close()

    thread = threading.Thread(target=edit)
    thread.start()
    thread.join()
    assert phase_one(plan_generate(patient=patient, start=START))[slug].side == ""
