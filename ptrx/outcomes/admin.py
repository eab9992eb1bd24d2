"""Outcome measures in the admin: the definitions, the patients' responses, a response
recorded on the patient's behalf (a clinic visit), and the trends the plan page shows."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from ptrx.outcomes.domain import Instrument
from ptrx.outcomes.models import Questionnaire, QuestionnaireResponse
from ptrx.outcomes.selectors import instrument_of, patient_branches, questionnaire_list
from ptrx.outcomes.services import response_record
from ptrx.plans.admin.forms import add_service_errors
from ptrx.plans.admin.pages import render_form_page
from ptrx.plans.admin.scoping import TherapistScopedAdmin, not_found
from ptrx.plans.models import Patient


@admin.register(Questionnaire)
class QuestionnaireAdmin(admin.ModelAdmin):
    """The definitions, loaded by `load_questionnaires`; read here, changed in the files."""

    list_display = ("name", "code", "scoring", "first_day", "is_active")
    readonly_fields = ("code", "name", "items", "scoring", "min_answered", "meaningful_change", "first_day")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class ResponseForm(forms.Form):
    """One field per item of the instrument, and the date it was answered."""

    date = forms.DateField(initial=timezone.localdate, help_text="The day the patient answered")

    def __init__(self, *args: Any, instrument: Instrument, branches: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for item in instrument.items:
            field: forms.Field
            if item.choices:
                choices = [("", "---"), *((c.value, c.label) for c in item.choices)]
                field = forms.TypedChoiceField(choices=choices, coerce=int, empty_value=None)
            else:
                field = forms.IntegerField(min_value=item.low, max_value=item.high)
            field.required = False
            field.label = item.text_for(branches)
            field.help_text = "Optional" if item.optional else ""
            self.fields[item.key] = field
        self.item_keys = [item.key for item in instrument.items]

    def answers(self) -> dict[str, int]:
        return {
            key: self.cleaned_data[key] for key in self.item_keys if self.cleaned_data.get(key) is not None
        }


@admin.register(QuestionnaireResponse)
class QuestionnaireResponseAdmin(TherapistScopedAdmin):
    list_display = ("patient", "questionnaire", "date", "score", "worse", "recorded_by")
    list_filter = ("questionnaire", "worse")
    list_select_related = ("patient__user", "questionnaire", "recorded_by")
    readonly_fields = ("patient", "questionnaire", "plan", "date", "answers", "score", "worse", "recorded_by")
    exclude = ("client_id",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # recorded from the patient's page, through the service

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a response is a record of what was answered

    def has_record_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("outcomes.add_questionnaireresponse")

    def get_urls(self) -> list[URLPattern]:
        record = path(
            "record/<int:patient_id>/<slug:code>/",
            self.admin_site.admin_view(self.record_view),
            name="outcomes_questionnaireresponse_record",
        )
        return [record, *super().get_urls()]

    def record_view(self, request: HttpRequest, patient_id: int, code: str) -> HttpResponse:
        """Record a response on the patient's behalf: the same scoring and checks as the app."""
        if not self.has_record_permission(request):
            raise PermissionDenied
        patients = self.admin_site.get_model_admin(Patient).get_queryset(request)
        patient = patients.filter(pk=patient_id).first()
        questionnaire = questionnaire_list().filter(code=code).first()
        if patient is None or questionnaire is None:
            return not_found(self, request, f"{patient_id}/{code}")
        form = ResponseForm(
            request.POST if request.method == "POST" else None,
            instrument=instrument_of(questionnaire),
            branches=patient_branches(patient),
        )
        if form.is_valid():
            try:
                response, _created = response_record(
                    patient=patient,
                    code=code,
                    answers=form.answers(),
                    date=form.cleaned_data["date"],
                    recorded_by=request.user,
                )
            except ValidationError as exc:
                _item_errors_on_fields(form, exc)
            else:
                self.log_addition(request, response, "Recorded on the patient's behalf.")
                self.message_user(
                    request,
                    f"{questionnaire.name} recorded for {patient}: {response.score:g}.",
                    messages.SUCCESS,
                )
                return redirect(reverse("admin:plans_patient_change", args=[patient.pk]))
        return render_form_page(
            self,
            request,
            form=form,
            original=patient,
            title=f"Record the {questionnaire.name}",
            submit_label="Record the response",
            note="Scored as when the patient answers in the app; an item left blank counts as not answered.",
        )


def _item_errors_on_fields(form: ResponseForm, error: ValidationError) -> None:
    """The service names each item in its `answers` messages ("key: problem"): put each
    on its field, the rest above the form."""
    messages_by_field = error.message_dict if hasattr(error, "error_dict") else {}
    for message in messages_by_field.pop("answers", []):
        key, _sep, problem = message.partition(": ")
        form.add_error(key if key in form.fields else None, problem or message)
    if messages_by_field:
        add_service_errors(form, ValidationError(messages_by_field))
    elif not hasattr(error, "error_dict"):
        add_service_errors(form, error)
