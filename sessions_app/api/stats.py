"""``GET /api/stats``: storage and usage statistics, staff only (``governance.stats``)."""
from __future__ import annotations

from typing import Any

from ninja import Router
from ninja.errors import HttpError

from ..db.replicas import run_lag_tolerant
from ..governance.stats import stats_overview
from .auth import ApiRequest
from .schemas.common import ErrorOut

router = Router(tags=["stats"])


@router.get("", response={200: dict[str, Any], 401: ErrorOut, 403: ErrorOut}, operation_id="stats",
            summary="Storage and usage statistics (staff only)",
            openapi_extra={"responses": {200: {"description": "governance.stats.stats_overview()", "content": {
                "application/json": {"schema": {"type": "object"}, "example": {
                    "generated_at": "2026-11-22T04:00:00+00:00",
                    "sessions": {"total": 3, "active": 2, "archived": 1, "expiring": 0},
                    "messages": 42}}}}}})
def stats(request: ApiRequest) -> dict[str, Any]:
    """Sessions by status and tenant, messages, state versions, storage bytes, cache hit ratio. 403 unless staff."""
    if not getattr(request.auth, "is_staff", False):
        raise HttpError(403, "staff only")
    return run_lag_tolerant(lambda: dict(stats_overview()), user_id=request.auth.pk)  # may lag a few seconds
