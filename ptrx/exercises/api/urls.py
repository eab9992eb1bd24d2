from django.urls import path

from ptrx.exercises.api.views import ExerciseDetailView, ExerciseListView

urlpatterns = [
    path("exercises/", ExerciseListView.as_view(), name="exercise-list"),
    path("exercises/<slug:slug>/", ExerciseDetailView.as_view(), name="exercise-detail"),
]
