"""Plan generation and duplication, and the prescriptions of a plan."""

from typing import Any

from django import forms
from django.contrib.admin.widgets import AdminDateWidget, AutocompleteSelect
from django.core.exceptions import ValidationError
from django.utils import timezone

from ptrx.exercises.models import Branch
from ptrx.plans.admin.forms.fields import KnownLabelsAutocompleteSelect, add_service_errors
from ptrx.plans.domain.dose import WEEKDAY_NAMES
from ptrx.plans.models import Irritability, Patient, Phase, Plan, Prescription, Side
from ptrx.plans.selectors import patient_local_today
from ptrx.plans.services.prescriptions import (
    prescription_add,
    prescription_check_exercise,
    prescription_defaults,
    prescription_removal_problem,
    prescription_remove,
    prescription_reorder,
    prescription_update,
    prescription_validate,
)
from ptrx.plans.validators import validate_branches

DAY_CHOICES = list(enumerate(WEEKDAY_NAMES))
DOSE_FIELDS = ("sets", "reps", "hold_seconds", "sessions_per_day", "days_of_week", "side")


class PlanGenerateForm(forms.Form):
    """What `plan_generate` needs, pre-filled from the patient."""

    branches = forms.MultipleChoiceField(choices=Branch.choices, widget=forms.CheckboxSelectMultiple)
    side = forms.ChoiceField(choices=Side.choices)
    irritability = forms.ChoiceField(choices=Irritability.choices)
    start = forms.DateField(label="Start date", widget=AdminDateWidget)

    def clean_branches(self) -> list[str]:
        branches = self.cleaned_data["branches"]
        validate_branches(branches)
        return list(branches)


