"""The read-only exercise library API."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics

from ptrx.api_errors import ERROR_RESPONSES
from ptrx.exercises.api.serializers import ExerciseQuerySerializer, ExerciseSerializer
from ptrx.exercises.models import Exercise
from ptrx.exercises.selectors import exercise_list


@extend_schema_view(
    get=extend_schema(
        parameters=[ExerciseQuerySerializer],
        responses={200: ExerciseSerializer(many=True), **ERROR_RESPONSES(400, 401, 404)},
    )
)
class ExerciseListView(generics.ListAPIView[Exercise]):
    """The exercise library, filtered by `category` and `branch`."""

    serializer_class = ExerciseSerializer

    def get_queryset(self) -> QuerySet[Exercise]:
        # A plain dict, so an empty value (`?branch=`) is checked, not read as "not given".
        query = ExerciseQuerySerializer(data=self.request.query_params.dict())
        query.is_valid(raise_exception=True)
        return exercise_list(**query.validated_data)


@extend_schema_view(get=extend_schema(responses={200: ExerciseSerializer, **ERROR_RESPONSES(401, 404)}))
class ExerciseDetailView(generics.RetrieveAPIView[Exercise]):
    """One exercise of the library, by slug."""

    serializer_class = ExerciseSerializer
    lookup_field = "slug"

    def get_queryset(self) -> QuerySet[Exercise]:
        return exercise_list()
