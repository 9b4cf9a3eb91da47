"""The database work of one ``DjangoStore.batch``: gets, searches, namespace lists, then puts.

Everything here runs on the connection ``sessions_app.checkpoint.dispatch`` chose, inside the
batch's ``transaction.atomic()``; embeddings were computed before (no model call holds a
transaction open). Reads see the database as it was before the batch's puts, like
``PostgresStore`` (which also runs reads first).

Queries per op: a get group is one SELECT (every namespace of the batch in one ``OR``); a
search is one SELECT (two with a query: ranked ids, then the items); a list is one SELECT; a
refresh of TTLs is one UPDATE per distinct ``ttl_minutes``; puts are one upsert for all items
(+ one DELETE of their old vectors and one INSERT of the new ones when an index is configured)
and one DELETE for all deletions.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from langgraph.store.base import GetOp, Item, ListNamespacesOp, PutOp, SearchItem, SearchOp

from ..models.store import StoreItem, StoreVector
from . import filters, fts, namespaces
from .vectors import PG_COLUMN, StoreIndex, pack, pg_literal, unpack, uses_pgvector

ITEM = StoreItem._meta.db_table
VECTOR = StoreVector._meta.db_table
FIELDS = ("id", "prefix", "key", "value", "created_at", "updated_at", "ttl_minutes")
Refresh = dict[float, set[int]]  # ttl_minutes -> item ids whose expiry moves to now + ttl


def _item(row: dict[str, Any]) -> Item:
    return Item(
        value=row["value"], key=row["key"], namespace=namespaces.from_text(row["prefix"]),
        created_at=row["created_at"], updated_at=row["updated_at"],
    )


def _note_refresh(refresh: Refresh, row: dict[str, Any]) -> None:
    if row["ttl_minutes"] is not None:
        refresh[row["ttl_minutes"]].add(row["id"])


def apply_refresh(refresh: Refresh, now: datetime) -> None:
    """Move ``expires_at`` of the items read with ``refresh_ttl`` (live rows only: an expired row
    read with ``omit_expired`` off is shown, never revived)."""
    for ttl, ids in refresh.items():
        StoreItem.objects.live(now).filter(pk__in=ids).update(expires_at=now + timedelta(minutes=ttl))


def readable(now: datetime, omit_expired: bool) -> QuerySet[StoreItem]:
    """The rows reads see: live ones with ``omit_expired`` (DjangoStore's default), every row until
    the sweeper deletes it without (``TTLConfig(omit_expired=False)``, upstream's default)."""
    return StoreItem.objects.live(now) if omit_expired else StoreItem.objects.all()


# ----- get ----------------------------------------------------------------------------------------


def get_many(ops: Sequence[tuple[int, GetOp]], results: list[Any], now: datetime, refresh: Refresh, *,
             omit_expired: bool = True) -> None:
    by_ns: dict[str, set[str]] = defaultdict(set)
    for _, op in ops:
        by_ns[namespaces.to_text(op.namespace)].add(op.key)
    where = Q()
    for prefix, keys in by_ns.items():
        where |= Q(prefix=prefix, key__in=keys)
    rows = {(r["prefix"], r["key"]): r for r in readable(now, omit_expired).filter(where).values(*FIELDS)}
    for idx, op in ops:
        row = rows.get((namespaces.to_text(op.namespace), op.key))
        results[idx] = _item(row) if row else None
        if row and op.refresh_ttl:
            _note_refresh(refresh, row)


# ----- search -------------------------------------------------------------------------------------


def _in_namespace(prefix: tuple[str, ...]) -> Q:
    if not prefix:
        return Q()
    text = namespaces.to_text(prefix)
    if connection.vendor == "postgresql":
        return Q(prefix=text) | Q(prefix__startswith=text + ".")  # LIKE, escaped, case-sensitive
    # SQLite's LIKE ignores ASCII case: a range on the BINARY collation is exact and indexable.
    return Q(prefix=text) | Q(prefix__gte=text + ".", prefix__lt=text + "/")


def candidates(op: SearchOp, now: datetime, *, omit_expired: bool = True) -> QuerySet[StoreItem]:
    """The readable items of ``op``'s namespace that pass its filter (unordered)."""
    qs: QuerySet[StoreItem] = readable(now, omit_expired).filter(_in_namespace(op.namespace_prefix))
    clauses, params = filters.filter_sql(op.filter, connection.vendor, column=f'"{ITEM}"."value"')
    if clauses:
        qs = qs.extra(where=clauses, params=params)
    return qs


def search(op: SearchOp, now: datetime, index: StoreIndex | None, query_vector: Sequence[float] | None,
           refresh: Refresh, *, omit_expired: bool = True) -> list[SearchItem]:
    qs = candidates(op, now, omit_expired=omit_expired)
    ranked: list[tuple[dict[str, Any], float | None]]
    if op.query and index is not None and query_vector is not None:
        ranked = _rank_vectors(qs, op, index, query_vector)
    elif op.query and (terms := fts.query_terms(op.query)):
        ranked = _rank_text(qs, op, terms)
    else:
        rows = list(qs.order_by("-updated_at", "-id").values(*FIELDS)[op.offset: op.offset + op.limit])
        ranked = [(row, None) for row in rows]
    found = []
    for row, score in ranked:
        item = _item(row)
        found.append(SearchItem(item.namespace, item.key, item.value, item.created_at, item.updated_at, score))
        if op.refresh_ttl:
            _note_refresh(refresh, row)
    return found


def _rows_in_order(ranked: list[tuple[int, float]]) -> list[tuple[dict[str, Any], float | None]]:
    rows = {r["id"]: r for r in StoreItem.objects.filter(pk__in=[pk for pk, _ in ranked]).values(*FIELDS)}
    return [(rows[pk], score) for pk, score in ranked if pk in rows]


def _rank_text(qs: QuerySet[StoreItem], op: SearchOp, terms: list[str]
               ) -> list[tuple[dict[str, Any], float | None]]:
    ids_sql, ids_params = qs.values("id").query.sql_with_params()
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT i.id, ts_rank_cd(to_tsvector('simple', i.search_text), q) AS rank "
            f"FROM {ITEM} i, to_tsquery('simple', %s) q "
            f"WHERE to_tsvector('simple', i.search_text) @@ q AND i.id IN ({ids_sql}) "
            "ORDER BY rank DESC, i.updated_at DESC, i.id DESC LIMIT %s OFFSET %s"
        )
        params = [fts.pg_tsquery(terms), *ids_params, op.limit, op.offset]
    else:
        sql = (
            f"SELECT i.id, -bm25({ITEM}_fts) AS rank FROM {ITEM}_fts JOIN {ITEM} i ON i.id = {ITEM}_fts.rowid "
            f"WHERE {ITEM}_fts MATCH %s AND i.id IN ({ids_sql}) "
            "ORDER BY rank DESC, i.updated_at DESC, i.id DESC LIMIT %s OFFSET %s"
        )
        params = [fts.fts5_query(terms), *ids_params, op.limit, op.offset]
    with connection.cursor() as cur:
        cur.execute(sql, params)
        ranked = [(pk, float(rank)) for pk, rank in cur.fetchall()]
    return _rows_in_order(ranked)


def _rank_vectors(qs: QuerySet[StoreItem], op: SearchOp, index: StoreIndex,
                  query_vector: Sequence[float]) -> list[tuple[dict[str, Any], float | None]]:
    ids_sql, ids_params = qs.values("id").query.sql_with_params()
    if uses_pgvector():
        distance, score = index.pg_score()
        sql = (
            f"SELECT item_id, {score} FROM (SELECT v.item_id, min({distance}) AS d FROM {VECTOR} v "
            f"WHERE v.item_id IN ({ids_sql}) GROUP BY v.item_id) s ORDER BY d, item_id LIMIT %s OFFSET %s"
        )
        with connection.cursor() as cur:
            cur.execute(sql, [pg_literal(query_vector), *ids_params, op.limit, op.offset])
            return _rows_in_order([(pk, float(s)) for pk, s in cur.fetchall()])
    best: dict[int, float] = {}
    vectors = StoreVector.objects.extra(where=[f"item_id IN ({ids_sql})"], params=list(ids_params))
    for item_id, data in vectors.values_list("item_id", "embedding").iterator(chunk_size=2000):
        s = index.score(query_vector, unpack(data))
        if item_id not in best or s > best[item_id]:
            best[item_id] = s
    ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[op.offset: op.offset + op.limit]
    return _rows_in_order(ranked)


# ----- list namespaces ----------------------------------------------------------------------------


def list_namespaces(op: ListNamespacesOp, now: datetime, *, omit_expired: bool = True) -> list[tuple[str, ...]]:
    qs = readable(now, omit_expired)
    for condition in op.match_conditions or ():
        if condition.path:  # an empty path constrains nothing
            qs = qs.filter(prefix__regex=namespaces.match_pattern(tuple(condition.path), condition.match_type))
    prefixes = qs.order_by("prefix").values_list("prefix", flat=True).distinct()
    if op.max_depth is None:
        return [namespaces.from_text(p) for p in prefixes[op.offset: op.offset + op.limit]]
    seen: dict[tuple[str, ...], None] = {}
    for p in prefixes.iterator(chunk_size=2000):
        seen.setdefault(namespaces.truncate(namespaces.from_text(p), op.max_depth), None)
    ordered = sorted(seen, key=namespaces.to_text)
    return ordered[op.offset: op.offset + op.limit]


# ----- put ----------------------------------------------------------------------------------------


def put_many(puts: Sequence[PutOp], vectors: dict[tuple[tuple[str, ...], str], list[tuple[str, list[float]]]],
             index: StoreIndex | None, now: datetime) -> None:
    """Upsert and delete; ``vectors`` holds each upserted item's (field name, embedding) list."""
    deletes = [op for op in puts if op.value is None]
    upserts = [op for op in puts if op.value is not None]
    if deletes:
        where = Q()
        for op in deletes:
            where |= Q(prefix=namespaces.to_text(op.namespace), key=op.key)
        StoreItem.objects.filter(where).delete()
    if not upserts:
        return
    fields = index.fields if index is not None else None
    objs = []
    for op in upserts:
        owner_id, tenant = namespaces.owner_of(op.namespace)
        ttl = None if op.ttl is None else float(op.ttl)
        objs.append(StoreItem(
            prefix=namespaces.to_text(op.namespace), key=op.key, value=dict(op.value or {}),
            search_text=fts.document_text(dict(op.value or {}), fields), owner_id=owner_id, tenant=tenant,
            session_id=namespaces.session_of(op.namespace),
            created_at=now, updated_at=now, ttl_minutes=ttl,
            expires_at=None if ttl is None else now + timedelta(minutes=ttl),
        ))
    StoreItem.objects.bulk_create(
        objs, update_conflicts=True, unique_fields=["prefix", "key"],
        update_fields=["value", "search_text", "owner_id", "tenant", "session_id", "updated_at", "expires_at",
                       "ttl_minutes"],
    )
    if index is None:
        return
    ids = [o.pk for o in objs]
    StoreVector.objects.filter(item_id__in=ids).delete()
    rows = [
        (obj.pk, name, vec)
        for obj, op in zip(objs, upserts, strict=True)
        for name, vec in vectors.get((op.namespace, op.key), [])
    ]
    if not rows:
        return
    if uses_pgvector():
        marks = ", ".join(["(%s, %s, %s, %s::vector)"] * len(rows))
        with connection.cursor() as cur:
            cur.execute(
                f"INSERT INTO {VECTOR} (item_id, field_name, embedding, {PG_COLUMN}) VALUES {marks}",
                [p for pk, name, vec in rows for p in (pk, name, pack(vec), pg_literal(vec))],
            )
        return
    StoreVector.objects.bulk_create(
        [StoreVector(item_id=pk, field_name=name, embedding=pack(vec)) for pk, name, vec in rows]
    )
