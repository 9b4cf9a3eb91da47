"""Highlighted snippets as safe HTML: the text escaped, matches in ``<mark>…</mark>``.

The database marks matches with two private-use characters (``START``/``STOP``, which no
keyboard types); ``to_html`` escapes everything else and turns only those into tags, balanced,
so a message containing ``<script>`` shows as text. ``around`` makes a snippet in Python for
the substring fallback.
"""
from __future__ import annotations

import html

START = "\ue000"
STOP = "\ue001"
LT = "\ue002"  # stands for "<" while PostgreSQL's ts_headline runs: its parser drops what looks like a tag
ELLIPSIS = "…"


def to_html(marked: str) -> str:
    """Escape ``marked`` and turn its ``START``/``STOP`` markers into ``<mark>``/``</mark>`` (balanced)."""
    out: list[str] = []
    open_ = False
    for piece in _split(marked):
        if piece == START:
            if not open_:
                out.append("<mark>")
                open_ = True
        elif piece == STOP:
            if open_:
                out.append("</mark>")
                open_ = False
        else:
            out.append(html.escape(piece.replace(LT, "<"), quote=False))
    if open_:
        out.append("</mark>")
    return "".join(out)


def _split(text: str) -> list[str]:
    pieces: list[str] = []
    current: list[str] = []
    for ch in text:
        if ch in (START, STOP):
            if current:
                pieces.append("".join(current))
                current = []
            pieces.append(ch)
        else:
            current.append(ch)
    if current:
        pieces.append("".join(current))
    return pieces


def plain(text: str) -> str:
    """Text that may contain the marker characters, with them removed (before marking it ourselves)."""
    return text.replace(START, "").replace(STOP, "").replace(LT, "")


def _fold(text: str) -> str:
    """Lower case, one character for one (so indexes into the folded text are indexes into ``text``)."""
    return "".join(low if len(low := ch.lower()) == 1 else ch for ch in text)


def around(text: str, terms: list[str], width: int = 160) -> str:
    """A snippet of ``text`` around the first occurrence of any of ``terms`` (case-insensitive),
    every occurrence inside it marked; as ``to_html`` output. The start of the text if none occurs."""
    text = " ".join(plain(text).split())
    folded = _fold(text)
    hits = [(folded.find(_fold(t)), t) for t in terms if t]
    hits = [(i, t) for i, t in hits if i >= 0]
    first = min((i for i, _ in hits), default=0)
    start = max(0, first - width // 3)
    end = min(len(text), start + width)
    window = text[start:end]
    marked = _mark(window, [t for _, t in hits])
    return (ELLIPSIS if start else "") + to_html(marked) + (ELLIPSIS if end < len(text) else "")


def _mark(window: str, terms: list[str]) -> str:
    folded = _fold(window)
    spans: list[tuple[int, int]] = []
    for term in terms:
        needle = _fold(term)
        i = folded.find(needle)
        while needle and i >= 0:
            spans.append((i, i + len(needle)))
            i = folded.find(needle, i + len(needle))
    out: list[str] = []
    pos = 0
    for begin, finish in sorted(spans):
        if begin < pos:
            continue
        out += [window[pos:begin], START, window[begin:finish], STOP]
        pos = finish
    out.append(window[pos:])
    return "".join(out)
