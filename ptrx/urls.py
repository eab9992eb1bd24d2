"""URL configuration: admin, the patient API under /api/v1/, its schema and docs, the
patient app under /app/, health."""

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from ptrx.api_errors import api_not_found
from ptrx.auth_views import LogoutView, TokenView
from ptrx.health import healthz
from ptrx.login_limits import AdminLoginForm
from ptrx.plans.api.interop import CalendarFeedView

admin.site.site_header = "ptrx: home exercise plans"
admin.site.site_title = "ptrx"
admin.site.index_title = "Patients, plans and the exercise library"
admin.site.login_form = AdminLoginForm
# The admin's "View site" opens the patient app.
admin.site.site_url = "/app/"

api_v1: list[URLPattern | URLResolver] = [
    path("auth/token/", TokenView.as_view(), name="auth-token"),
    path("auth/logout/", LogoutView.as_view(), name="auth-logout"),
    path("", include("ptrx.exercises.api.urls")),
    path("", include("ptrx.plans.api.urls")),
    path("", include("ptrx.outcomes.api.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its script as a file: the page needs no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("app/", include("ptrx.webapp.urls")),
    path("healthz", healthz, name="healthz"),
    # The calendar feed: outside the API, as calendar apps send no token.
    path("calendar/<str:secret>.ics", CalendarFeedView.as_view(), name="calendar-feed"),
    re_path(r"^calendar/", api_not_found),
    # Last: any other path under /api/ is a JSON 404, with DEBUG on too (handler404 is
    # only used with it off).
    re_path(r"^api/", api_not_found),
]

handler404 = "ptrx.api_errors.not_found"
handler500 = "ptrx.api_errors.server_error"
