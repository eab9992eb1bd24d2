"""Outcome questionnaires: their definitions (data, from fixtures) and patients' responses."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from ptrx.outcomes.domain import SCORING_RULES
from ptrx.plans.models import Patient, Plan


class Questionnaire(models.Model):
    """An instrument's definition, loaded from fixtures/questionnaires.json (or a
    licensed file, for the Oswestry index) by `load_questionnaires`."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    # [{"key", "text", "min", "max"} or {"key", "text", "choices": [{"value", "label"}]},
    #  plus "optional" and, for PSFS, "proposed": {branch: activity}]
    items = models.JSONField(default=list)
    scoring = models.CharField(max_length=16, choices=[(rule, rule) for rule in SCORING_RULES])
    min_answered = models.PositiveSmallIntegerField(default=0)
    # {"points", "percent", "higher_is_better"}, or null where none is established.
    meaningful_change = models.JSONField(null=True, blank=True)
    first_day = models.PositiveSmallIntegerField(
        default=0, help_text="Days after the plan starts of the first occasion (0: at activation)"
    )
    branches = models.JSONField(default=list, blank=True, help_text="Branches it is for; empty for all")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ("code",)

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.code,)


class QuestionnaireResponse(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="questionnaire_responses")
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="responses")
    plan = models.ForeignKey(Plan, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    date = models.DateField(help_text="Patient-local date")
    answers = models.JSONField(default=dict)
    score = models.FloatField()
    # A meaningful worsening from the patient's first response to the instrument, or an
    # EARS drop of 5.5 or more from the one before (CLINICAL.md §6, §7): worked out when
    # recorded, so the patient list can filter on it.
    worse = models.BooleanField(default=False)
    # Made by the client, so an offline replay of the same response writes nothing.
    client_id = models.UUIDField(null=True, blank=True)
    # The therapist who recorded it on the patient's behalf (a clinic visit); null when
    # the patient answered.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("patient", "questionnaire", "date", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "client_id"],
                condition=Q(client_id__isnull=False),
                name="questionnaire_response_client_id_once",
            )
        ]
        indexes = [
            models.Index(fields=["patient", "questionnaire", "date"], name="response_patient_code_date")
        ]

    def __str__(self) -> str:
        return f"{self.questionnaire.code} {self.date}: {self.score:g}"
