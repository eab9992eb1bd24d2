"""Plans in the admin: edit the prescriptions, move the plan through its life with the
services (which say why when they refuse), duplicate it, and follow the patient up."""

from collections.abc import Callable
from functools import partial
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.checks import InlineModelAdminChecks
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import ForeignKey, QuerySet
from django.forms import modelformset_factory
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from ptrx.outcomes.follow_up import outcome_trends
from ptrx.plans.admin.forms import (
    ExercisePicker,
    PlanDuplicateForm,
    PrescriptionForm,
    PrescriptionFormSet,
)
from ptrx.plans.admin.interop import PlanDownloadsMixin
from ptrx.plans.admin.pages import render_form_page
from ptrx.plans.admin.plan_page import plan_page_context, prescription_step_view
from ptrx.plans.admin.precautions import precaution_changes_html
from ptrx.plans.admin.scoping import TherapistScopedAdmin, not_found
from ptrx.plans.charts import adherence_chart, pain_chart
from ptrx.plans.domain.dose import dose_text
from ptrx.plans.domain.red_flags import RED_FLAGS, positive_red_flags
from ptrx.plans.models import Patient, Plan, PlanStatus, Prescription
from ptrx.plans.selectors import patient_local_today, plan_follow_up, plan_phase_options
from ptrx.plans.services.plans import (
    TRANSITIONS,
    plan_activate,
    plan_cancel,
    plan_complete,
    plan_duplicate,
    plan_pause,
)
from ptrx.plans.services.prescriptions import EDITABLE_STATUSES


def _pause(*, plan: Plan) -> Plan:
    return plan_pause(plan=plan, reason="Paused by the therapist.")


def _cancel(*, plan: Plan) -> Plan:
    return plan_cancel(plan=plan, reason="Withdrawn by the therapist.")


# Submit-button name -> (status it moves to, service, past tense for messages).
STATUS_BUTTONS: dict[str, tuple[str, Callable[..., Plan], str]] = {
    "_activate": (PlanStatus.ACTIVE, plan_activate, "activated"),
    "_pause": (PlanStatus.PAUSED, _pause, "paused"),
    "_complete": (PlanStatus.COMPLETED, plan_complete, "completed"),
}


BASELINE_HELP = (
    "The patient's usual next-morning pain (0-10) at intake. The plan advances only when "
    "next-morning pain is back to it, and 5/10 or less. Left empty, the baseline is the lower "
    "median next-morning pain of the check-ins in the plan's first 7 days (the plan holds "
    "until there is one). It stays the same through every phase."
)

DUPLICATE_NOTE = "The copy keeps every phase and prescription; sided exercises follow the new patient's side."


class PrescriptionInlineChecks(InlineModelAdminChecks):
    # A prescription reaches its plan through its phase, not a foreign key to Plan;
    # PrescriptionFormSet does the joining, so the usual foreign-key check does not apply.
    def _check_relation(self, obj: Any, parent_model: Any) -> list[Any]:
        return []


