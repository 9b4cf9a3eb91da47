"""Branches (``conversations.branches``): a conversation forked before one of its messages.

The contract: the original never changes; the branch's ``DjangoChatMessageHistory`` and its
LangGraph thread see exactly the branch's linear history; versions of one message are siblings;
the API exposes it (``/api/sessions/{id}/branches``) behind the one ownership gate.
"""
from __future__ import annotations

import uuid

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.graph import MessagesState

from sessions_app.checkpoint import DjangoSaver
from sessions_app.conversations.branches import branch_list, branch_versions, session_branch
from sessions_app.conversations.chat import ChatTurn
from sessions_app.conversations.history import DjangoChatMessageHistory
from sessions_app.conversations.messages import messages_append
from sessions_app.conversations.sessions import session_archive, session_create, session_delete
from sessions_app.exceptions import InvalidInput, SessionReadOnly
from sessions_app.models import ChatMessage, ChatSession

from .graphs import linear_graph

pytestmark = pytest.mark.django_db

TURNS = [("I like cats.", "Noted: cats."), ("What do I like?", "You like cats."), ("And dogs?", "Not dogs.")]


def conversation(owner, turns=TURNS) -> ChatSession:
    session = session_create(owner=owner, title="Pets", tenant="acme")
    for question, answer in turns:
        messages_append(session_id=session.pk, messages=[HumanMessage(content=question), AIMessage(content=answer)])
    session.refresh_from_db()
    return session


def rows(session) -> list[tuple]:
    return list(ChatMessage.objects.filter(session=session).order_by("seq").values_list("seq", "message", "created_at"))


def texts(session_id) -> list[str]:
    return [m.text for m in DjangoChatMessageHistory(session_id).messages]


def test_a_branch_holds_the_messages_before_the_fork_and_the_original_is_untouched(owner):
    parent = conversation(owner)
    before = rows(parent)
    branched = session_branch(session=parent, before_seq=3)
    branch = branched.session
    assert branched.copied == 2 and branched.checkpoint_id is None  # no LangGraph thread to fork
    branch.refresh_from_db()
    assert (branch.parent_id, branch.branched_at_seq, branch.owner_id) == (parent.pk, 3, owner.pk)
    assert (branch.title, branch.tenant, branch.message_count, branch.last_seq) == ("Pets", "acme", 2, 2)
    assert rows(branch) == before[:2]  # same seqs, same LangChain records, same times
    assert rows(parent) == before

    # The branch goes on by itself: the next message is seq 3 there, and the history is linear.
    DjangoChatMessageHistory(branch.pk).add_messages([HumanMessage(content="What about birds?")])
    assert texts(branch.pk) == ["I like cats.", "Noted: cats.", "What about birds?"]
    assert texts(parent.pk) == [text for turn in TURNS for text in turn]
    assert DjangoChatMessageHistory(branch.pk).get_recent_messages(2)[-1].text == "What about birds?"


def test_a_chat_turn_on_a_branch_sees_only_the_branchs_history(owner):
    parent = conversation(owner)
    branch = session_branch(session=parent, before_seq=3).session
    turn = ChatTurn(history=DjangoChatMessageHistory(branch.pk, user=owner), text="Remind me what I said")
    turn.run()
    assert turn.saved_seqs == [3, 4]
    assert "I can see 2 earlier messages" in turn.answer.text  # not the parent's 6
    assert ChatSession.objects.get(pk=parent.pk).message_count == 6


def test_versions_of_a_message_are_siblings_and_link_both_ways(owner):
    parent = conversation(owner)
    first = session_branch(session=parent, before_seq=3).session
    second = session_branch(session=first, before_seq=3).session  # an edit of the same message again
    assert second.parent_id == parent.pk  # a sibling, not a grandchild
    deeper = session_branch(session=first, before_seq=2).session  # another message: a branch of the branch
    assert deeper.parent_id == first.pk

    at_parent = branch_versions(session=parent)[3]
    assert (at_parent.index, at_parent.count, at_parent.previous, at_parent.next) == (1, 3, None, first.pk)
    at_first = branch_versions(session=first)
    assert (at_first[3].index, at_first[3].previous, at_first[3].next) == (2, parent.pk, second.pk)
    assert (at_first[2].index, at_first[2].count, at_first[2].next) == (1, 2, deeper.pk)
    assert branch_versions(session=second)[3].index == 3 and branch_versions(session=second)[3].next is None
    assert [s.pk for s in branch_list(session=parent)] == [first.pk, second.pk]


def test_regenerating_is_a_version_of_the_answer(owner):
    parent = conversation(owner)
    branch = session_branch(session=parent, before_seq=3, versions_at=4).session  # the answer at 4, asked again
    assert branch.message_count == 2 and branch.branched_at_seq == 4
    assert branch_versions(session=parent)[4].count == 2


