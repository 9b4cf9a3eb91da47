"""Full-text search of one's conversations (``sessions_app.search``), on whichever backend runs.

The same contract on PostgreSQL (generated tsvector + GIN) and SQLite (FTS5 + triggers): only the
caller's conversations, ranked, highlighted, paginated, filtered, and the index follows every
write path (append, import, edit, delete, clear, purge, erasure) without any code of ours.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from langchain_core.messages import AIMessage, HumanMessage

from sessions_app.conversations.messages import messages_append, messages_clear
from sessions_app.conversations.sessions import session_create, session_delete, session_rename
from sessions_app.exceptions import InvalidInput
from sessions_app.governance.erasure import user_erase
from sessions_app.governance.lifecycle import sessions_archive
from sessions_app.models import ChatMessage, ChatSession, Folder
from sessions_app.search import SearchFilters, conversations_search
from sessions_app.search import service as search_service
from sessions_app.search.query import fts5_match, parse_query
from sessions_app.search.schema import TRIGGERS, ensure_index, index_problems
from sessions_app.transfer.importers.base import ParsedConversation
from sessions_app.transfer.imports import conversations_import

from .factories import UserFactory

pytestmark = pytest.mark.django_db


def _conversation(owner, title, *texts, tenant=""):
    session = session_create(owner=owner, title=title, tenant=tenant)
    messages = [HumanMessage(t) if i % 2 == 0 else AIMessage(t) for i, t in enumerate(texts)]
    if messages:
        messages_append(session_id=session.pk, messages=messages)
    return session


@pytest.fixture
def background(owner):
    """Unrelated conversations: BM25 (SQLite) needs a corpus in which a word is rare to rank by it."""
    for i in range(6):
        _conversation(owner, f"other {i}", "weather today is fine", "and tomorrow rain", "bread and butter")


def _ids(page):
    return [r.session_id for r in page.results]


def test_finds_only_the_callers_conversations(owner, other_user):
    mine = _conversation(owner, "Trip", "Which train goes to Lisbon?", "The Alfa Pendular.")
    theirs = _conversation(other_user, "Trip", "Which train goes to Lisbon?", "The Alfa Pendular.")
    assert _ids(conversations_search(user=owner, text="lisbon train")) == [mine.pk]
    assert _ids(conversations_search(user=other_user, text="lisbon train")) == [theirs.pk]
    assert _ids(conversations_search(user=UserFactory(username="nobody", password=None), text="lisbon")) == []


def test_anonymous_user_finds_nothing(owner):
    from django.contrib.auth.models import AnonymousUser

    _conversation(owner, "Trip", "Lisbon")
    assert conversations_search(user=AnonymousUser(), text="lisbon").results == []


def test_tenant_scope_narrows_to_one_tenant(owner):
    acme = _conversation(owner, "", "invoice for acme", tenant="acme")
    _conversation(owner, "", "invoice for globex", tenant="globex")
    page = conversations_search(user=owner, text="invoice", filters=SearchFilters(tenant="acme"))
    assert _ids(page) == [acme.pk]


def test_result_shape_snippet_is_highlighted_and_escaped(owner):
    session = _conversation(owner, "Markup", "hello", "Use <script>alert(1)</script> to test the sanitizer please")
    result = conversations_search(user=owner, text="sanitizer").results[0]
    assert result.session_id == session.pk and result.seq == 2 and result.match == "message"
    assert "<mark>sanitizer</mark>" in result.snippet
    assert "<script>" not in result.snippet and "&lt;script&gt;" in result.snippet
    assert result.rank > 0 and result.title == "Markup" and result.status == "active"


def test_title_matches_rank_first_and_title_only_hits_have_no_seq(owner, background):
    in_text = _conversation(owner, "Misc", "we talked about the volcano a lot, volcano volcano")
    in_title = _conversation(owner, "Volcano trip", "nothing here")
    results = conversations_search(user=owner, text="volcano").results
    assert [r.session_id for r in results] == [in_title.pk, in_text.pk]
    assert results[0].match == "title" and results[0].seq is None and "<mark>" in results[0].snippet


def test_one_result_per_conversation_with_its_best_message(owner, background):
    session = _conversation(owner, "", "an orchid and other flowers like roses", "unrelated",
                            "orchid orchid orchid orchid")
    results = conversations_search(user=owner, text="orchid").results
    assert len(results) == 1 and results[0].session_id == session.pk and results[0].seq == 3


def test_better_match_ranks_higher(owner, background):
    weak = _conversation(owner, "", "a long text where the word heron appears once" + " among many other words" * 3)
    strong = _conversation(owner, "", "heron heron heron")
    assert _ids(conversations_search(user=owner, text="heron"))[0] == strong.pk
    assert weak.pk in _ids(conversations_search(user=owner, text="heron"))


def test_pagination_reaches_every_result_once(owner):
    made = {_conversation(owner, f"c{i}", f"common word pelican number {i}").pk for i in range(7)}
    seen = []
    page = conversations_search(user=owner, text="pelican", limit=3)
    while True:
        seen += _ids(page)
        if page.next is None:
            break
        page = conversations_search(user=owner, text="pelican", limit=3, after=page.next)
    assert len(seen) == len(set(seen)) == 7 and set(seen) == made


def test_query_syntax_phrase_negation_or(owner):
    a = _conversation(owner, "", "red apple pie")
    b = _conversation(owner, "", "apple red tree")
    c = _conversation(owner, "", "green pear")
    assert set(_ids(conversations_search(user=owner, text='"red apple"'))) == {a.pk}
    assert set(_ids(conversations_search(user=owner, text="apple -pie"))) == {b.pk}
    assert set(_ids(conversations_search(user=owner, text="pie or pear"))) == {a.pk, c.pk}
    assert conversations_search(user=owner, text="-apple").results == []  # nothing positive to look for
    assert conversations_search(user=owner, text='  " ...  ').results == []


def test_bad_queries_are_400():
    with pytest.raises(InvalidInput):
        parse_query("x" * 201)
    with pytest.raises(InvalidInput):
        parse_query("a\x00b")
    with pytest.raises(InvalidInput):
        parse_query(" ".join(["w"] * 17))


def test_fts5_expression_quotes_every_term():
    assert fts5_match(parse_query('a b or c -d "e f"')) == '"a" AND ("b" OR "c") AND "e f" NOT "d"'
    assert fts5_match(parse_query('NEAR( x* "y')) == '"NEAR(" AND "x*" AND "y"'
    assert fts5_match(parse_query("-x")) is None


@pytest.mark.parametrize("text,query", [
    ("Wie komme ich zum Bahnhof? Die Straßenbahn fährt um acht.", "straßenbahn"),
    ("Напиши мне письмо о погоде", "письмо"),
    ("Un café con leche, por favor", "cafe"),  # accents folded on both backends
    ("Ελληνικά κείμενα για δοκιμή", "κείμενα"),
])
def test_non_english_text_is_found(owner, text, query):
    session = _conversation(owner, "", text)
    assert _ids(conversations_search(user=owner, text=query)) == [session.pk]


def test_substring_fallback_finds_cjk_and_word_parts(owner):
    tokyo = _conversation(owner, "", "東京タワーに行きました")
    kube = _conversation(owner, "", "deploy with kubernetes")
    page = conversations_search(user=owner, text="東京")
    assert page.mode == "substring" and _ids(page) == [tokyo.pk]
    assert "<mark>東京</mark>" in page.results[0].snippet
    page = conversations_search(user=owner, text="kubern")
    assert page.mode == "substring" and _ids(page) == [kube.pk] and page.results[0].rank == 0


def test_substring_fallback_escapes_like_wildcards(owner):
    _conversation(owner, "", "progress is 50 percent")
    exact = _conversation(owner, "", "progress is 50% done")
    page = conversations_search(user=owner, text="0%")  # full text sees the token "50" only
    assert page.mode == "substring" and _ids(page) == [exact.pk]


def test_substring_fallback_overrun_returns_nothing(owner, settings):
    settings.CHATMEMORY_SEARCH_FALLBACK_MS = 1
    slow = "SELECT pg_sleep(0.2)" if connection.vendor == "postgresql" else (
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 50000000) SELECT count(*) FROM r")

    def run():
        with connection.cursor() as cursor:
            cursor.execute(slow)
        return ["not reached"]

    assert search_service._bounded(run) == []
    # The connection is usable afterwards, without the limit.
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone()[0] == "0"


def test_filters_status_folder_pinned_dates(owner):
    old = _conversation(owner, "", "quarterly report draft")
    new = _conversation(owner, "", "quarterly report final")
    archived = _conversation(owner, "", "quarterly report archived")
    sessions_archive(session_ids=[archived.pk], actor=owner)
    folder = Folder.objects.create(owner=owner, name="Work")
    ChatSession.objects.filter(pk=new.pk).update(folder=folder, pinned_at=timezone.now())
    ChatMessage.objects.filter(session=old).update(created_at=timezone.now() - timedelta(days=30))

    def found(**kw):
        return set(_ids(conversations_search(user=owner, text="quarterly", filters=SearchFilters(**kw))))

    assert found() == {old.pk, new.pk, archived.pk}
    assert found(status="archived") == {archived.pk}
    assert found(status="active") == {old.pk, new.pk}
    assert found(folder_id=folder.pk) == {new.pk}
    assert found(pinned=True) == {new.pk}
    assert found(pinned=False) == {old.pk, archived.pk}
    assert found(since=timezone.now() - timedelta(days=1)) == {new.pk, archived.pk}
    assert found(until=timezone.now() - timedelta(days=1)) == {old.pk}


# --- the index follows every write path -------------------------------------------------------------


def test_index_follows_append_rename_and_clear(owner):
    session = _conversation(owner, "", "first words")
    messages_append(session_id=session.pk, messages=[HumanMessage("now about giraffes")])
    assert _ids(conversations_search(user=owner, text="giraffes")) == [session.pk]
    session_rename(session=session, title="Savanna animals")
    assert conversations_search(user=owner, text="savanna").results[0].match == "title"
    messages_clear(session_id=session.pk)
    assert conversations_search(user=owner, text="giraffes").results == []


def test_index_follows_queryset_update_and_bulk_create(owner):
    session = _conversation(owner, "", "the old wording")
    ChatMessage.objects.filter(session=session).update(content_text="the new phrasing")
    assert conversations_search(user=owner, text="wording").mode == "substring"
    assert conversations_search(user=owner, text="wording").results == []
    assert _ids(conversations_search(user=owner, text="phrasing")) == [session.pk]
    ChatMessage.objects.bulk_create([ChatMessage(session=session, seq=99, type="human", message={},
                                                 content_text="bulk inserted marmot")])
    assert _ids(conversations_search(user=owner, text="marmot")) == [session.pk]


def test_index_follows_import(owner):
    conversations_import(owner=owner, conversations=[ParsedConversation(
        source_format="sharegpt", source_id="x1", index=1, title="Imported",
        messages=[HumanMessage("how do capybaras swim"), AIMessage("very well")])])
    results = conversations_search(user=owner, text="capybaras").results
    assert len(results) == 1 and results[0].title == "Imported" and results[0].seq == 1


def test_index_follows_delete_and_erasure(owner, other_user):
    doomed = _conversation(owner, "", "ephemeral flamingo")
    session_delete(session_id=doomed.pk, actor=owner)
    assert conversations_search(user=owner, text="flamingo").results == []
    _conversation(other_user, "", "erased flamingo")
    user_erase(user=other_user, actor="test")
    assert ChatMessage.objects.filter(content_text__contains="flamingo").count() == 0
    if connection.vendor == "sqlite":  # the FTS5 index holds no entry for the erased rows
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM sessions_app_chatmessage_fts WHERE sessions_app_chatmessage_fts "
                           "MATCH 'flamingo'")
            assert cursor.fetchone()[0] == 0


@pytest.mark.skipif("connection.vendor != 'sqlite'", reason="the triggers exist on SQLite only")
def test_sqlite_triggers_lost_to_a_table_rebuild_are_repaired(owner):
    session = _conversation(owner, "", "before the rebuild")
    with connection.cursor() as cursor:
        for name in TRIGGERS:
            cursor.execute(f"DROP TRIGGER {name}")
    assert len(index_problems(connection)) == 3
    ChatMessage.objects.create(session=session, seq=50, type="human", message={}, content_text="written blind")
    assert ensure_index(connection) is True
    assert index_problems(connection) == [] and ensure_index(connection) is False
    assert _ids(conversations_search(user=owner, text="blind")) == [session.pk]


def test_the_system_check_reports_a_broken_index():
    from django.core.management import call_command

    call_command("check", "--database", "default")  # no error on a migrated database


@pytest.mark.parametrize(
    ("estimate", "phrase", "walk"),
    [
        # Measured on the benchmark's heavy user (100,000 messages; docs/benchmarks-search.md):
        (31_642, True, True),  # "data that": index 1.3-2.9 s (31,642 rows rechecked), walk 285 ms
        (62_694, True, True),  # "this this": index 1.2 s, walk 225 ms
        (4_407, True, False),  # "code python": index 99-147 ms, walk 329 ms
        (31_642, False, False),  # a plain word that common: the index answers without a recheck
    ],
)
def test_a_phrase_of_common_words_walks_the_owners_conversations(monkeypatch, estimate, phrase, walk):
    from sessions_app.search import plan

    monkeypatch.setattr(plan, "owner_messages", lambda owner_id, filters: 100_000)
    monkeypatch.setattr(plan, "estimated_matches", lambda text: (float(estimate), 1_000_000.0))
    assert plan.choose_walk("q", owner_id=1, filters=SearchFilters(), candidates=500, phrase=phrase) is walk


@pytest.mark.postgres
@pytest.mark.parametrize(("text", "phrase"), [('"data that"', True), ('"word"', False), ('-"a b" c', False)])
def test_the_service_tells_the_plan_about_a_phrase(owner, monkeypatch, text, phrase):
    from sessions_app.search import plan

    seen: list[bool] = []
    monkeypatch.setattr(plan, "choose_walk", lambda *a, phrase=False, **k: seen.append(phrase) or True)
    conversations_search(user=owner, text=text)
    assert seen == [phrase]
