"""The "API tokens" page: create a personal token (its plaintext shown once), list, revoke.

The plaintext is rendered in the response to the creating POST only (no redirect, no flash
message: neither the session nor a cookie ever holds it) with ``Cache-Control: no-store``.
"""
from __future__ import annotations

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


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def api_token_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """GET: the user's live tokens and the create form. POST: create one and show it once."""
    form = ApiTokenForm(request.POST or None)
    created: tuple[ApiToken, str] | None = None
    if request.method == "POST" and form.is_valid():
        try:
            created = token_services.api_token_create(
                user=request.user, name=form.cleaned_data["name"], tenant=form.cleaned_data["tenant"]
            )
        except InvalidInput as exc:
            form.add_error(None, exc.detail)
        else:
            form = ApiTokenForm()
    tokens = ApiToken.objects.owned_by(request.user).live().order_by("-created_at")
    status = 400 if request.method == "POST" and created is None else 200
    return render(
        request,
        "tokens/api_token_list.html",
        {"tokens": tokens, "form": form, "created": created, "session": None},
        status=status,
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
