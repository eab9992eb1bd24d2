"""Plan generation rules (CLINICAL.md §2-3, DESIGN.md "Plan generation"), without a database."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ptrx.plans.domain import (
    ALTERNATE_DAYS,
    BRANCH_RULES,
    BRANCHES,
    CATEGORIES,
    DAYS_OF_WEEK,
    IRRITABILITIES,
    MAX_EXERCISES_PER_DAY,
    MAX_SECONDS_PER_DAY,
    NAMED_CATEGORIES,
    SIDES,
    Catalogue,
    CatalogueExercise,
    DomainError,
    Dose,
    PatientContext,
    PhaseDraft,
    PlanDraft,
    PrescriptionDraft,
    Protocol,
    ProtocolEntry,
    ProtocolPhase,
    SessionItem,
    catalogue_from_json,
    counts_for_adherence,
    generate_plan,
    is_tensioner,
    protocols_from_json,
    session_seconds,
)
from tests.plans.domain.conftest import catalogue_records

START = date(2025, 3, 3)
BRANCH_SETS = [
    frozenset(combo)
    for size in range(1, len(BRANCHES) + 1)
    for combo in itertools.combinations(BRANCHES, size)
]
EVERY_CONTEXT = [
    pytest.param(
        PatientContext(branches, side, irritability),
        id=f"{'+'.join(b for b in BRANCHES if b in branches)}-{side}-{irritability}",
    )
    for branches in BRANCH_SETS
    for side in SIDES
    for irritability in IRRITABILITIES
]


def plan_for(
    catalogue: Catalogue,
    protocols: Mapping[str, Protocol],
    *branches: str,
    side: str = "left",
    irritability: str = "moderate",
) -> PlanDraft:
    context = PatientContext(frozenset(branches), side, irritability)
    return generate_plan(context, catalogue, protocols, start=START)


def slugs(plan: PlanDraft, phase: int | None = None) -> set[str]:
    return {
        prescription.exercise
        for draft in plan.phases
        if phase is None or draft.number == phase
        for prescription in draft.prescriptions
    }


# -- invariants that every plan must keep -------------------------------------


def assert_covers_named_categories(plan: PlanDraft, catalogue: Catalogue) -> None:
    covered = {catalogue.get(slug).category for slug in slugs(plan)}
    if plan.branches == ("superior",) and "mobility" in covered:
        # CLINICAL.md §2: fascia mobility meets the glide category for the superior branch.
        covered.add("neurodynamic_glide")
    assert set(NAMED_CATEGORIES) <= covered


def fallbacks(phase: PhaseDraft, catalogue: Catalogue) -> list[PrescriptionDraft]:
    """Sliders kept beside a tensioner of their ladder (CLINICAL.md §4)."""
    tensioners = {catalogue.ladder_root(p.exercise) for p in phase.prescriptions if is_tensioner(p.exercise)}
    return [
        p
        for p in phase.prescriptions
        if not is_tensioner(p.exercise) and catalogue.ladder_root(p.exercise) in tensioners
    ]


def assert_never_drops(plan: PlanDraft, catalogue: Catalogue) -> None:
    """Along each ladder, level and then volume never fall in a later phase (a slider
    kept as a tensioner's fallback aside)."""
    reached: dict[str, tuple[int, int]] = {}
    for phase in plan.phases:
        kept_back = fallbacks(phase, catalogue)
        for prescription in phase.prescriptions:
            if prescription in kept_back:
                continue
            ladder = catalogue.ladder_root(prescription.exercise)
            rank = (catalogue.get(prescription.exercise).level, prescription.volume)
            assert rank >= reached.get(ladder, (0, 0)), (phase.number, prescription.exercise)
            reached[ladder] = rank


def assert_one_per_ladder(plan: PlanDraft, catalogue: Catalogue) -> None:
    for phase in plan.phases:
        kept_back = fallbacks(phase, catalogue)
        exercises = [p.exercise for p in phase.prescriptions]
        ladders = [catalogue.ladder_root(p.exercise) for p in phase.prescriptions if p not in kept_back]
        assert len(set(exercises)) == len(exercises), phase.number
        assert len(set(ladders)) == len(ladders), phase.number
        assert len(kept_back) <= 1, phase.number


def assert_no_sitting_in_phase_1_for_inferior(plan: PlanDraft, catalogue: Catalogue) -> None:
    if "inferior" in plan.branches:
        seated = [s for s in slugs(plan, 1) if catalogue.get(s).position == "sitting"]
        assert seated == []


def assert_sides(plan: PlanDraft, catalogue: Catalogue) -> None:
    """Glides follow the affected side; other per-side exercises are done on both sides."""
    for phase in plan.phases:
        for prescription in phase.prescriptions:
            exercise = catalogue.get(prescription.exercise)
            if not exercise.per_side:
                expected = ""
            elif exercise.category == "neurodynamic_glide":
                expected = plan.side
            else:
                expected = "bilateral"
            assert prescription.side == expected, prescription.exercise


def assert_well_formed(plan: PlanDraft, catalogue: Catalogue) -> None:
    assert plan.branches == tuple(b for b in BRANCHES if b in plan.branches)
    for phase in plan.phases:
        assert [p.order for p in phase.prescriptions] == list(range(1, len(phase.prescriptions) + 1))
        for prescription in phase.prescriptions:
            patterns = (DAYS_OF_WEEK[len(prescription.days_of_week)],)
            patterns += ALTERNATE_DAYS.get(len(prescription.days_of_week), ())
            assert prescription.days_of_week in patterns


def session_items(phase: PhaseDraft, catalogue: Catalogue, day: int) -> list[SessionItem]:
    return [
        SessionItem(
            category=catalogue.get(p.exercise).category,
            sets=p.sets,
            reps=p.reps,
            hold_seconds=p.hold_seconds,
            per_side=catalogue.get(p.exercise).per_side,
            side=p.side,
        )
        for p in phase.prescriptions
        if day in p.days_of_week and counts_for_adherence(catalogue.get(p.exercise).category)
    ]


def assert_sessions_fit_at_home(plan: PlanDraft, catalogue: Catalogue) -> None:
    """CLINICAL.md §8: at most 6 exercise items and 30 estimated minutes on any day."""
    for phase in plan.phases:
        for day in range(7):
            items = session_items(phase, catalogue, day)
            assert len(items) <= MAX_EXERCISES_PER_DAY, (phase.number, day)
            assert session_seconds(items) <= MAX_SECONDS_PER_DAY, (phase.number, day)


def assert_invariants(plan: PlanDraft, catalogue: Catalogue) -> None:
    assert_covers_named_categories(plan, catalogue)
    assert_never_drops(plan, catalogue)
    assert_one_per_ladder(plan, catalogue)
    assert_no_sitting_in_phase_1_for_inferior(plan, catalogue)
    assert_sides(plan, catalogue)
    assert_well_formed(plan, catalogue)
    assert_sessions_fit_at_home(plan, catalogue)


@pytest.mark.parametrize("context", EVERY_CONTEXT)
def test_every_plan_covers_the_five_named_categories(
    context: PatientContext, catalogue: Catalogue, protocols: Mapping[str, Protocol]
) -> None:
    plan = generate_plan(context, catalogue, protocols, start=START)
    assert_covers_named_categories(plan, catalogue)


@pytest.mark.parametrize("context", EVERY_CONTEXT)
def test_level_and_volume_never_drop_along_a_ladder(
    context: PatientContext, catalogue: Catalogue, protocols: Mapping[str, Protocol]
) -> None:
    plan = generate_plan(context, catalogue, protocols, start=START)
    assert_never_drops(plan, catalogue)


@pytest.mark.parametrize("context", EVERY_CONTEXT)
def test_no_duplicate_exercise_or_ladder_within_a_phase(
    context: PatientContext, catalogue: Catalogue, protocols: Mapping[str, Protocol]
) -> None:
    plan = generate_plan(context, catalogue, protocols, start=START)
    assert_one_per_ladder(plan, catalogue)


@pytest.mark.parametrize("context", EVERY_CONTEXT)
def test_per_side_exercises_carry_the_side_and_others_none(
    context: PatientContext, catalogue: Catalogue, protocols: Mapping[str, Protocol]
) -> None:
    plan = generate_plan(context, catalogue, protocols, start=START)
    assert_sides(plan, catalogue)
    sides = {p.side for phase in plan.phases for p in phase.prescriptions}
    assert {"", "bilateral"} <= sides
    if context.branches != {"superior"}:  # the superior plan has no glide
        assert context.side in sides


@pytest.mark.parametrize(
    "branches", [b for b in BRANCH_SETS if "inferior" in b], ids=lambda b: "+".join(sorted(b))
)
@pytest.mark.parametrize("irritability", IRRITABILITIES)
def test_inferior_plans_have_no_seated_exercise_in_phase_1(
    branches: frozenset[str],
    irritability: str,
    catalogue: Catalogue,
    protocols: Mapping[str, Protocol],
) -> None:
    plan = plan_for(catalogue, protocols, *branches, irritability=irritability)
    assert [s for s in slugs(plan, 1) if catalogue.get(s).position == "sitting"] == []


def test_superior_alone_may_breathe_seated_where_inferior_with_superior_may_not(
    catalogue: Catalogue, protocols: Mapping[str, Protocol]
) -> None:
    # Guards the rule against passing vacuously: the superior protocol does use a
    # seated exercise that the inferior branch must step down.
    superior_phase_2 = slugs(plan_for(catalogue, protocols, "superior"), 2)
    combined_phase_2 = slugs(plan_for(catalogue, protocols, "superior", "inferior"), 2)
    assert "diaphragmatic-breathing-sitting" in superior_phase_2
    assert "diaphragmatic-breathing-supine" in combined_phase_2


# -- branch emphasis ------------------------------------------------------------


def test_branch_rules_has_a_rule_for_every_branch() -> None:
    assert set(BRANCH_RULES) == set(BRANCHES)
    for rule in BRANCH_RULES.values():
        assert rule.emphasis and rule.emphasis <= set(CATEGORIES)
    assert BRANCH_RULES["inferior"].no_sitting_in_phase_1


def test_the_three_branches_give_different_plans(
    catalogue: Catalogue, protocols: Mapping[str, Protocol]
) -> None:
    plans = {branch: slugs(plan_for(catalogue, protocols, branch)) for branch in BRANCHES}
    for one, other in itertools.combinations(BRANCHES, 2):
        assert plans[one] != plans[other]
        # Clearly different: each has exercises the other lacks.
        assert plans[one] - plans[other] and plans[other] - plans[one]


def test_each_branch_plan_leans_most_on_its_own_emphasis(
    catalogue: Catalogue, protocols: Mapping[str, Protocol]
) -> None:
    plans = {branch: plan_for(catalogue, protocols, branch) for branch in BRANCHES}

    def share(plan: PlanDraft, emphasis: frozenset[str]) -> float:
        categories = [
            catalogue.get(p.exercise).category for phase in plan.phases for p in phase.prescriptions
        ]
        return sum(category in emphasis for category in categories) / len(categories)

    for branch, rule in BRANCH_RULES.items():
        own = share(plans[branch], rule.emphasis)
        assert all(own > share(plans[other], rule.emphasis) for other in plans if other != branch)


def test_inferior_plan_follows_its_emphasis(catalogue: Catalogue, protocols: Mapping[str, Protocol]) -> None:
    plan = plan_for(catalogue, protocols, "inferior")
    assert {"supine-sciatic-slider", "sitting-modification"} <= slugs(plan, 1)
    assert "diaphragmatic-breathing-supine" in slugs(plan, 1)
    # A glide and gluteal work in every phase after the first.
    for phase in plan.phases:
        categories = {catalogue.get(p.exercise).category for p in phase.prescriptions}
        assert "neurodynamic_glide" in categories
        assert phase.number == 1 or "gluteal_strength" in categories
    # Tensioners come only once sliders are established (phase 3+).
    tensioners = {"supine-sciatic-tensioner", "seated-slump-tensioner"}
    assert not tensioners & (slugs(plan, 1) | slugs(plan, 2))
    assert tensioners & slugs(plan, 3)


def test_superior_plan_follows_its_emphasis(catalogue: Catalogue, protocols: Mapping[str, Protocol]) -> None:
    plan = plan_for(catalogue, protocols, "superior")
    for phase in plan.phases:
        categories = {catalogue.get(p.exercise).category for p in phase.prescriptions}
        assert {"rotational_stretch", "mobility", "core_strength"} <= categories
    assert "cat-camel" in slugs(plan, 1)
    assert {"supine-sciatic-tensioner", "seated-slump-tensioner"}.isdisjoint(slugs(plan))
    glides = {s for s in slugs(plan) if catalogue.get(s).category == "neurodynamic_glide"}
    # CLINICAL.md §2: fascia mobility (cat-camel) meets the glide category; no sciatic slider.
    assert glides == set()


def test_middle_plan_follows_its_emphasis(catalogue: Catalogue, protocols: Mapping[str, Protocol]) -> None:
    plan = plan_for(catalogue, protocols, "middle")
    for phase in plan.phases[1:]:
        categories = {catalogue.get(p.exercise).category for p in phase.prescriptions}
        assert {"core_strength", "gluteal_strength"} <= categories
    # Careful single-leg loading arrives only in the last phase.
    single_leg = {"single-leg-bridge", "step-up", "single-leg-deadlift", "single-leg-squat"}
    assert single_leg & slugs(plan, 4)
    assert not single_leg & (slugs(plan, 1) | slugs(plan, 2) | slugs(plan, 3))


def test_merged_branches_bring_both_emphases_without_duplicates(
    catalogue: Catalogue, protocols: Mapping[str, Protocol]
) -> None:
    plan = plan_for(catalogue, protocols, "superior", "inferior")
    assert {"cat-camel", "supine-sciatic-slider", "sitting-modification"} <= slugs(plan, 1)
    assert_one_per_ladder(plan, catalogue)


def test_merging_keeps_the_lower_level_of_a_shared_ladder(
    catalogue: Catalogue, protocols: Mapping[str, Protocol]
) -> None:
    # Phase 2: superior breathes seated (level 2), inferior lying (level 1).
    plan = plan_for(catalogue, protocols, "superior", "inferior")
    breathing = {s for s in slugs(plan, 2) if catalogue.get(s).category == "breathing"}
    assert breathing == {"diaphragmatic-breathing-supine"}


# -- irritability ---------------------------------------------------------------


@pytest.mark.parametrize("branches", BRANCH_SETS, ids=lambda b: "+".join(sorted(b)))
@pytest.mark.parametrize("side", SIDES)
def test_high_irritability_starts_lower_with_less_volume_and_a_longer_phase_1(
    branches: frozenset[str],
    side: str,
    catalogue: Catalogue,
    protocols: Mapping[str, Protocol],
) -> None:
    moderate = plan_for(catalogue, protocols, *branches, side=side)
    high = plan_for(catalogue, protocols, *branches, side=side, irritability="high")

    def first_levels(plan: PlanDraft) -> dict[str, int]:
        return {
            catalogue.ladder_root(p.exercise): catalogue.get(p.exercise).level
            for p in plan.phases[0].prescriptions
        }

    moderate_levels = first_levels(moderate)
    for ladder, level in first_levels(high).items():
        assert level <= moderate_levels.get(ladder, level)

    def volume(plan: PlanDraft) -> int:
        # The lower volume is phase 1's (later phases are eased by the rung below).
        return sum(p.volume for p in plan.phases[0].prescriptions)

    assert volume(high) < volume(moderate)
    assert high.phases[0].min_weeks > moderate.phases[0].min_weeks
    assert high.phases[0].typical_weeks > moderate.phases[0].typical_weeks


def test_high_irritability_steps_down_a_rung_after_phase_1(
    catalogue: Catalogue, protocols: Mapping[str, Protocol]
) -> None:
    moderate = plan_for(catalogue, protocols, "superior")
    high = plan_for(catalogue, protocols, "superior", irritability="high")
    assert "lower-trunk-rotation-stretch" in slugs(moderate, 3)
    assert "lower-trunk-rotation-hold" in slugs(high, 3)
    # Reps at 70%, rounded up: 30 breaths become 21.
    breathing = next(p for p in high.phases[0].prescriptions if "breathing" in p.exercise)
    assert breathing.reps == 21


def test_low_irritability_gets_the_moderate_plan(
    catalogue: Catalogue, protocols: Mapping[str, Protocol]
) -> None:
    low = plan_for(catalogue, protocols, "middle", irritability="low")
    moderate = plan_for(catalogue, protocols, "middle", irritability="moderate")
    assert low.phases == moderate.phases


# -- determinism and the draft's shape ------------------------------------------


def test_same_input_gives_an_equal_plan(catalogue: Catalogue, protocols: Mapping[str, Protocol]) -> None:
    first = plan_for(catalogue, protocols, "inferior", "middle", side="right")
    second = plan_for(catalogue, protocols, "middle", "inferior", side="right")
    assert first == second
    assert hash(first) == hash(second)


def test_plan_draft_shape(catalogue: Catalogue, protocols: Mapping[str, Protocol]) -> None:
    plan = plan_for(catalogue, protocols, "inferior", "superior", side="bilateral")
    assert plan.title == "Home exercise plan from 2025-03-03"
    assert plan.branches == ("superior", "inferior")
    assert plan.start == START
    assert [phase.number for phase in plan.phases] == [1, 2, 3, 4]
    assert plan.phases[0].name == "Calm and protect"
    first = plan.phases[0].prescriptions
    # Education first, then breathing; slug order within a category.
    assert first[0].exercise == "ice-or-heat"
    assert [p.order for p in first] == list(range(1, len(first) + 1))
    strength = [
        p for p in plan.phases[2].prescriptions if catalogue.get(p.exercise).category.endswith("_strength")
    ]
    assert {p.days_of_week for p in strength} <= {(0, 2, 4), (1, 3, 5)}


def test_days_of_week_table_has_the_right_number_of_days() -> None:
    assert set(DAYS_OF_WEEK) == set(range(1, 8))
    for count, days in DAYS_OF_WEEK.items():
        assert len(days) == count == len(set(days))
        assert all(0 <= day <= 6 for day in days)


# -- bad input ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("branches", "side", "irritability"),
    [
        (frozenset({"lateral"}), "left", "moderate"),
        (frozenset(), "left", "moderate"),
        (frozenset({"superior"}), "both", "moderate"),
        (frozenset({"superior"}), "left", "extreme"),
    ],
)
def test_invalid_context_is_a_domain_error(branches: frozenset[str], side: str, irritability: str) -> None:
    with pytest.raises(DomainError):
        PatientContext(branches, side, irritability)


