from django.urls import path

from ptrx.outcomes.api import views

urlpatterns = [
    path("questionnaires/<slug:code>/", views.QuestionnaireView.as_view(), name="questionnaire"),
    path("me/questionnaires/", views.MyQuestionnairesView.as_view(), name="me-questionnaires"),
    path(
        "me/questionnaires/responses/", views.ResponseCreateView.as_view(), name="me-questionnaire-responses"
    ),
    path("me/outcomes/", views.MyOutcomesView.as_view(), name="me-outcomes"),
]
