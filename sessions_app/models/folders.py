"""``Folder``: a user's named group of conversations (each conversation is in at most one)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

if TYPE_CHECKING:
    from django.contrib.auth.models import User

FOLDER_NAME_MAX_LENGTH = 100


class FolderQuerySet(models.QuerySet["Folder"]):
    def owned_by(self, user: User) -> FolderQuerySet:
        return self.filter(owner=user)


class Folder(models.Model):
    """A folder of one user's conversations (``ChatSession.folder``; deleting a folder keeps its
    conversations, they only leave it). Names are unique per user, ignoring case."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_folders",
                              db_index=False)  # the unique (owner, lower(name)) index leads with it
    name = models.CharField(max_length=FOLDER_NAME_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = FolderQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            # Two requests creating "Work" and "work" at once: one wins, the other gets IntegrityError (→ 409).
            models.UniqueConstraint("owner", Lower("name"), name="folder_owner_name_uniq"),
        ]

    def __str__(self) -> str:
        return self.name
