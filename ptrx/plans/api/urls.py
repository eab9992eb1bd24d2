from django.urls import path

from ptrx.plans.api import interop, views

urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("me/plans/", views.PlanListView.as_view(), name="me-plans"),
    path("me/plans/<int:pk>/", views.PlanDetailView.as_view(), name="me-plan-detail"),
    path("me/today/", views.TodayView.as_view(), name="me-today"),
    path("me/completions/", views.CompletionListView.as_view(), name="me-completions"),
    path("me/checkins/", views.CheckInListView.as_view(), name="me-checkins"),
    path("me/adherence/", views.AdherenceView.as_view(), name="me-adherence"),
    path("me/notifications/", views.NotificationListView.as_view(), name="me-notifications"),
    path("me/plans/<int:pk>/handout.pdf", interop.HandoutView.as_view(), name="me-plan-handout"),
    path("me/calendar/", interop.CalendarView.as_view(), name="me-calendar"),
    path("me/calendar/rotate/", interop.CalendarRotateView.as_view(), name="me-calendar-rotate"),
    path("me/export/fhir/", interop.FhirExportView.as_view(), name="me-export-fhir"),
    path("me/export/", interop.ExportView.as_view(), name="me-export"),
]
