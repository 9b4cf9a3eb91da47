"""Time the admin pages on whatever DATABASE_URL holds (not a test; numbers for docs/status/admin.md).

    DATABASE_URL=postgres://…/chatmemory_admin .venv/bin/python scripts/admin_page_times.py

Prints a Markdown table: page, median and max of 5 requests through Django's test client
(warm, after one untimed request), and the number of SQL queries of the last request.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatmemory.settings")
os.environ["DEBUG"] = "false"
os.environ.setdefault("SECRET_KEY", "admin-page-times")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from sessions_app.models import ChatMessage, ChatSession  # noqa: E402


def main() -> None:
    user, _ = get_user_model().objects.get_or_create(
        username="admin-page-times", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    big = ChatSession.objects.order_by("-message_count").only("pk", "message_count", "created_at").first()
    sharegpt = ChatSession.objects.filter(metadata__source__format="sharegpt").order_by("-message_count").first()
    print(f"sessions ~{ChatSession.objects.count():,}, messages ~{ChatMessage.objects.count():,}")
    base = "/admin/sessions_app/"
    pages = {
        "conversations changelist": f"{base}chatsession/",
        "changelist, page 200": f"{base}chatsession/?p=200",
        "changelist, status=archived & tenant=acme": f"{base}chatsession/?status__exact=archived&tenant=acme",
        "changelist, date hierarchy (year)": f"{base}chatsession/?created_at__year={big.created_at.year}",
        "search 'kubernetes' (title, owner, message text)": f"{base}chatsession/?q=kubernetes",
        "search '\"Jeff Walker\"'": f"{base}chatsession/?q=%22Jeff+Walker%22",
        f"conversation page, biggest ({big.message_count:,} messages)": f"{base}chatsession/{big.pk}/change/",
        "messages changelist": f"{base}chatmessage/",
        "messages changelist, type=system": f"{base}chatmessage/?type=system",
        "messages of the biggest conversation": f"{base}chatmessage/?session__id__exact={big.pk}",
        # pages past the bounded count (10,001 rows = page 100) are not reachable: see pagination.py
        f"messages of the biggest conversation, page {min(big.message_count // 100 + 1, 100)}": (
            f"{base}chatmessage/?session__id__exact={big.pk}&p={min(big.message_count // 100 + 1, 100)}"
        ),
    }
    if sharegpt is not None:
        pages[f"conversation page, biggest ShareGPT ({sharegpt.message_count} messages)"] = (
            f"{base}chatsession/{sharegpt.pk}/change/"
        )
    print("| page | median | max | queries |\n| --- | ---: | ---: | ---: |")
    for name, url in pages.items():
        client.get(url)
        times = []
        for _ in range(5):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        print(f"| {name} | {statistics.median(times):.0f} ms | {max(times):.0f} ms | {len(captured)} |")


if __name__ == "__main__":
    main()
