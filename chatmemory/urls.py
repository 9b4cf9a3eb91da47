"""Top-level URLs: the admin, the JSON API (``/api/``), ``/health``, auth pages, the browser UI."""
from django.contrib import admin
from django.urls import include, path

from sessions_app.api import api
from sessions_app.web.health import health

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("health", health, name="health"),
    path("", include("sessions_app.urls")),
]

# A database fault raised outside a view (e.g. in middleware) is a 503, not a 500.
handler500 = "sessions_app.web.middleware.server_error"
