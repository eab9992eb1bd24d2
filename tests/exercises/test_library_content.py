"""Content checks for fixtures/exercise_library.json, read as plain JSON.

No Django and no database: these tests guard the clinical content itself
(CLINICAL.md §2) and the shape of the progression ladders that the plan
generator and progression engine rely on.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from ptrx.exercises.ladders import ladder_problems as check_ladders

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "exercise_library.json"

FIELDS = {
    "slug",
    "name",
    "category",
    "branches",
    "summary",
    "instructions",
    "cues",
    "cautions",
    "precautions",
    "position",
    "equipment",
    "per_side",
    "sets",
    "reps",
    "hold_seconds",
    "sessions_per_day",
    "days_per_week",
    "level",
    "progression",
    "media_url",
    "is_active",
}
LIST_FIELDS = ("branches", "instructions", "cues", "cautions")
STRING_FIELDS = ("slug", "name", "category", "summary", "position", "equipment", "media_url")
INT_FIELDS = ("sets", "reps", "hold_seconds", "sessions_per_day", "days_per_week", "level")

BRANCHES = ("superior", "middle", "inferior")
NAMED_CATEGORIES = (
    "breathing",
    "rotational_stretch",
    "neurodynamic_glide",
    "core_strength",
    "gluteal_strength",
)
CATEGORIES = set(NAMED_CATEGORIES) | {"mobility", "education"}
POSITIONS = {"supine", "prone", "side_lying", "sitting", "standing", "quadruped"}
STRENGTH = {"core_strength", "gluteal_strength"}

# The fixed skeleton other code depends on:
# slug: (category, level, progression, position, per_side, branches)
EXPECTED = {
    "diaphragmatic-breathing-supine": (
        "breathing",
        1,
        "diaphragmatic-breathing-sitting",
        "supine",
        False,
        "superior,middle,inferior",
    ),
    "diaphragmatic-breathing-sitting": (
        "breathing",
        2,
        "diaphragmatic-breathing-standing",
        "sitting",
        False,
        "superior,middle,inferior",
    ),
    "diaphragmatic-breathing-standing": (
        "breathing",
        3,
        "breathing-with-core-hold",
        "standing",
        False,
        "superior,middle,inferior",
    ),
    "breathing-with-core-hold": ("breathing", 4, None, "supine", False, "superior,middle,inferior"),
    "lower-trunk-rotation-rocking": (
        "rotational_stretch",
        1,
        "lower-trunk-rotation-hold",
        "supine",
        False,
        "superior,middle",
    ),
    "lower-trunk-rotation-hold": (
        "rotational_stretch",
        2,
        "lower-trunk-rotation-stretch",
        "supine",
        True,
        "superior,middle",
    ),
    "lower-trunk-rotation-stretch": ("rotational_stretch", 3, None, "supine", True, "superior,middle"),
    "single-knee-to-chest": (
        "rotational_stretch",
        1,
        "knee-to-opposite-shoulder",
        "supine",
        True,
        "superior,middle,inferior",
    ),
    "knee-to-opposite-shoulder": ("rotational_stretch", 2, None, "supine", True, "superior,middle"),
    "supine-sciatic-slider": (
        "neurodynamic_glide",
        1,
        "seated-slump-slider",
        "supine",
        True,
        "middle,inferior",
    ),
    "seated-slump-slider": (
        "neurodynamic_glide",
        2,
        "supine-sciatic-tensioner",
        "sitting",
        True,
        "middle,inferior",
    ),
    "supine-sciatic-tensioner": (
        "neurodynamic_glide",
        3,
        "seated-slump-tensioner",
        "supine",
        True,
        "middle,inferior",
    ),
    "seated-slump-tensioner": ("neurodynamic_glide", 4, None, "sitting", True, "middle,inferior"),
    "cat-camel": ("mobility", 1, None, "quadruped", False, "superior,middle"),
    "standing-side-bend": ("mobility", 1, None, "standing", True, "superior"),
    "abdominal-draw-in": (
        "core_strength",
        1,
        "dead-bug-ball-squeeze",
        "supine",
        False,
        "superior,middle,inferior",
    ),
    "dead-bug-ball-squeeze": (
        "core_strength",
        2,
        "dead-bug-alternating-march",
        "supine",
        False,
        "superior,middle,inferior",
    ),
    "dead-bug-alternating-march": (
        "core_strength",
        3,
        "dead-bug-90-90-arm-press",
        "supine",
        False,
        "superior,middle,inferior",
    ),
    "dead-bug-90-90-arm-press": (
        "core_strength",
        4,
        "dead-bug-full",
        "supine",
        False,
        "superior,middle,inferior",
    ),
    "dead-bug-full": ("core_strength", 5, None, "supine", False, "superior,middle,inferior"),
    "bird-dog": ("core_strength", 1, "bird-dog-banded", "quadruped", True, "superior,middle,inferior"),
    "bird-dog-banded": ("core_strength", 2, None, "quadruped", True, "superior,middle,inferior"),
    "mcgill-curl-up": ("core_strength", 1, None, "supine", False, "superior,middle"),
    "side-bridge-knees": ("core_strength", 1, "side-bridge-full", "side_lying", True, "superior,middle"),
    "side-bridge-full": ("core_strength", 2, None, "side_lying", True, "superior,middle"),
    "bridge": ("gluteal_strength", 1, "marching-bridge", "supine", False, "superior,middle,inferior"),
    "marching-bridge": (
        "gluteal_strength",
        2,
        "single-leg-bridge",
        "supine",
        False,
        "superior,middle,inferior",
    ),
    "single-leg-bridge": ("gluteal_strength", 3, "step-up", "supine", True, "superior,middle,inferior"),
    "step-up": ("gluteal_strength", 4, "single-leg-deadlift", "standing", True, "middle,inferior"),
    "single-leg-deadlift": ("gluteal_strength", 5, None, "standing", True, "middle,inferior"),
    "clam": ("gluteal_strength", 1, "banded-clam", "side_lying", True, "superior,middle,inferior"),
    "banded-clam": (
        "gluteal_strength",
        2,
        "side-lying-hip-abduction",
        "side_lying",
        True,
        "superior,middle,inferior",
    ),
    "side-lying-hip-abduction": (
        "gluteal_strength",
        3,
        "single-leg-squat",
        "side_lying",
        True,
        "superior,middle,inferior",
    ),
    "single-leg-squat": ("gluteal_strength", 4, None, "standing", True, "middle,inferior"),
    "prone-hip-extension": ("gluteal_strength", 1, None, "prone", True, "superior,middle,inferior"),
    "sitting-modification": ("education", 1, None, "", False, "superior,middle,inferior"),
    "posture-lumbar-roll": ("education", 1, None, "", False, "superior,middle"),
    "pacing-activity": ("education", 1, None, "", False, "superior,middle,inferior"),
    "ice-or-heat": ("education", 1, None, "", False, "superior,middle,inferior"),
}


@pytest.fixture(scope="module")
def library() -> list[dict]:
    with FIXTURE.open(encoding="utf-8") as fh:
        data = json.load(fh)
    assert isinstance(data, list)
    return data


@pytest.fixture(scope="module")
def by_slug(library) -> dict[str, dict]:
    return {entry["slug"]: entry for entry in library}


def _texts(entry: dict) -> list[str]:
    return [entry["name"], entry["summary"], *entry["instructions"], *entry["cues"], *entry["cautions"]]


# ----------------------------------------------------------------- ladder checker


def _entry(slug: str, level: int, progression: str | None) -> dict:
    return {"slug": slug, "level": level, "progression": progression}


def test_real_library_ladders_have_no_problems(library):
    assert check_ladders(library) == []


def test_checker_accepts_a_sound_ladder():
    entries = [_entry("a", 1, "b"), _entry("b", 2, "c"), _entry("c", 3, None), _entry("lone", 1, None)]
    assert check_ladders(entries) == []


def test_checker_reports_cycle_naming_slug():
    entries = [_entry("loop-a", 1, "loop-b"), _entry("loop-b", 2, "loop-c"), _entry("loop-c", 3, "loop-a")]
    problems = check_ladders(entries)
    cycle = [p for p in problems if "cycle" in p]
    assert len(cycle) == 1
    assert all(slug in cycle[0] for slug in ("loop-a", "loop-b", "loop-c"))


def test_checker_reports_self_link():
    problems = check_ladders([_entry("selfish", 1, "selfish")])
    assert any("selfish" in p and "itself" in p for p in problems)


def test_checker_reports_missing_target_naming_slug():
    problems = check_ladders([_entry("orphan-link", 1, "does-not-exist")])
    assert len(problems) == 1
    assert "orphan-link" in problems[0] and "does-not-exist" in problems[0]


@pytest.mark.parametrize("next_level", [1, 0])
def test_checker_reports_level_not_rising_naming_slug(next_level):
    problems = check_ladders([_entry("too-hard", 2, "too-easy"), _entry("too-easy", next_level, None)])
    assert len(problems) == 1
    assert problems[0].startswith("too-hard:") and "level" in problems[0]


def test_checker_reports_shared_target_naming_slugs():
    entries = [_entry("left", 1, "top"), _entry("right", 1, "top"), _entry("top", 2, None)]
    problems = check_ladders(entries)
    assert len(problems) == 1
    assert all(slug in problems[0] for slug in ("top", "left", "right"))


def test_checker_reports_duplicate_slug():
    problems = check_ladders([_entry("twin", 1, None), _entry("twin", 1, None)])
    assert any(p.startswith("twin:") for p in problems)


# ----------------------------------------------------------------- shape


def test_library_size_and_unique_slugs(library):
    slugs = [entry["slug"] for entry in library]
    assert len(library) >= 30
    duplicates = [slug for slug, n in Counter(slugs).items() if n > 1]
    assert duplicates == []


def test_fixed_skeleton_matches(by_slug):
    assert set(by_slug) == set(EXPECTED)
    for slug, (category, level, progression, position, per_side, branches) in EXPECTED.items():
        entry = by_slug[slug]
        got = (
            entry["category"],
            entry["level"],
            entry["progression"],
            entry["position"],
            entry["per_side"],
            set(entry["branches"]),
        )
        assert got == (category, level, progression, position, per_side, set(branches.split(","))), slug


def test_every_field_present_and_non_empty(library):
    for entry in library:
        slug = entry.get("slug")
        assert set(entry) == FIELDS, f"{slug}: keys differ by {set(entry) ^ FIELDS}"
        for field in LIST_FIELDS:
            value = entry[field]
            assert isinstance(value, list) and value, f"{slug}: {field} must be a non-empty list"
            assert all(isinstance(item, str) and item.strip() for item in value), (
                f"{slug}: blank item in {field}"
            )
        for field in STRING_FIELDS:
            value = entry[field]
            assert isinstance(value, str), f"{slug}: {field} must be a string"
            may_be_blank = field == "media_url" or (field == "position" and entry["category"] == "education")
            if not may_be_blank:
                assert value.strip(), f"{slug}: {field} is empty"
        for field in INT_FIELDS:
            value = entry[field]
            assert isinstance(value, int) and not isinstance(value, bool), (
                f"{slug}: {field} must be an integer"
            )
        assert isinstance(entry["per_side"], bool), slug
        assert entry["is_active"] is True, slug
        assert entry["progression"] is None or isinstance(entry["progression"], str), slug


def test_list_lengths(library):
    for entry in library:
        slug = entry["slug"]
        assert 4 <= len(entry["instructions"]) <= 8, slug
        assert 2 <= len(entry["cues"]) <= 4, slug
        assert 1 <= len(entry["cautions"]) <= 3, slug


def test_allowed_values(library):
    for entry in library:
        slug = entry["slug"]
        assert entry["category"] in CATEGORIES, slug
        assert entry["branches"], slug
        assert set(entry["branches"]) <= set(BRANCHES), slug
        # Listed once each, in the canonical order superior, middle, inferior.
        assert entry["branches"] == [b for b in BRANCHES if b in entry["branches"]], slug
        if entry["category"] == "education":
            assert entry["position"] == "", slug
        else:
            assert entry["position"] in POSITIONS, slug


def test_progressions_stay_within_category(by_slug):
    for slug, entry in by_slug.items():
        target = entry["progression"]
        if target is not None:
            assert by_slug[target]["category"] == entry["category"], slug


# ----------------------------------------------------------------- coverage


def test_category_counts(library):
    counts = Counter(entry["category"] for entry in library)
    for category in NAMED_CATEGORIES:
        assert counts[category] >= 4, f"{category}: only {counts[category]} exercises"
    assert counts["education"] >= 1
    assert counts["mobility"] >= 1


def test_required_education_and_mobility_items(by_slug):
    for slug, category in (
        ("sitting-modification", "education"),
        ("posture-lumbar-roll", "education"),
        ("pacing-activity", "education"),
        ("cat-camel", "mobility"),
    ):
        assert slug in by_slug
        assert by_slug[slug]["category"] == category


@pytest.mark.parametrize("branch", BRANCHES)
def test_each_branch_covers_named_categories(library, branch):
    covered = {entry["category"] for entry in library if branch in entry["branches"]}
    needed = set(NAMED_CATEGORIES)
    if branch == "superior":
        # No validated nerve glide for the SCN: cat-camel / side-bend mobility instead.
        needed.discard("neurodynamic_glide")
        needed.add("mobility")
    assert needed <= covered, f"{branch}: missing {sorted(needed - covered)}"


# ----------------------------------------------------------------- safety text


def test_every_caution_starts_with_stop_if(library):
    for entry in library:
        for caution in entry["cautions"]:
            assert caution.startswith("Stop if "), f"{entry['slug']}: {caution!r}"


def test_seated_exercises_for_inferior_warn_about_sitting(library):
    seated = [e for e in library if e["position"] == "sitting" and "inferior" in e["branches"]]
    assert seated, "expected at least one seated exercise listing the inferior branch"
    for entry in seated:
        assert any("sitting" in c.lower() for c in entry["cautions"]), entry["slug"]


def test_strength_exercises_carry_pain_limit(library):
    for entry in library:
        if entry["category"] in STRENGTH:
            assert any("5 out of 10" in c for c in entry["cautions"]), entry["slug"]


# CLINICAL.md §5 "ICN trap": symptoms in the saddle area are never explained away as the
# inferior cluneal nerve; they get the emergency line, never "make it smaller".
SADDLE_AREA = re.compile(
    r"saddle'? area|genital|perine|perianal|back passage|between your legs", re.IGNORECASE
)
EMERGENCY_LINE = "stop and get same-day medical care"
EXPLAINED_AWAY = re.compile(
    r"smaller|less far|less high|ease off|leave it out|tell your therapist|mention it|lying version|go back to",
    re.IGNORECASE,
)


def _saddle_escalations(entry: dict) -> list[str]:
    return [
        c
        for c in entry["cautions"]
        if "saddle area" in c and "bladder or bowel" in c and EMERGENCY_LINE in c and c.startswith("Stop if ")
    ]


def test_every_mention_of_the_saddle_area_gives_the_emergency_line(library):
    mentions = 0
    for entry in library:
        for field in ("summary", "instructions", "cues", "cautions"):
            texts = [entry[field]] if isinstance(entry[field], str) else entry[field]
            for text in texts:
                if not SADDLE_AREA.search(text):
                    continue
                mentions += 1
                where = f"{entry['slug']} {field}: {text!r}"
                assert EMERGENCY_LINE in text and "bladder or bowel" in text, where
                assert not EXPLAINED_AWAY.search(text), where
    assert mentions >= 6  # the pattern is not trivially passing


def test_saddle_pattern_catches_the_old_explained_away_caution():
    old = (
        "Stop if you feel burning in your lower buttock or at the side of the genital area: "
        "make the movement smaller and tell your therapist."
    )
    assert SADDLE_AREA.search(old)
    assert EXPLAINED_AWAY.search(old) and EMERGENCY_LINE not in old
    assert not SADDLE_AREA.search("Avoid hard seats and bicycle saddles while your symptoms are settling.")


def test_glides_stretches_near_the_icn_and_advice_carry_the_emergency_line(library):
    # The issue names the slider and knee-to-chest; every glide and advice item carries it too.
    named = {"supine-sciatic-slider", "single-knee-to-chest"}
    carriers = [
        e for e in library if e["slug"] in named or e["category"] in {"neurodynamic_glide", "education"}
    ]
    assert len(carriers) >= 9  # knee-to-chest, four glides, four advice items
    for entry in carriers:
        assert _saddle_escalations(entry), entry["slug"]


def test_tensioners_require_symptom_free_slider(by_slug):
    for slug in ("supine-sciatic-tensioner", "seated-slump-tensioner"):
        text = " ".join(_texts(by_slug[slug])).lower()
        assert "slider" in text and "symptom" in text, slug


def test_breathing_paced_and_not_overclaimed(library):
    for entry in library:
        text = " ".join(_texts(entry)).lower()
        # CLINICAL.md §2: no evidence that breathing "flosses" the nerves, and no validated
        # mechanism for the fascia (cat-camel is plain mobility): claim neither.
        assert "floss" not in text, entry["slug"]
        assert "fascia" not in text, entry["slug"]
        if entry["slug"].startswith("diaphragmatic-breathing"):
            assert "4" in text and "8" in text, entry["slug"]


# ----------------------------------------------------------------- dosage


def test_dosage_ranges(library):
    for entry in library:
        slug = entry["slug"]
        assert 1 <= entry["sets"] <= 5, slug
        assert 1 <= entry["reps"] <= 40, slug
        assert 0 <= entry["hold_seconds"] <= 900, slug
        assert 1 <= entry["sessions_per_day"] <= 5, slug
        assert 1 <= entry["days_per_week"] <= 7, slug
        assert entry["level"] >= 1, slug


def test_gluteal_strength_not_daily(library):
    for entry in library:
        if entry["category"] == "gluteal_strength":
            # CLINICAL.md §2: 2-3 non-consecutive days a week.
            assert 2 <= entry["days_per_week"] <= 3, entry["slug"]


def test_education_dose(by_slug):
    for slug, entry in by_slug.items():
        if entry["category"] == "education":
            expected_hold = 900 if slug == "ice-or-heat" else 0
            got = (
                entry["sets"],
                entry["reps"],
                entry["hold_seconds"],
                entry["sessions_per_day"],
                entry["days_per_week"],
            )
            assert got == (1, 1, expected_hold, 1, 7), slug


# ----------------------------------------------------------------- dose lives on the prescription
# Issue 12 item 3: sets, reps, hold_seconds, sessions_per_day and days_per_week are data on the
# prescription and every rendering states them from there, so no patient text repeats a dose.
# Technique counts (breathe in for a count of 4, a hip at 90 degrees, pain 5 out of 10) stay.

_NUMBER = r"\d+(?:\.\d+)?(?:\s*(?:-|\u2013|to|or)\s*\d+(?:\.\d+)?)?"
_UNIT_NEXT = r"(?:s|secs?|seconds?|mins?|minutes?|hrs?|hours?|reps?|x|\u00d7)"
_UNIT_NEAR = (
    r"(?:seconds?|minutes?|hours?|reps?|repetitions?|breaths?|times|sets?|cycles?|holds?|rocks?|bends?|"
    r"marche?s?|lifts?|press(?:es)?|reach(?:es)?|movements?|rounds?|squeezes?|steps?|days?|weeks?|"
    r"(?:per|each|a|one|the other|every)\s+(?:side|leg|foot|pair|day|week))"
)
DOSE = re.compile(
    # "10 s", "30 seconds", "5 x 10", "10 slow, smooth movements", "8 on one leg", "15-20 minutes"
    rf"(?<![\w/]){_NUMBER}(?:\s*{_UNIT_NEXT}\b|\s+(?:[a-z]+,?\s+){{0,2}}?{_UNIT_NEAR}\b|\s*[x\u00d7]\s*\d)"
    # "a second set", "three slow breaths"
    r"|\b(?:once|twice|two|three|four|five|six|seven|eight|nine|ten|second|third)\s+(?:[a-z]+,?\s+){0,2}?"
    r"(?:sets?|reps?|repetitions?|times|holds?|breaths?|seconds?|minutes?|rounds?|cycles?)\b"
    # "twice a day", "3 times a week"
    r"|\b(?:once|twice|\w+\s+times)\s+(?:a|per|each)\s+(?:day|week)\b",
    re.IGNORECASE,
)
# Numbers that teach the movement rather than dose it; anything else with a digit is suspect.
TECHNIQUE_NUMBER = re.compile(
    r"\d+ out of 10|count of \d+|\d+ counts?|(?:in|out) for (?:up to )?\d+(?: to \d+)?|stays at \d+"
    r"|\d+ degrees|90/90|0 is no pain|10 is the worst",
    re.IGNORECASE,
)
PATIENT_TEXT_FIELDS = ("instructions", "cues", "summary", "cautions")


def _patient_texts(entry: dict, field: str) -> list[str]:
    value = entry[field]
    return [value] if isinstance(value, str) else list(value)


@pytest.mark.parametrize(
    "text",
    [
        "Hold for 10 seconds",
        "Keep going for about 30 breaths (roughly 5 minutes).",
        "5 x 10 s",
        "3\u00d78",
        "hold 10s",
        "Repeat 10 times.",
        "Do 2-3 sets.",
        "2-3 times a day",
        "twice a day",
        "Leave it on for 15-20 minutes.",
        "15 to 20 minutes, then off",
        "Do 10 slow, smooth movements, then lower the leg.",
        "Do 8 on one leg, then 8 on the other.",
        "10 per side",
        "10 reps",
        "8 repetitions",
        "about 5 seconds a cycle",
        "10 cycles",
        "Rest, then do a second set.",
        "go back to 15-second holds",
        "Do 10 marches (5 with each leg).",
    ],
)
def test_dose_pattern_flags_doses(text):
    assert DOSE.search(text), text


@pytest.mark.parametrize(
    "text",
    [
        "Breathe in slowly through your nose for a count of 4.",
        "In for 4, out for 4 to 8",
        "Breathe out for 4 counts, then lengthen the out-breath toward 8 counts.",
        "so your thigh points at the ceiling (90 degrees)",
        "bent at right angles (90/90), shins level with the floor",
        "pain during the exercise goes above 5 out of 10 (0 is no pain, 10 is the worst pain you can imagine)",
        "Hold for the time on your plan.",
        "Avoid hard seats and bicycle saddles.",
    ],
)
def test_dose_pattern_leaves_technique_counts(text):
    assert not DOSE.search(text), text


@pytest.mark.parametrize("field", PATIENT_TEXT_FIELDS)
def test_no_dose_numbers_in_patient_text(library, field):
    found = [
        f"{entry['slug']}: {text!r}"
        for entry in library
        for text in _patient_texts(entry, field)
        if DOSE.search(text)
    ]
    assert found == []


@pytest.mark.parametrize("field", PATIENT_TEXT_FIELDS)
def test_only_technique_numbers_in_patient_text(library, field):
    found = [
        f"{entry['slug']}: {text!r}"
        for entry in library
        for text in _patient_texts(entry, field)
        if re.search(r"\d", TECHNIQUE_NUMBER.sub("", text))
    ]
    assert found == []


def test_exercise_steps_point_to_the_plan_for_the_dose(library):
    for entry in library:
        steps = " ".join(entry["instructions"])
        if entry["category"] != "education":
            assert "on your plan" in steps, entry["slug"]
        # A hold is data on the prescription: the steps say to hold for its time exactly when there is one.
        assert ("time on your plan" in steps) == (entry["hold_seconds"] > 0), entry["slug"]


# ----------------------------------------------------------------- ladder rungs read in order


def test_ball_squeeze_is_the_feet_down_rung_below_the_march(by_slug):
    # CLINICAL.md §2 dead-bug ladder; the squeeze must not read like the 90/90 arm press above it.
    squeeze = by_slug["dead-bug-ball-squeeze"]
    text = " ".join(_texts(squeeze)).lower()
    assert "between your knees" in text
    assert "feet flat on the floor" in " ".join(squeeze["instructions"]).lower()
    for harder in (
        "90/90",
        "right angle",
        "over your hips",
        "lift one foot",
        "press your hands",
        "arm press",
    ):
        assert harder not in text, harder
    assert squeeze["level"] < by_slug["dead-bug-alternating-march"]["level"]
    assert "ball" in squeeze["equipment"] or "pillow" in squeeze["equipment"]


def test_harder_rungs_send_the_patient_back_down_their_own_ladder(by_slug):
    # A caution that says "go back to the X" must name an easier rung of the same ladder.
    names = {entry["name"].lower(): slug for slug, entry in by_slug.items()}
    below = {entry["progression"]: slug for slug, entry in by_slug.items() if entry["progression"]}
    checked = 0
    for slug, entry in by_slug.items():
        easier, current = set(), slug
        while current in below:
            current = below[current]
            easier.add(current)
        for caution in entry["cautions"]:
            for name, named_slug in names.items():
                if f"go back to the {name}" in caution.lower():
                    checked += 1
                    assert named_slug in easier, f"{slug}: {caution!r}"
    assert checked >= 4


def test_precaution_tags_are_known_codes_and_follow_clinical_md(library):
    from ptrx.plans.domain.precautions import PRECAUTION_CODES

    tags = {entry["slug"]: set(entry["precautions"]) for entry in library}
    assert all(codes <= set(PRECAUTION_CODES) for codes in tags.values())
    # CLINICAL.md §9 names these: no prone lying and no loaded abdominal work in
    # pregnancy; knee to opposite shoulder and knee to chest after a posterior hip
    # replacement; curl-up and knee-to-chest pulls with osteoporosis.
    assert {"pregnancy", "postpartum"} <= tags["prone-hip-extension"] & tags["mcgill-curl-up"] & tags[
        "dead-bug-full"
    ]
    assert "posterior_hip_replacement" in tags["knee-to-opposite-shoulder"] & tags["single-knee-to-chest"]
    assert "osteoporosis" in tags["mcgill-curl-up"] & tags["single-knee-to-chest"]
    # Clearance and the hold cap change no exercise choice.
    assert not any({"recent_procedure", "uncontrolled_hypertension"} & codes for codes in tags.values())
