"""Parsers of import formats: role mapping, the ChatGPT branch choice, errors that name the place."""
from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from sessions_app.transfer.importers import ImportFormatError, ParsedConversation, iter_conversations, parse_records

DATA = Path(__file__).parent / "data" / "import"


def parse_file(name: str, source_format: str, **kwargs) -> list:
    with (DATA / name).open("rb") as fp:
        return list(iter_conversations(fp, source_format=source_format, **kwargs))


def test_sharegpt_roles_map_to_langchain_message_types():
    a, b, empty, tools, repeated = parse_file("sharegpt_valid.json", "sharegpt")
    assert [type(m) for m in a.messages] == [HumanMessage, AIMessage, HumanMessage, AIMessage]
    assert a.source_id == "conv-a" and a.index == 1 and a.source_format == "sharegpt"
    assert a.title == "What is the capital of France?"
    assert [type(m) for m in b.messages] == [
        SystemMessage, HumanMessage, AIMessage, AIMessage, AIMessage, AIMessage, AIMessage,
    ]
    assert [m.response_metadata.get("sharegpt_from") for m in b.messages[2:]] == [
        "bing", "chatgpt", "bard", "assistant", "model",
    ]
    assert b.messages[4].content == ""  # an empty turn is kept, not dropped
    assert empty.messages == [] and repeated.source_id == "conv-a"


def test_sharegpt_function_call_and_observation_become_a_tool_call_and_its_result():
    tools = parse_file("sharegpt_valid.json", "sharegpt")[3]
    human, call, result, answer = tools.messages
    assert isinstance(call, AIMessage) and call.tool_calls == [
        {"name": "get_weather", "args": {"city": "Oslo"}, "id": "call_conv-tools_2", "type": "tool_call"}
    ]
    assert isinstance(result, ToolMessage) and result.tool_call_id == "call_conv-tools_2"
    assert answer.content == "It is -3 °C in Oslo. ☃"


def test_unknown_role_error_names_conversation_id_and_message():
    with pytest.raises(ImportFormatError) as caught:
        parse_file("sharegpt_unknown_role.json", "sharegpt")
    assert str(caught.value).startswith('conversation #2 (id "abc"), message 3: unknown role "foo"')
    assert (caught.value.index, caught.value.source_id, caught.value.message) == (2, "abc", 3)
    assert caught.value.status_code == 400


def test_skip_invalid_yields_each_error_in_place_and_goes_on():
    items = parse_file("sharegpt_bad_shapes.json", "sharegpt", skip_invalid=True)
    assert isinstance(items[0], ParsedConversation)
    errors = [str(e) for e in items[1:]]
    assert errors == [
        'conversation #2 (id "s-2"): "conversations" must be a list, got an object',
        'conversation #3: missing "id" (a non-empty string)',
        'conversation #4 (id "s-4"), message 1: "value" must be a string, got int',
        'conversation #5 (id "s-5"), message 1: missing "from" (the role)',
        "conversation #6: expected an object, got a string",
    ]


def test_truncated_file_names_the_conversation_and_byte():
    with pytest.raises(ImportFormatError) as caught:
        parse_file("sharegpt_truncated.json", "sharegpt")
    size = (DATA / "sharegpt_truncated.json").stat().st_size
    assert str(caught.value) == (
        f"conversation #2: the file ends in the middle of this conversation (truncated at byte {size}; "
        "1 complete conversations before it)"
    )
    items = parse_file("sharegpt_truncated.json", "sharegpt", skip_invalid=True)
    assert [type(i) for i in items] == [ParsedConversation, ImportFormatError]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b'  {"id": 1}', "does not start with a JSON array (first character '{')"),
        (b'[{"id": "x", "conversations": [}]', "conversation #1: invalid JSON near byte"),
        (b'[{"id": "x", "conversations": [{"from": "human", "value": "a\\udc80"}]}]', "not UTF-8 or a lone surrogate"),
        (b'[{"id": "x", "conversations": [{"from": "human", "value": "a\xff"}]}]', "invalid bytes in UTF8 string"),
    ],
)
def test_file_level_errors(content: bytes, message: str):
    with pytest.raises(ImportFormatError) as caught:
        list(iter_conversations(io.BytesIO(content), source_format="sharegpt"))
    assert message in str(caught.value)


def test_unseekable_input_is_streamed():
    class Pipe(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self._inner = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return False

        def read(self, size: int = -1) -> bytes:
            return self._inner.read(size)

    data = (DATA / "sharegpt_valid.json").read_bytes()
    items = list(iter_conversations(Pipe(data), source_format="sharegpt"))  # type: ignore[arg-type]
    assert [i.source_id for i in items] == ["conv-a", "conv-b", "conv-empty", "conv-tools", "conv-a"]


def test_chatgpt_takes_the_branch_that_ends_at_current_node():
    first, second = parse_file("chatgpt_export.json", "chatgpt")
    assert [(type(m), m.content) for m in first.messages] == [
        (HumanMessage, "Tell me a joke"),
        (AIMessage, "Regenerated answer"),
        (HumanMessage, "What is in this picture?"),
        (AIMessage, "A cat."),
    ]
    assert [m.id for m in first.messages] == ["u1", "a1b", "u2", "a2b"]
    assert first.messages[3].response_metadata == {"model_name": "gpt-4o-mini"}
    # the hidden system prompt, the code call to python and its output are skipped
    assert first.metadata == {"skipped_nodes": 3, "default_model_slug": "gpt-4o"}
    assert first.title == "Branching chat" and first.source_id == "c0ffee00-0000-4000-8000-000000000001"
    assert first.created_at == datetime.fromtimestamp(1700000000.5, tz=UTC)
    assert first.updated_at == datetime.fromtimestamp(1700000600.0, tz=UTC)
    assert first.message_times[0] == datetime.fromtimestamp(1700000001.0, tz=UTC)


def test_chatgpt_without_current_node_takes_the_newest_branch():
    second = parse_file("chatgpt_export.json", "chatgpt")[1]
    assert [m.content for m in second.messages] == ["No current node here", "newest child"]
    assert second.title == "No current node here"


def test_chatgpt_dangling_parent_is_an_error_with_the_place():
    expected = r'^conversation #2 \(id "broken"\): parent "ghost" is not in the mapping$'
    with pytest.raises(ImportFormatError, match=expected):
        parse_file("chatgpt_bad_parent.json", "chatgpt")


def test_chatgpt_cycle_and_unknown_role_are_errors():
    cyclic = {"id": "cyc", "current_node": "a", "mapping": {
        "a": {"id": "a", "parent": "b", "children": [], "message": None},
        "b": {"id": "b", "parent": "a", "children": [], "message": None},
    }}
    with pytest.raises(ImportFormatError, match="cycle"):
        parse_records([cyclic], source_format="chatgpt")
    odd = {"id": "odd", "current_node": "a", "mapping": {"a": {"id": "a", "parent": None, "children": [], "message": {
        "id": "a", "author": {"role": "critic"}, "content": {"content_type": "text", "parts": ["x"]}}}}}
    expected = r'^conversation #1 \(id "odd"\), message 1: node "a": unknown role "critic"'
    with pytest.raises(ImportFormatError, match=expected):
        parse_records([odd], source_format="chatgpt")


def test_parse_records_and_unknown_format():
    records = json.loads((DATA / "sharegpt_valid.json").read_text())
    assert len(parse_records(records, source_format="sharegpt")) == 5
    with pytest.raises(ImportFormatError, match='unknown format "csv"'):
        parse_records(records, source_format="csv")