def test_a_missing_protocol_is_a_domain_error(
    catalogue: Catalogue, protocols: Mapping[str, Protocol]
) -> None:
    without_middle = {b: p for b, p in protocols.items() if b != "middle"}
    with pytest.raises(DomainError, match="middle"):
        plan_for(catalogue, without_middle, "superior", "middle")


def test_protocols_missing_a_named_category_are_a_domain_error(
    catalogue: Catalogue, protocols: Mapping[str, Protocol]
) -> None:
    superior = protocols["superior"]
    no_glide = Protocol(
        branch="superior",
        phases=tuple(
            ProtocolPhase(
                number=phase.number,
                name=phase.name,
                goal=phase.goal,
                min_weeks=phase.min_weeks,
                typical_weeks=phase.typical_weeks,
                entries=tuple(
                    e for e in phase.entries if catalogue.get(e.exercise).category != "neurodynamic_glide"
                ),
            )
            for phase in superior.phases
        ),
    )
    no_glide_protocols = {**protocols, "superior": no_glide}
    # Alone, fascia mobility stands in for the glide; with the middle branch it does not.
    plan_for(catalogue, no_glide_protocols, "superior")
    middle = protocols["middle"]
    no_middle_glide = Protocol(
        branch="middle",
        phases=tuple(
            replace(
                phase,
                entries=tuple(
                    e for e in phase.entries if catalogue.get(e.exercise).category != "neurodynamic_glide"
                ),
            )
            for phase in middle.phases
        ),
    )
    with pytest.raises(DomainError, match="neurodynamic_glide"):
        plan_for(catalogue, {**no_glide_protocols, "middle": no_middle_glide}, "superior", "middle")


