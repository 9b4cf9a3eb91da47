"""The user admin with an "erase user" action (everything the user owns, audited)."""
from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from ..exceptions import ChatMemoryError
from ..governance.erasure import user_erase

User = get_user_model()

if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class ChatMemoryUserAdmin(UserAdmin):
    """Django's ``UserAdmin``; deleting a user (single or bulk) goes through ``user_erase``.

    So the admin's own delete and the "erase" action both delete the user's sessions, messages,
    state and checkpoints, evict the cache and write one audit entry per user.
    """

    actions = ["erase_users"]

    @admin.action(description="Erase selected users and everything they own", permissions=["delete"])
    def erase_users(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        erased = 0
        for user in queryset.order_by("pk"):
            try:
                summary = user_erase(user=user, actor=request.user)
            except ChatMemoryError as exc:
                self.message_user(request, f"{user}: {exc.detail}", messages.ERROR)
                continue
            erased += 1
            self.message_user(
                request,
                f"Erased user #{summary.user_id}: {summary.sessions} sessions, {summary.messages} messages, "
                f"{summary.state_versions} state versions.",
                messages.SUCCESS,
            )
        if not erased:
            self.message_user(request, "No user was erased.", messages.WARNING)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        user_erase(user=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for user in queryset.order_by("pk"):
            user_erase(user=user, actor=request.user)
