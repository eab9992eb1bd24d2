from django.urls import path

from ptrx.webapp import views
from ptrx.webapp.session import AppSessionView

urlpatterns = [
    path("", views.shell, name="app"),
    path("manifest.webmanifest", views.manifest, name="app-manifest"),
    path("sw.js", views.service_worker, name="app-service-worker"),
    path("session/", AppSessionView.as_view(), name="app-session"),
]
