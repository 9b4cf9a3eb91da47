"""Your data (``/settings/data/``): export everything, import a ShareGPT / ChatGPT file, delete all
conversations, delete the account.

Both deletions ask for the password again and go through the erasure services of ``erase_user``
(``governance.erasure``): audited, the cache evicted, checkpoints, share links and the search index
entries deleted with the rows. The import is ``transfer.uploads`` (check the whole file, then write
whole conversations; idempotent); the page's script asks for ``text/event-stream`` to show progress,
a plain form post gets a redirect with the summary.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from ...conversations.selectors import session_list_for_user
from ...conversations.sse import sse
from ...governance.erasure import user_erase, user_erase_conversations
from ...transfer.services import sessions_export_chunks
from ...transfer.uploads import import_events, import_file
from ..forms import ImportForm, PasswordConfirmForm
from ..http import AuthenticatedHttpRequest


def _page(request: AuthenticatedHttpRequest, status: int = 200, **forms: Any) -> HttpResponse:
    context = {
        "session": None,
        "conversations": session_list_for_user(user=request.user).count(),
        "import_form": forms.get("import_form") or ImportForm(),
        "erase_form": forms.get("erase_form") or PasswordConfirmForm(user=request.user, prefix="erase"),
        "account_form": forms.get("account_form") or PasswordConfirmForm(user=request.user, prefix="account"),
        "max_mb": settings.CHATMEMORY_IMPORT_MAX_BYTES // 1_048_576,
    }
    return render(request, "data/settings.html", context, status=status)


@login_required
@require_GET
def data_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _page(request)


@login_required
@require_GET
def data_export(request: AuthenticatedHttpRequest) -> StreamingHttpResponse:
    """Every conversation of the user in one JSON file (an array of ``chatmemory.session`` documents)."""
    sessions = list(session_list_for_user(user=request.user).select_related("owner"))
    response = StreamingHttpResponse(sessions_export_chunks(sessions=sessions, actor=request.user,
                                                            destination="page: all"),
                                     content_type="application/json; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    response["Content-Disposition"] = f'attachment; filename="chatmemory-{request.user.get_username()}-{stamp}.json"'
    return response


def _stream(events: Iterator[tuple[str, dict[str, Any]]]) -> Iterator[str]:
    for event, data in events:
        yield sse(event, data)


@login_required
@require_POST
def data_import(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    form = ImportForm(request.POST, request.FILES)
    streaming = "text/event-stream" in request.headers.get("Accept", "")
    if not form.is_valid():
        if streaming:
            detail = " ".join(str(e) for errors in form.errors.values() for e in errors)
            return StreamingHttpResponse(iter([sse("error", {"error": "invalid", "detail": detail, "problems": []})]),
                                         content_type="text/event-stream", status=400)
        return _page(request, status=400, import_form=form)
    upload = form.cleaned_data["file"]
    if upload.size > settings.CHATMEMORY_IMPORT_MAX_BYTES:
        form.add_error("file", f"The file is larger than {settings.CHATMEMORY_IMPORT_MAX_BYTES // 1_048_576} MB.")
        return _page(request, status=400, import_form=form)
    kwargs: dict[str, Any] = {"owner": request.user, "fp": upload, "source_format": form.cleaned_data["format"],
                              "actor": request.user, "skip_invalid": form.cleaned_data["skip_invalid"]}
    if streaming:
        response = StreamingHttpResponse(_stream(import_events(**kwargs)), content_type="text/event-stream")
        response["Cache-Control"] = "no-cache"
        return response
    event, data = import_file(**kwargs)
    if event == "done":
        invalid = f", {data['invalid']} invalid ones skipped" if data["invalid"] else ""
        messages.success(request, f"Imported {data['imported']} conversation(s) ({data['messages']} messages); "
                         f"{data['skipped_existing']} were imported before, {data['skipped_empty']} were empty"
                         f"{invalid}.")
    else:
        messages.error(request, f"Nothing was imported: {data['detail']}. " + " · ".join(data["problems"]))
    return redirect("data_settings")


@login_required
@require_POST
def data_delete_conversations(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PasswordConfirmForm(request.POST, user=request.user, prefix="erase")
    if not form.is_valid():
        return _page(request, status=400, erase_form=form)
    summary = user_erase_conversations(user=request.user, actor=request.user)
    messages.success(request, f"Deleted all your conversations: {summary.sessions} conversation(s), "
                     f"{summary.messages} message(s). This cannot be undone.")
    return redirect("data_settings")


@login_required
@require_POST
def data_delete_account(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PasswordConfirmForm(request.POST, user=request.user, prefix="account")
    if not form.is_valid():
        return _page(request, status=400, account_form=form)
    summary = user_erase(user=request.user, actor=request.user)  # other browsers' sessions die with the user row
    logout(request)
    return render(request, "data/deleted.html", {"summary": summary})
