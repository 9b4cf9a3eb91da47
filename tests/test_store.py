"""DjangoStore: the BaseStore contract on both backends, sync and async, stated once.

The same behaviour is checked on ``DjangoStore`` and on LangGraph's ``InMemoryStore`` (the
reference) where the two agree by contract; DjangoStore-only behaviour (full-text ``query=``,
expired items never returned, owners from the namespace convention, one transaction per batch)
is checked on ours. Upstream's own suites run unchanged in ``make test-upstream-store``.
"""
from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from langchain_core.embeddings import Embeddings
from langgraph.store.base import (
    BaseStore,
    GetOp,
    InvalidNamespaceError,
    ListNamespacesOp,
    MatchCondition,
    PutOp,
    SearchOp,
)
from langgraph.store.memory import InMemoryStore

from sessions_app.models.store import StoreItem, StoreVector
from sessions_app.store import DjangoStore, owner_of, user_namespace, vectors
from sessions_app.store.ttl import sweep_expired

pytestmark = pytest.mark.django_db(transaction=True)


class WordEmbeddings(Embeddings):
    """Deterministic bag-of-words vectors over a fixed vocabulary (no model, no network)."""

    VOCAB = ("tea", "coffee", "dog", "cat", "green", "black", "red", "car", "apple", "python")
    dims = len(VOCAB)

    def _one(self, text: str) -> list[float]:
        words = text.lower().replace(",", " ").split()
        vec = [float(sum(w.strip('".{}:') == v for w in words)) for v in self.VOCAB]
        norm = math.sqrt(sum(x * x for x in vec)) or 1.0
        return [x / norm for x in vec]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._one(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._one(text)


@pytest.fixture(params=["django", "memory"])
def any_store(request: pytest.FixtureRequest) -> BaseStore:
    return DjangoStore() if request.param == "django" else InMemoryStore()


@pytest.fixture
def store() -> DjangoStore:
    return DjangoStore()


# ----- the contract, on ours and the reference -------------------------------------------------


def test_put_get_update_delete(any_store: BaseStore) -> None:
    ns = ("docs", "a")
    any_store.put(ns, "k", {"title": "one"})
    first = any_store.get(ns, "k")
    assert first is not None and first.value == {"title": "one"} and first.namespace == ns
    any_store.put(ns, "k", {"title": "two"})
    second = any_store.get(ns, "k")
    assert second is not None and second.value == {"title": "two"}
    assert second.updated_at >= first.updated_at
    if isinstance(any_store, DjangoStore):  # as PostgresStore; InMemoryStore re-creates the item
        assert second.created_at == first.created_at
    assert any_store.get(("docs", "b"), "k") is None
    any_store.delete(ns, "k")
    assert any_store.get(ns, "k") is None


def test_search_by_prefix_filter_and_pages(any_store: BaseStore) -> None:
    for i, (ns, author, score) in enumerate(
        [(("t", "docs"), "alice", 4.5), (("t", "docs"), "bob", 3.0), (("t", "img"), "alice", 1.0),
         (("tx",), "alice", 9.0)]
    ):
        any_store.put(ns, f"k{i}", {"author": author, "score": score, "tags": {"lang": "en"}})
    assert {i.key for i in any_store.search(("t",))} == {"k0", "k1", "k2"}  # not ("tx",)
    assert {i.key for i in any_store.search(("t",), filter={"author": "alice"})} == {"k0", "k2"}
    assert {i.key for i in any_store.search(("t",), filter={"score": {"$gt": 2, "$lte": 4.5}})} == {"k0", "k1"}
    assert {i.key for i in any_store.search(("t",), filter={"author": {"$ne": "alice"}})} == {"k1"}
    assert {i.key for i in any_store.search((), filter={"tags": {"lang": "en"}})} == {"k0", "k1", "k2", "k3"}
    page1 = any_store.search(("t",), limit=2)
    page2 = any_store.search(("t",), limit=2, offset=2)
    assert len(page1) == 2 and len(page2) == 1 and not {i.key for i in page1} & {i.key for i in page2}


def test_list_namespaces_prefix_suffix_depth_wildcard(any_store: BaseStore) -> None:
    for ns in [("a", "x", "pub"), ("a", "y", "priv"), ("a", "y", "pub"), ("b", "x", "pub"), ("ab",)]:
        any_store.put(ns, "k", {"v": 1})
    assert any_store.list_namespaces(prefix=("a",)) == [("a", "x", "pub"), ("a", "y", "priv"), ("a", "y", "pub")]
    assert set(any_store.list_namespaces(suffix=("pub",))) == {("a", "x", "pub"), ("a", "y", "pub"), ("b", "x", "pub")}
    assert any_store.list_namespaces(prefix=("*", "x")) == [("a", "x", "pub"), ("b", "x", "pub")]
    assert any_store.list_namespaces(max_depth=2) == [("a", "x"), ("a", "y"), ("ab",), ("b", "x")]
    assert any_store.list_namespaces(max_depth=1, limit=2, offset=1) == [("ab",), ("b",)]


def test_batch_results_in_op_order_reads_before_puts(any_store: BaseStore) -> None:
    any_store.put(("n",), "a", {"v": 1})
    got, put, found, listed, missing = any_store.batch([
        GetOp(("n",), "a"), PutOp(("n",), "b", {"v": 2}), SearchOp(("n",)),
        ListNamespacesOp(match_conditions=(MatchCondition("prefix", ("n",)),)), GetOp(("n",), "b"),
    ])
    assert got is not None and got.value == {"v": 1} and put is None
    assert [i.key for i in found] == ["a"] and listed == [("n",)] and missing is None
    assert any_store.get(("n",), "b") is not None


@pytest.mark.parametrize("namespace", [("a.b",), ("a", ""), ("a", 1)])
def test_invalid_namespace_rejects_the_whole_batch(store: DjangoStore, namespace: tuple) -> None:
    with pytest.raises(InvalidNamespaceError):
        store.batch([PutOp(("ok",), "k", {"v": 1}), GetOp(namespace, "k")])
    assert store.get(("ok",), "k") is None


def test_unknown_filter_operator_is_a_value_error(store: DjangoStore) -> None:
    with pytest.raises(ValueError, match="Unsupported operator"):
        store.search(("n",), filter={"x": {"$regex": "a"}})


def test_async_twins(store: DjangoStore) -> None:
    async def scenario() -> None:
        await store.aput(("u",), "k", {"text": "green tea"})
        item = await store.aget(("u",), "k")
        assert item is not None and item.value == {"text": "green tea"}
        assert [i.key for i in await store.asearch(("u",), query="tea")] == ["k"]
        assert await store.alist_namespaces() == [("u",)]
        await store.adelete(("u",), "k")
        assert await store.aget(("u",), "k") is None

    asyncio.run(scenario())


def test_batch_is_one_transaction(store: DjangoStore, monkeypatch: pytest.MonkeyPatch) -> None:
    store.put(("n",), "keep", {"v": 1})
    from sessions_app.store import ops

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(ops, "apply_refresh", boom)
    store.ttl_config = {"default_ttl": 5}
    store.put(("n",), "ttl", {"v": 2})
    with pytest.raises(RuntimeError):
        store.batch([GetOp(("n",), "ttl", refresh_ttl=True), PutOp(("n",), "keep", None)])
    assert store.get(("n",), "keep", refresh_ttl=False) is not None  # the delete was rolled back


# ----- full-text query= (no index) -----------------------------------------------------------------


def test_query_is_full_text_search_ranked(store: DjangoStore) -> None:
    store.put(("m",), "tea", {"text": "Alice drinks green tea every morning"})
    store.put(("m",), "dog", {"text": "Her dog is called Biscuit"})
    store.put(("m",), "both", {"text": "The dog likes green tea too, green tea is great"})
    found = store.search(("m",), query="What is the name of her dog?")
    assert {i.key for i in found} == {"dog", "both"}
    assert all(i.score is not None and i.score > 0 for i in found)
    ranked = store.search(("m",), query="green tea")
    assert [i.key for i in ranked][0] == "both" and {i.key for i in ranked} == {"tea", "both"}
    assert store.search(("m",), query="unrelated zebra") == []
    assert store.search(("m",), query='"; DROP TABLE x; -- ) OR (') == []  # never SQL or FTS syntax


def test_query_finds_non_english_text(store: DjangoStore) -> None:
    store.put(("m",), "ru", {"text": "Это русский текст"})
    store.put(("m",), "zh", {"text": "这是 中文"})
    assert [i.key for i in store.search(("m",), query="русский")] == ["ru"]
    assert [i.key for i in store.search(("m",), query="中文")] == ["zh"]


# ----- semantic query= (index) ---------------------------------------------------------------------


@pytest.fixture(params=["python", "pgvector"])
def scorer(request: pytest.FixtureRequest) -> Iterator[str]:
    """Both ways of scoring: the portable one, and pgvector where the extension is installed
    (``scripts/build_pgvector.sh``; CI builds it). The pgvector column is dropped afterwards so
    that every other test runs the portable path."""
    if request.param == "python":
        yield "python"
        return
    if connection.vendor != "postgresql":
        pytest.skip("pgvector needs PostgreSQL")
    if not vectors.setup_pgvector():
        pytest.skip("pgvector is not installed on this server: run scripts/build_pgvector.sh")
    yield "pgvector"
    with connection.cursor() as cur:
        cur.execute(f"ALTER TABLE sessions_app_storevector DROP COLUMN IF EXISTS {vectors.PG_COLUMN}")
    vectors.forget_pgvector_cache()


@pytest.mark.parametrize("vector_type", ["vector", "halfvec"])
@pytest.mark.parametrize("distance", ["cosine", "inner_product", "l2"])
def test_semantic_search_with_any_embeddings(distance: str, vector_type: str, scorer: str) -> None:
    store = DjangoStore(index={"dims": WordEmbeddings.dims, "embed": WordEmbeddings(), "fields": ["text"],
                               "distance_type": distance, "ann_index_config": {"vector_type": vector_type}})
    assert vectors.uses_pgvector() is (scorer == "pgvector")
    store.put(("d",), "tea", {"text": "green tea"})
    store.put(("d",), "car", {"text": "red car"})
    store.put(("d",), "skip", {"text": "green tea"}, index=False)
    found = store.search(("d",), query="tea please")
    assert [i.key for i in found] == ["tea", "car"]
    assert found[0].score is not None and found[1].score is not None and found[0].score > found[1].score
    store.put(("d",), "tea", {"text": "black coffee"})  # re-put replaces the vectors
    assert [i.key for i in store.search(("d",), query="coffee")][0] == "tea"
    assert StoreVector.objects.count() == 2


def test_semantic_search_scores_match_the_formula(scorer: str) -> None:
    emb = WordEmbeddings()
    store = DjangoStore(index={"dims": emb.dims, "embed": emb, "fields": ["text"]})
    store.put(("d",), "a", {"text": "green tea dog"})
    [hit] = store.search(("d",), query="tea")
    q, v = emb.embed_query("tea"), emb.embed_query("green tea dog")
    assert hit.score == pytest.approx(sum(a * b for a, b in zip(q, v, strict=True)), abs=1e-6)


# ----- TTL ------------------------------------------------------------------------------------------


def _backdate(ns: tuple[str, ...], key: str) -> None:
    StoreItem.objects.filter(prefix=".".join(ns), key=key).update(expires_at=timezone.now() - timedelta(seconds=1))


def test_expired_items_are_never_returned(store: DjangoStore) -> None:
    store.put(("t",), "gone", {"text": "tea"}, ttl=5)
    store.put(("t", "sub"), "gone2", {"text": "tea"}, ttl=5)
    store.put(("t",), "kept", {"text": "tea"})
    _backdate(("t",), "gone")
    _backdate(("t", "sub"), "gone2")
    assert store.get(("t",), "gone") is None
    assert [i.key for i in store.search(("t",))] == ["kept"]
    assert [i.key for i in store.search(("t",), query="tea")] == ["kept"]
    assert store.list_namespaces() == [("t",)]
    assert StoreItem.objects.count() == 3  # invisible before the sweep, deleted by it
    assert sweep_expired() == 2 and StoreItem.objects.count() == 1


def test_omit_expired_off_shows_expired_rows_until_swept_and_never_revives_them() -> None:
    store = DjangoStore(ttl={"default_ttl": 5, "refresh_on_read": True, "omit_expired": False})
    store.put(("t",), "old", {"text": "tea"})
    _backdate(("t",), "old")
    assert store.get(("t",), "old").value == {"text": "tea"}  # upstream PostgresStore's default behaviour
    assert [i.key for i in store.search(("t",))] == ["old"]
    assert store.list_namespaces() == [("t",)]
    assert StoreItem.objects.get(key="old").expires_at < timezone.now()  # refresh_on_read revived nothing
    assert sweep_expired() == 1 and store.get(("t",), "old") is None


def test_default_ttl_and_refresh_on_read() -> None:
    store = DjangoStore(ttl={"default_ttl": 10, "refresh_on_read": True})
    store.put(("t",), "k", {"v": 1})
    store.put(("t",), "forever", {"v": 1}, ttl=None)
    row = StoreItem.objects.get(key="k")
    assert row.ttl_minutes == 10 and row.expires_at is not None
    assert StoreItem.objects.get(key="forever").expires_at is None
    StoreItem.objects.filter(key="k").update(expires_at=timezone.now() + timedelta(minutes=1))
    store.get(("t",), "k")
    assert StoreItem.objects.get(key="k").expires_at > timezone.now() + timedelta(minutes=9)
    StoreItem.objects.filter(key="k").update(expires_at=timezone.now() + timedelta(minutes=1))
    store.get(("t",), "k", refresh_ttl=False)
    assert StoreItem.objects.get(key="k").expires_at < timezone.now() + timedelta(minutes=2)
    store.search(("t",))
    assert StoreItem.objects.get(key="k").expires_at > timezone.now() + timedelta(minutes=9)


def test_sweep_command(store: DjangoStore) -> None:
    store.put(("t",), "gone", {"v": 1}, ttl=1)
    _backdate(("t",), "gone")
    call_command("sweep_store", "--dry-run")
    assert StoreItem.objects.count() == 1
    call_command("sweep_store")
    assert StoreItem.objects.count() == 0


# ----- the namespace convention ----------------------------------------------------------------------


def test_owner_from_the_namespace_convention(store: DjangoStore, django_user_model: type) -> None:
    alice = django_user_model.objects.create(username="alice")
    store.put(user_namespace(alice, "memories"), "m", {"text": "likes tea"})
    store.put(user_namespace(alice, "memories", tenant="acme"), "m", {"text": "likes tea"})
    store.put(("users", "alice"), "x", {"v": 1})  # not a user pk: application data
    owners = dict(StoreItem.objects.values_list("prefix", "owner_id"))
    assert owners == {f"users.{alice.pk}.memories": alice.pk, f"tenants.acme.users.{alice.pk}.memories": alice.pk,
                      "users.alice": None}
    assert owner_of(("tenants", "acme", "users", "7")) == (7, "acme")
    assert owner_of(("users", "07")) == (None, "")
    with pytest.raises(ValueError):
        user_namespace(django_user_model(username="unsaved"))


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only: PostgreSQL's GIN index has no triggers")
def test_fts_triggers_come_back_after_a_table_rebuild(store: DjangoStore) -> None:
    from sessions_app.store.schema import ensure_fts

    with connection.cursor() as cur:
        cur.execute("DROP TRIGGER storeitem_fts_ai")  # what Django's _remake_table does to them
    store.put(("m",), "lost", {"text": "zebra"})
    assert store.search(("m",), query="zebra") == []
    assert ensure_fts() is True and ensure_fts() is False
    assert [i.key for i in store.search(("m",), query="zebra")] == ["lost"]
