"""Browser UI forms: sign up, new conversation, rename.

Forms only validate and render; the writes go through ``sessions_app.services``.
"""
from __future__ import annotations

from django import forms
from django.contrib.auth.forms import UserCreationForm

from .services.sessions import MAX_TITLE


class SignupForm(UserCreationForm):
    """Django's ``UserCreationForm`` (username + password twice, validated by the password validators).

    Its ``Meta`` is Django's own: ``model = User``, ``fields = ("username",)``.
    """


class TitleForm(forms.Form):
    """An optional conversation title (at most ``MAX_TITLE`` characters, stripped)."""

    title = forms.CharField(
        label="Title",
        max_length=MAX_TITLE,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "Untitled conversation", "autocomplete": "off"}),
    )

    def clean_title(self) -> str:
        title = self.cleaned_data["title"]
        if "\x00" in title:
            raise forms.ValidationError("The title must not contain NUL characters.")
        return title


class RenameForm(TitleForm):
    """The new title of a conversation (required)."""

    title = forms.CharField(
        label="New title",
        max_length=MAX_TITLE,
        required=True,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
