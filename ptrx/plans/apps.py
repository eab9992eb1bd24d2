from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "ptrx.plans"
    verbose_name = "Patients and plans"
