"""``GET /api/export`` (all of the caller's conversations, one file) and ``POST /api/imports``
(a ShareGPT / ChatGPT file, uploaded, with progress). See ``transfer.uploads`` for the guarantees."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from django.conf import settings
from django.http import JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from pydantic import Field

from ..conversations.selectors import session_list_for_user
from ..conversations.sse import sse
from ..exceptions import InvalidInput
from ..transfer.services import sessions_export_chunks
from ..transfer.uploads import import_events, import_file
from .auth import ApiRequest, caller_tenant
from .schemas.common import ErrorOut

router = Router(tags=["export / import"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 413: ErrorOut, 422: ErrorOut}


class ImportedOut(Schema):
    """What an upload imported (conversations unless named ``messages``; ``seconds`` of writing)."""

    imported: int
    skipped_existing: int = Field(..., description="Imported before (the same file again imports nothing twice).")
    skipped_empty: int
    invalid: int = Field(..., description="Invalid conversations skipped (only with skip_invalid).")
    messages: int
    seconds: float
    problems: list[str]

    model_config = {"json_schema_extra": {"examples": [{"imported": 12, "skipped_existing": 0, "skipped_empty": 1,
                                                         "invalid": 0, "messages": 140, "seconds": 0.4,
                                                         "problems": []}]}}


class ImportRejectedOut(Schema):
    error: str = Field(..., examples=["invalid"])
    detail: str
    problems: list[str] = Field(..., description="Each invalid conversation with its place (at most 20 + a count).")

    model_config = {"json_schema_extra": {"examples": [{
        "error": "invalid", "detail": "1 problem(s) in the file; nothing was imported",
        "problems": ['conversation #2 (id "b"), message 1: unknown role "x"']}]}}


@router.get("/export", response={200: dict[str, Any], **ERRORS}, operation_id="export_all",
            summary="Export all your conversations (one JSON file)",
            openapi_extra={"responses": {200: {"description": "A JSON array of chatmemory.session documents",
                                               "content": {"application/json": {"schema": {"type": "array"}}}}}})
def export_all(request: ApiRequest) -> StreamingHttpResponse:
    """Every conversation of the caller (a tenant-bound token: of its tenant) as a JSON array of
    ``chatmemory.session`` documents, streamed (two queries per 100 conversations); audited once."""
    sessions = session_list_for_user(user=request.auth).select_related("owner")
    if (tenant := caller_tenant(request)) is not None:
        sessions = sessions.filter(tenant=tenant)
    chunks = sessions_export_chunks(sessions=list(sessions), actor=request.auth, destination="api: all")
    response = StreamingHttpResponse(chunks, content_type="application/json; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    response["Content-Disposition"] = f'attachment; filename="chatmemory-{request.auth.get_username()}-{stamp}.json"'
    return response


def _stream(events: Iterator[tuple[str, dict[str, Any]]]) -> Iterator[str]:
    for event, data in events:
        yield sse(event, data)


@router.post("/imports", response={200: ImportedOut, 400: ImportRejectedOut, 401: ErrorOut, 403: ErrorOut,
                                   413: ErrorOut, 422: ErrorOut},
             operation_id="import_upload", summary="Import a ShareGPT or ChatGPT export (upload)")
def import_upload(request: ApiRequest, file: File[UploadedFile],
                  format: Form[Literal["sharegpt", "chatgpt"]],  # noqa: A002 - the form field's name
                  skip_invalid: Form[bool] = False) -> HttpResponseBase:
    """Check the whole file, then import its conversations as the caller's (multipart/form-data).

    Invalid file: 400 with every problem's place and nothing written (or, with ``skip_invalid``,
    the valid conversations imported and the rest listed). Idempotent: uploading the same file
    again imports nothing twice. With ``Accept: text/event-stream`` the answer is a stream of
    ``progress`` events (``{"phase": "checking"|"importing", "done", "total"}``) ending in ``done``
    (this summary) or ``error``. Files over ``CHATMEMORY_IMPORT_MAX_BYTES`` are a 413.
    """
    if file.size is not None and file.size > settings.CHATMEMORY_IMPORT_MAX_BYTES:
        raise InvalidInput(f"the file is larger than {settings.CHATMEMORY_IMPORT_MAX_BYTES // 1_048_576} MB")
    tenant = caller_tenant(request) or ""
    kwargs: dict[str, Any] = {"owner": request.auth, "fp": file, "source_format": format, "actor": request.auth,
                              "skip_invalid": skip_invalid, "tenant": tenant}
    if "text/event-stream" in request.headers.get("Accept", ""):
        response = StreamingHttpResponse(_stream(import_events(**kwargs)), content_type="text/event-stream")
        response["Cache-Control"] = "no-cache"
        return response
    event, data = import_file(**kwargs)
    return JsonResponse(data, status=200 if event == "done" else 400)
