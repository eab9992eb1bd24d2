"""What patients logged: completions and check-ins, read-only (they are the patient's
own record, written only through the API's services)."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from ptrx.plans.admin.scoping import TherapistScopedAdmin
from ptrx.plans.domain.red_flags import positive_red_flags
from ptrx.plans.models import CheckIn, Completion, Patient


class PatientFilter(admin.RelatedOnlyFieldListFilter):
    """The patients in the list (so only the therapist's own), named without a query each."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> Any:
        shown = model_admin.get_queryset(request).distinct().values_list(f"{self.field_path}__pk", flat=True)
        return [
            (str(patient.pk), str(patient))
            for patient in Patient.objects.filter(pk__in=shown).select_related("user")
        ]


class ReadOnlyAdmin(TherapistScopedAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Completion)
class CompletionAdmin(ReadOnlyAdmin):
    therapist_lookup = "plan__patient__therapist"
    list_display = (
        "date",
        "patient",
        "exercise",
        "session",
        "sets_done",
        "reps_done",
        "pain_during",
        "effort",
    )
    list_filter = ("date", ("plan__patient", PatientFilter))
    search_fields = (
        "plan__patient__user__username",
        "plan__patient__user__first_name",
        "prescription__exercise__name",
    )
    date_hierarchy = "date"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Completion]:
        return super().get_queryset(request).select_related("plan__patient__user", "prescription__exercise")

    @admin.display(description="patient", ordering="plan__patient__user__username")
    def patient(self, completion: Completion) -> str:
        return str(completion.plan.patient)

    @admin.display(description="exercise", ordering="prescription__exercise__name")
    def exercise(self, completion: Completion) -> str:
        return completion.prescription.exercise.name


@admin.register(CheckIn)
class CheckInAdmin(ReadOnlyAdmin):
    therapist_lookup = "patient__therapist"
    list_display = ("date", "patient", "pain_now", "pain_next_morning", "flare", "red_flag_answers", "note")
    list_filter = ("flare", "date", ("patient", PatientFilter))
    search_fields = ("patient__user__username", "patient__user__first_name", "note")
    date_hierarchy = "date"

    def get_queryset(self, request: HttpRequest) -> QuerySet[CheckIn]:
        return super().get_queryset(request).select_related("patient__user")

    @admin.display(description="red flags")
    def red_flag_answers(self, checkin: CheckIn) -> str:
        return ", ".join(positive_red_flags(checkin.red_flags)) or "none"
