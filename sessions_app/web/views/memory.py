"""The "Memory" page: the user's memories (what every conversation of theirs is told), add, edit, delete.

Thin: ``memory.user`` does the work, always for ``request.user`` — the page never takes a
namespace, and someone else's memory key is a 404.
"""
from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from ...exceptions import InvalidInput, MemoryNotFound
from ...memory import user as memories
from ..http import AuthenticatedHttpRequest


class MemoryForm(forms.Form):
    text = forms.CharField(max_length=memories.MAX_CHARS, strip=True,
                           widget=forms.TextInput(attrs={"placeholder": "e.g. I am vegetarian", "autocomplete": "off"}))


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def memory_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """GET: the memories and the add form. POST: add one (Post/Redirect/Get)."""
    form = MemoryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            memories.memory_add(user=request.user, text=form.cleaned_data["text"], source="page")
        except InvalidInput as exc:
            form.add_error("text", exc.detail)
        else:
            messages.success(request, "Remembered.")
            return redirect("memory_list")
    return render(request, "memory/memory_list.html", {
        "memories": memories.memories_list(user=request.user), "form": form, "session": None,
        "enabled": settings.CHATMEMORY_MEMORY_USER,
    }, status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def memory_edit(request: AuthenticatedHttpRequest, key: str) -> HttpResponse:
    form = MemoryForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"A memory is a non-empty text of at most {memories.MAX_CHARS} characters.")
        return redirect("memory_list")
    try:
        memories.memory_update(user=request.user, key=key, text=form.cleaned_data["text"])
    except MemoryNotFound:
        raise Http404("no such memory") from None
    except InvalidInput as exc:
        messages.error(request, exc.detail)
        return redirect("memory_list")
    messages.success(request, "Memory updated.")
    return redirect("memory_list")


@login_required
@require_POST
def memory_delete(request: AuthenticatedHttpRequest, key: str) -> HttpResponse:
    try:
        memories.memory_delete(user=request.user, key=key)
    except MemoryNotFound:
        raise Http404("no such memory") from None
    messages.success(request, "Forgotten.")
    return redirect("memory_list")
