"""Django's own middlewares whose hooks do no I/O, run inline on the event loop under ASGI.

``MiddlewareMixin.__acall__`` runs ``process_request`` and ``process_response`` through
``sync_to_async`` — a hop to a thread and back — for every middleware, because in general they
may touch the database. Each hop waits for the event loop's next turn, and with a thousand
streams on the loop that is milliseconds each: a dozen of them before a streamed answer starts.
These subclasses keep Django's behaviour and its sync path exactly, and under ASGI call the
hooks directly when they cannot do I/O:

* ``CommonMiddleware``, ``AuthenticationMiddleware`` (the user stays lazy): never do I/O;
* ``SessionMiddleware`` (not in ``MIDDLEWARE``: ``check --deploy``'s cookie checks look for
  Django's by name, so Django's own is used): ``process_request`` builds a lazy store;
  ``process_response`` saves only a session that was read or written — then it takes the hop;
* ``MessageMiddleware``: ``process_response`` stores messages (cookie, then the session) only when
  they were read or added — then it still takes the hop.

Django's security, session, CSRF and clickjacking middlewares are kept as they are
(``check --deploy`` looks for them by name).
"""
from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth.middleware import AuthenticationMiddleware as _Authentication
from django.contrib.messages.middleware import MessageMiddleware as _Messages
from django.contrib.sessions.middleware import SessionMiddleware as _Sessions
from django.http import HttpRequest
from django.middleware.common import CommonMiddleware as _Common


class _Inline:
    """``__acall__`` with the hooks called directly, unless ``_needs_thread(request)`` says the
    response hook may do I/O this time."""

    get_response: Any

    def _needs_thread(self, request: HttpRequest) -> bool:
        return False

    async def __acall__(self, request: HttpRequest) -> Any:
        hook = getattr(self, "process_request", None)
        response = hook(request) if hook is not None else None
        response = response or await self.get_response(request)
        if hasattr(self, "process_response"):
            if self._needs_thread(request):
                return await sync_to_async(self.process_response, thread_sensitive=True)(
                    request, response)
            response = self.process_response(request, response)
        return response


class CommonMiddleware(_Inline, _Common):
    pass


class AuthenticationMiddleware(_Inline, _Authentication):
    pass


class SessionMiddleware(_Inline, _Sessions):
    def _needs_thread(self, request: HttpRequest) -> bool:
        session = getattr(request, "session", None)
        return session is None or session.accessed or session.modified


class MessageMiddleware(_Inline, _Messages):
    def _needs_thread(self, request: HttpRequest) -> bool:
        storage = getattr(request, "_messages", None)
        return storage is None or storage.used or storage.added_new
