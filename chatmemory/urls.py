"""Top-level URLs: the admin, the JSON API (``/api/``), auth pages, the browser UI (``sessions_app.urls``)."""
from django.contrib import admin
from django.urls import include, path

from sessions_app.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("", include("sessions_app.urls")),
]
