"""The benchmark's small-conversation verdict says what its figures say (bench/memory_small.py).

The report is generated from the measurements; these tests pin that the words follow the numbers:
a slower chatmemory turn is called slower, with the gap, whatever the earlier docs claimed.
"""
from __future__ import annotations

from typing import Any

from bench.memory_small import section


def _results(warm: float, peer: float) -> dict[str, Any]:
    def row(ms: float) -> dict[str, Any]:
        return {"n": 150, "median_ms": ms, "p99_ms": ms * 2}

    interleaved = {}
    for n in (10, 100, 1_000):
        scale = n / 10
        interleaved |= {f"warm/{n}": row(warm), f"cold/{n}": row(warm * 3), f"floor_pg/{n}": row(0.7),
                        f"lc_postgres/{n}": row(peer * scale ** 0.5), f"design_floor/{n}": row(1.1)}
    check = {f"check_lc_postgres/{n}": row(peer) for n in (10, 100, 1_000)}
    check |= {f"check_floor_pg/{n}": row(0.7) for n in (10, 100, 1_000)}
    return {"chatmemory": {"interleaved": interleaved}, "check": {"turn": check}}


def test_a_slower_small_turn_is_reported_as_slower() -> None:
    text = "\n".join(section(_results(warm=1.4, peer=0.7)))
    assert "- 10 messages: chatmemory 1.40 ms, langchain-postgres 0.70 ms — chatmemory is **2.0× slower** (+0.70 ms)" \
        in text
    assert "- 100 messages: chatmemory 1.40 ms, langchain-postgres 2.21 ms — chatmemory is **1.6× faster**" in text
    assert "**At 10 messages chatmemory's warm turn is slower than langchain-postgres'.**" in text
    assert "The gap is at most 0.70 ms per turn" in text


def test_no_slower_claim_when_chatmemory_is_faster_everywhere() -> None:
    text = "\n".join(section(_results(warm=0.5, peer=0.8)))
    assert "slower than langchain-postgres" not in text
    assert "at least as fast as langchain-postgres'" in text


def test_cross_check_ratios_sit_next_to_the_interleaved_ones() -> None:
    lines = section(_results(warm=1.4, peer=0.7))
    assert "| cross-check: langchain-postgres ÷ floor | 1.00× | 1.00× | 1.00× |" in lines
    assert "| above: langchain-postgres ÷ floor | 1.00× | 3.16× | 10.00× |" in lines
