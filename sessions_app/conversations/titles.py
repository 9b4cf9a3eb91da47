"""Titles made from a conversation's first exchange (the chat page's untitled conversations).

``session_make_title`` runs in Celery (``tasks.make_session_title``), enqueued by the chat page
after a turn on an untitled conversation was stored, so it never delays the answer. With a model
configured (``OPENAI_API_KEY`` / ``OPENAI_BASE_URL``) it asks that model for a short title in one
small, bounded call (``CHATMEMORY_TITLE_TIMEOUT`` seconds, no retry, ``TITLE_MAX_TOKENS``
tokens); without one — or when that call fails — the title is the first line of the first
message (``title_from_text``). It only fills an empty title: a conversation renamed meanwhile
keeps its name (the write is ``UPDATE … WHERE title = ''``).
"""
from __future__ import annotations

import logging
import re
import uuid

from django.conf import settings
from langchain_core.messages import HumanMessage, SystemMessage

from .. import cache
from ..models import ChatMessage, ChatSession
from .llm import get_chat_model, openai_configured

logger = logging.getLogger("sessions_app.chat")

TITLE_CHARS = 60  # a title made here is at most this long (a rename may be longer)
TITLE_MAX_TOKENS = 24
EXCERPT_CHARS = 1500  # of each message, sent to the model
TITLE_PROMPT = (
    "Write a short title (at most six words) for the conversation below, in the language of "
    "the conversation. Answer with the title only: no quotes, no final period."
)
_MARKUP = re.compile(r"^[#>*\-+\s`]+|[*_`~]+")


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= TITLE_CHARS:
        return text
    cut = text[: TITLE_CHARS - 1]
    if " " in cut[TITLE_CHARS // 2:]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.-") + "…"


def title_from_text(text: str) -> str:
    """The first non-empty line of ``text`` without Markdown markers, at most ``TITLE_CHARS``
    characters (cut at a word, with "…"); ``""`` for a text with no words."""
    for line in text.splitlines():
        line = _MARKUP.sub("", line).strip()
        if line:
            return _shorten(line)
    return ""


def clean_model_title(text: str) -> str:
    """The model's answer as a title: first line, no quotes or trailing period, bounded."""
    line = title_from_text(text).strip()
    if line.lower().startswith("title:"):
        line = line[len("title:"):].strip()
    return _shorten(line.strip("\"'“”‘’«»").rstrip(".").strip())


def _first_exchange(session_id: uuid.UUID) -> tuple[str, str]:
    rows = ChatMessage.objects.for_session(session_id).order_by("seq").values_list("type", "content_text")[:6]
    human = next((text for kind, text in rows if kind == "human" and text.strip()), "")
    answer = next((text for kind, text in rows if kind == "ai" and text.strip()), "")
    return human, answer


def _model_title(human: str, answer: str) -> str:
    model = get_chat_model(timeout=settings.CHATMEMORY_TITLE_TIMEOUT, max_retries=0, max_tokens=TITLE_MAX_TOKENS)
    prompt = f"User: {human[:EXCERPT_CHARS]}\n\nAssistant: {answer[:EXCERPT_CHARS]}"
    reply = model.invoke([SystemMessage(content=TITLE_PROMPT), HumanMessage(content=prompt)])
    return clean_model_title(reply.text)


def session_make_title(*, session_id: uuid.UUID) -> str:
    """Give an untitled conversation a title from its first exchange; return the title set.

    ``""`` when nothing was set: the conversation is gone, already has a title, or has no text
    yet. Never raises for the model: its failure is logged and the first line is used.
    """
    if ChatSession.objects.filter(pk=session_id).exclude(title="").exists():
        return ""
    human, answer = _first_exchange(session_id)
    if not human:
        return ""
    title = ""
    if openai_configured():
        try:
            title = _model_title(human, answer)
        except Exception:  # noqa: BLE001 - a title is a nicety: fall back to the first line
            logger.warning("the model could not title session %s; using the first line", session_id, exc_info=True)
    title = title or title_from_text(human)
    if not title or not ChatSession.objects.filter(pk=session_id, title="").update(title=title):
        return ""
    cache.evict(session_id)  # the cached meta carries the title
    return title
