"""Minimal Django settings for benchmarking langgraph-checkpoint-django in its own virtualenv.

Standalone on purpose (no chatmemory import): that venv holds only the third-party saver and the
older LangGraph it runs on (``bench/requirements-lgcd.txt``).
"""
import os
from urllib.parse import urlparse

_url = urlparse(os.environ["DATABASE_URL"])
SECRET_KEY = "bench-only"
DEBUG = False
USE_TZ = True
INSTALLED_APPS = ["langgraph.checkpoint.django.checkpoint"]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _url.path.lstrip("/"),
        "USER": _url.username or "postgres",
        "PASSWORD": _url.password or "",
        "HOST": _url.hostname or "127.0.0.1",
        "PORT": str(_url.port or 5432),
        "CONN_MAX_AGE": 600,
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
