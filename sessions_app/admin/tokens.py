"""Admin for personal API tokens: listed with their prefix only (never a secret), revocable."""
from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest

from ..accounts.tokens import api_token_revoke
from ..models import ApiToken, ApiTokenQuerySet


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "display_prefix", "user", "tenant", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "created_at"]
    list_select_related = ["user"]
    search_fields = ["prefix", "name", "user__username"]
    raw_id_fields = ["user"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    fields = ["user", "name", "tenant", "prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke_tokens"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Tokens are created by their user on the "API tokens" page, where the plaintext is shown once.
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [*self.readonly_fields, "user", "tenant"] if obj else list(self.readonly_fields)

    @admin.action(description="Revoke the selected tokens", permissions=["change"])
    def revoke_tokens(self, request: HttpRequest, queryset: ApiTokenQuerySet) -> None:
        count = 0
        for token in queryset.live():
            api_token_revoke(token=token)
            count += 1
        self.message_user(request, f"Revoked {count} token(s).", messages.SUCCESS)
