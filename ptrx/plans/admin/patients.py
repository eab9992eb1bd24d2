"""Patients in the admin: set one up with their login in one form, see at a glance who
is doing well, and generate their plan from their page."""

from typing import Any, cast

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import ForeignKey, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.timesince import timesince

from ptrx.outcomes.follow_up import OutcomeWorseFilter
from ptrx.outcomes.selectors import patients_with_outcome_flag, questionnaire_list
from ptrx.plans.admin.forms import (
    PatientChangeForm,
    PatientCreateForm,
    PatientForm,
    PlanGenerateForm,
    add_service_errors,
    red_flag_field_names,
)
from ptrx.plans.admin.pages import render_form_page
from ptrx.plans.admin.scoping import TherapistScopedAdmin, not_found
from ptrx.plans.charts import AMBER, RED, adherence_colour
from ptrx.plans.domain.adherence import ADHERENT_PERCENT, ALERT, ALERT_PERCENT, NOTICE, adherence_band
from ptrx.plans.domain.red_flags import EMERGENCY, RED_FLAGS, URGENT, positive_red_flags
from ptrx.plans.models import Patient, Plan, PlanStatus
from ptrx.plans.selectors import (
    patient_list_follow_up,
    patient_local_today,
)
from ptrx.plans.services.plans import plan_generate

RED_FLAG_HELP = (
    "Screen at intake and whenever symptoms change (CLINICAL.md §5). Any yes stops exercise: "
    "no plan can be activated until the screen is clear. New saddle numbness or bladder or "
    "bowel change is never explained away as the inferior cluneal nerve: always escalate."
)


PRECAUTION_HELP = (
    "Screen at intake (CLINICAL.md §9). The plan generator leaves out or swaps what each "
    "precaution rules out. After a recent procedure no plan is activated until you record "
    "the clearance date. The patient never sees these."
)


class RedFlagFilter(admin.SimpleListFilter):
    title = "red flag"
    parameter_name = "red_flag"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Positive screen"), ("no", "Clear screen")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() in ("yes", "no"):
            return queryset.filter(has_red_flag=self.value() == "yes")
        return queryset


class FlareFilter(admin.SimpleListFilter):
    title = "flare in the last 7 days"
    parameter_name = "flare"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() in ("yes", "no"):
            return queryset.filter(recent_flare=self.value() == "yes")
        return queryset


