"""Admin for versioned session state: read-only, with a readable diff against the previous version."""
from __future__ import annotations

import json

import jsonpatch
from django.contrib import admin
from django.utils.html import format_html, format_html_join

from ..models import SessionState
from .readonly_mixin import ReadOnlyAdminMixin


@admin.register(SessionState)
class SessionStateAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """State versions are immutable: viewable, never added, changed or deleted here."""

    list_display = ("session", "version", "tag", "source_version", "created_at")
    list_filter = (("created_at", admin.DateFieldListFilter),)
    search_fields = ("=session__id", "=tag")
    raw_id_fields = ("session",)
    list_select_related = ("session",)
    show_full_result_count = False
    fields = ("session", "version", "tag", "source_version", "created_at", "state_pretty", "diff_from_previous")
    readonly_fields = fields

    @admin.display(description="state")
    def state_pretty(self, obj: SessionState) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.state, indent=2, ensure_ascii=False, sort_keys=True))

    @admin.display(description="diff from the previous version (RFC 6902 JSON Patch)")
    def diff_from_previous(self, obj: SessionState) -> str:
        previous = (
            SessionState.objects.filter(session_id=obj.session_id, version__lt=obj.version)
            .order_by("-version")
            .first()
        )
        if previous is None:
            return "first version"
        patch = jsonpatch.make_patch(previous.state, obj.state).patch
        if not patch:
            return f"no change since v{previous.version}"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td><code>{}</code></td><td><code>{}</code></td></tr>",
            (
                (
                    op["op"],
                    op["path"] + (f" ← {op['from']}" if "from" in op else ""),
                    json.dumps(op["value"], ensure_ascii=False) if "value" in op else "",
                )
                for op in patch
            ),
        )
        return format_html(
            "<p>from v{}</p><table><thead><tr><th>op</th><th>path</th><th>value</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            previous.version,
            rows,
        )