@pytest.mark.parametrize("before_seq", [0, -1, 8, True, "3"])
def test_a_bad_fork_point_is_invalid_and_creates_nothing(owner, before_seq):
    parent = conversation(owner)
    with pytest.raises(InvalidInput):
        session_branch(session=parent, before_seq=before_seq)
    assert ChatSession.objects.count() == 1


def test_a_branch_with_every_message_and_an_archived_conversation(owner):
    parent = conversation(owner)
    assert session_branch(session=parent, before_seq=7).session.message_count == 6  # last_seq + 1: all of it
    session_archive(session=parent)
    with pytest.raises(SessionReadOnly):
        session_branch(session=parent, before_seq=3)


def test_deleting_the_original_keeps_its_branches(owner):
    parent = conversation(owner)
    branch = session_branch(session=parent, before_seq=3).session
    session_delete(session_id=parent.pk)
    branch.refresh_from_db()
    assert branch.parent_id is None and branch.branched_at_seq == 3
    assert texts(branch.pk) == ["I like cats.", "Noted: cats."]
    assert branch_versions(session=branch) == {}


# --- the LangGraph thread of a branch ----------------------------------------------------------------


def chatbot(saver):
    def answer(state: MessagesState) -> dict:
        return {"messages": [AIMessage(f"echo: {state['messages'][-1].content}")]}

    return linear_graph(saver, [("answer", answer)])


@pytest.mark.django_db(transaction=True)
def test_the_branchs_langgraph_thread_starts_from_the_checkpoint_of_its_messages(owner):
    saver = DjangoSaver()
    graph = chatbot(saver)
    parent = session_create(owner=owner, title="Graph")
    config = {"configurable": {"thread_id": str(parent.pk)}}
    for question in ["one", "two", "three"]:  # the app keeps the thread and the history in step
        result = graph.invoke({"messages": [HumanMessage(question)]}, config)
        messages_append(session_id=parent.pk, messages=result["messages"][-2:])
    parent.refresh_from_db()

    branched = session_branch(session=parent, before_seq=5)  # before the third question
    branch_config = {"configurable": {"thread_id": str(branched.session.pk)}}
    assert branched.checkpoint_id is not None
    state = graph.get_state(branch_config).values["messages"]
    assert [m.content for m in state] == ["one", "echo: one", "two", "echo: two"]
    assert [m.content for m in state] == texts(branched.session.pk)  # thread and history agree

    result = graph.invoke({"messages": [HumanMessage("four")]}, branch_config)
    assert [m.content for m in result["messages"]][-2:] == ["four", "echo: four"]
    assert len(result["messages"]) == 6
    parent_state = graph.get_state(config).values["messages"]
    assert [m.content for m in parent_state][-2:] == ["three", "echo: three"]  # the original thread is untouched
    assert len(parent_state) == 6


# --- the API -------------------------------------------------------------------------------------------


def test_api_creates_and_lists_branches(owner, owner_api):
    parent = conversation(owner)
    response = owner_api.post(f"/api/sessions/{parent.pk}/branches", {"before_seq": 3})
    assert response.status_code == 201
    body = response.json()
    assert body["parent_id"] == str(parent.pk) and body["branched_at_seq"] == 3 and body["message_count"] == 2
    page = owner_api.get(f"/api/sessions/{body['session_id']}/messages").json()
    assert [m["seq"] for m in page["items"]] == [1, 2]
    chat = owner_api.post(f"/api/sessions/{body['session_id']}/chat", {"message": "And now?"})
    assert chat.status_code == 200 and chat.json()["seqs"] == [3, 4]
    listed = owner_api.get(f"/api/sessions/{parent.pk}/branches")
    assert [s["session_id"] for s in listed.json()] == [body["session_id"]]
    assert owner_api.get(f"/api/sessions/{parent.pk}").json()["parent_id"] is None


@pytest.mark.parametrize("payload", [{"before_seq": 0}, {"before_seq": 99}, {"before_seq": "3"}, {}])
def test_api_refuses_a_bad_fork_point(owner, owner_api, payload):
    parent = conversation(owner)
    response = owner_api.post(f"/api/sessions/{parent.pk}/branches", payload)
    assert response.status_code in (400, 422) and response.json()["error"] in ("invalid", "validation")
    assert ChatSession.objects.count() == 1


def test_api_branches_of_someone_elses_session_are_404(owner, other_api):
    parent = conversation(owner)
    assert other_api.post(f"/api/sessions/{parent.pk}/branches", {"before_seq": 3}).status_code == 404
    assert other_api.get(f"/api/sessions/{parent.pk}/branches").status_code == 404
    assert other_api.get(f"/api/sessions/{uuid.uuid4()}/branches").status_code == 404
    assert ChatSession.objects.count() == 1
