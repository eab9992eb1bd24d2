"""The exercise library's admin: find, read as the patient will, and edit a ladder safely."""

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from ptrx.exercises.models import Exercise
from ptrx.plans.models import Prescription
from ptrx.plans.services.plans import plan_generate
from tests.admin.conftest import logged_in
from tests.admin.pages import form_data

pytestmark = pytest.mark.django_db

LIST_URL = reverse("admin:exercises_exercise_changelist")


def change_url(exercise: Exercise) -> str:
    return reverse("admin:exercises_exercise_change", args=[exercise.pk])


def middle_of_a_ladder() -> Exercise:
    """An exercise with one easier and one harder rung."""
    return next(
        e for e in Exercise.objects.select_related("progression") if e.progression and e.regression_or_none
    )


def shown(client: Any, query: str) -> set[str]:
    response = client.get(f"{LIST_URL}?{query}")
    assert response.status_code == 200
    return {exercise.slug for exercise in response.context["cl"].result_list}


def test_the_list_searches_and_filters(library: Any, admin_client: Any) -> None:
    def slugs(**lookup: Any) -> set[str]:
        return set(Exercise.objects.filter(**lookup).values_list("slug", flat=True))

    inferior = {e.slug for e in Exercise.objects.all() if "inferior" in e.branches}
    assert shown(admin_client, "branch=inferior") == inferior != slugs()
    assert shown(admin_client, "category__exact=breathing") == slugs(category="breathing")
    assert shown(admin_client, "position__exact=sitting") == slugs(position="sitting")
    assert shown(admin_client, "level__exact=1") == slugs(level=1)
    Exercise.objects.filter(slug__in=list(inferior)[:1]).update(is_active=False)
    assert shown(admin_client, "is_active__exact=0") == set(list(inferior)[:1])
    exercise = Exercise.objects.first()
    assert exercise is not None and exercise.slug in shown(admin_client, f"q={exercise.name}")


def test_the_page_shows_the_ladder_and_the_instructions_as_the_patient_reads_them(
    library: Any, admin_client: Any
) -> None:
    exercise = middle_of_a_ladder()
    easier, harder = exercise.regression_or_none, exercise.progression
    assert easier is not None and harder is not None
    page = admin_client.get(change_url(exercise)).content.decode()
    ladder = page.split('<ol class="ladder">', 1)[1].split("</ol>", 1)[0]
    assert f'<a href="{change_url(easier)}">' in ladder and f'<a href="{change_url(harder)}">' in ladder
    assert ladder.index(change_url(easier)) < ladder.index("this exercise") < ladder.index(change_url(harder))
    patient_view = page.split('<div class="patient-view">', 1)[1]
    steps = patient_view.split("<ol>", 1)[1].split("</ol>", 1)[0]
    assert steps.count("<li>") == len(exercise.instructions)


def test_lists_are_edited_one_line_each_and_branches_as_checkboxes(library: Any, admin_client: Any) -> None:
    exercise = middle_of_a_ladder()
    page = admin_client.get(change_url(exercise))
    assert page.content.decode().count('name="branches" value=') == 3
    data = form_data(page)
    data.update(
        {
            "instructions": "Lie on your back.\n\n  Breathe in for four.  \nBreathe out for six.",
            "cues": "",
            "branches": ["inferior", "superior"],
        }
    )
    response = admin_client.post(change_url(exercise), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    exercise.refresh_from_db()
    assert exercise.instructions == ["Lie on your back.", "Breathe in for four.", "Breathe out for six."]
    assert exercise.cues == []
    assert exercise.branches == ["superior", "inferior"]


def test_an_edit_that_breaks_a_ladder_is_refused(library: Any, admin_client: Any) -> None:
    exercise = middle_of_a_ladder()
    assert exercise.progression is not None
    data = form_data(admin_client.get(change_url(exercise)))
    data["level"] = str(exercise.progression.level + 1)
    response = admin_client.post(change_url(exercise), data)
    assert response.status_code == 200
    assert "does not rise" in str(response.context["adminform"].form.non_field_errors())
    assert Exercise.objects.get(pk=exercise.pk).level == exercise.level


def test_a_therapist_reads_the_library_but_does_not_edit_it(library: Any, therapist: Any) -> None:
    client = logged_in(therapist)
    exercise = middle_of_a_ladder()
    assert client.get(LIST_URL).status_code == 200
    page = client.get(change_url(exercise))
    content = page.content.decode()
    assert page.status_code == 200 and 'name="_save"' not in content
    # The stored lists are shown as the patient reads them, not as JSON.
    assert '<div class="patient-view">' in content and "field-instructions" not in content
    assert client.post(change_url(exercise), {"name": "renamed"}).status_code == 403


def test_prescribing_offers_only_exercises_in_use(library: Any, therapist: Any) -> None:
    retired = Exercise.objects.first()
    assert retired is not None
    Exercise.objects.filter(pk=retired.pk).update(is_active=False)
    client = logged_in(therapist)
    url = reverse("admin:autocomplete")
    query = {
        "app_label": "plans",
        "model_name": "prescription",
        "field_name": "exercise",
        "term": retired.name,
    }
    offered = {int(item["id"]) for item in client.get(url, query).json()["results"]}
    assert retired.pk not in offered
    active = Exercise.objects.filter(is_active=True).first()
    assert active is not None
    offered = {int(item["id"]) for item in client.get(url, {**query, "term": active.name}).json()["results"]}
    assert active.pk in offered


def test_an_exercise_edited_here_is_in_the_next_plan(patient: Any, admin_client: Any) -> None:
    def sides() -> dict[str, str]:
        plan = plan_generate(patient=patient, start=dt.date(2026, 11, 2))
        prescriptions = Prescription.objects.filter(phase__plan=plan, phase__number=1)
        return dict(prescriptions.values_list("exercise__slug", "side"))

    # Plan generation keeps the library it read while nothing changes.
    slug = sorted(slug for slug, side in sides().items() if side)[0]
    exercise = Exercise.objects.get(slug=slug)
    data = form_data(admin_client.get(change_url(exercise)))
    del data["per_side"]  # the checkbox cleared
    response = admin_client.post(change_url(exercise), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert sides()[slug] == ""
