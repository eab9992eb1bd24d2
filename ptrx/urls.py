"""URL configuration: admin, the patient API under /api/v1/, its schema and docs, health."""

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from ptrx.auth_views import LogoutView, TokenView
from ptrx.health import healthz

admin.site.site_header = "ptrx: home exercise plans"
admin.site.site_title = "ptrx"
admin.site.index_title = "Patients, plans and the exercise library"

api_v1: list[URLPattern | URLResolver] = [
    path("auth/token/", TokenView.as_view(), name="auth-token"),
    path("auth/logout/", LogoutView.as_view(), name="auth-logout"),
    path("", include("ptrx.exercises.api.urls")),
    path("", include("ptrx.plans.api.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("healthz", healthz, name="healthz"),
]

handler404 = "ptrx.api_errors.not_found"
handler500 = "ptrx.api_errors.server_error"
