"""Browser UI forms: sign up, new conversation, rename.

Forms only validate and render; the writes go through the services (``conversations.sessions``).
"""
from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import UserCreationForm

from ..models import TITLE_MAX_LENGTH


class SignupForm(UserCreationForm):
    """Django's ``UserCreationForm`` (username + password twice, validated by the password validators).

    Its ``Meta`` is Django's own: ``model = User``, ``fields = ("username",)``.
    """


class TitleForm(forms.Form):
    """An optional conversation title (at most ``TITLE_MAX_LENGTH`` characters, stripped)."""

    title = forms.CharField(
        label="Title",
        max_length=TITLE_MAX_LENGTH,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "Untitled conversation", "autocomplete": "off"}),
    )

    def clean_title(self) -> str:
        title = self.cleaned_data["title"]
        if "\x00" in title:
            raise forms.ValidationError("The title must not contain NUL characters.")
        return title


class RenameForm(TitleForm):
    """The new title of a conversation (required).

    Rendered without ``maxlength``: a browser would cut a longer paste silently; the server
    says instead what is too long (the chat page shows it in the menu)."""

    title = forms.CharField(
        label="New title",
        max_length=TITLE_MAX_LENGTH,
        required=True,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["title"].widget.attrs.pop("maxlength", None)
