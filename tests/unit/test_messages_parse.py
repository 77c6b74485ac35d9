"""parse_message dispatch, its errors, a fuzz test, and what importing the package costs."""

from __future__ import annotations

import contextlib
import copy
import json
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import airflow_provider_whatsapp.messages as messages
from airflow_provider_whatsapp.messages import (
    MESSAGE_TYPES,
    ContactsMessage,
    CtaUrlMessage,
    ListMessage,
    LocationMessage,
    MarkAsRead,
    Message,
    MessageValidationError,
    ReplyButtonsMessage,
    TemplateMessage,
    TextMessage,
    media_message,
    parse_message,
)

REPO = Path(__file__).resolve().parents[2]
TO = "16505551234"


@pytest.mark.parametrize(
    ("sub_type", "message_class"),
    [("button", ReplyButtonsMessage), ("list", ListMessage), ("cta_url", CtaUrlMessage)],
)
def test_interactive_dispatches_on_its_sub_type(sub_type: str, message_class: type) -> None:
    with pytest.raises(MessageValidationError) as caught:
        parse_message({"to": TO, "type": "interactive", "interactive": {"type": sub_type}})
    assert caught.value.title == message_class.__name__


def test_status_read_is_a_read_mark() -> None:
    parsed = parse_message({"messaging_product": "whatsapp", "status": "read", "message_id": "w"})
    assert isinstance(parsed, MarkAsRead)
    with pytest.raises(MessageValidationError, match="to"):
        parse_message({"status": "read", "message_id": "w", "to": TO})


def test_a_model_is_returned_as_is() -> None:
    message = TextMessage.create(TO, "hi")
    assert parse_message(message) is message


@pytest.mark.parametrize(
    ("data", "location", "error"),
    [
        ({"type": "carrier_pigeon"}, ("type",), "unknown message type 'carrier_pigeon'"),
        ({"type": 3}, ("type",), "unknown message type 3"),
        ({"to": TO}, ("type",), "missing 'type'"),
        ({"type": "interactive"}, ("interactive", "type"), "unsupported interactive type None"),
        (
            {"type": "interactive", "interactive": {"type": "flow"}},
            ("interactive", "type"),
            "unsupported interactive type 'flow': expected one of button, list, cta_url",
        ),
        ({"type": "interactive", "interactive": []}, ("interactive", "type"), "unsupported"),
    ],
)
def test_unknown_types_are_explained(
    data: dict[str, Any], location: tuple[str, ...], error: str
) -> None:
    with pytest.raises(MessageValidationError, match=error) as caught:
        parse_message(data)
    assert caught.value.errors()[0]["loc"] == location


@pytest.mark.parametrize("data", [None, "text", ["type", "text"], 42])
def test_non_mappings_are_validation_errors(data: Any) -> None:
    with pytest.raises(MessageValidationError, match="must be a dict or a message model"):
        parse_message(data)


def test_message_types_lists_every_model_once() -> None:
    assert len(set(MESSAGE_TYPES)) == len(MESSAGE_TYPES) == 14
    assert all(issubclass(message_class, Message) for message_class in MESSAGE_TYPES)


KEYS = [
    "type", "to", "text", "body", "preview_url", "image", "link", "id", "caption", "interactive",
    "action", "buttons", "reply", "title", "sections", "rows", "header", "template", "name",
    "language", "code", "components", "parameters", "status", "message_id", "context",
    "location", "latitude", "contacts", "reaction", "emoji", "messaging_product",
]  # fmt: skip
TYPES = [
    "text", "image", "video", "audio", "document", "sticker", "location", "contacts",
    "reaction", "interactive", "template", "button", "list", "cta_url", "read", "body",
    "header", "reply", "payload", "currency",
]  # fmt: skip
json_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(TYPES),
    st.just(TO),
    st.just("https://example.com/a.png"),
)
json_values = st.recursive(
    json_leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.one_of(st.sampled_from(KEYS), st.text(max_size=6)), children, max_size=5
        ),
    ),
    max_leaves=25,
)
message_like = st.dictionaries(st.sampled_from(KEYS), json_values, max_size=7)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(message_like)
def test_fuzz_parse_message_raises_only_validation_errors(data: dict[str, Any]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            message = parse_message(data)
        except MessageValidationError:
            return
    payload = message.to_payload()
    assert parse_message(payload) == message
    json.dumps(payload)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(MESSAGE_TYPES), json_values)
