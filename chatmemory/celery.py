"""The Celery application.

Settings come from Django's settings under the ``CELERY_`` namespace; tasks are autodiscovered
from every installed app's ``tasks`` module. Without ``CELERY_BROKER_URL`` the settings make
tasks run eagerly in-process (the embedded default), so nothing needs a broker to work.
"""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatmemory.settings")

app = Celery("chatmemory")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