# -- the generator enforces progression even over awkward protocols -------------


def make_phase(number: int, *entries: ProtocolEntry) -> ProtocolPhase:
    return ProtocolPhase(number, f"Phase {number}", "", 1, 2, entries)


def make_entry(slug: str, sets: int = 1, reps: int = 10, days: int = 7) -> ProtocolEntry:
    return ProtocolEntry(slug, Dose(sets, reps, 0, 1, days))


COVERAGE = (
    make_entry("diaphragmatic-breathing-supine"),
    make_entry("single-knee-to-chest"),
    make_entry("abdominal-draw-in"),
    make_entry("clam"),
)


def test_a_seated_first_phase_steps_down_and_later_phases_do_not_fall_back(
    catalogue: Catalogue,
) -> None:
    protocols = {
        "inferior": Protocol(
            "inferior",
            (
                make_phase(1, *COVERAGE, make_entry("seated-slump-tensioner", reps=5)),
                make_phase(2, *COVERAGE, make_entry("seated-slump-slider", reps=10)),
            ),
        )
    }
    plan = plan_for(catalogue, protocols, "inferior")
    # Phase 1: down from the seated tensioner to the supine one below it.
    assert "supine-sciatic-tensioner" in slugs(plan, 1)
    # Phase 2 asked for a lower rung; the plan keeps the rung already reached,
    # and a seated exercise is fine after phase 1.
    assert "supine-sciatic-tensioner" in slugs(plan, 2)
    assert_invariants(plan, catalogue)


