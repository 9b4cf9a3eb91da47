"""The public JSON API (django-ninja), mounted at ``/api/``: one module per resource.

``app.py`` wires the ``NinjaAPI``; ``auth.py`` authenticates (API token or browser session +
CSRF) and holds the ownership gate; ``errors.py`` maps every error to one body;
``schemas/`` holds the request (``…In``) and response (``…Out``) schemas.
"""
from .app import api

__all__ = ["api"]
