"""Channel version strings, as ``PostgresSaver`` makes them."""
from __future__ import annotations

import random


def next_version(current: str | int | float | None) -> str:
    """The version after ``current``: a 32-digit zero-padded counter, ``.``, a random fraction.

    Strings sort in version order (LangGraph compares versions with ``>``) and two writers racing
    on one channel get different versions. Accepts the ints/floats other savers produce.
    """
    if current is None:
        counter = 0
    elif isinstance(current, (int, float)):
        counter = int(current)
    else:
        counter = int(current.split(".")[0])
    return f"{counter + 1:032}.{random.random():016}"