def test_an_entry_with_no_unseated_rung_is_left_out_of_phase_1(catalogue: Catalogue) -> None:
    seated_only = Catalogue.of(
        [
            *catalogue.exercises.values(),
            CatalogueExercise(
                slug="seated-pelvic-tilt",
                category="mobility",
                position="sitting",
                per_side=False,
                level=1,
                progression=None,
                regression=None,
                branches=frozenset(BRANCHES),
            ),
        ]
    )
    slider, tilt = make_entry("supine-sciatic-slider"), make_entry("seated-pelvic-tilt")
    protocols = {
        "inferior": Protocol(
            "inferior",
            (
                make_phase(1, *COVERAGE, slider, tilt),
                make_phase(2, *COVERAGE, slider, tilt),
            ),
        )
    }
    plan = plan_for(seated_only, protocols, "inferior")
    assert "seated-pelvic-tilt" not in slugs(plan, 1)
    assert "seated-pelvic-tilt" in slugs(plan, 2)
    assert_invariants(plan, seated_only)


def test_a_lower_dose_at_the_same_level_is_raised_to_the_previous_phase(
    catalogue: Catalogue,
) -> None:
    protocols = {
        "middle": Protocol(
            "middle",
            (
                make_phase(1, *COVERAGE, make_entry("supine-sciatic-slider"), make_entry("bridge", 2, 10, 3)),
                make_phase(2, *COVERAGE, make_entry("supine-sciatic-slider"), make_entry("bridge", 1, 10, 3)),
            ),
        )
    }
    plan = plan_for(catalogue, protocols, "middle")
    bridge = next(p for p in plan.phases[1].prescriptions if p.exercise == "bridge")
    assert (bridge.sets, bridge.reps) == (2, 10)


