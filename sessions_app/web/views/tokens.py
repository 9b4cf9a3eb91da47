"""The "API tokens" page: create a personal token (its plaintext shown once), list, revoke.

Post/Redirect/Get: the creating POST redirects, so a reload never creates a second token. The
plaintext crosses that redirect in the server-side session (``SESSION_ENGINE``: the database,
never a cookie) under ``NEW_TOKEN_KEY`` for at most ``NEW_TOKEN_SECONDS``, and the next GET takes
it out (shown once, with a Copy button, ``Cache-Control: no-store``); only its hash is kept.
"""
from __future__ import annotations

import time

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from ...accounts import tokens as token_services
from ...exceptions import InvalidInput
from ...models import ApiToken
from ..http import AuthenticatedHttpRequest


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the token is for, e.g. “support bot”.")
    tenant = forms.CharField(
        max_length=64, required=False, help_text="Optional: the token then only reaches this tenant's sessions."
    )


NEW_TOKEN_KEY = "chatmemory_new_token"
NEW_TOKEN_SECONDS = 120


def _take_new_token(request: AuthenticatedHttpRequest) -> tuple[ApiToken, str] | None:
    """The token created just before the redirect (once; ``None`` afterwards, or when too old)."""
    held = request.session.pop(NEW_TOKEN_KEY, None)
    if not isinstance(held, dict) or time.time() - float(held.get("at", 0)) > NEW_TOKEN_SECONDS:
        return None
    token = ApiToken.objects.owned_by(request.user).live().filter(pk=int(held.get("id") or 0)).first()
    return (token, str(held["plaintext"])) if token is not None else None


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def api_token_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """GET: the user's live tokens, the create form, and a token just created (once). POST: create one,
    then redirect here (an invalid form is shown again with a 400)."""
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, plaintext = token_services.api_token_create(
                user=request.user, name=form.cleaned_data["name"], tenant=form.cleaned_data["tenant"]
            )
        except InvalidInput as exc:
            form.add_error(None, exc.detail)
        else:
            request.session[NEW_TOKEN_KEY] = {"id": token.pk, "plaintext": plaintext, "at": time.time()}
            return redirect("api_token_list")
    created = _take_new_token(request) if request.method == "GET" else None
    tokens = ApiToken.objects.owned_by(request.user).live().order_by("-created_at")
    return render(
        request,
        "tokens/api_token_list.html",
        {"tokens": tokens, "form": form if request.method == "POST" else ApiTokenForm(), "created": created,
         "session": None},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def api_token_revoke(request: AuthenticatedHttpRequest, token_id: int) -> HttpResponse:
    """Revoke one of the user's tokens (someone else's id is a 404)."""
    token = ApiToken.objects.owned_by(request.user).filter(pk=token_id).first()
    if token is None:
        raise Http404("no such token")
    token_services.api_token_revoke(token=token)
    messages.success(request, f"Token “{token.name}” revoked; programs using it are locked out now.")
    return redirect("api_token_list")
