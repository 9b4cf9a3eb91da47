"""WSGI entry point (gunicorn ``chatmemory.wsgi``)."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatmemory.settings")
application = get_wsgi_application()
