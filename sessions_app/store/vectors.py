"""Semantic search: the ``index`` config, embeddings as bytes, and the two ways of scoring.

``IndexConfig`` is LangGraph's (``dims``, ``embed``: any LangChain ``Embeddings``, a function or
an ``"provider:model"`` string, ``fields``: paths to embed, default ``["$"]``) plus
``PostgresStore``'s ``distance_type`` (``"cosine"`` (default), ``"inner_product"``, ``"l2"``) and
``ann_index_config.vector_type`` (``"vector"`` or ``"halfvec"``).

Scores are ``PostgresStore``'s: cosine similarity, the inner product, or minus the Euclidean
distance — higher is better; an item with several embedded texts scores its best one.

**pgvector** (``uses_pgvector``): when the database is PostgreSQL and the ``vector`` extension
is installed (``CREATE EXTENSION vector``; ``DjangoStore.setup()`` creates it if it is
available), each vector row also has a pgvector ``embedding_pg`` column and the database scores
and ranks (``<=>``, ``<#>``, ``<->``; ``halfvec`` casts for half precision): one query,
``LIMIT`` in SQL.

**The portable fallback** (SQLite, or PostgreSQL without pgvector): candidate vectors (the
rows that pass the namespace, filter and expiry conditions) are read and scored in Python.
Cost: O(candidates × dims) per search — about 1 ms per 1,000 vectors of 64 dims, 20 ms per
1,000 of 1,536 dims on this machine; fine for per-user memories (hundreds of items), not for
a corpus of 100,000 documents (use PostgreSQL with pgvector there).
"""
from __future__ import annotations

import math
import struct
from array import array
from collections.abc import Sequence
from typing import Any

from django.db import connection
from langgraph.store.base import IndexConfig, ensure_embeddings

from .fts import tokenized

DISTANCES = ("cosine", "inner_product", "l2")
VECTOR_TYPES = ("vector", "halfvec")
PG_COLUMN = "embedding_pg"
_pgvector_by_db: dict[str, bool] = {}


class StoreIndex:
    """A validated ``index`` config: the embeddings, dims, distance, fields to embed."""

    def __init__(self, config: IndexConfig | dict[str, Any]) -> None:
        cfg = dict(config)
        try:
            self.dims = int(cfg["dims"])
        except (KeyError, TypeError, ValueError):
            raise ValueError("index config needs an integer 'dims'") from None
        if self.dims <= 0:
            raise ValueError("index config 'dims' must be positive")
        self.distance = str(cfg.get("distance_type") or "cosine")
        if self.distance not in DISTANCES:
            raise ValueError(f"distance_type must be one of {DISTANCES}, not {self.distance!r}")
        self.vector_type = str((cfg.get("ann_index_config") or {}).get("vector_type") or "vector")
        if self.vector_type not in VECTOR_TYPES:
            raise ValueError(f"vector_type must be one of {VECTOR_TYPES}, not {self.vector_type!r}")
        fields = cfg.get("fields") or ["$"]
        if isinstance(fields, str):
            fields = [fields]
        if not isinstance(fields, list):
            raise ValueError(f"Text fields must be a list or a string. Got {fields}")
        self.fields = tokenized(fields)
        self.embeddings = ensure_embeddings(cfg.get("embed"))
        self.config = cfg

    def paths_for(self, index: Sequence[str] | None) -> list[tuple[str, Any]]:
        """The paths a put embeds: its own ``index=[…]`` list, else the config's fields."""
        return self.fields if index is None else tokenized(index)

    def score(self, query: Sequence[float], vector: Sequence[float]) -> float:
        """The similarity of two vectors (``PostgresStore``'s score for the distance type)."""
        if self.vector_type == "halfvec":
            query, vector = to_half(query), to_half(vector)
        dot = math.fsum(a * b for a, b in zip(query, vector, strict=False))
        if self.distance == "inner_product":
            return dot
        if self.distance == "l2":
            return -math.sqrt(math.fsum((a - b) ** 2 for a, b in zip(query, vector, strict=False)))
        norms = math.sqrt(math.fsum(a * a for a in query)) * math.sqrt(math.fsum(b * b for b in vector))
        return dot / norms if norms else 0.0

    def pg_score(self) -> tuple[str, str]:
        """(ORDER BY distance expression with one ``%s`` for the query vector, score from it)."""
        cast = f"::{self.vector_type}({self.dims})"
        col = f"v.{PG_COLUMN}{cast}"
        if self.distance == "l2":
            return f"{col} <-> %s{cast}", "-d"
        if self.distance == "inner_product":
            return f"{col} <#> %s{cast}", "-d"
        return f"{col} <=> %s{cast}", "1 - d"


def pack(vector: Sequence[float]) -> bytes:
    """float32 little-endian bytes of a vector (what ``StoreVector.embedding`` holds)."""
    values = array("f", (float(x) for x in vector))
    if struct.pack("=I", 1) != struct.pack("<I", 1):  # pragma: no cover - big-endian hosts
        values.byteswap()
    return values.tobytes()


def unpack(data: bytes | memoryview) -> array[float]:
    values = array("f")
    values.frombytes(bytes(data))
    if struct.pack("=I", 1) != struct.pack("<I", 1):  # pragma: no cover
        values.byteswap()
    return values


def to_half(vector: Sequence[float]) -> tuple[float, ...]:
    """Round to IEEE half precision, as pgvector's ``halfvec`` stores it."""
    n = len(vector)
    return struct.unpack(f"<{n}e", struct.pack(f"<{n}e", *vector))


def pg_literal(vector: Sequence[float]) -> str:
    """pgvector's text form: ``[0.1,0.2,…]``."""
    return "[" + ",".join(repr(float(x)) for x in vector) + "]"


def uses_pgvector() -> bool:
    """Whether this database has pgvector installed *and* our vector column (cached per database)."""
    if connection.vendor != "postgresql":
        return False
    name = str(connection.settings_dict["NAME"])
    if name not in _pgvector_by_db:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector') AND EXISTS ("
                "SELECT 1 FROM information_schema.columns WHERE table_name = 'sessions_app_storevector' "
                "AND column_name = %s)",
                [PG_COLUMN],
            )
            _pgvector_by_db[name] = bool(cur.fetchone()[0])
    return _pgvector_by_db[name]


def setup_pgvector() -> bool:
    """Create the extension and the pgvector column if pgvector is available; return whether in use.

    Idempotent. Existing vectors are copied into the new column. Needs the right to create the
    extension (superuser or a trusted extension) the first time.
    """
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
        if cur.fetchone() is None:
            return False
        cur.execute("CREATE EXTENSION IF NOT EXISTS vector")
        cur.execute(f"ALTER TABLE sessions_app_storevector ADD COLUMN IF NOT EXISTS {PG_COLUMN} vector")
    _pgvector_by_db.pop(str(connection.settings_dict["NAME"]), None)
    if uses_pgvector():
        from ..models.store import StoreVector

        for row in StoreVector.objects.extra(where=[f"{PG_COLUMN} IS NULL"]).values_list("id", "embedding"):
            with connection.cursor() as cur:
                cur.execute(
                    f"UPDATE sessions_app_storevector SET {PG_COLUMN} = %s::vector WHERE id = %s",
                    [pg_literal(unpack(row[1])), row[0]],
                )
    return uses_pgvector()


def forget_pgvector_cache() -> None:
    _pgvector_by_db.clear()
