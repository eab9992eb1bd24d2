"""The outcome endpoints of the patient API: thin views over the outcomes' selectors and services."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from ptrx.api_errors import ERROR_RESPONSES
from ptrx.outcomes.api import serializers as s
from ptrx.outcomes.selectors import (
    instrument_of,
    outcomes_for,
    patient_branches,
    questionnaire_get,
    questionnaires_due_for,
    response_list,
)
from ptrx.outcomes.services import response_record
from ptrx.plans.api.views import READ_ERRORS, PatientView

RECENT_RESPONSES = 10


class QuestionnaireView(PatientView):
    """One questionnaire's definition, its texts worded for the patient's branches."""

    @extend_schema(responses={200: s.QuestionnaireSerializer, **ERROR_RESPONSES(401, 403, 404)})
    def get(self, request: Request, code: str) -> Response:
        instrument = instrument_of(questionnaire_get(code=code))
        return Response(s.QuestionnaireSerializer((instrument, patient_branches(self.patient))).data)


class MyQuestionnairesView(PatientView):
    """What is due now and the patient's latest responses."""

    @extend_schema(responses={200: s.MyQuestionnairesSerializer, **READ_ERRORS})
    def get(self, request: Request) -> Response:
        recent = response_list(patient=self.patient).order_by("-date", "-id")[:RECENT_RESPONSES]
        body = {"due": questionnaires_due_for(patient=self.patient), "recent": list(recent)}
        return Response(s.MyQuestionnairesSerializer(body).data)


class ResponseCreateView(PatientView):
    """Answer a questionnaire; a repeated `client_id` answers 200 with the first record."""

    @extend_schema(
        request=s.ResponseInputSerializer,
        responses={
            201: s.ResponseSerializer,
            200: s.ResponseSerializer,
            **ERROR_RESPONSES(400, 401, 403, 429),
        },
    )
    def post(self, request: Request) -> Response:
        given = s.ResponseInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        response, created = response_record(patient=self.patient, **given.validated_data)
        return Response(
            s.ResponseSerializer(response).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class MyOutcomesView(PatientView):
    """Each instrument over time against its baseline, with NPRS from the check-ins."""

    @extend_schema(responses={200: s.OutcomesSerializer, **READ_ERRORS})
    def get(self, request: Request) -> Response:
        return Response(s.OutcomesSerializer({"outcomes": outcomes_for(patient=self.patient)}).data)
