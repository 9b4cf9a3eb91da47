"""Markdown table lines of the memory benchmark (``bench/memory_bench.py``, ``bench/memory_small.py``):
a first column of labels, then one column per conversation length."""
from __future__ import annotations

from collections.abc import Iterable, Sequence


def row(label: str, cells: Iterable[str]) -> str:
    """``| label | cell | … |`` (an empty label gives ``| | cell | … |``)."""
    return (f"| {label} | " if label else "| | ") + " | ".join(cells) + " |"


def head(first: str, sizes: Sequence[int]) -> list[str]:
    """The header row (``first``, then ``10 messages``, ``1,000 messages`` …) and its separator."""
    return [row(first, (f"{n:,} messages" for n in sizes)), "|---|" + "---|" * len(sizes)]