class PrescriptionInline(admin.TabularInline):
    """Every prescription of the plan, phase by phase, saved through the services."""

    model = Prescription
    # Phases as sections with their week and an empty row each (ptrx.plans.admin.plan_page).
    template = "admin/plans/plan/prescriptions_inline.html"
    form = PrescriptionForm
    formset = PrescriptionFormSet  # type: ignore[assignment]  # a model formset joined by phase
    checks_class = PrescriptionInlineChecks
    fields = PrescriptionForm.Meta.fields
    extra = 1
    autocomplete_fields = ("exercise",)
    verbose_name = "prescription"
    verbose_name_plural = "prescriptions (blank dose fields on a new row take the library's default)"

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        fields = kwargs.pop("fields", None) or flatten_fieldsets(self.get_fieldsets(request, obj))
        return modelformset_factory(
            Prescription,
            form=self.form,
            formset=self.formset,
            fields=fields,
            formfield_callback=partial(self.formfield_for_dbfield, request=request),  # type: ignore[arg-type]
            extra=self.get_extra(request, obj),
            can_delete=self.has_delete_permission(request, obj),
            **kwargs,
        )

    def get_extra(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> int:
        return len(obj.phases.all()) if obj is not None else 1  # an empty row in each phase

    def formfield_for_foreignkey(self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "exercise":
            kwargs["widget"] = ExercisePicker(db_field, self.admin_site)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Plan)
class PlanAdmin(PlanDownloadsMixin, TherapistScopedAdmin):
    list_display = ("title", "patient", "status", "current_phase", "start_date", "auto_progress")
    list_filter = ("status", "auto_progress")
    search_fields = (
        "title",
        "patient__user__username",
        "patient__user__first_name",
        "patient__user__last_name",
    )
    list_select_related = ("patient__user",)
    inlines = (PrescriptionInline,)
    actions = ("activate_plans", "pause_plans", "complete_plans", "cancel_plans")
    change_form_template = "admin/plans/plan/change_form.html"
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "patient_link",
                    "title",
                    "status",
                    "status_reason",
                    "start_date",
                    "current_phase",
                    "auto_progress",
                    "baseline_pain",
                )
            },
        ),
        (
            "Generated for",
            {
                "fields": ("branch_list", "side", "irritability", "created_by", "created_at"),
                "classes": ("collapse",),  # issue 18: the glance at the top says it
            },
        ),
        # What the patient's precautions changed in the plan stays in view (issue 16).
        ("Precautions", {"fields": ("precautions",)}),
        ("Options for the current phase", {"fields": ("phase_options",)}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Plan]:
        return super().get_queryset(request).select_related("patient__user", "created_by")

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "baseline_pain":
            kwargs.update(min_value=0, max_value=10, help_text=BASELINE_HELP, label="Baseline pain")
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = [
            "patient_link",
            "status",
            "status_reason",
            "current_phase",
            "branch_list",
            "side",
            "irritability",
            "precautions",
            "created_by",
            "created_at",
            "phase_options",
        ]
        # Once a plan has started, its start is history that adherence is counted from.
        if obj is None or obj.status != PlanStatus.DRAFT:
            readonly.append("start_date")
        return readonly

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Plans are generated from a patient's page or duplicated, never typed in blank.
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.status not in EDITABLE_STATUSES:
            return False  # a completed or cancelled plan is the record of what was done
        return super().has_change_permission(request, obj)

    @admin.display(description="patient")
    def patient_link(self, plan: Plan) -> SafeString:
        url = reverse("admin:plans_patient_change", args=[plan.patient_id])
        return format_html('<a href="{}">{}</a>', url, plan.patient)

    @admin.display(description="branches")
    def branch_list(self, plan: Plan) -> str:
        return ", ".join(plan.branches)

    @admin.display(description="precautions")
    def precautions(self, plan: Plan) -> SafeString:
        return precaution_changes_html(plan)

    @admin.display(description="options to add when ready")
    def phase_options(self, plan: Plan) -> SafeString | str:
        """The protocol's harder options for the current phase, with why and when."""
        options = plan_phase_options(plan=plan)
        if not options:
            return "none for this phase"
        return format_html_join(
            "",
            "<div><strong>{}</strong> ({}): {}</div>",
            (
                (
                    entry.exercise.name,
                    dose_text(sets=entry.sets, reps=entry.reps, hold_seconds=entry.hold_seconds),
                    entry.notes,
                )
                for entry in options
            ),
        )

    # --- the page -----------------------------------------------------------------

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        if obj is not None:
            follow_up = plan_follow_up(plan=obj, end=patient_local_today(patient=obj.patient))
            context["follow_up"] = follow_up
            # The charts escape every text they contain (ptrx.plans.charts).
            context["adherence_svg"] = mark_safe(adherence_chart(follow_up.adherence.by_day))  # noqa: S308
            context["pain_svg"] = mark_safe(  # noqa: S308
                pain_chart([(day.date, day.pain_during, day.pain_next_morning) for day in follow_up.pain])
            )
            context["outcome_trends"] = outcome_trends(obj.patient)
            context["can_duplicate"] = request.user.has_perm("plans.add_plan")
            context.update(plan_page_context(request, obj, context))  # issue 18: the plan page
            context["red_flags"] = [RED_FLAGS[code][1] for code in positive_red_flags(obj.patient.red_flags)]
            if self.has_change_permission(request, obj):
                context["status_buttons"] = [
                    (name, f"Save and {verb.removesuffix('d')}")
                    for name, (target, _service, verb) in STATUS_BUTTONS.items()
                    if obj.status in TRANSITIONS[target]
                ]
        return super().render_change_form(request, context, add, change, form_url, obj)

    def response_change(self, request: HttpRequest, obj: Plan) -> HttpResponse:
        for name, (_target, service, verb) in STATUS_BUTTONS.items():
            if name in request.POST:
                self._move(request, obj, service, verb)
                return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def _move(self, request: HttpRequest, plan: Plan, service: Callable[..., Plan], verb: str) -> bool:
        """Call a status service; its refusal (a red flag, another active plan) is shown as is."""
        try:
            service(plan=plan)
        except ValidationError as exc:
            self.message_user(
                request, f'"{plan.title}" for {plan.patient}: {" ".join(exc.messages)}', messages.ERROR
            )
            return False
        self.log_change(request, plan, f"Plan {verb}.")
        self.message_user(request, f'"{plan.title}" for {plan.patient} is {verb}.', messages.SUCCESS)
        return True

    # --- actions on the list --------------------------------------------------

    def _move_all(
        self, request: HttpRequest, plans: QuerySet[Plan], service: Callable[..., Plan], verb: str
    ) -> None:
        for plan in plans.select_related("patient__user"):
            self._move(request, plan, service, verb)

    @admin.action(description="Activate selected plans", permissions=["change"])
    def activate_plans(self, request: HttpRequest, queryset: QuerySet[Plan]) -> None:
        self._move_all(request, queryset, plan_activate, "activated")

    @admin.action(description="Pause selected plans", permissions=["change"])
    def pause_plans(self, request: HttpRequest, queryset: QuerySet[Plan]) -> None:
        self._move_all(request, queryset, _pause, "paused")

    @admin.action(description="Complete selected plans", permissions=["change"])
    def complete_plans(self, request: HttpRequest, queryset: QuerySet[Plan]) -> None:
        self._move_all(request, queryset, plan_complete, "completed")

    @admin.action(description="Cancel selected plans", permissions=["change"])
    def cancel_plans(self, request: HttpRequest, queryset: QuerySet[Plan]) -> None:
        self._move_all(request, queryset, _cancel, "cancelled")

    # --- duplicating --------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        duplicate = path(
            "<path:object_id>/duplicate/",
            self.admin_site.admin_view(self.duplicate_view),
            name="plans_plan_duplicate",
        )
        step = path(
            "<path:object_id>/step/",
            self.admin_site.admin_view(partial(prescription_step_view, self)),
            name="plans_plan_step",
        )
        return [duplicate, step, *super().get_urls()]

    def duplicate_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """A draft copy of the plan for one of the therapist's patients."""
        plan = self.get_object(request, unquote(object_id))
        if plan is None:
            return not_found(self, request, object_id)
        if not request.user.has_perm("plans.add_plan"):
            raise PermissionDenied
        patients = self.admin_site.get_model_admin(Patient).get_queryset(request)
        form = PlanDuplicateForm(
            request.POST if request.method == "POST" else None, patients=patients, admin_site=self.admin_site
        )
        if form.is_valid():
            copy = plan_duplicate(
                plan=plan,
                patient=form.cleaned_data["patient"],
                start=form.cleaned_data["start"],
                created_by=request.user,
            )
            self.log_addition(request, copy, f"Duplicated from plan {plan.pk}.")
            self.message_user(request, f"Draft copy made for {copy.patient}.", messages.SUCCESS)
            return redirect(reverse("admin:plans_plan_change", args=[copy.pk]))
        return render_form_page(
            self,
            request,
            form=form,
            original=plan,
            title="Duplicate a plan",
            submit_label="Make a draft copy",
            note=DUPLICATE_NOTE,
        )
