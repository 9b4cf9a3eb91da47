"""Sign up. Log in and log out are Django's ``LoginView`` / ``LogoutView`` (see ``urls.py``)."""
from __future__ import annotations

from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ..forms import SignupForm


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """GET: the sign-up form. POST: create the account, log it in, go to the conversations."""
    if request.user.is_authenticated:
        return redirect("chat_home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("chat_home")
    return render(request, "registration/signup.html", {"form": form}, status=400 if form.errors else 200)
