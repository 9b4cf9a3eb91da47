"""The user's search text, parsed once: web-search syntax (Google-like), the same on both backends.

``kubernetes deploy`` (every word), ``"exact phrase"``, ``-excluded``, ``this or that``. On
PostgreSQL the text itself goes to ``websearch_to_tsquery('simple', …)``, which reads exactly
this syntax; on SQLite ``fts5_match`` builds the equivalent FTS5 expression, every term quoted so
that no input is an FTS5 syntax error. ``substring_terms`` are the terms of the substring fallback.
A query without any positive term (empty, punctuation only, only ``-words``) matches nothing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..exceptions import InvalidInput

QUERY_MAX_LENGTH = 200  # characters
QUERY_MAX_TERMS = 16

_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')


@dataclass(frozen=True)
class Term:
    """A word or a quoted phrase; ``negated`` for ``-term``; ``or_next`` when ``or`` follows it."""

    text: str
    phrase: bool = False
    negated: bool = False
    or_next: bool = False


@dataclass(frozen=True)
class ParsedQuery:
    raw: str
    terms: tuple[Term, ...]

    @property
    def positive(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if not t.negated)

    @property
    def is_empty(self) -> bool:
        """Nothing to look for: every result set of this query is empty."""
        return not self.positive


def _has_word(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def parse_query(raw: str) -> ParsedQuery:
    """Split the search text into terms. Raises ``InvalidInput`` (400) when it is too long or has NUL."""
    if "\x00" in raw:
        raise InvalidInput("the search text must not contain NUL characters")
    text = raw.strip()
    if len(text) > QUERY_MAX_LENGTH:
        raise InvalidInput(f"the search text is longer than {QUERY_MAX_LENGTH} characters")
    terms: list[Term] = []
    pending_or = False
    for match in _TOKEN.finditer(text):
        negated, phrase, word = match.group(1) == "-", match.group(2), match.group(3)
        if word is not None and word.lower() == "or":
            pending_or = bool(terms)
            continue
        if word is not None and word.startswith("-") and len(word) > 1:
            negated, word = True, word[1:]
        value = phrase if phrase is not None else word
        if value is None or not _has_word(value):
            continue
        if pending_or and terms and not negated and not terms[-1].negated:
            terms[-1] = Term(terms[-1].text, terms[-1].phrase, False, True)
        pending_or = False
        terms.append(Term(" ".join(value.split()), phrase is not None, negated))
    if len(terms) > QUERY_MAX_TERMS:
        raise InvalidInput(f"the search text has more than {QUERY_MAX_TERMS} terms")
    return ParsedQuery(raw=text, terms=tuple(terms))


def _fts5_quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def fts5_match(query: ParsedQuery) -> str | None:
    """The FTS5 ``MATCH`` expression of ``query`` (``None`` when it cannot match anything).

    ``a b or c -d`` → ``"a" AND ("b" OR "c") NOT "d"``. A quoted term is a phrase in FTS5 (its
    tokens adjacent, in order), which is also what a phrase means to ``websearch_to_tsquery``.
    """
    groups: list[list[str]] = []
    negated: list[str] = []
    joined = False
    for term in query.terms:
        quoted = _fts5_quote(term.text)
        if term.negated:
            negated.append(quoted)
            joined = False
            continue
        if joined and groups:
            groups[-1].append(quoted)
        else:
            groups.append([quoted])
        joined = term.or_next
    if not groups:
        return None
    expression = " AND ".join(group[0] if len(group) == 1 else "(" + " OR ".join(group) + ")" for group in groups)
    for quoted in negated:
        expression += f" NOT {quoted}"
    return expression


def substring_terms(query: ParsedQuery) -> list[str]:
    """The positive terms, for the substring fallback (each must occur, case-insensitively)."""
    return [t.text for t in query.positive]


def like_pattern(term: str) -> str:
    """``%term%`` for ``LIKE … ESCAPE '\\'``, with ``%``, ``_`` and ``\\`` in the term escaped."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