def test_at_the_same_level_the_emphasising_branch_sets_the_dose(
    catalogue: Catalogue, protocols: Mapping[str, Protocol]
) -> None:
    # Phase 2 slider: superior asks for a gentle 1x5 once a day, inferior (which
    # emphasises glides) for 1x10 twice a day; the inferior dose wins.
    plan = plan_for(catalogue, protocols, "superior", "inferior")
    slider = next(p for p in plan.phases[1].prescriptions if p.exercise == "supine-sciatic-slider")
    assert (slider.reps, slider.sessions_per_day) == (10, 2)


def test_at_the_same_level_without_emphasis_the_smaller_dose_wins(catalogue: Catalogue) -> None:
    # Neither superior nor middle emphasises breathing.
    def protocol(branch: str, reps: int) -> Protocol:
        breathing = make_entry("diaphragmatic-breathing-supine", reps=reps)
        glide = make_entry("supine-sciatic-slider")
        return Protocol(branch, (make_phase(1, *COVERAGE[1:], breathing, glide),))

    protocols = {"superior": protocol("superior", 30), "middle": protocol("middle", 20)}
    plan = plan_for(catalogue, protocols, "superior", "middle")
    breathing = next(p for p in plan.phases[0].prescriptions if "breathing" in p.exercise)
    assert breathing.reps == 20


# -- property-based: any valid patient, any start -------------------------------