class AdherenceFilter(admin.SimpleListFilter):
    title = "7-day adherence"
    parameter_name = "adherence"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("alert", f"Below {ALERT_PERCENT}%"),
            ("notice", f"{ALERT_PERCENT}-{ADHERENT_PERCENT - 1}%"),
            ("adherent", f"{ADHERENT_PERCENT}% or more"),
            ("none", "No data yet"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        match self.value():
            case "alert":
                return queryset.filter(adherence_7d__lt=ALERT_PERCENT)
            case "notice":
                return queryset.filter(adherence_7d__gte=ALERT_PERCENT, adherence_7d__lt=ADHERENT_PERCENT)
            case "adherent":
                return queryset.filter(adherence_7d__gte=ADHERENT_PERCENT)
            case "none":
                return queryset.filter(adherence_7d__isnull=True)
        return queryset


class PlanInline(admin.TabularInline):
    """The patient's plans, each a link to its page."""

    model = Plan
    fields = ("title", "status", "start_date", "current_phase")
    readonly_fields = fields
    show_change_link = True
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _badge(text: str, colour: str) -> SafeString:
    return format_html(
        '<span class="ptrx-flag" style="color:#fff;background:{};border-radius:3px;padding:0 4px;'
        'margin-right:3px;white-space:nowrap">{}</span>',
        colour,
        text,
    )


@admin.register(Patient)
class PatientAdmin(TherapistScopedAdmin):
    therapist_lookup = "therapist"
    form = PatientChangeForm
    add_form = PatientCreateForm
    list_display = ("name", "plan", "adherence", "last_activity", "flags", "branch_list", "side")
    list_filter = (RedFlagFilter, FlareFilter, AdherenceFilter, OutcomeWorseFilter, "irritability")
    search_fields = ("user__username", "user__first_name", "user__last_name", "user__email")
    readonly_fields = ("username", "created_at")
    change_form_template = "admin/plans/patient/change_form.html"

    # --- the list ---------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet[Patient]:
        patients = super().get_queryset(request).select_related("user", "therapist")
        return patients_with_outcome_flag(
            patients=patient_list_follow_up(patients=patients, now=timezone.now())
        )

    def get_list_display(self, request: HttpRequest) -> Any:
        if request.user.is_superuser:
            return (*self.list_display, "therapist")
        return self.list_display

    def get_list_filter(self, request: HttpRequest) -> Any:
        if request.user.is_superuser:
            return (*self.list_filter, ("therapist", admin.RelatedOnlyFieldListFilter))
        return self.list_filter

    @admin.display(description="patient", ordering="user__username")
    def name(self, patient: Patient) -> str:
        return f"{patient} ({patient.user.username})" if patient.user.get_full_name() else str(patient)

    @admin.display(description="plan", ordering="plan_status")
    def plan(self, patient: Any) -> str:
        if patient.plan_status is None:
            return "none"
        status = PlanStatus(patient.plan_status).label
        return f"{status}, phase {patient.plan_phase}"

    @admin.display(description="7-day adherence", ordering="adherence_7d")
    def adherence(self, patient: Any) -> SafeString | str:
        if patient.adherence_7d is None:
            return "no data"
        percent = int(patient.adherence_7d)
        return format_html(
            '<strong style="color:{}">{}%</strong> <small>({} of {})</small>',
            adherence_colour(percent),
            percent,
            patient.completed_7d,
            patient.prescribed_7d,
        )

    @admin.display(description="last activity", ordering="last_activity")
    def last_activity(self, patient: Any) -> SafeString | str:
        if patient.last_activity is None:
            return "never"
        return format_html(
            '<span title="{}">{} ago</span>',
            timezone.localtime(patient.last_activity).strftime("%Y-%m-%d %H:%M"),
            timesince(patient.last_activity),
        )

    @admin.display(description="flags")
    def flags(self, patient: Any) -> SafeString:
        badges = []
        if patient.has_red_flag:
            badges.append(_badge("red flag", RED))
        if patient.recent_flare:
            badges.append(_badge("flare", AMBER))
        if patient.outcome_worse:
            badges.append(_badge("outcome worse", RED))
        band = None if patient.adherence_7d is None else adherence_band(int(patient.adherence_7d))
        if band in (NOTICE, ALERT):
            threshold = ALERT_PERCENT if band == ALERT else ADHERENT_PERCENT
            badges.append(_badge(f"adherence < {threshold}%", RED if band == ALERT else AMBER))
        return format_html_join("", "{}", ((badge,) for badge in badges))

    @admin.display(description="branches")
    def branch_list(self, patient: Patient) -> str:
        return ", ".join(patient.branches)

    # --- the add and change pages ---------------------------------------------

    @admin.display(description="username")
    def username(self, patient: Patient) -> str:
        return patient.user.username

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        care = ["branches", "side", "irritability"]
        if request.user.is_superuser:
            care.insert(0, "therapist")
        login = (
            ("username", "first_name", "last_name", "email", "password1", "password2")
            if obj is None
            else ("username", "first_name", "last_name", "email", "created_at")
        )
        return (
            ("Patient and login", {"fields": login}),
            ("Care", {"fields": care}),
            ("Reminders", {"fields": ("timezone", "reminder_time", "reminders_enabled")}),
            (
                "Red-flag screen: emergency (possible cauda equina syndrome)",
                {"fields": red_flag_field_names(EMERGENCY), "description": RED_FLAG_HELP},
            ),
            (
                "Red-flag screen: urgent (refer before exercise)",
                {"fields": [*red_flag_field_names(URGENT), "red_flags_screened_on"]},
            ),
            (
                "Precautions before exercise",
                {"fields": ("precautions", "precautions_cleared_on"), "description": PRECAUTION_HELP},
            ),
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else ()

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        return [PlanInline] if obj is not None else []

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        kwargs["form"] = self.add_form if obj is None else self.form
        form = cast(type[PatientForm], super().get_form(request, obj, change=change, **kwargs))
        form.acting_user = request.user
        return form

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {"therapist": request.user.pk, **super().get_changeform_initial_data(request)}

    def formfield_for_foreignkey(self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "therapist":
            kwargs["queryset"] = get_user_model().objects.filter(is_staff=True, is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Patient, form: Any, change: bool) -> None:
        if change:
            paused = form.update_patient()
        else:
            created = form.create_patient()
            # The admin goes on to log and redirect with `obj`: make it the new row.
            obj.pk = created.pk
            obj.refresh_from_db()
            paused = []
        self._report_red_flags(request, obj, paused)

    def response_post_save_add(self, request: HttpRequest, obj: Patient) -> HttpResponseRedirect:
        # The next step after creating a patient is their plan, from their own page.
        return HttpResponseRedirect(reverse("admin:plans_patient_change", args=[obj.pk]))

    def _report_red_flags(self, request: HttpRequest, patient: Patient, paused: list[Plan]) -> None:
        """Say what a positive screen means and which plan it paused."""
        flags = positive_red_flags(patient.red_flags)
        if not flags:
            return
        for plan in paused:
            self.message_user(request, f'The active plan "{plan.title}" is paused.', messages.WARNING)
        emergency = [code for code in flags if RED_FLAGS[code][0] == EMERGENCY]
        advice = (
            "Emergency red flag: the patient needs urgent medical care today."
            if emergency
            else "Urgent red flag: refer the patient for medical review before exercise."
        )
        self.message_user(
            request, f"{advice} No plan can be activated until the screen is clear.", messages.WARNING
        )

    # --- generating a plan ------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        generate = path(
            "<path:object_id>/generate-plan/",
            self.admin_site.admin_view(self.generate_plan_view),
            name="plans_patient_generate_plan",
        )
        return [generate, *super().get_urls()]

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        context["can_generate_plan"] = obj is not None and request.user.has_perm("plans.add_plan")
        if obj is not None and request.user.has_perm("outcomes.add_questionnaireresponse"):
            context["questionnaires"] = questionnaire_list()
        return super().render_change_form(request, context, add, change, form_url, obj)

    def generate_plan_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """A draft plan from the protocols for the branches, side and irritability given."""
        patient = self.get_object(request, unquote(object_id))
        if patient is None:
            return not_found(self, request, object_id)
        if not request.user.has_perm("plans.add_plan"):
            raise PermissionDenied
        initial = {
            "branches": patient.branches,
            "side": patient.side,
            "irritability": patient.irritability,
            "start": patient_local_today(patient=patient),
        }
        form = PlanGenerateForm(request.POST if request.method == "POST" else None, initial=initial)
        if form.is_valid():
            try:
                plan = plan_generate(
                    patient=patient,
                    start=form.cleaned_data["start"],
                    branches=form.cleaned_data["branches"],
                    side=form.cleaned_data["side"],
                    irritability=form.cleaned_data["irritability"],
                    created_by=request.user,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                self.log_addition(request, plan, f"Generated for {patient}.")
                self.message_user(
                    request,
                    "Draft plan generated. Review the prescriptions, then save and activate it.",
                    messages.SUCCESS,
                )
                return redirect(reverse("admin:plans_plan_change", args=[plan.pk]))
        note = ""
        if positive_red_flags(patient.red_flags):
            note = (
                "This patient's red-flag screen is positive: a plan can be drafted but not "
                "activated until the screen is clear."
            )
        return render_form_page(
            self,
            request,
            form=form,
            original=patient,
            title="Generate a plan",
            submit_label="Generate draft plan",
            note=note,
        )
