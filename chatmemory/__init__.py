"""chatmemory project package: importing it loads the Celery app (cookiecutter-django layout)."""
from .celery import app as celery_app

__all__ = ("celery_app",)