@settings(max_examples=60, deadline=None)
@given(
    branches=st.sets(st.sampled_from(BRANCHES), min_size=1).map(frozenset),
    side=st.sampled_from(SIDES),
    irritability=st.sampled_from(IRRITABILITIES),
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
)
def test_property_every_valid_patient_gets_a_sound_plan(
    catalogue: Catalogue,
    protocols: Mapping[str, Protocol],
    branches: frozenset[str],
    side: str,
    irritability: str,
    start: date,
) -> None:
    context = PatientContext(branches, side, irritability)
    plan = generate_plan(context, catalogue, protocols, start=start)
    assert_invariants(plan, catalogue)
    assert plan == generate_plan(context, catalogue, protocols, start=start)
    assert plan.start == start and start.isoformat() in plan.title


def random_protocol(data: st.DataObject, branch: str, catalogue: Catalogue) -> Protocol:
    """Any protocol that covers the named categories: ladders may even go backwards."""
    by_category = {
        category: sorted(s for s, e in catalogue.exercises.items() if e.category == category)
        for category in CATEGORIES
    }
    all_slugs = sorted(catalogue.exercises)
    phase_count = data.draw(st.integers(1, 4))
    phases = []
    for number in range(1, phase_count + 1):
        chosen = data.draw(st.lists(st.sampled_from(all_slugs), min_size=1, max_size=8))
        if number == 1:
            chosen += [data.draw(st.sampled_from(by_category[c])) for c in NAMED_CATEGORIES]
        doses = st.builds(
            Dose,
            sets=st.integers(1, 3),
            reps=st.integers(1, 30),
            hold_seconds=st.integers(0, 30),
            sessions_per_day=st.integers(1, 3),
            days_per_week=st.integers(1, 7),
        )
        entries = tuple(ProtocolEntry(slug, data.draw(doses)) for slug in chosen)
        weeks = data.draw(st.integers(1, 4))
        phases.append(ProtocolPhase(number, f"Phase {number}", "", weeks, weeks + 1, entries))
    return Protocol(branch, tuple(phases))


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_property_invariants_hold_over_arbitrary_protocols(catalogue: Catalogue, data: st.DataObject) -> None:
    branches = data.draw(st.sets(st.sampled_from(BRANCHES), min_size=1).map(frozenset))
    base = random_protocol(data, "superior", catalogue)
    # Every involved protocol needs the same phase numbers; contents vary freely.
    protocols: dict[str, Protocol] = {}
    for branch in BRANCHES:
        other = random_protocol(data, branch, catalogue)
        phases = tuple(
            ProtocolPhase(p.number, p.name, p.goal, p.min_weeks, p.typical_weeks, q.entries)
            for p, q in zip(base.phases, itertools.cycle(other.phases), strict=False)
        )
        protocols[branch] = Protocol(branch, phases)
    context = PatientContext(
        branches, data.draw(st.sampled_from(SIDES)), data.draw(st.sampled_from(IRRITABILITIES))
    )
    # Every seated exercise has an unseated rung below it, so no category is lost
    # and the generator refuses these protocols only when their doses cannot fit a
    # home session without losing a category (CLINICAL.md §8).
    try:
        plan = generate_plan(context, catalogue, protocols, start=START)
    except DomainError as exc:
        refusal = str(exc)
    else:
        assert_invariants(plan, catalogue)
        return
    assert "home session" in refusal


# -- the shipped protocols and the JSON loaders --------------------------------


def test_shipped_protocols_are_sound(catalogue: Catalogue, protocols: Mapping[str, Protocol]) -> None:
    assert set(protocols) == set(BRANCHES)
    for branch, protocol in protocols.items():
        assert [p.number for p in protocol.phases] == [1, 2, 3, 4]
        reached: dict[str, tuple[int, int]] = {}
        covered = set()
        for protocol_phase in protocol.phases:
            generated = [e for e in protocol_phase.entries if not e.optional]
            ladders = [catalogue.ladder_root(e.exercise) for e in generated]
            assert len(ladders) == len(set(ladders)), (branch, protocol_phase.number)
            for protocol_entry, ladder in zip(generated, ladders, strict=True):
                exercise = catalogue.get(protocol_entry.exercise)
                covered.add(exercise.category)
                rank = (exercise.level, protocol_entry.dose.volume)
                assert rank >= reached.get(ladder, (0, 0)), (branch, protocol_entry.exercise)
                reached[ladder] = rank
                # Each exercise is indicated for the branch: no borrowed slider.
                assert branch in exercise.branches, (branch, protocol_entry.exercise)
        if BRANCH_RULES[branch].glide_stand_in in covered:
            covered.add("neurodynamic_glide")
        assert set(NAMED_CATEGORIES) <= covered, branch


