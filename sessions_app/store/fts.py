"""Full-text search text and queries, the same on PostgreSQL (tsvector) and SQLite (FTS5).

``document_text`` is what an item contributes to the index: the texts at the configured field
paths (LangGraph's ``get_text_at_path``; ``"$"`` = the whole value as JSON, keys included).

A query is cut into words (Unicode letters/digits), lower-cased; common English function words
are dropped unless nothing else is left, and the words are OR-ed: an item matches if it has
any of them and ranks higher the more (and the closer) it has — what a recall search needs, where
an AND of every word of a question ("what is my dog's name") would find nothing. The query never
reaches the database as syntax: each word is quoted (``'word'`` in ``to_tsquery``, ``"word"`` in
FTS5), so no input is a syntax error.

Both sides use a language-agnostic tokenisation: PostgreSQL's ``simple`` configuration (no
stemming, no stop words), SQLite's ``unicode61`` tokenizer. Scores: PostgreSQL ``ts_rank_cd``,
SQLite ``-bm25()`` — both "higher is better", not comparable across backends.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from langgraph.store.base import get_text_at_path, tokenize_path

MAX_TERMS = 32
_WORD = re.compile(r"\w+", re.UNICODE)
STOP_WORDS = frozenset(
    """a an and are as at be been but by can could did do does for from had has have he her hers him his how
    i if in into is it its me my mine no not of on or our ours she so than that the their theirs them then
    there these they this those to us was we were what when where which who whom why will with would you
    your yours about again all am any because before being both each few more most other own same should
    some such through too under until up very just also tell said say remember""".split()
)


def document_text(value: dict[str, Any], fields: Sequence[tuple[str, Any]] | None = None) -> str:
    """The text of ``value`` at ``fields`` (``[(path, tokenized path)]``; default: the whole value)."""
    if not fields:
        return json.dumps(value, ensure_ascii=False, default=str)
    texts: list[str] = []
    for _path, tokens in fields:
        texts.extend(get_text_at_path(value, tokens))
    return "\n".join(texts)


def tokenized(fields: Iterable[str] | None) -> list[tuple[str, Any]]:
    """``[(path, tokenize_path(path))]``; ``"$"`` stays ``"$"`` (the whole value)."""
    return [(p, "$" if p == "$" else tokenize_path(p)) for p in (fields or ["$"])]


def query_terms(query: str) -> list[str]:
    """The distinct words of ``query`` that the search uses (see module doc), at most ``MAX_TERMS``."""
    words = [w.lower() for w in _WORD.findall(query or "") if len(w) > 1 or w.isdigit()]
    seen: dict[str, None] = {}
    for w in words:
        seen.setdefault(w, None)
    terms = list(seen)
    content = [t for t in terms if t not in STOP_WORDS]
    return (content or terms)[:MAX_TERMS]


def stem(word: str) -> str:
    """A crude suffix strip for prefix matching (``lives`` → ``liv``, ``dogs`` → ``dog``)."""
    if len(word) > 3 and word.isalpha():
        for suffix in ("ing", "ed", "ies", "es", "s"):
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                return word[: -len(suffix)]
    return word


def pg_tsquery(terms: Sequence[str], *, prefix: bool = False) -> str:
    """``'a' | 'b'`` for ``to_tsquery('simple', …)`` (quotes inside a word are doubled); with
    ``prefix``, each word's ``stem`` as a prefix: ``'liv':* | 'dog':*``."""
    def one(t: str) -> str:
        quoted = "'" + (stem(t) if prefix else t).replace("'", "''").replace("\\", "\\\\") + "'"
        return quoted + ":*" if prefix else quoted

    return " | ".join(one(t) for t in terms)


def fts5_query(terms: Sequence[str], *, prefix: bool = False) -> str:
    """``"a" OR "b"`` for an FTS5 ``MATCH``; with ``prefix``, ``"liv"* OR "dog"*``."""
    return " OR ".join('"' + (stem(t) if prefix else t).replace('"', '""') + '"' + ("*" if prefix else "")
                       for t in terms)
