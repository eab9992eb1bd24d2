"""The patient add and change forms."""

from typing import Any

from django import forms
from django.contrib.admin.widgets import AdminTimeWidget
from django.core.exceptions import ValidationError
from django.utils import timezone

from ptrx.exercises.models import Branch
from ptrx.plans.admin.forms.fields import RedFlagField, TimeZoneInput, add_service_errors
from ptrx.plans.domain.local_time import local_date
from ptrx.plans.domain.precautions import PRECAUTIONS
from ptrx.plans.domain.red_flags import positive_red_flags
from ptrx.plans.models import Patient, Plan
from ptrx.plans.services.patients import (
    login_build,
    patient_create,
    patient_update,
    patient_validate,
    username_validate,
)


class PatientForm(forms.ModelForm):
    """The clinical and reminder settings shared by the add and change pages."""

    # Set by the admin for each request: the therapist of a new patient unless a
    # superuser picks one.
    acting_user: Any = None

    # On the patient's login (the User), written through the services.
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(required=False, help_text="Where reminders are sent")
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
    precautions = forms.MultipleChoiceField(
        choices=[(code, precaution.label) for code, precaution in PRECAUTIONS.items()],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Each removes or swaps the exercises it rules out; the plan page shows what changed.",
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
            "precautions_cleared_on",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        answers = self.instance.red_flags or {}
        self.initial.setdefault("precautions", list(self.instance.precautions or []))
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

    def patient_fields(self) -> dict[str, Any]:
        """What patient_create and patient_update both take from the form."""
        data = self.cleaned_data
        return {
            "therapist": self.therapist(),
            "branches": data["branches"],
            "side": data["side"],
            "irritability": data["irritability"],
            "timezone_name": data["timezone"],
            "reminder_time": data["reminder_time"],
            "reminders_enabled": data["reminders_enabled"],
            "email": data["email"],
            "first_name": data["first_name"],
            "last_name": data["last_name"],
            "red_flags": self.red_flag_answers(),
            "screened_on": data["red_flags_screened_on"],
            "precautions": list(data["precautions"]),
            "precautions_cleared_on": data["precautions_cleared_on"],
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
                precautions=list(cleaned.get("precautions") or []),
            )
        except ValidationError as exc:
            add_service_errors(self, exc)
        return cleaned


class PatientCreateForm(PatientForm):
    """A new patient with their login, created by `patient_create`."""

    username = forms.CharField(max_length=150, help_text="What the patient types to sign in to the app")
    password1 = forms.CharField(label="Password", strip=False, widget=forms.PasswordInput)
    password2 = forms.CharField(
        label="Password again", strip=False, widget=forms.PasswordInput, help_text="The same, to check it"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Shown as the date in the form's initial zone; left as it is, the service
        # dates the screen on the patient's own local date.
        self.fields["red_flags_screened_on"].initial = local_date(
            zone_name=self.fields["timezone"].initial, now=timezone.now()
        )

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
        if "red_flags_screened_on" not in self.changed_data:
            cleaned["red_flags_screened_on"] = None  # the service dates it on the patient's today
        return cleaned

    def create_patient(self) -> Patient:
        """Create the patient and their login through the service."""
        data = self.cleaned_data
        return patient_create(username=data["username"], password=data["password1"], **self.patient_fields())


class PatientChangeForm(PatientForm):
    """An existing patient: their clinical settings, screen and name on their login."""

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
        # A changed screen is a new screen: date it the patient's today unless the therapist dated it.
        if answers_changed and "red_flags_screened_on" not in self.changed_data:
            zone_name = cleaned.get("timezone") or self.instance.timezone
            cleaned["red_flags_screened_on"] = local_date(zone_name=zone_name, now=timezone.now())
        return cleaned

    def update_patient(self) -> list[Plan]:
        """Write the edit through the service; returns the plans a red flag paused."""
        return patient_update(patient=self.instance, **self.patient_fields())
