"""Forms for the therapist's admin: patients, plan generation and duplication, prescriptions.

They validate with the services' own validators, so a value the services refuse is a
form error here (never a 500), and they write through the services (a patient's edit is
the one exception until a patient_update service exists: PatientChangeForm.save).
"""

from ptrx.plans.admin.forms.fields import (
    ExercisePicker,
    KnownLabelsAutocompleteSelect,
    add_service_errors,
    red_flag_field_names,
)
from ptrx.plans.admin.forms.patients import PatientChangeForm, PatientCreateForm, PatientForm
from ptrx.plans.admin.forms.plans import (
    PlanDuplicateForm,
    PlanGenerateForm,
    PrescriptionForm,
    PrescriptionFormSet,
)

__all__ = [
    "ExercisePicker",
    "KnownLabelsAutocompleteSelect",
    "PatientChangeForm",
    "PatientCreateForm",
    "PatientForm",
    "PlanDuplicateForm",
    "PlanGenerateForm",
    "PrescriptionForm",
    "PrescriptionFormSet",
    "add_service_errors",
    "red_flag_field_names",
]
