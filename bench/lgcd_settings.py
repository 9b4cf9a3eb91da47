"""Settings for benchmarking langgraph-checkpoint-django: chatmemory's settings plus its app."""
from chatmemory.settings import *  # noqa: F401,F403
from chatmemory.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "langgraph.checkpoint.django.checkpoint"]
