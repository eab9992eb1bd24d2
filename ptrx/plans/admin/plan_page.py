"""The plan page's own parts: the patient in one glance, the phases as sections (each
with its rows and its week), and the one-click step to an easier or harder rung."""

from dataclasses import dataclass
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.helpers import InlineAdminForm, InlineAdminFormSet
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from ptrx.plans.admin.scoping import not_found
from ptrx.plans.models import Plan, Prescription
from ptrx.plans.selectors import patient_local_today
from ptrx.plans.selectors.plan_page import plan_glance
from ptrx.plans.selectors.plans import PhaseWeek, plan_weeks
from ptrx.plans.services.plan_views import plan_view_record
from ptrx.plans.services.prescriptions import EASIER, HARDER, prescription_step

# The order the phases come on the page: the current one open first, the later ones
# below it, the past ones folded at the end.
SECTION_ORDER = {"current": 0, "upcoming": 1, "completed": 2}


@dataclass
class PhaseSection:
    week: PhaseWeek
    rows: list[InlineAdminForm]

    @property
    def folded(self) -> bool:
        return self.week.status == "completed"


def _row_name(form: Any) -> str:
    exercise = getattr(form, "cleaned_data", {}).get("exercise")
    if exercise is None and form.instance.pk is not None:
        exercise = form.instance.exercise
    return exercise.name if exercise is not None else "new row"


def phase_sections(
    inline_admin_formset: InlineAdminFormSet, weeks: list[PhaseWeek]
) -> tuple[list[PhaseSection], list[str]]:
    """The formset's rows grouped by the phase each row shows (the posted one after a
    refused save, so no edit is lost), and each row's errors named by phase, row and
    exercise."""
    sections = {str(week.phase.pk): PhaseSection(week=week, rows=[]) for week in weeks}
    current = next((key for key, section in sections.items() if section.week.status == "current"), None)
    for row in inline_admin_formset:
        if str(row.form.prefix).endswith("__prefix__"):
            continue  # the admin's template row for adding by script; each phase has its own
        key = str(row.form["phase"].value())
        section = sections.get(key) or sections.get(current or "")
        if section is not None:
            section.rows.append(row)
    problems = []
    for section in sections.values():
        for position, row in enumerate(section.rows, start=1):
            form = row.form
            if not form.errors:
                continue
            text = " ".join(
                str(message) if field == "__all__" else f"{form.fields[field].label or field}: {message}"
                for field, field_messages in form.errors.items()
                for message in field_messages
            )
            problems.append(f"Phase {section.week.number}, row {position} ({_row_name(form)}): {text}")
    ordered = sorted(sections.values(), key=lambda s: (SECTION_ORDER[s.week.status], s.week.number))
    return ordered, problems


def plan_page_context(request: HttpRequest, plan: Plan, context: dict[str, Any]) -> dict[str, Any]:
    """What the page adds to the admin's change form. A GET records that this therapist
    opened the plan; the changes shown are those since the time before."""
    since = None
    if request.method == "GET":
        since = plan_view_record(plan=plan, therapist=request.user, now=timezone.now())  # type: ignore[arg-type]
    else:
        previous = plan.views.filter(therapist=request.user).first()  # type: ignore[misc]
        since = previous.last_seen_at if previous else None
    sections: list[PhaseSection] = []
    problems: list[str] = []
    formsets = context.get("inline_admin_formsets") or []
    weeks = plan_weeks(plan=plan)
    if formsets:
        sections, problems = phase_sections(formsets[0], weeks)
    return {
        "glance": plan_glance(plan=plan, today=patient_local_today(patient=plan.patient), since=since),
        "phase_sections": sections,
        "row_problems": problems,
        "step_url": reverse("admin:plans_plan_step", args=[plan.pk]),
    }


def prescription_step_view(
    model_admin: admin.ModelAdmin, request: HttpRequest, object_id: str
) -> HttpResponse:
    """POST `step=<prescription id>:<easier|harder>`: move that prescription of the plan
    to the neighbouring rung of its ladder; a refusal is shown naming the row."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    plan = model_admin.get_object(request, unquote(object_id))
    if plan is None:
        return not_found(model_admin, request, object_id)
    if not model_admin.has_change_permission(request, plan):
        raise PermissionDenied
    change_url = reverse("admin:plans_plan_change", args=[plan.pk])
    pk, _, direction = str(request.POST.get("step", "")).partition(":")
    prescription = (
        Prescription.objects.filter(phase__plan=plan, pk=int(pk)).select_related("phase", "exercise").first()
        if pk.isdigit() and direction in (EASIER, HARDER)
        else None
    )
    if prescription is None:
        model_admin.message_user(request, "Choose a prescription of this plan to step.", messages.ERROR)
        return HttpResponseRedirect(change_url)
    row = f"Phase {prescription.phase.number}, {prescription.exercise.name}"
    try:
        stepped = prescription_step(prescription=prescription, direction=direction)
    except ValidationError as exc:
        model_admin.message_user(request, f"{row}: not changed. {' '.join(exc.messages)}", messages.ERROR)
        return HttpResponseRedirect(f"{change_url}#phase-{prescription.phase.number}")
    # Recorded in the admin's history as the page's own save records a row it changed.
    fields = ["exercise", "sets", "reps", "hold_seconds", "sessions_per_day", "days_of_week", "side", "notes"]
    model_admin.log_change(
        request, plan, [{"changed": {"name": "prescription", "object": str(stepped), "fields": fields}}]
    )
    model_admin.message_user(
        request,
        f"{row} is now {stepped.exercise.name} ({direction}), at the library's default dose "
        f"{stepped.sets}x{stepped.reps} on the same days.",
        messages.SUCCESS,
    )
    return HttpResponseRedirect(f"{change_url}#phase-{prescription.phase.number}")
