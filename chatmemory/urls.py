"""Top-level URLs: the admin, auth pages, the browser UI (``sessions_app.urls``)."""
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("sessions_app.urls")),
]
