"""Top-level URLs: the admin, the JSON API (``/api/``), ``/health``, ``/metrics``, auth pages, the browser UI."""
from django.contrib import admin
from django.urls import include, path

from sessions_app.api import api
from sessions_app.web.health import health
from sessions_app.web.metrics import metrics

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("health", health, name="health"),
    path("metrics", metrics, name="metrics"),
    path("", include("sessions_app.urls")),
]

# A database fault raised outside a view (e.g. in middleware) is a 503, not a 500.
handler500 = "sessions_app.web.middleware.server_error"
