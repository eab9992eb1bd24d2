"""Sliders before tensioners when a plan advances (CLINICAL.md §4)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from ptrx.exercises.models import Category
from ptrx.plans.domain import (
    Reason,
    is_tensioner,
    slider_unquiet,
    tensioner_deferral,
)
from ptrx.plans.domain.generation import FALLBACK_NOTE
from ptrx.plans.domain.progression import WINDOW_DAYS
from ptrx.plans.models import (
    Completion,
    Prescription,
)


def tensioners_check(advanced: Sequence[tuple[int, int, dt.date]]) -> dict[int, tuple[Reason, ...]]:
    """Sliders before tensioners (CLINICAL.md §4) for each (plan id, new phase, date) just
    advanced into: where the new phase prescribes a tensioner beside a slider (its
    fallback), the tensioner stays only when the plan's logs of that slider's exercise
    over the 7 days before the date (whatever phase they were in) are quiet
    (tensioner_deferral). Otherwise it is removed, so the phase keeps the slider alone,
    the slider's fallback note (which speaks of the tensioner) is cleared, and the plan
    gets the reason. Up to six statements however many plans.

    A tensioner the patient already logged (a plan back in a phase it was in before) is
    not removed: that would erase their record (prescription_removal_problem refuses it
    too). It stays, and the therapist is asked to review it.
    """
    if not advanced:
        return {}
    into = {plan_id: (to_phase, on) for plan_id, to_phase, on in advanced}
    sliders: dict[int, set[int]] = {}  # plan id -> exercise ids of the new phase's sliders
    tensioners: dict[int, list[int]] = {}  # plan id -> the new phase's tensioner prescriptions
    fallbacks: dict[int, list[int]] = {}  # plan id -> its sliders' prescriptions noted as fallback
    for prescription_id, plan_id, number, exercise_id, slug, notes in Prescription.objects.filter(
        phase__plan_id__in=into,
        phase__number__in={to_phase for to_phase, _on in into.values()},
        exercise__category=Category.NEURODYNAMIC_GLIDE,
    ).values_list("pk", "phase__plan_id", "phase__number", "exercise_id", "exercise__slug", "notes"):
        if number != into[plan_id][0]:
            continue
        if is_tensioner(slug):
            tensioners.setdefault(plan_id, []).append(prescription_id)
        else:
            sliders.setdefault(plan_id, set()).add(exercise_id)
            if notes == FALLBACK_NOTE:
                fallbacks.setdefault(plan_id, []).append(prescription_id)
    paired = [plan_id for plan_id in tensioners if plan_id in sliders]
    if not paired:
        return {}
    pains: dict[int, list[int]] = {plan_id: [] for plan_id in paired}
    for plan_id, exercise_id, day, pain in Completion.objects.filter(
        plan_id__in=paired,
        prescription__exercise_id__in=set().union(*(sliders[plan_id] for plan_id in paired)),
        date__gte=min(into[plan_id][1] for plan_id in paired) - dt.timedelta(days=WINDOW_DAYS),
        date__lt=max(into[plan_id][1] for plan_id in paired),
        pain_during__isnull=False,
    ).values_list("plan_id", "prescription__exercise_id", "date", "pain_during"):
        on = into[plan_id][1]
        in_window = on - dt.timedelta(days=WINDOW_DAYS) <= day < on
        if pain is not None and exercise_id in sliders[plan_id] and in_window:
            pains[plan_id].append(pain)
    deferred = {plan_id: reason for plan_id in paired if (reason := tensioner_deferral(pains[plan_id]))}
    if not deferred:
        return {}
    to_remove = [prescription_id for plan_id in deferred for prescription_id in tensioners[plan_id]]
    logged = set(
        Completion.objects.filter(prescription_id__in=to_remove).values_list("prescription_id", flat=True)
    )
    Prescription.objects.filter(pk__in=[pk for pk in to_remove if pk not in logged]).delete()
    added: dict[int, tuple[Reason, ...]] = {}
    alone: list[int] = []  # slider prescriptions left without the tensioner they stood beside
    for plan_id, reason in deferred.items():
        if not any(pk in logged for pk in tensioners[plan_id]):
            alone.extend(fallbacks.get(plan_id, ()))
        else:
            reason = Reason(
                "tensioner_review",
                f"The tensioner should wait ({slider_unquiet(pains[plan_id])}) but was kept: "
                "sessions of it are already logged, and removing it would erase them. "
                "Please review it.",
            )
        added[plan_id] = (reason,)
    # The fallback note speaks of the harder glide beside it, which is gone.
    Prescription.objects.filter(pk__in=alone).update(notes="")
    return added
