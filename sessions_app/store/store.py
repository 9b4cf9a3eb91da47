"""``DjangoStore``: LangGraph's ``BaseStore`` on this project's database, through the ORM."""
from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from langgraph.store.base import (
    BaseStore,
    GetOp,
    IndexConfig,
    ListNamespacesOp,
    Op,
    PutOp,
    Result,
    SearchOp,
    TTLConfig,
    get_text_at_path,
    validate_op_namespace,
)

from ..checkpoint.dispatch import run_async, run_sync
from . import ops, ttl
from .vectors import StoreIndex, setup_pgvector

logger = logging.getLogger(__name__)
VectorMap = dict[tuple[tuple[str, ...], str], list[tuple[str, list[float]]]]


class DjangoStore(BaseStore):
    """LangGraph long-term memory store (``langgraph.store.base.BaseStore``) on the Django ORM.

    Items live in ``StoreItem`` (and their embeddings in ``StoreVector``) in the project's own
    database — the same one as conversations and checkpoints, so one backup, one erasure, one
    transaction. Setup is ``python manage.py migrate`` (``setup()`` only adds pgvector, see below).

    Contract (langgraph-checkpoint 4.x ``BaseStore``): ``batch`` / ``abatch`` of ``GetOp``,
    ``PutOp`` (``value=None`` deletes), ``SearchOp``, ``ListNamespacesOp``, and the methods built on
    them: ``get``/``aget``, ``put``/``aput`` (``index=``, ``ttl=`` in minutes), ``delete``/
    ``adelete``, ``search``/``asearch`` (``namespace_prefix``, ``filter`` with ``$eq $ne $gt $gte
    $lt $lte``, ``query``, ``limit``, ``offset``, ``refresh_ttl``), ``list_namespaces``/
    ``alist_namespaces`` (``prefix``, ``suffix``, ``"*"`` wildcards, ``max_depth``, ``limit``,
    ``offset``). Results come back in op order; a batch's reads run before its puts and the
    whole batch is one transaction (all its writes or none). Invalid namespace labels raise
    ``InvalidNamespaceError`` before any SQL runs; an unknown filter operator ``ValueError``.

    ``query=``: with an ``index`` config (``dims``, ``embed``: any LangChain ``Embeddings``,
    ``fields``, ``distance_type``) the search is semantic — see ``sessions_app.store.vectors``
    (pgvector when installed, else scored in Python); without one it is full-text search
    (``sessions_app.store.fts``: PostgreSQL ``tsvector`` / SQLite FTS5), ranked, only matching
    items returned. Without ``query`` items come newest ``updated_at`` first, ``score=None``.

    ``ttl``: ``TTLConfig`` (``default_ttl`` minutes for puts without ``ttl=``, ``refresh_on_read``,
    ``sweep_interval_minutes``, ``omit_expired``). **Expired items are not returned** (get, search,
    list), swept or not: ``omit_expired`` defaults to true here (upstream's ``PostgresStore``
    defaults it to false); ``TTLConfig(omit_expired=False)`` asks for upstream's behaviour, expired
    rows visible until the sweeper deletes them. Reads with ``refresh_ttl`` extend live items only. The
    sweeper is the Celery beat task ``sessions_app.sweep_store`` and the command
    ``sweep_store``; ``start_ttl_sweeper()`` (``PostgresStore``'s API) runs the same service in
    a thread for processes without beat.

    Threads and connections are the saver's (``sessions_app.checkpoint.dispatch``): sync calls
    from the main thread (no event loop running on it) or inside ``transaction.atomic`` use the
    caller's connection; other threads, sync calls where a loop runs and every ``a*`` call run on
    the one "checkpoint-db" thread; embeddings are computed
    by the caller first (``aembed_*`` on the event loop for async calls).

    Usage::

        store = DjangoStore(index={"dims": 1536, "embed": OpenAIEmbeddings(), "fields": ["text"]})
        store.put(("users", str(user.pk), "memories"), "m1", {"text": "likes green tea"})
        graph = builder.compile(checkpointer=DjangoSaver(), store=store)
    """

    supports_ttl: bool = True

    def __init__(self, *, index: IndexConfig | None = None, ttl: TTLConfig | None = None) -> None:
        self.index: StoreIndex | None = StoreIndex(index) if index else None
        self.index_config: dict[str, Any] | None = self.index.config if self.index else None
        self.embeddings = self.index.embeddings if self.index else None
        self.ttl_config: TTLConfig | None = ttl
        self._sweeper: threading.Thread | None = None
        self._sweeper_stop = threading.Event()

    # ----- BaseStore ------------------------------------------------------------------------------

    def batch(self, ops: Iterable[Op]) -> list[Result]:
        """Run ``ops`` in one transaction; one result per op, in order (see the class doc)."""
        ops_list = _validated(ops)
        vectors, queries = self._embed(ops_list)
        return run_sync(self._execute, ops_list, vectors, queries)

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        """Async ``batch``: embeddings awaited on the loop, the SQL on the checkpoint-db thread."""
        ops_list = _validated(ops)
        vectors, queries = await self._aembed(ops_list)
        return await run_async(self._execute, ops_list, vectors, queries)

    def setup(self) -> None:
        """Nothing to create (``migrate`` made the tables); adds pgvector when it is available.

        Idempotent; ``PostgresStore``'s ``setup()`` equivalent. Call it once per database to use
        pgvector (it needs the right to ``CREATE EXTENSION`` the first time).
        """
        run_sync(setup_pgvector)

    async def asetup(self) -> None:
        await run_async(setup_pgvector)

    # ----- TTL (PostgresStore's names) ------------------------------------------------------------

    @property
    def omit_expired(self) -> bool:
        """Whether reads hide expired, unswept items: ``ttl_config["omit_expired"]``, default true."""
        return bool((self.ttl_config or {}).get("omit_expired", True))

    def sweep_ttl(self) -> int:
        """Delete expired items now; return how many (``sessions_app.store.ttl.sweep_expired``)."""
        return run_sync(ttl.sweep_expired)

    async def asweep_ttl(self) -> int:
        return await run_async(ttl.sweep_expired)

    def start_ttl_sweeper(self, sweep_interval_minutes: float | None = None) -> concurrent.futures.Future[None]:
        """Sweep every ``sweep_interval_minutes`` (config, default 5) in a daemon thread until stopped.

        Deployments with Celery beat do not need this (``sessions_app.sweep_store`` runs hourly).
        """
        future: concurrent.futures.Future[None] = concurrent.futures.Future()
        if not self.ttl_config or (self._sweeper and self._sweeper.is_alive()):
            future.set_result(None)
            return future
        interval = float(sweep_interval_minutes or self.ttl_config.get("sweep_interval_minutes") or 5) * 60
        self._sweeper_stop.clear()

        def loop() -> None:
            try:
                while not self._sweeper_stop.wait(interval):
                    try:
                        self.sweep_ttl()
                    except Exception:  # keep sweeping: a failed round is retried next interval
                        logger.exception("store TTL sweep failed")
                future.set_result(None)
            except Exception as exc:  # pragma: no cover - defensive
                future.set_exception(exc)

        self._sweeper = threading.Thread(target=loop, name="store-ttl-sweeper", daemon=True)
        self._sweeper.start()
        return future

    def stop_ttl_sweeper(self, timeout: float | None = None) -> bool:
        """Stop the sweeper thread; ``True`` if it stopped (or was not running)."""
        if not self._sweeper or not self._sweeper.is_alive():
            return True
        self._sweeper_stop.set()
        self._sweeper.join(timeout)
        stopped = not self._sweeper.is_alive()
        if stopped:
            self._sweeper = None
        return stopped

    async def astart_ttl_sweeper(self, sweep_interval_minutes: float | None = None) -> None:
        self.start_ttl_sweeper(sweep_interval_minutes)

    async def astop_ttl_sweeper(self, timeout: float | None = None) -> bool:
        return await asyncio.to_thread(self.stop_ttl_sweeper, timeout)

    # ----- implementation -------------------------------------------------------------------------

    def _embed_requests(self, ops_list: Sequence[Op]) -> tuple[list[tuple[tuple[str, ...], str, str, str]], list[str]]:
        """(texts to embed for puts: (namespace, key, field name, text), distinct search queries)."""
        if self.index is None:
            return [], []
        texts: list[tuple[tuple[str, ...], str, str, str]] = []
        for op in _last_puts(ops_list):
            if op.value is None or op.index is False:
                continue
            for path, tokens in self.index.paths_for(op.index):
                found = get_text_at_path(op.value, tokens)
                for i, text in enumerate(found):
                    texts.append((op.namespace, op.key, f"{path}.{i}" if len(found) > 1 else path, text))
        queries = list(dict.fromkeys(op.query for op in ops_list if isinstance(op, SearchOp) and op.query))
        return texts, queries

    def _embed(self, ops_list: Sequence[Op]) -> tuple[VectorMap, dict[str, list[float]]]:
        texts, queries = self._embed_requests(ops_list)
        if self.index is None:
            return {}, {}
        embedded = self.index.embeddings.embed_documents([t[3] for t in texts]) if texts else []
        return _vector_map(texts, embedded), {q: self.index.embeddings.embed_query(q) for q in queries}

    async def _aembed(self, ops_list: Sequence[Op]) -> tuple[VectorMap, dict[str, list[float]]]:
        texts, queries = self._embed_requests(ops_list)
        if self.index is None:
            return {}, {}
        embedded = await self.index.embeddings.aembed_documents([t[3] for t in texts]) if texts else []
        query_vectors = await asyncio.gather(*(self.index.embeddings.aembed_query(q) for q in queries))
        return _vector_map(texts, embedded), dict(zip(queries, query_vectors, strict=True))

    def _execute(self, ops_list: Sequence[Op], vectors: VectorMap, queries: dict[str, list[float]]) -> list[Result]:
        results: list[Result] = [None] * len(ops_list)
        now = timezone.now()
        refresh: ops.Refresh = defaultdict(set)
        gets = [(i, op) for i, op in enumerate(ops_list) if isinstance(op, GetOp)]
        omit = self.omit_expired
        with transaction.atomic():
            if gets:
                ops.get_many(gets, results, now, refresh, omit_expired=omit)
            for i, op in enumerate(ops_list):
                if isinstance(op, SearchOp):
                    vector = queries.get(op.query) if op.query else None
                    results[i] = ops.search(op, now, self.index, vector, refresh, omit_expired=omit)
                elif isinstance(op, ListNamespacesOp):
                    results[i] = ops.list_namespaces(op, now, omit_expired=omit)
            if refresh:
                ops.apply_refresh(refresh, now)
            puts = _last_puts(ops_list)
            if puts:
                ops.put_many(puts, vectors, self.index, now)
        return results


def _validated(ops: Iterable[Op]) -> list[Op]:
    ops_list = list(ops)
    for op in ops_list:
        if not isinstance(op, (GetOp, PutOp, SearchOp, ListNamespacesOp)):
            raise ValueError(f"Unknown operation type: {type(op)}")
        validate_op_namespace(op)
    return ops_list


def _last_puts(ops_list: Sequence[Op]) -> list[PutOp]:
    """The puts of a batch, one per (namespace, key): the last one wins."""
    last: dict[tuple[tuple[str, ...], str], PutOp] = {}
    for op in ops_list:
        if isinstance(op, PutOp):
            last[(op.namespace, op.key)] = op
    return list(last.values())


def _vector_map(texts: list[tuple[tuple[str, ...], str, str, str]], embedded: list[list[float]]) -> VectorMap:
    out: VectorMap = defaultdict(list)
    for (namespace, key, field, _text), vector in zip(texts, embedded, strict=True):
        out[(namespace, key)].append((field, vector))
    return out
