from django.apps import AppConfig


class ExercisesConfig(AppConfig):
    name = "ptrx.exercises"
    verbose_name = "Exercise library"