def test_protocols_from_json_names_where_the_problem_is(
    protocols_json: list[dict[str, Any]], catalogue: Catalogue
) -> None:
    broken = copy.deepcopy(protocols_json)
    broken[1]["phases"][2]["entries"][0]["reps"] = 0
    with pytest.raises(DomainError, match=r"middle protocol, phase 3, exercise .*reps"):
        protocols_from_json(broken)

    unknown = copy.deepcopy(protocols_json)
    unknown[2]["phases"][0]["entries"][0]["exercise"] = "handstand"
    with pytest.raises(DomainError, match=r"inferior protocol, phase 1, exercise 'handstand'"):
        protocols_from_json(unknown, catalogue=catalogue)

    with pytest.raises(DomainError, match="appears twice"):
        protocols_from_json([protocols_json[0], protocols_json[0]])
    with pytest.raises(DomainError, match="expected a list"):
        protocols_from_json({"branch": "superior"})


def test_protocols_from_json_gives_read_only_frozen_values(
    protocols: Mapping[str, Protocol],
) -> None:
    first = protocols["inferior"].phases[0].entries[0]
    with pytest.raises(AttributeError):
        first.exercise = "bridge"  # type: ignore[misc]
    assert isinstance(protocols, MappingProxyType)


def test_catalogue_from_json_links_ladders_both_ways(catalogue: Catalogue) -> None:
    assert len(catalogue.exercises) == 39
    assert catalogue.get("marching-bridge").regression == "bridge"
    assert catalogue.step_down("bridge") is None
    assert catalogue.ladder_root("single-leg-deadlift") == "bridge"
    assert catalogue.ladder_root("dead-bug-full") == "abdominal-draw-in"
    with pytest.raises(DomainError, match="handstand"):
        catalogue.get("handstand")


def test_catalogue_from_json_reads_django_fixture_records() -> None:
    records = [
        {"model": "exercises.exercise", "fields": {**record, "progression": [record["progression"]]}}
        if record["progression"]
        else {"model": "exercises.exercise", "fields": record}
        for record in catalogue_records()
    ]
    assert catalogue_from_json(records) == catalogue_from_json(catalogue_records())


def test_catalogue_from_json_rejects_a_broken_ladder() -> None:
    records = catalogue_records()
    twice = [*records, {**records[-1], "slug": "extra", "progression": "marching-bridge"}]
    with pytest.raises(DomainError, match="both progress to 'marching-bridge'"):
        catalogue_from_json(twice)
    dangling = [{**records[0], "progression": "nowhere"}, *records[1:]]
    with pytest.raises(DomainError, match="nowhere"):
        catalogue_from_json(dangling)


# -- what a physiotherapist checks on the first day (issue: plans a clinic can trust) --

SINGLE_LEG = frozenset({"single-leg-bridge", "step-up", "single-leg-deadlift", "single-leg-squat"})
MODERATE_CONTEXTS = [c for c in EVERY_CONTEXT if c.values[0].irritability != "high"]
INFERIOR_CONTEXTS = [c for c in EVERY_CONTEXT if "inferior" in c.values[0].branches]


@pytest.mark.parametrize("context", EVERY_CONTEXT)
def test_no_day_holds_more_than_a_home_session(
    context: PatientContext, catalogue: Catalogue, protocols: Mapping[str, Protocol]
) -> None:
    plan = generate_plan(context, catalogue, protocols, start=START)
    assert_sessions_fit_at_home(plan, catalogue)
    # The limit is met by fitting, not by an empty plan: every phase keeps work on most days.
    for phase in plan.phases:
        assert sum(1 for day in range(7) if session_items(phase, catalogue, day)) == 7


@pytest.mark.parametrize("context", INFERIOR_CONTEXTS)
def test_with_the_inferior_branch_a_step_down_never_lands_on_a_seated_rung(
    context: PatientContext, catalogue: Catalogue, protocols: Mapping[str, Protocol]
) -> None:
    plan = generate_plan(context, catalogue, protocols, start=START)
    for phase in plan.phases:
        prescribed_as_is = {
            entry.exercise
            for branch in plan.branches
            for entry in protocols[branch].phases[phase.number - 1].entries
        }
        for p in phase.prescriptions:
            if catalogue.get(p.exercise).position == "sitting":
                assert p.exercise in prescribed_as_is, (phase.number, p.exercise)


@pytest.mark.parametrize("context", MODERATE_CONTEXTS)
def test_phase_4_keeps_single_leg_work_whatever_branches_merge(
    context: PatientContext, catalogue: Catalogue, protocols: Mapping[str, Protocol]
) -> None:
    plan = generate_plan(context, catalogue, protocols, start=START)
    assert slugs(plan, 4) & SINGLE_LEG


def test_the_emphasising_branch_sets_a_merged_ladder(
    catalogue: Catalogue, protocols: Mapping[str, Protocol]
) -> None:
    # Gluteal strength is the middle branch's emphasis, not the superior's: its rung wins.
    merged = plan_for(catalogue, protocols, "superior", "middle", "inferior")
    alone = plan_for(catalogue, protocols, "middle")

    def bridge_rung(plan: PlanDraft) -> set[str]:
        return {s for s in slugs(plan, 4) if catalogue.ladder_root(s) == "bridge"}

    assert bridge_rung(alone) == {"single-leg-bridge"}
    assert bridge_rung(merged) <= {"single-leg-bridge", "step-up"} and bridge_rung(merged)


