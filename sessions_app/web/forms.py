"""Browser UI forms: sign up, titles, folders, sharing, import, password confirmation.

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

class FolderForm(forms.Form):
    """A folder name (the service trims it, checks its length and that it is free)."""

    name = forms.CharField(label="Folder name", max_length=100, widget=forms.TextInput(attrs={"autocomplete": "off"}))


class ShareForm(forms.Form):
    """How long a share link works."""

    EXPIRY_DAYS = {"never": None, "1": 1, "7": 7, "30": 30}
    expires = forms.ChoiceField(
        label="Link works", initial="never",
        choices=[("never", "until I turn it off"), ("1", "for 1 day"), ("7", "for 7 days"), ("30", "for 30 days")],
    )


class ImportForm(forms.Form):
    """A ShareGPT JSON file or a ChatGPT export's ``conversations.json``."""

    file = forms.FileField(label="File (.json)")
    format = forms.ChoiceField(label="Format", choices=[("chatgpt", "ChatGPT export (conversations.json)"),
                                                        ("sharegpt", "ShareGPT JSON")])
    skip_invalid = forms.BooleanField(label="Import the valid conversations even if some are broken", required=False)


class PasswordConfirmForm(forms.Form):
    """Re-authentication before an irreversible action: the user's current password."""

    password = forms.CharField(label="Your password", strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    def __init__(self, *args: object, user: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):  # type: ignore[attr-defined]
            raise forms.ValidationError("That is not your password.")
        return password
