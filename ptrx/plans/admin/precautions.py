"""What a patient's precautions changed in their plan, as the plan page shows it."""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from ptrx.exercises.selectors import exercise_names
from ptrx.plans.domain.precautions import HOLD_CAPPED, SWAPPED, Adjustment
from ptrx.plans.models import Plan


def precaution_changes_html(plan: Plan) -> SafeString:
    """One line a change: the phase, what was swapped or left out for what, and why."""
    changes = [
        Adjustment(
            phase=change["phase"],
            exercise=change["exercise"],
            action=change["action"],
            replacement=change["replacement"],
            precautions=tuple(change["precautions"]),
        )
        for change in plan.precaution_changes or []
    ]
    if not changes:
        return format_html("{}", "none: no precaution changed this plan")
    names = exercise_names(
        slugs={c.exercise for c in changes} | {c.replacement for c in changes if c.replacement}
    )

    def what(change: Adjustment) -> str:
        exercise = names.get(change.exercise, change.exercise)
        if change.action == SWAPPED and change.replacement:
            return f"{exercise} swapped for {names.get(change.replacement, change.replacement)}"
        if change.action == HOLD_CAPPED:
            return f"{exercise}: holds cut to 10 s, with a cue to keep breathing"
        return f"{exercise} left out (nothing allowed to put in its place in this phase)"

    return format_html_join(
        "",
        '<div class="precaution-change">Phase {}: {}. <span class="help">Why: {}.</span></div>',
        ((change.phase, what(change), change.reason) for change in changes),
    )
