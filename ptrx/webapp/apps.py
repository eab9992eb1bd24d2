from django.apps import AppConfig


class WebappConfig(AppConfig):
    name = "ptrx.webapp"
    verbose_name = "Patient app"