def test_fuzz_model_validate_raises_only_validation_errors(
    message_class: type[Message], data: Any
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with contextlib.suppress(MessageValidationError):
            message_class.model_validate(data)


SEED_PAYLOADS = [
    TextMessage.create(TO, "hi", reply_to="wamid.1").to_payload(),
    media_message("document", TO, "https://example.com/a.pdf", "c", "a.pdf").to_payload(),
    LocationMessage.create(TO, 1.0, 2.0, "n", "a").to_payload(),
    ContactsMessage.create(
        TO, [{"name": {"formatted_name": "A"}, "phones": [{"phone": "1"}]}]
    ).to_payload(),
    ReplyButtonsMessage.create(TO, "b", {"a": "A", "b": "B"}, header="h", footer="f").to_payload(),
    ListMessage.create(
        TO, "b", "Open", {"S": [("1", "One", "d")], "T": [("2", "Two")]}
    ).to_payload(),
    CtaUrlMessage.create(TO, "b", "Go", "https://example.com").to_payload(),
    TemplateMessage.create(
        TO,
        "alert",
        "en_US",
        components=[
            {"type": "header", "parameters": [{"type": "image", "image": {"id": "1"}}]},
            {"type": "body", "parameters": [{"type": "text", "text": "a"}]},
            {
                "type": "button",
                "sub_type": "quick_reply",
                "index": "0",
                "parameters": [{"type": "payload", "payload": "P"}],
            },
        ],
    ).to_payload(),
    MarkAsRead.create("wamid.1").to_payload(),
]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if prefix:
        yield prefix
    children = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, child in children:
        yield from _paths(child, (*prefix, key))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SEED_PAYLOADS), st.data())
def test_fuzz_mutated_valid_payloads(seed: dict[str, Any], data: st.DataObject) -> None:
    """One change anywhere in a valid payload: still valid, or a MessageValidationError."""
    payload = copy.deepcopy(seed)
    path = data.draw(st.sampled_from(list(_paths(payload))))
    parent = payload
    for key in path[:-1]:
        parent = parent[key]
    if isinstance(parent, dict) and data.draw(st.booleans()):
        del parent[path[-1]]
    else:
        parent[path[-1]] = data.draw(json_values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            message = parse_message(payload)
        except MessageValidationError:
            return
    assert parse_message(message.to_payload()) == message


def test_every_exported_name_resolves() -> None:
    for name in messages.__all__:
        assert getattr(messages, name) is not None, name
    assert set(messages.__all__) <= set(dir(messages))
    with pytest.raises(AttributeError):
        messages.NoSuchMessage  # noqa: B018


def _modules_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint('\\n'.join(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env={"PYTHONPATH": str(REPO), "PATH": ""},
    )
    return set(result.stdout.split())


def test_importing_a_model_loads_only_its_submodule_and_no_airflow() -> None:
    loaded = _modules_after("from airflow_provider_whatsapp.messages import TextMessage")
    assert "airflow_provider_whatsapp.messages.basic" in loaded
    assert "airflow_provider_whatsapp.messages.template" not in loaded
    assert "airflow_provider_whatsapp.messages.interactive" not in loaded
    assert not any(name == "airflow" or name.startswith("airflow.") for name in loaded)


def test_parse_message_loads_models_on_demand() -> None:
    loaded = _modules_after(
        "from airflow_provider_whatsapp.messages import parse_message\n"
        "parse_message({'type': 'text', 'to': '16505551234', 'text': {'body': 'x'}})"
    )
    assert "airflow_provider_whatsapp.messages.basic" in loaded
    assert "airflow_provider_whatsapp.messages.template" not in loaded