def is_rep_strength(p: PrescriptionDraft, catalogue: Catalogue) -> bool:
    category = catalogue.get(p.exercise).category
    return category in {"core_strength", "gluteal_strength"} and p.hold_seconds <= 2


@pytest.mark.parametrize("context", EVERY_CONTEXT)
def test_strength_volume_never_below_the_floors(
    context: PatientContext, catalogue: Catalogue, protocols: Mapping[str, Protocol]
) -> None:
    # CLINICAL.md §2: 2 x 10 at first, 3 x 8 later.
    plan = generate_plan(context, catalogue, protocols, start=START)
    for phase in plan.phases:
        for p in phase.prescriptions:
            if is_rep_strength(p, catalogue):
                assert (p.sets >= 2 and p.reps >= 10) or (p.sets >= 3 and p.reps >= 8), p


@pytest.mark.parametrize("branches", BRANCH_SETS, ids=lambda b: "+".join(sorted(b)))
def test_high_irritability_lowers_volume_in_phase_1_only(
    branches: frozenset[str], catalogue: Catalogue, protocols: Mapping[str, Protocol]
) -> None:
    high = plan_for(catalogue, protocols, *branches, irritability="high")
    for phase in high.phases[1:]:
        for p in phase.prescriptions:
            # The rung below takes a protocol dose, its own or the harder rung's: never cut.
            rungs = {p.exercise, catalogue.get(p.exercise).progression}
            protocol_reps = {
                entry.dose.reps
                for protocol in protocols.values()
                for protocol_phase in protocol.phases
                for entry in protocol_phase.entries
                if entry.exercise in rungs
            }
            assert p.reps in protocol_reps, (phase.number, p.exercise)


@pytest.mark.parametrize("context", EVERY_CONTEXT)
def test_the_first_tensioner_comes_with_its_slider_as_fallback(
    context: PatientContext, catalogue: Catalogue, protocols: Mapping[str, Protocol]
) -> None:
    plan = generate_plan(context, catalogue, protocols, start=START)
    seen = False
    for phase in plan.phases:
        tensioners = [p for p in phase.prescriptions if is_tensioner(p.exercise)]
        if tensioners and not seen:
            seen = True
            (slider,) = fallbacks(phase, catalogue)
            assert not is_tensioner(slider.exercise)
            assert slider.order < tensioners[0].order
            assert "fallback" in slider.notes
            assert slider.side == tensioners[0].side == plan.side
    if context.branches & {"middle", "inferior"} and context.irritability != "high":
        assert seen  # the rule was exercised, not skipped (high irritability stays on sliders)


def test_a_branch_without_the_emphasis_does_not_cap_a_merged_ladder(
    catalogue: Catalogue, protocols: Mapping[str, Protocol]
) -> None:
    # Phase 3: the superior protocol bridges on two legs (level 1), the middle one
    # marches (level 2); gluteal work is the middle branch's emphasis.
    assert "bridge" in {e.exercise for e in protocols["superior"].phases[2].entries}
    merged = plan_for(catalogue, protocols, "superior", "middle")
    assert {s for s in slugs(merged, 3) if catalogue.ladder_root(s) == "bridge"} == {"marching-bridge"}


def test_high_irritability_never_cuts_strength_below_the_floor(catalogue: Catalogue) -> None:
    glide = make_entry("supine-sciatic-slider")
    phase = make_phase(1, *COVERAGE, glide, make_entry("bridge", sets=2, reps=10, days=3))
    plan = generate_plan(
        PatientContext(frozenset({"middle"}), "left", "high"),
        catalogue,
        {"middle": Protocol("middle", (phase,))},
        start=START,
    )
    (bridge,) = [p for p in plan.phases[0].prescriptions if p.exercise == "bridge"]
    assert (bridge.sets, bridge.reps) == (2, 10)
    breathing = next(p for p in plan.phases[0].prescriptions if p.exercise.startswith("diaphragmatic"))
    assert breathing.reps == 7  # 70% of 10, rounded up: the floor is for strength only


def test_every_library_exercise_is_prescribed_or_offered_as_an_option(
    catalogue: Catalogue, protocols: Mapping[str, Protocol]
) -> None:
    prescribed = {
        p.exercise
        for context in EVERY_CONTEXT
        for phase in generate_plan(context.values[0], catalogue, protocols, start=START).phases
        for p in phase.prescriptions
    }
    options = {
        entry.exercise
        for protocol in protocols.values()
        for phase in protocol.phases
        for entry in phase.entries
        if entry.optional
    }
    assert options  # the therapist's options exist ...
    assert not options & prescribed  # ... and the generator never prescribes them itself
    assert set(catalogue.exercises) == prescribed | options


def test_an_optional_entry_is_never_generated(catalogue: Catalogue) -> None:
    option = replace(make_entry("dead-bug-full", sets=2), optional=True)
    phase = make_phase(1, *COVERAGE, make_entry("supine-sciatic-slider"), option)
    plan = plan_for(catalogue, {"middle": Protocol("middle", (phase,))}, "middle")
    assert "dead-bug-full" not in slugs(plan)
