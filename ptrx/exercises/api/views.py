"""The read-only exercise library API."""

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics

from ptrx.api_errors import ERROR_RESPONSES
from ptrx.exercises.api.filters import ExerciseFilter
from ptrx.exercises.api.serializers import ExerciseSerializer
from ptrx.exercises.models import Exercise
from ptrx.exercises.selectors import exercise_list


@extend_schema_view(
    get=extend_schema(responses={200: ExerciseSerializer(many=True), **ERROR_RESPONSES(400, 401, 404)})
)
class ExerciseListView(generics.ListAPIView[Exercise]):
    """The exercise library, filtered by `category` and `branch`."""

    serializer_class = ExerciseSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ExerciseFilter

    def get_queryset(self) -> QuerySet[Exercise]:
        return exercise_list()


@extend_schema_view(get=extend_schema(responses={200: ExerciseSerializer, **ERROR_RESPONSES(401, 404)}))
class ExerciseDetailView(generics.RetrieveAPIView[Exercise]):
    """One exercise of the library, by slug."""

    serializer_class = ExerciseSerializer
    lookup_field = "slug"

    def get_queryset(self) -> QuerySet[Exercise]:
        return exercise_list()
