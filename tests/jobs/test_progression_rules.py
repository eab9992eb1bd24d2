"""The progression service's inputs and its phase moves (CLINICAL.md §4): the plan's fixed
baseline, pain from advice items left out, and sliders before tensioners, on the single-plan
path and in the nightly batch."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ptrx.plans.domain import ADVICE_CATEGORIES
from ptrx.plans.domain.generation import FALLBACK_NOTE
from ptrx.plans.models import (
    Completion,
    Notification,
    NotificationKind,
    Patient,
    Phase,
    Plan,
    Prescription,
    ProgressionDecision,
)
from ptrx.plans.services.logs import checkin_record
from ptrx.plans.services.plans import plan_set_phase
from ptrx.plans.services.progress_inputs import progress_input
from ptrx.plans.services.progression import progression_evaluate, progression_evaluate_due
from tests.factories import CLEAR_SCREEN, make_active_plan, make_patient
from tests.jobs.test_progression import log_week, patient_in_phase

pytestmark = pytest.mark.django_db(transaction=True)

SLIDER = "supine-sciatic-slider"
TENSIONER = "supine-sciatic-tensioner"


@pytest.fixture(autouse=True)
def _not_near_midnight() -> None:
    if dt.datetime.now(dt.UTC).time() > dt.time(23, 58):
        pytest.skip("too close to midnight UTC")


@pytest.fixture
def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def active_plan(patient: Patient) -> Plan:
    return Plan.objects.get(patient=patient, status="active")


def codes(decision: ProgressionDecision) -> list[str]:
    return [reason["code"] for reason in decision.reasons]


# -- the plan's baseline ----------------------------------------------------------------


def test_the_intake_rating_is_the_baseline(library: None, today: dt.date) -> None:
    patient = patient_in_phase(today, phase=1)  # first-week next-morning pain 2
    plan = active_plan(patient)
    Plan.objects.filter(pk=plan.pk).update(baseline_pain=1)
    log_week(patient, today)  # next-morning pain 2 every day

    plan.refresh_from_db()
    assert progress_input(plan=plan, on=today).baseline_pain == 1
    decision = progression_evaluate(plan=plan, on=today)
    assert (decision.outcome, codes(decision)) == ("hold", ["next_morning_above_baseline"])


def test_without_intake_the_baseline_is_the_lower_median_of_the_first_week(
    library: None, today: dt.date
) -> None:
    patient = make_patient(timezone_name="UTC")
    start = today - dt.timedelta(days=21)
    plan = make_active_plan(patient, start=start)
    # Inside the first week (start .. start+6): 2, 5, 3, 4 -> lower median 3 (upper: 4).
    for back, morning in ((0, 2), (2, 5), (4, 3), (6, 4)):
        checkin_record(
            red_flags=CLEAR_SCREEN,
            patient=patient,
            date=start + dt.timedelta(days=back),
            pain_now=1,
            pain_next_morning=morning,
        )
    # Outside it, before and after: they would make the median 4.
    checkin_record(
        red_flags=CLEAR_SCREEN,
        patient=patient,
        date=start - dt.timedelta(days=1),
        pain_now=1,
        pain_next_morning=9,
    )
    checkin_record(
        red_flags=CLEAR_SCREEN,
        patient=patient,
        date=start + dt.timedelta(days=7),
        pain_now=1,
        pain_next_morning=9,
    )
    # A check-in without next-morning pain does not count either.
    checkin_record(red_flags=CLEAR_SCREEN, patient=patient, date=start + dt.timedelta(days=1), pain_now=8)

    assert progress_input(plan=plan, on=today).baseline_pain == 3
    # During the first week, the baseline is what the week has given so far.
    assert progress_input(plan=plan, on=start + dt.timedelta(days=3)).baseline_pain == 2


def test_with_no_first_week_check_in_the_plan_holds(library: None, today: dt.date) -> None:
    patient = make_patient(timezone_name="UTC")
    plan = make_active_plan(patient, start=today - dt.timedelta(days=21))
    log_week(patient, today)

    assert progress_input(plan=plan, on=today).baseline_pain is None
    decision = progression_evaluate(plan=plan, on=today)
    assert (decision.outcome, codes(decision)) == ("hold", ["next_morning_unknown"])


def test_the_baseline_does_not_move_when_the_phase_changes(library: None, today: dt.date) -> None:
    patient = patient_in_phase(today, phase=1)  # baseline 2 from the first week
    plan = active_plan(patient)
    before = progress_input(plan=plan, on=today).baseline_pain
    started = today - dt.timedelta(days=7)
    plan = plan_set_phase(plan=plan, number=2, on=started)
    # The first check-in of the new phase reports more pain: the baseline stays.
    checkin_record(red_flags=CLEAR_SCREEN, patient=patient, date=started, pain_now=5, pain_next_morning=5)

    assert before == 2
    assert progress_input(plan=plan, on=today).baseline_pain == 2


def test_back_to_a_red_baseline_does_not_advance(library: None, today: dt.date) -> None:
    # Issue 12's worked example: next-morning 6/10 every day against a baseline of 6.
    patient = patient_in_phase(today, phase=1)
    Plan.objects.filter(patient=patient).update(baseline_pain=6)
    log_week(patient, today, morning=6)

    decision = progression_evaluate(plan=active_plan(patient), on=today)

    assert (decision.outcome, decision.applied) == ("hold", False)
    assert codes(decision) == ["next_morning_red"]
    assert active_plan(patient).current_phase == 1


# -- advice items -----------------------------------------------------------------------


def test_pain_logged_against_advice_never_feeds_progression(library: None, today: dt.date) -> None:
    patient = patient_in_phase(today, phase=1)
    log_week(patient, today)
    plan = active_plan(patient)
    advice = Completion.objects.filter(plan=plan, prescription__exercise__category__in=ADVICE_CATEGORIES)
    assert advice.exists()
    advice.update(pain_during=8)

    days = progress_input(plan=plan, on=today).days
    assert {day.max_pain_during for day in days if day.max_pain_during is not None} == {2}
    decision = progression_evaluate(plan=plan, on=today)
    assert (decision.outcome, codes(decision)) == ("advance", ["criteria_met"])


def test_completions_without_pain_leave_the_day_without_pain(library: None, today: dt.date) -> None:
    patient = patient_in_phase(today, phase=1)
    log_week(patient, today)
    plan = active_plan(patient)
    Completion.objects.filter(plan=plan, date=today - dt.timedelta(days=3)).update(pain_during=None)

    days = {day.date: day for day in progress_input(plan=plan, on=today).days}
    assert days[today - dt.timedelta(days=3)].max_pain_during is None
    assert days[today - dt.timedelta(days=2)].max_pain_during == 2


# -- sliders before tensioners ------------------------------------------------------------


def ready_for_the_tensioner(today: dt.date, *, slider_pain: int | None = 2) -> Patient:
    """A patient in phase 2 whose calm adherent week advances them into phase 3, which brings
    the tensioner beside its fallback slider; the slider's highest pain over the week is
    `slider_pain` (None: logged without a pain score)."""
    patient = patient_in_phase(today, phase=2)
    # Phase 2 lasts at least 2 weeks: started 15 days ago, the 14 days judged are past it.
    Phase.objects.filter(plan__patient=patient, number=2).update(started_on=today - dt.timedelta(days=15))
    log_week(patient, today)
    slider = Completion.objects.filter(plan__patient=patient, prescription__exercise__slug=SLIDER)
    assert slider.exists()
    if slider_pain is None:
        slider.update(pain_during=None)
    else:
        slider.filter(date=today - dt.timedelta(days=2)).update(pain_during=slider_pain)
    return patient


def phase_3_glides(patient: Patient) -> set[str]:
    return set(
        Prescription.objects.filter(
            phase__plan=active_plan(patient), phase__number=3, exercise__category="neurodynamic_glide"
        ).values_list("exercise__slug", flat=True)
    )


def test_the_generated_phase_3_holds_the_tensioner_beside_its_slider(library: None, today: dt.date) -> None:
    patient = patient_in_phase(today, phase=2)
    assert phase_3_glides(patient) == {SLIDER, TENSIONER}


def test_a_quiet_slider_keeps_the_tensioner(library: None, today: dt.date) -> None:
    patient = ready_for_the_tensioner(today, slider_pain=2)

    decision = progression_evaluate(plan=active_plan(patient), on=today)

    assert (decision.outcome, decision.to_phase, decision.applied) == ("advance", 3, True)
    assert codes(decision) == ["criteria_met"]
    assert phase_3_glides(patient) == {SLIDER, TENSIONER}
    slider = Prescription.objects.get(phase__plan__patient=patient, phase__number=3, exercise__slug=SLIDER)
    assert slider.notes == FALLBACK_NOTE


# A slider logged without a pain score has not been shown quiet: the same as no logs.
@pytest.mark.parametrize(
    ("slider_pain", "said"), [(3, "3/10"), (None, "not logged")], ids=["pain-3", "no-pain"]
)
def test_a_slider_not_shown_quiet_defers_the_tensioner(
    library: None, today: dt.date, slider_pain: int | None, said: str
) -> None:
    patient = ready_for_the_tensioner(today, slider_pain=slider_pain)

    decision = progression_evaluate(plan=active_plan(patient), on=today)

    assert (decision.outcome, decision.to_phase, decision.applied) == ("advance", 3, True)
    assert codes(decision) == ["criteria_met", "tensioner_deferred"]
    assert said in decision.reasons[1]["text"]
    assert "slider continues" in decision.reasons[1]["text"]
    assert active_plan(patient).current_phase == 3
    assert phase_3_glides(patient) == {SLIDER}
    # The slider's fallback note spoke of the tensioner beside it.
    slider = Prescription.objects.get(phase__plan__patient=patient, phase__number=3, exercise__slug=SLIDER)
    assert slider.notes == ""
    # Recorded, not alerted: the plan moved on the gentle way.
    assert not Notification.objects.filter(kind=NotificationKind.THERAPIST_ALERT).exists()
    assert ProgressionDecision.objects.get(pk=decision.pk).reasons == decision.reasons


def test_a_tensioner_already_logged_is_kept_for_the_therapist_to_review(
    library: None, today: dt.date
) -> None:
    patient = ready_for_the_tensioner(today, slider_pain=4)
    plan = active_plan(patient)
    tensioner = Prescription.objects.get(phase__plan=plan, phase__number=3, exercise__slug=TENSIONER)
    # Done before, on an earlier stint in phase 3: removing it would erase this.
    Completion.objects.create(
        plan=plan, prescription=tensioner, date=today - dt.timedelta(days=20), sets_done=1, pain_during=1
    )

    decision = progression_evaluate(plan=plan, on=today)

    assert (decision.outcome, decision.applied) == ("advance", True)
    assert codes(decision) == ["criteria_met", "tensioner_review"]
    assert "4/10" in decision.reasons[1]["text"]
    assert phase_3_glides(patient) == {SLIDER, TENSIONER}
    (alert,) = Notification.objects.filter(kind=NotificationKind.THERAPIST_ALERT)
    assert "moved to phase 3" in alert.subject
    assert "removing it would erase them" in alert.body


def tensioner_population(today: dt.date, *, each: int) -> dict[str, list[Patient]]:
    """`each` patients whose slider was quiet, loud (5/10 one day) and logged without pain."""
    kinds: dict[str, list[Patient]] = {}
    for _ in range(each):
        for kind, pain in (("quiet", 2), ("loud", 5), ("unscored", None)):
            kinds.setdefault(kind, []).append(ready_for_the_tensioner(today, slider_pain=pain))
    return kinds


def run_due(today: dt.date) -> int:
    with CaptureQueriesContext(connection) as queries:
        progression_evaluate_due(now=dt.datetime.combine(today, dt.time(12, 0), tzinfo=dt.UTC))
    return len(queries)


def test_the_nightly_batch_checks_every_tensioner_in_a_fixed_number_of_queries(
    library: None, today: dt.date
) -> None:
    tensioner_population(today, each=1)
    few = run_due(today)
    ProgressionDecision.objects.all().delete()
    Plan.objects.all().delete()

    kinds = tensioner_population(today, each=3)
    many = run_due(today)

    assert many == few
    for kind, patients in kinds.items():
        for patient in patients:
            decision = ProgressionDecision.objects.get(plan__patient=patient)
            assert (decision.outcome, decision.applied, active_plan(patient).current_phase) == (
                "advance",
                True,
                3,
            )
            if kind == "quiet":
                assert codes(decision) == ["criteria_met"]
                assert phase_3_glides(patient) == {SLIDER, TENSIONER}
            else:
                assert codes(decision) == ["criteria_met", "tensioner_deferred"]
                assert phase_3_glides(patient) == {SLIDER}
    assert Phase.objects.filter(number=3, started_on=today).count() == 9