class PlanDuplicateForm(forms.Form):
    """A copy of a plan as a draft for a patient, starting on a given day."""

    patient = forms.ModelChoiceField(queryset=Patient.objects.none())
    start = forms.DateField(label="Start date", initial=timezone.localdate, widget=AdminDateWidget)

    def __init__(self, *args: Any, patients: Any, admin_site: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["patient"]
        assert isinstance(field, forms.ModelChoiceField)
        # The admin's own autocomplete over the therapist's patients (scoped by the admin);
        # the queryset is set after it, as setting one hands the widget its choices.
        field.widget = AutocompleteSelect(Plan._meta.get_field("patient"), admin_site)
        field.queryset = patients

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # The initial start is the server's date; left as it is, it means the chosen
        # patient's own today.
        if "start" not in self.changed_data and cleaned.get("patient") is not None:
            cleaned["start"] = patient_local_today(patient=cleaned["patient"])
        return cleaned


class PrescriptionForm(forms.ModelForm):
    """One prescription row on the plan page. On a new row, a blank dose field takes the
    library's default for the exercise."""

    phase = forms.TypedChoiceField(choices=())
    sets = forms.IntegerField(required=False, widget=forms.NumberInput(attrs={"style": "width:4em"}))
    reps = forms.IntegerField(required=False, widget=forms.NumberInput(attrs={"style": "width:4em"}))
    hold_seconds = forms.IntegerField(
        label="Hold (s)", required=False, widget=forms.NumberInput(attrs={"style": "width:4em"})
    )
    sessions_per_day = forms.IntegerField(
        label="Sessions/day", required=False, widget=forms.NumberInput(attrs={"style": "width:4em"})
    )
    days_of_week = forms.TypedMultipleChoiceField(
        label="Days",
        choices=DAY_CHOICES,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "days-of-week"}),
    )
    order = forms.IntegerField(
        required=False, min_value=0, widget=forms.NumberInput(attrs={"style": "width:4em"})
    )

    class Meta:
        model = Prescription
        fields = (
            "phase",
            "exercise",
            "sets",
            "reps",
            "hold_seconds",
            "sessions_per_day",
            "days_of_week",
            "side",
            "notes",
            "order",
        )
        widgets = {"notes": forms.TextInput(attrs={"size": 24})}

    def __init__(
        self,
        *args: Any,
        phases: dict[int, Phase] | None = None,
        initial_phase: Phase | None = None,
        exercise_labels: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        phases = phases or {}
        phase_field = self.fields["phase"]
        assert isinstance(phase_field, forms.TypedChoiceField)
        phase_field.choices = [(pk, f"{phase.number}. {phase.name}") for pk, phase in phases.items()]
        phase_field.coerce = lambda value: phases[int(value)]
        if initial_phase is not None:
            phase_field.initial = initial_phase.pk
        widget = getattr(self.fields["exercise"].widget, "widget", None)
        if isinstance(widget, KnownLabelsAutocompleteSelect):
            widget.labels = exercise_labels or {}
        # The row's cells have no <label> of their own: the column's name is the field's.
        for name, field in self.fields.items():
            widget = getattr(field.widget, "widget", field.widget)
            if widget is not None and not isinstance(widget, forms.CheckboxSelectMultiple):
                widget.attrs.setdefault("aria-label", field.label or name)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        phase, exercise = cleaned.get("phase"), cleaned.get("exercise")
        if cleaned.get("DELETE") or phase is None or exercise is None:
            return cleaned
        if self.instance.pk is None:
            defaults = prescription_defaults(phase=phase, exercise=exercise)
            for name in DOSE_FIELDS:
                if cleaned.get(name) in (None, "", []):
                    cleaned[name] = defaults[name]
        try:
            if self.instance.pk is None or {"phase", "exercise"} & set(self.changed_data):
                prescription_check_exercise(phase=phase, exercise=exercise, prescription=self.instance)
            prescription_validate(**{name: cleaned.get(name) for name in DOSE_FIELDS})
        except ValidationError as exc:
            add_service_errors(self, exc)
        return cleaned

    def _post_clean(self) -> None:
        # An unchanged row is not written, so the model's own checks (a query or more
        # each) are spared: saving a 30-row plan stays a few dozen queries.
        if self.instance.pk is not None and not self.has_changed():
            return
        super()._post_clean()  # type: ignore[misc]  # ModelForm's hook, absent from the stubs


def _deleted(form: forms.BaseForm) -> bool:
    return bool(getattr(form, "cleaned_data", {}).get(forms.formsets.DELETION_FIELD_NAME))


class PrescriptionFormSet(forms.BaseModelFormSet):
    """The prescriptions of one plan, grouped by phase, edited on the plan's page and
    saved through the prescription services (rather than model saves)."""

    def __init__(
        self,
        data: Any = None,
        files: Any = None,
        instance: Plan | None = None,
        save_as_new: bool = False,
        prefix: str | None = None,
        queryset: Any = None,
        **kwargs: Any,
    ) -> None:
        self.instance = instance
        self.phases: dict[int, Phase] = {}
        self.current_phase: Phase | None = None
        queryset = Prescription.objects.all() if queryset is None else queryset
        if instance is not None and instance.pk is not None:
            for phase in instance.phases.all():
                phase.plan = instance  # spare a query per row when the services look it up
                self.phases[phase.pk] = phase
                if phase.number == instance.current_phase:
                    self.current_phase = phase
            queryset = (
                queryset.filter(phase__plan=instance)
                .select_related("phase", "exercise__progression", "exercise__regression")
                .order_by("phase__number", "order", "pk")
            )
        else:
            queryset = queryset.none()
        super().__init__(data, files, prefix=prefix, queryset=queryset, **kwargs)

    @classmethod
    def get_default_prefix(cls) -> str:
        return "prescriptions"

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        labels = {str(p.exercise_id): str(p.exercise) for p in self.get_queryset()}
        # The page has an empty row in each phase, in phase order; past them (or for
        # the admin's blank template row), a new row starts in the current phase.
        initial_phase = self.current_phase
        phases = list(self.phases.values())
        if index is not None and 0 <= index - self.initial_form_count() < len(phases):
            initial_phase = phases[index - self.initial_form_count()]
        return {
            **super().get_form_kwargs(index),
            "phases": self.phases,
            "initial_phase": initial_phase,
            "exercise_labels": labels,
        }

    def add_fields(self, form: forms.BaseForm, index: int | None) -> None:
        super().add_fields(form, index)
        # Only this plan's prescriptions can be named by a row's hidden id.
        id_field = form.fields[Prescription._meta.pk.name]
        assert isinstance(id_field, forms.ModelChoiceField)
        id_field.queryset = Prescription.objects.filter(phase__plan=self.instance)
        if forms.formsets.DELETION_FIELD_NAME in form.fields:
            form.fields[forms.formsets.DELETION_FIELD_NAME].widget.attrs["aria-label"] = "Delete"

    def clean(self) -> None:
        super().clean()
        problems = [
            problem
            for form in self.initial_forms
            if form.instance.pk is not None and _deleted(form)
            for problem in [prescription_removal_problem(form.instance)]
            if problem
        ]
        if problems:
            raise ValidationError(problems)

    def save(self, commit: bool = True) -> list[Prescription]:
        self.new_objects: list[Prescription] = []
        self.changed_objects: list[tuple[Prescription, list[str]]] = []
        self.deleted_objects: list[Prescription] = []
        reorder: set[int] = set()  # phases whose rows were added, moved or renumbered
        for form in self.initial_forms:
            prescription = form.instance
            if prescription.pk is None:
                continue
            if _deleted(form):
                prescription_remove(prescription=prescription)
                self.deleted_objects.append(prescription)
            elif form.has_changed():
                old_phase = form.initial.get("phase")
                prescription_update(
                    prescription=prescription, **{name: form.cleaned_data[name] for name in form.Meta.fields}
                )
                self.changed_objects.append((prescription, form.changed_data))
                if {"phase", "order"} & set(form.changed_data):
                    reorder |= {prescription.phase_id, old_phase}
        for form in self.extra_forms:
            if not form.has_changed() or _deleted(form):
                continue
            data = form.cleaned_data
            prescription = prescription_add(**{name: data[name] for name in form.Meta.fields})
            self.new_objects.append(prescription)
            if data["order"] is not None:
                reorder.add(prescription.phase_id)
        for phase_pk in reorder - {None}:
            ids = (
                Prescription.objects.filter(phase_id=phase_pk)
                .order_by("order", "pk")
                .values_list("pk", flat=True)
            )
            prescription_reorder(phase=self.phases[phase_pk], prescription_ids=list(ids))
        return self.new_objects + [prescription for prescription, _fields in self.changed_objects]
