"""Forms for the therapist's admin: patients, plan generation and duplication, prescriptions.

They validate with the services' own validators, so a value the services refuse is a
form error here (never a 500), and they write through the services (a patient's edit is
the one exception until a patient_update service exists: PatientChangeForm.save).
"""

import functools
import zoneinfo
from typing import Any

from django import forms
from django.contrib.admin.widgets import AdminDateWidget, AdminTimeWidget, AutocompleteSelect
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from ptrx.exercises.models import Branch
from ptrx.plans.domain.red_flags import RED_FLAGS, positive_red_flags
from ptrx.plans.models import Irritability, Patient, Phase, Plan, Prescription, Side
from ptrx.plans.services.patients import (
    login_build,
    patient_create,
    patient_update,
    patient_validate,
    username_validate,
)
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

DAY_CHOICES = [(0, "Mon"), (1, "Tue"), (2, "Wed"), (3, "Thu"), (4, "Fri"), (5, "Sat"), (6, "Sun")]
DOSE_FIELDS = ("sets", "reps", "hold_seconds", "sessions_per_day", "days_of_week", "side")


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: on the named field when the form has
    it and it has no error yet (one message per problem), otherwise above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages in error.message_dict.items():
        if field in form.fields and field not in form.errors:
            form.add_error(field, messages)
        elif field not in form.fields:
            form.add_error(None, messages)


@functools.cache
def _zone_names() -> list[str]:
    return sorted(zoneinfo.available_timezones())


class TimeZoneInput(forms.TextInput):
    """A text box that offers the IANA zone names as the therapist types (a <datalist>)."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"list": "iana-time-zones", "autocomplete": "off", **(attrs or {})})

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> SafeString:
        options = format_html_join("", '<option value="{}">', ((zone,) for zone in _zone_names()))
        return format_html(
            '{}<datalist id="iana-time-zones">{}</datalist>',
            super().render(name, value, attrs, renderer),
            options,
        )


class RedFlagField(forms.BooleanField):
    """One question of the red-flag screen (CLINICAL.md §5); ticked means "yes"."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(required=False, label=RED_FLAGS[code][1])


def red_flag_field_names(severity: str) -> list[str]:
    return [f"red_flag_{code}" for code, (level, _question) in RED_FLAGS.items() if level == severity]


