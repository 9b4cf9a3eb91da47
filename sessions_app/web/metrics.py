"""``GET /metrics``: Prometheus's text format, for a scraper holding ``CHATMEMORY_METRICS_TOKEN``.

``Authorization: Bearer <token>`` (compared in constant time); a missing or wrong token is 401
with ``WWW-Authenticate: Bearer``. Without a configured token the endpoint does not exist (404):
metrics are never public by accident. What is measured: ``sessions_app.observability.metrics``.
"""
from __future__ import annotations

import hmac

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ..observability.exposition import render


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """The metrics of every process of this host (see the module docstring)."""
    token = settings.CHATMEMORY_METRICS_TOKEN
    if not token:
        raise Http404("metrics are off: set CHATMEMORY_METRICS_TOKEN")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        response = HttpResponse("metrics need Authorization: Bearer <CHATMEMORY_METRICS_TOKEN>\n", status=401,
                                content_type="text/plain; charset=utf-8")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body, content_type = render()
    return HttpResponse(body, content_type=content_type)
