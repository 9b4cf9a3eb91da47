"""Create (once) and print the local login used by ``make run``."""
from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the local staff login for `make run` (once) and print its username and password."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="Where the server will listen (printed).")

    def handle(self, *args: Any, username: str, url: str, **options: Any) -> None:
        secret_file = Path(settings.VAR_DIR) / "local_login.txt"
        user_model = get_user_model()
        user = user_model.objects.filter(username=username).first()
        password = secret_file.read_text().strip() if secret_file.exists() else ""
        if user is None or not password or not user.check_password(password):
            password = secrets.token_urlsafe(12)
            if user is None:
                user = user_model.objects.create_superuser(username=username, email="", password=password)
            else:
                user.set_password(password)
                user.save(update_fields=["password"])
            secret_file.parent.mkdir(parents=True, exist_ok=True)
            secret_file.write_text(password + "\n")
            secret_file.chmod(0o600)
        self.stdout.write(
            self.style.SUCCESS(
                f"\n  chatmemory is starting on {url}\n"
                f"  Log in as  {username} / {password}   (staff: the admin is at /admin/)\n"
                f"  or sign up as a new user on the login page.\n"
            )
        )
