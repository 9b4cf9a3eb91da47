"""Organizing one's conversations: folders (one per conversation) and pins.

Folders belong to a user; a conversation is in at most one folder (``ChatSession.folder``), and
only in a folder of its own owner. Deleting a folder keeps its conversations (they leave it).
Pinned conversations (``ChatSession.pinned_at``) are listed first. None of this touches messages,
the cache or the audit log: it is the owner's filing, not their data.
"""
from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from ..exceptions import FolderNotFound, InvalidInput, NameTaken, SessionGone
from ..models import FOLDER_NAME_MAX_LENGTH, ChatSession, Folder

MAX_FOLDERS = 200  # per user: every folder is offered in one menu


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput("a folder needs a name")
    if "\x00" in name:
        raise InvalidInput("the folder name must not contain NUL characters")
    if len(name) > FOLDER_NAME_MAX_LENGTH:
        raise InvalidInput(f"the folder name is longer than {FOLDER_NAME_MAX_LENGTH} characters")
    return name


def folders_for_user(*, user: Any) -> QuerySet[Folder]:
    """The user's folders by name (``folder_owner_name_uniq`` serves it)."""
    return Folder.objects.owned_by(user).order_by("name", "id")


def folder_get_for_user(*, folder_id: Any, user: Any) -> Folder:
    """The user's folder; ``FolderNotFound`` (404) for anyone else's or an unknown id."""
    try:
        return Folder.objects.get(pk=int(folder_id), owner=user)
    except (Folder.DoesNotExist, TypeError, ValueError):
        raise FolderNotFound(f"no folder {folder_id!r}") from None


@transaction.atomic
def folder_create(*, owner: Any, name: str) -> Folder:
    """A new folder. Raises ``InvalidInput`` (400: empty, too long, too many folders), ``NameTaken`` (409)."""
    name = _clean_name(name)
    if Folder.objects.owned_by(owner).count() >= MAX_FOLDERS:
        raise InvalidInput(f"at most {MAX_FOLDERS} folders")
    try:
        with transaction.atomic():
            return Folder.objects.create(owner=owner, name=name)
    except IntegrityError:
        raise NameTaken(f"there is a folder named {name!r} already") from None


@transaction.atomic
def folder_rename(*, folder: Folder, name: str) -> Folder:
    """Rename; ``NameTaken`` (409) if another of the owner's folders has that name."""
    folder.name = _clean_name(name)
    try:
        with transaction.atomic():
            folder.save(update_fields=["name"])
    except IntegrityError:
        raise NameTaken(f"there is a folder named {folder.name!r} already") from None
    return folder


@transaction.atomic
def folder_delete(*, folder: Folder) -> int:
    """Delete the folder; its conversations stay, outside any folder. Returns how many left it."""
    moved = ChatSession.objects.filter(folder=folder).update(folder=None)
    folder.delete()
    return moved


@transaction.atomic
def session_set_folder(*, session: ChatSession, folder: Folder | None) -> ChatSession:
    """Put the conversation in ``folder`` (``None``: in none). The folder must be the owner's
    (``FolderNotFound`` otherwise: the same answer as for an unknown folder). ``SessionGone`` (410)."""
    if folder is not None and folder.owner_id != session.owner_id:
        raise FolderNotFound(f"no folder {folder.pk}")
    if not ChatSession.objects.filter(pk=session.pk).update(folder=folder):
        raise SessionGone()
    session.folder = folder
    return session


@transaction.atomic
def session_set_pinned(*, session: ChatSession, pinned: bool) -> ChatSession:
    """Pin (listed first, newest pin first) or unpin. Idempotent: pinning a pinned one keeps its time."""
    if pinned and session.pinned_at is not None:
        return session
    when = timezone.now() if pinned else None
    if not ChatSession.objects.filter(pk=session.pk).update(pinned_at=when):
        raise SessionGone()
    session.pinned_at = when
    return session
