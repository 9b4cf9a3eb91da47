"""The rolling summary: everything of a conversation before its recent window, in a few hundred tokens.

Stored as **versioned state in the store**, under the conversation's namespace
``("users", "<owner>", "sessions", "<session uuid>")`` (so erasure, conversation deletion and the
admin govern it like any store item): key ``"summary"`` holds the current version
``{"text", "through_seq", "version", "writer", "messages"}`` and key ``"v<version>"`` keeps each
version (immutable; the current one is a copy of the newest).

It is rewritten by the Celery task ``sessions_app.update_summary`` — never during a turn —
once ``CHATMEMORY_MEMORY_SUMMARY_STEP`` more messages have left the window since
``through_seq`` (``summary_due``). The writer is the configured chat model when a real one is
set (``OPENAI_*``): asked to fold the messages that left the window into the previous summary;
with the offline model, ``extractive``: the most informative sentences of the previous summary and
the new messages (content words weighted by rarity), kept in conversation order, within
``CHATMEMORY_MEMORY_SUMMARY_TOKENS``.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any, TypedDict

from django.conf import settings
from django.db import transaction
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.messages.utils import count_tokens_approximately

from ..models import ChatMessage, ChatSession
from ..store import DjangoStore, session_namespace
from ..store.fts import STOP_WORDS

KEY = "summary"
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_WORD = re.compile(r"\w+", re.UNICODE)
PROMPT = (
    "You keep a running summary of a conversation for an assistant that cannot see old messages. "
    "Fold the new messages into the summary. Keep every fact about the user (names, places, dates, "
    "numbers, preferences, decisions, plans) and drop small talk. At most {words} words. Reply with "
    "the summary only.\n\nSummary so far:\n{summary}\n\nNew messages:\n{messages}"
)


class Summary(TypedDict):
    text: str
    through_seq: int
    version: int
    writer: str
    messages: int


def summary_get(session: ChatSession, *, store: DjangoStore | None = None) -> Summary | None:
    """The conversation's current summary, or ``None`` if none was written yet."""
    item = (store or DjangoStore()).get(session_namespace(session), KEY, refresh_ttl=False)
    return item.value if item else None  # type: ignore[return-value]


def summary_due(session: ChatSession, summary: Summary | None, last_seq: int) -> bool:
    """Whether enough messages left the window since the summary to rewrite it."""
    left = last_seq - settings.CHATMEMORY_CONTEXT_WINDOW
    done = summary["through_seq"] if summary else 0
    return left - done >= settings.CHATMEMORY_MEMORY_SUMMARY_STEP


def summary_update(session_id: Any, *, model: Any = None) -> Summary | None:
    """Rewrite the summary to cover every message that left the window; return it (``None``:
    nothing to do). Idempotent: a second call with nothing new left does nothing."""
    session = ChatSession.objects.filter(pk=session_id).first()
    if session is None:
        return None
    store = DjangoStore()
    old = summary_get(session, store=store)
    start = old["through_seq"] if old else 0
    through = session.last_seq - settings.CHATMEMORY_CONTEXT_WINDOW
    if through <= start:
        return None
    rows = list(ChatMessage.objects.filter(session_id=session.pk, seq__gt=start, seq__lte=through)
                .order_by("seq").values_list("type", "content_text"))
    budget = settings.CHATMEMORY_MEMORY_SUMMARY_TOKENS
    previous = old["text"] if old else ""
    if model is None:
        from ..conversations.llm import get_chat_model, openai_configured

        model = get_chat_model() if openai_configured() else None
    if model is not None:
        text = _written(model, previous, rows, budget)
        writer = getattr(model, "model_name", None) or type(model).__name__
    else:
        text = extractive(previous, [t for _, t in rows], budget)
        writer = "extractive"
    version = (old["version"] if old else 0) + 1
    value = Summary(text=text, through_seq=through, version=version, writer=str(writer),
                    messages=(old["messages"] if old else 0) + len(rows))
    ns = session_namespace(session)
    with transaction.atomic():
        # Deleted meanwhile: write nothing. The row lock makes a delete in progress finish first (and
        # then the row is gone), or wait until these items are written and then delete them too.
        if not ChatSession.objects.select_for_update(no_key=True).filter(pk=session.pk).values_list("pk"):
            return None
        store.put(ns, f"v{version}", dict(value), index=False)
        store.put(ns, KEY, dict(value), index=False)
    return value


def _written(model: Any, previous: str, rows: list[tuple[str, str]], budget: int) -> str:
    lines = "\n".join(f"{'User' if t == 'human' else 'Assistant'}: {x}" for t, x in rows)
    prompt = PROMPT.format(words=int(budget * 0.7), summary=previous or "(none)", messages=lines)
    answer = model.invoke([SystemMessage("You summarise conversations."), HumanMessage(prompt)])
    text = answer.text if hasattr(answer, "text") else str(answer.content)
    return _fit(text.strip(), budget)


def extractive(previous: str, texts: list[str], budget: int) -> str:
    """The most informative sentences of ``previous`` + ``texts`` that fit ``budget`` tokens.

    A sentence scores the sum of its content words' inverse frequency (rare words — names,
    places, numbers — weigh most) divided by its length in words to the power 0.5; chosen best
    first, shown in their original order.
    """
    sentences = [s.strip() for t in [previous, *texts] for s in _SENTENCE.split(t or "") if len(s.strip()) > 3]
    if not sentences:
        return ""
    words = [[w.lower() for w in _WORD.findall(s) if w.lower() not in STOP_WORDS] for s in sentences]
    df = Counter(w for ws in words for w in set(ws))
    n = len(sentences)
    scores = [sum(math.log(1 + n / df[w]) for w in set(ws)) / max(1.0, len(ws)) ** 0.5 for ws in words]
    chosen: list[int] = []
    used = 0
    seen: set[str] = set()
    for i in sorted(range(n), key=lambda i: -scores[i]):
        key = sentences[i].lower()
        cost = count_tokens_approximately([sentences[i]])
        if key in seen or used + cost > budget:
            continue
        chosen.append(i)
        seen.add(key)
        used += cost
    return " ".join(sentences[i] for i in sorted(chosen))


def _fit(text: str, budget: int) -> str:
    while text and count_tokens_approximately([text]) > budget:
        text = text[: int(len(text) * 0.9)].rsplit(" ", 1)[0] + "…"
    return text
