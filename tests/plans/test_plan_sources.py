"""Plan generation keeps the library and protocols in the process while the content stamp is
unchanged, and sees every write to them on its next call: a save, an UPDATE with no model
in sight, a deletion, another connection's commit; and forgets a write rolled back."""

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from ptrx.exercises.models import Exercise
from ptrx.plans.models import ContentStamp, Plan, Prescription, Protocol, ProtocolEntry
from ptrx.plans.selectors import plan_sources_load
from ptrx.plans.services.plans import plan_generate
from tests.factories import make_patient

pytestmark = pytest.mark.django_db

START = dt.date(2026, 11, 2)
STAMPED_TABLES = ("exercises_exercise", "plans_protocol", "plans_protocolphase", "plans_protocolentry")


def phase_one(plan: Plan) -> dict[str, Prescription]:
    """The plan's phase-1 prescriptions by exercise slug."""
    prescriptions = Prescription.objects.filter(phase__plan=plan, phase__number=1).select_related("exercise")
    return {prescription.exercise.slug: prescription for prescription in prescriptions}


def protocol_entry(branch: str, slug: str) -> ProtocolEntry:
    return ProtocolEntry.objects.get(phase__protocol__branch=branch, phase__number=1, exercise__slug=slug)


def phase_one_notes(branch: str) -> dict[str, str]:
    """What plan_sources_load says the branch's phase 1 prescribes, with the notes."""
    return {entry.exercise: entry.notes for entry in plan_sources_load().protocols[branch].phases[0].entries}


def stamp() -> str:
    return str(ContentStamp.objects.get().token)


def test_nothing_changed_costs_one_query_and_gives_the_same_sources(library, django_assert_num_queries):
    first = plan_sources_load()
    with django_assert_num_queries(1):
        again = plan_sources_load()
    assert again is first


@pytest.mark.postgres
def test_a_plan_is_two_statements_when_nothing_changed(patient, django_assert_num_queries):
    plan_generate(patient=patient, start=START)
    # The content stamp, then the plan with its phases and prescriptions.
    with django_assert_num_queries(2):
        plan = plan_generate(patient=patient, start=START)
    assert plan.pk and phase_one(plan)


def test_an_edit_saved_through_the_model_is_in_the_next_plan(patient):
    slug = sorted(phase_one(plan_generate(patient=patient, start=START)))[0]
    entry = protocol_entry("inferior", slug)
    entry.notes = "Keep the breath slow and easy."
    entry.save()
    assert phase_one(plan_generate(patient=patient, start=START))[slug].notes == entry.notes


def test_an_update_that_saves_no_model_is_in_the_next_plan(patient):
    # A QuerySet.update, or SQL from psql: no Python code runs that could tell the cache.
    sided = sorted(
        slug for slug, p in phase_one(plan_generate(patient=patient, start=START)).items() if p.side
    )
    assert sided
    with connection.cursor() as cursor:
        cursor.execute("UPDATE exercises_exercise SET per_side = %s WHERE slug = %s", [False, sided[0]])
    assert phase_one(plan_generate(patient=patient, start=START))[sided[0]].side == ""


def test_deletions_are_in_the_next_plan(patient, therapist):
    spare = Exercise.objects.create(
        slug="spare-breathing", name="Spare", category="breathing", branches=["inferior"], summary="-"
    )
    assert "spare-breathing" in plan_sources_load().exercise_ids
    spare.delete()
    sources = plan_sources_load()
    assert "spare-breathing" not in sources.exercise_ids
    assert "spare-breathing" not in sources.catalogue.exercises
    slug = sorted(phase_one_notes("inferior"))[0]
    protocol_entry("inferior", slug).delete()
    assert slug not in phase_one_notes("inferior")
    # Deleting a protocol cascades to its phases and entries.
    middle = make_patient(therapist=therapist, branches=["middle"])
    plan_generate(patient=middle, start=START)
    Protocol.objects.filter(branch="middle").delete()
    with pytest.raises(ValidationError, match="No protocol for the middle branch"):
        plan_generate(patient=middle, start=START)


def test_an_edit_rolled_back_is_forgotten(library):
    slug, notes = sorted(phase_one_notes("inferior").items())[0]
    with transaction.atomic():
        ProtocolEntry.objects.filter(pk=protocol_entry("inferior", slug).pk).update(notes="Never committed")
        assert phase_one_notes("inferior")[slug] == "Never committed"
        transaction.set_rollback(True)
    assert phase_one_notes("inferior")[slug] == notes


@pytest.mark.parametrize("table", STAMPED_TABLES)
def test_a_write_to_any_content_table_changes_the_stamp(library, table):
    # The guard for the triggers: a migration that makes SQLite rebuild one of these
    # tables drops its triggers, and must create them again.
    before = stamp()
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET id = id WHERE id = (SELECT min(id) FROM {table})")
    assert stamp() != before


def test_an_insert_that_ignores_conflicts_changes_the_stamp(library):
    # On SQLite a trigger's own INSERT would take the outer statement's OR IGNORE.
    before = stamp()
    source = Exercise.objects.order_by("pk").first()
    assert source is not None
    Exercise.objects.bulk_create(
        [Exercise(slug="added-by-an-import", name="Added by an import", category=source.category)],
        ignore_conflicts=True,
    )
    assert stamp() != before


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_by_another_connection_is_seen_at_once(library, therapist):
    patient = make_patient(therapist=therapist)
    slug = sorted(phase_one(plan_generate(patient=patient, start=START)))[0]

    def edit() -> None:
        # Another connection, as the admin's web process is to a worker.
        try:
            entry = protocol_entry("inferior", slug)
            entry.notes = "Edited in the admin."
            entry.save()
        finally:
            connection.close()

    thread = threading.Thread(target=edit)
    thread.start()
    thread.join()
    assert phase_one(plan_generate(patient=patient, start=START))[slug].notes == "Edited in the admin."
