"""The read-only exercise library API: filters, detail, auth, bad filters, query counts."""

import pytest
from rest_framework.test import APIClient

from ptrx.exercises.models import Exercise

pytestmark = pytest.mark.django_db

LIST = "/api/v1/exercises/"


def test_requires_a_token(library):
    assert APIClient().get(LIST).status_code == 401
    assert APIClient().get(LIST + "bridge/").status_code == 401


def test_list_is_paginated_with_every_field(api):
    body = api.get(LIST).json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == Exercise.objects.filter(is_active=True).count() >= 30
    bridge = next(e for e in body["results"] if e["slug"] == "bridge")
    assert bridge["progression"] == "marching-bridge"
    assert bridge["regression"] is None
    assert set(bridge) >= {
        "slug", "name", "category", "branches", "summary", "instructions", "cues", "cautions",
        "position", "equipment", "per_side", "sets", "reps", "hold_seconds", "sessions_per_day",
        "days_per_week", "level", "progression", "regression", "media_url", "is_active",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("query", "check"),
    [
        ("category=neurodynamic_glide", lambda e: e["category"] == "neurodynamic_glide"),
        ("branch=superior", lambda e: "superior" in e["branches"]),
        (
            "category=gluteal_strength&branch=inferior",
            lambda e: e["category"] == "gluteal_strength" and "inferior" in e["branches"],
        ),
    ],
)
def test_filters(api, query, check):
    results = api.get(f"{LIST}?{query}").json()["results"]
    assert results
    assert all(check(e) for e in results)
    everything = api.get(LIST).json()["count"]
    assert len(results) < everything


def test_branch_filter_excludes_exercises_for_other_branches(api):
    slugs = {e["slug"] for e in api.get(f"{LIST}?branch=inferior").json()["results"]}
    assert "standing-side-bend" not in slugs  # superior only
    assert "supine-sciatic-slider" in slugs


@pytest.mark.parametrize(("param", "allowed"), [("category", "breathing"), ("branch", "superior")])
def test_unknown_filter_value_is_a_400_naming_allowed_values(api, param, allowed):
    answer = api.get(f"{LIST}?{param}=nonsense")
    assert answer.status_code == 400
    message = answer.json()[param][0]
    assert "nonsense" in message
    assert allowed in message


def test_detail_and_ladder_links(api):
    body = api.get(LIST + "marching-bridge/").json()
    assert body["regression"] == "bridge"
    assert body["progression"] == "single-leg-bridge"
    assert api.get(LIST + "no-such-exercise/").status_code == 404


def test_inactive_exercises_are_hidden(api):
    Exercise.objects.filter(slug="clam").update(is_active=False)
    assert api.get(LIST + "clam/").status_code == 404
    assert "clam" not in {e["slug"] for e in api.get(LIST + "?category=gluteal_strength").json()["results"]}


def test_list_query_count_does_not_grow_with_the_library(api, django_assert_num_queries):
    # token + count + page
    with django_assert_num_queries(3) as few:
        api.get(LIST + "?category=breathing")
    with django_assert_num_queries(len(few.captured_queries)):
        api.get(LIST)


@pytest.mark.parametrize("param", ["category", "branch"])
def test_an_empty_filter_value_is_a_400_not_every_exercise(api, param):
    answer = api.get(f"{LIST}?{param}=")
    assert answer.status_code == 400
    assert "is not allowed" in answer.json()[param][0]
