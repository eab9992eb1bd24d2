from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "ptrx.outcomes"
    verbose_name = "Outcome measures"