class PatientForm(forms.ModelForm):
    """The clinical and reminder settings shared by the add and change pages."""

    # Set by the admin for each request: the therapist of a new patient unless a
    # superuser picks one.
    acting_user: Any = None

    branches = forms.MultipleChoiceField(
        choices=Branch.choices, widget=forms.CheckboxSelectMultiple, help_text="Involved cluneal branches"
    )
    timezone = forms.CharField(
        label="Time zone",
        widget=TimeZoneInput,
        initial="UTC",
        help_text="The patient's IANA time zone, e.g. Europe/London",
    )
    reminder_time = forms.TimeField(
        widget=AdminTimeWidget(format="%H:%M"), help_text="Local time of the daily reminder, HH:MM"
    )
    # One field per question of RED_FLAGS (a test keeps the two in step).
    red_flag_bladder_bowel = RedFlagField("bladder_bowel")
    red_flag_saddle_numbness = RedFlagField("saddle_numbness")
    red_flag_both_legs = RedFlagField("both_legs")
    red_flag_sexual_dysfunction = RedFlagField("sexual_dysfunction")
    red_flag_cancer_or_weight_loss = RedFlagField("cancer_or_weight_loss")
    red_flag_fever_or_unwell = RedFlagField("fever_or_unwell")
    red_flag_trauma_or_bone = RedFlagField("trauma_or_bone")
    red_flag_age_onset = RedFlagField("age_onset")
    red_flag_night_pain = RedFlagField("night_pain")
    red_flag_widespread_neuro = RedFlagField("widespread_neuro")

    class Meta:
        model = Patient
        fields = (
            "therapist",
            "branches",
            "side",
            "irritability",
            "timezone",
            "reminder_time",
            "reminders_enabled",
            "red_flags_screened_on",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        answers = self.instance.red_flags or {}
        for name, field in self.fields.items():
            if isinstance(field, RedFlagField):
                self.initial.setdefault(name, answers.get(field.code) is True)

    def red_flag_answers(self) -> dict[str, bool]:
        """Every question with its answer, so the record shows what was asked."""
        return {
            field.code: bool(self.cleaned_data.get(name))
            for name, field in self.fields.items()
            if isinstance(field, RedFlagField)
        }

    def therapist(self) -> Any:
        if "therapist" in self.fields:
            return self.cleaned_data.get("therapist")
        return self.instance.therapist if self.instance.pk else self.acting_user

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        try:
            cleaned["branches"] = patient_validate(
                therapist=self.therapist(),
                branches=cleaned.get("branches") or [],
                side=cleaned.get("side") or "",
                irritability=cleaned.get("irritability") or "",
                timezone_name=cleaned.get("timezone") or "",
                red_flags=self.red_flag_answers(),
            )
        except ValidationError as exc:
            add_service_errors(self, exc)
        return cleaned


class PatientCreateForm(PatientForm):
    """A new patient with their login, created by `patient_create`."""

    username = forms.CharField(max_length=150, help_text="What the patient types to sign in to the app")
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(required=False, help_text="Where reminders are sent")
    password1 = forms.CharField(label="Password", strip=False, widget=forms.PasswordInput)
    password2 = forms.CharField(
        label="Password again", strip=False, widget=forms.PasswordInput, help_text="The same, to check it"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["red_flags_screened_on"].initial = timezone.localdate()

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        try:
            username_validate(username)
        except ValidationError as exc:
            raise ValidationError(exc.messages) from exc
        return username

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        password = cleaned.get("password1")
        if password and password != cleaned.get("password2"):
            self.add_error("password2", "The two passwords differ.")
        elif password:
            try:
                login_build(
                    username=cleaned.get("username") or "",
                    password=password,
                    email=cleaned.get("email") or "",
                    first_name=cleaned.get("first_name") or "",
                    last_name=cleaned.get("last_name") or "",
                    is_staff=False,
                )
            except ValidationError as exc:
                self.add_error("password1", exc.message_dict["password"])
        return cleaned

    def create_patient(self) -> Patient:
        """Create the patient and their login through the service."""
        data = self.cleaned_data
        return patient_create(
            username=data["username"],
            password=data["password1"],
            therapist=self.therapist(),
            branches=data["branches"],
            side=data["side"],
            irritability=data["irritability"],
            timezone_name=data["timezone"],
            reminder_time=data["reminder_time"],
            reminders_enabled=data["reminders_enabled"],
            email=data["email"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            red_flags=self.red_flag_answers(),
            screened_on=data["red_flags_screened_on"],
        )


class PatientChangeForm(PatientForm):
    """An existing patient: their clinical settings, screen and name on their login."""

    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(required=False, help_text="Where reminders are sent")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for name in ("first_name", "last_name", "email"):
                self.initial.setdefault(name, getattr(self.instance.user, name))

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        answers_changed = set(positive_red_flags(self.instance.red_flags or {})) != set(
            positive_red_flags(self.red_flag_answers())
        )
        # A changed screen is a new screen: date it today unless the therapist dated it.
        if answers_changed and "red_flags_screened_on" not in self.changed_data:
            cleaned["red_flags_screened_on"] = timezone.localdate()
        return cleaned

    def update_patient(self) -> list[Plan]:
        """Write the edit through the service; returns the plans a red flag paused."""
        data = self.cleaned_data
        return patient_update(
            patient=self.instance,
            therapist=self.therapist(),
            branches=data["branches"],
            side=data["side"],
            irritability=data["irritability"],
            timezone_name=data["timezone"],
            reminder_time=data["reminder_time"],
            reminders_enabled=data["reminders_enabled"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            red_flags=self.red_flag_answers(),
            screened_on=data["red_flags_screened_on"],
        )


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


class KnownLabelsAutocompleteSelect(AutocompleteSelect):
    """The admin's autocomplete, labelling choices the page already loaded instead of
    asking the database once per row."""

    labels: dict[str, str]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.labels = {}

    def optgroups(self, name: str, value: Any, attr: Any = None) -> Any:
        selected = [str(v) for v in value if str(v) not in ("", "None")]
        if not selected or any(v not in self.labels for v in selected):
            return super().optgroups(name, value, attr)
        options = [
            self.create_option(name, v, self.labels[v], True, index) for index, v in enumerate(selected)
        ]
        return [(None, options, 0)]


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
        current_phase: Phase | None = None,
        exercise_labels: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        phases = phases or {}
        phase_field = self.fields["phase"]
        assert isinstance(phase_field, forms.TypedChoiceField)
        phase_field.choices = [(pk, f"{phase.number}. {phase.name}") for pk, phase in phases.items()]
        phase_field.coerce = lambda value: phases[int(value)]
        if current_phase is not None:
            phase_field.initial = current_phase.pk
        widget = getattr(self.fields["exercise"].widget, "widget", None)
        if isinstance(widget, KnownLabelsAutocompleteSelect):
            widget.labels = exercise_labels or {}

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
                .select_related("phase", "exercise")
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
        return {
            **super().get_form_kwargs(index),
            "phases": self.phases,
            "current_phase": self.current_phase,
            "exercise_labels": labels,
        }

    def add_fields(self, form: forms.BaseForm, index: int | None) -> None:
        super().add_fields(form, index)
        # Only this plan's prescriptions can be named by a row's hidden id.
        id_field = form.fields[Prescription._meta.pk.name]
        assert isinstance(id_field, forms.ModelChoiceField)
        id_field.queryset = Prescription.objects.filter(phase__plan=self.instance)

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
