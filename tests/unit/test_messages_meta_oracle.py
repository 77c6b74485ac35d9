"""Our payloads against Meta's own OpenAPI schemas (facebook/openapi, MIT): an outside oracle.

The schemas are extracted by ``tests/data/extract_meta_schemas.py`` (allOf fix applied, see
there). Where the spec mis-models the API (location, template, cta_url, contacts, mark as
read, biz_opaque_callback_data) the payload tests check literal JSON from the rules file
instead; the quirks are pinned at the bottom so a spec update that fixes them shows up.
"""

from __future__ import annotations

import importlib.util
import json
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_provider_whatsapp.messages import (
    AudioMessage,
    DocumentMessage,
    ImageMessage,
    ListMessage,
    Message,
    MessageValidationError,
    ReactionMessage,
    ReplyButtonsMessage,
    StickerMessage,
    TextMessage,
    VideoMessage,
    media_message,
    parse_message,
)
from tests.helpers import META_SCHEMAS as SCHEMAS
from tests.helpers import meta_oracle as oracle

TO = "16505551234"


def oracle_errors(payload: dict[str, Any], definition: str = "Message") -> list[str]:
    return [error.message for error in oracle(definition).iter_errors(payload)]


def test_schema_file_matches_the_extraction_script() -> None:
    """The committed schemas are what the script extracts from the committed spec."""
    script_path = SCHEMAS.with_name("extract_meta_schemas.py")
    spec = importlib.util.spec_from_file_location("extract_meta_schemas", script_path)
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    with script.DEFAULT_SPEC.open(encoding="utf-8") as file:
        meta_spec = yaml.load(file, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    assert script.extract(meta_spec) == json.loads(SCHEMAS.read_text(encoding="utf-8"))


def test_schema_file_credits_meta_and_the_licence() -> None:
    comment = json.loads(SCHEMAS.read_text(encoding="utf-8"))["$comment"]
    assert "facebook/openapi" in comment
    assert "MIT License" in comment
    assert "Copyright (c) Meta Platforms, Inc. and affiliates" in comment


ACCEPTED: list[tuple[str, Message, str]] = [
    ("text", TextMessage.create(TO, "Hello", preview_url=True), "TextMessage"),
    ("text reply", TextMessage.create(TO, "Hi", reply_to="wamid.X"), "TextMessage"),
    *[
        (
            f"{kind} by {source}",
            media_message(
                kind,
                TO,
                media,
                caption="Caption" if kind in ("image", "video", "document") else None,
                filename="report.pdf" if kind == "document" else None,
            ),
            f"{kind.capitalize()}Message",
        )
        for kind in ("image", "video", "audio", "document")
        for source, media in (("link", "https://example.com/file"), ("id", "1234567890"))
    ],
    ("sticker by id", StickerMessage.create(TO, "42"), "StickerMessage"),
    ("sticker by link", StickerMessage.create(TO, "https://example.com/s.webp"), "StickerMessage"),
    ("reaction", ReactionMessage.create(TO, "wamid.X", "\N{GRINNING FACE}"), "ReactionMessage"),
    ("reaction removed", ReactionMessage.create(TO, "wamid.X", ""), "ReactionMessage"),
    (
        "reply buttons",
        ReplyButtonsMessage.create(
            TO, "Retry?", {"yes": "Yes", "no": "No", "later": "Later"}, header="H", footer="F"
        ),
        "InteractiveMessage",
    ),
    (
        "reply buttons with a document header",
        ReplyButtonsMessage.create(
            TO,
            "Report attached",
            ["OK"],
            header={"type": "document", "document": {"id": "9", "filename": "r.pdf"}},
        ),
        "InteractiveMessage",
    ),
    (
        "list",
        ListMessage.create(
            TO,
            "Pick",
            "Menu",
            {"One": [("a", "A", "first")], "Two": [(f"b{i}", f"B{i}") for i in range(9)]},
            header="Header",
            footer="Footer",
        ),
        "InteractiveMessage",
    ),
    (
        "list reply",
        ListMessage.create(TO, "Pick", "Menu", {"S": [("a", "A")]}, reply_to="wamid.Y"),
        "InteractiveMessage",
    ),
    (
        "audio reply",
        AudioMessage.create(TO, "https://example.com/a.ogg", reply_to="wamid.Z"),
        "AudioMessage",
    ),
]


@pytest.mark.parametrize(
    ("name", "message", "definition"), ACCEPTED, ids=[case[0] for case in ACCEPTED]
)
def test_meta_schema_accepts_our_payload(name: str, message: Message, definition: str) -> None:
    payload = message.to_payload()
    assert oracle_errors(payload, definition) == []
    assert oracle_errors(payload) == []


def _buttons(count: int, title: str = "T") -> dict[str, Any]:
    buttons = [{"type": "reply", "reply": {"id": f"b{i}", "title": title}} for i in range(count)]
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": TO,
        "type": "interactive",
        "interactive": {"type": "button", "body": {"text": "b"}, "action": {"buttons": buttons}},
    }


def _text(**extra: Any) -> dict[str, Any]:
    return {**TextMessage.create(TO, "hi").to_payload(), **extra}


def _list(rows: int, section_title: str = "S") -> dict[str, Any]:
    message = ListMessage.create(TO, "b", "Menu", {"S": [("r", "R")]})
    payload = message.to_payload()
    payload["interactive"]["action"]["sections"] = [
        {"title": section_title, "rows": [{"id": f"r{i}", "title": "R"} for i in range(rows)]}
    ]
    return payload


REJECTED: list[tuple[str, dict[str, Any]]] = [
    ("four buttons", _buttons(4)),
    ("no buttons", _buttons(0)),
    ("21-character button title", _buttons(1, "t" * 21)),
    ("unknown top-level field", _text(surprise=1)),
    ("unknown text field", {**_text(), "text": {"body": "hi", "bold": True}}),
    (
        "media by both link and id",
        {
            **ImageMessage.create(TO, "1").to_payload(),
            "image": {"id": "1", "link": "https://example.com/a.png"},
        },
    ),
    (
        "sticker with a caption",
        {**StickerMessage.create(TO, "1").to_payload(), "sticker": {"id": "1", "caption": "c"}},
    ),
    ("eleven rows in a section", _list(11)),
    ("25-character section title", _list(1, "s" * 25)),
    (
        "61-character header",
        {
            **ReplyButtonsMessage.create(TO, "b", ["A"]).to_payload(),
            "interactive": {
                "type": "button",
                "header": {"type": "text", "text": "h" * 61},
                "body": {"text": "b"},
                "action": {"buttons": [{"type": "reply", "reply": {"id": "a", "title": "A"}}]},
            },
        },
    ),
    (
        "reaction with an unknown field",
        {
            **ReactionMessage.create(TO, "w", "").to_payload(),
            "reaction": {"message_id": "w", "emoji": "", "x": 1},
        },
    ),
]


@pytest.mark.parametrize(("name", "payload"), REJECTED, ids=[case[0] for case in REJECTED])
def test_meta_schema_and_our_models_reject_the_same_payloads(
    name: str, payload: dict[str, Any]
) -> None:
    assert oracle_errors(payload), "the oracle accepted an invalid payload: is it alive?"
    with pytest.raises(MessageValidationError):
        parse_message(payload)


titles = st.text(min_size=1, max_size=20)
ids = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=256)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(ids, titles), min_size=1, max_size=3, unique_by=(lambda b: b[0], lambda b: b[1])
    ),
    st.text(min_size=1, max_size=1024),
    st.one_of(st.none(), st.text(min_size=1, max_size=60)),
)
def test_any_valid_reply_buttons_satisfy_meta(
    buttons: list[tuple[str, str]], body: str, header: str | None
) -> None:
    message = ReplyButtonsMessage.create(TO, body, buttons, header=header, footer=header)
    assert oracle_errors(message.to_payload(), "InteractiveMessage") == []


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(min_size=1, max_size=200),
            st.text(min_size=1, max_size=24),
            st.text(max_size=72),
        ),
        min_size=1,
        max_size=10,
        unique_by=lambda row: row[0],
    ),
    st.text(min_size=1, max_size=24),
    st.text(min_size=1, max_size=20),
)
def test_any_valid_list_satisfies_meta(
    rows: list[tuple[str, str, str]], section_title: str, button: str
) -> None:
    message = ListMessage.create(TO, "Body", button, {section_title: rows})
    assert oracle_errors(message.to_payload(), "InteractiveMessage") == []


@settings(max_examples=50, deadline=None)
@given(st.text(min_size=1, max_size=1024), st.sampled_from(["image", "video", "document"]))
def test_any_valid_caption_satisfies_meta(caption: str, kind: str) -> None:
    message = media_message(kind, TO, "123", caption=caption)
    assert oracle_errors(message.to_payload()) == []


# Where Meta's spec and the API part ways. If one of these starts failing, the spec was
# fixed: move the type up into ACCEPTED.
SPEC_QUIRKS: list[tuple[str, dict[str, Any]]] = [
    (
        "location coordinates are numbers, the spec says strings",
        {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": TO,
            "type": "location",
            "location": {"latitude": 37.48, "longitude": -122.14},
        },
    ),
    (
        "template language.policy is optional, the spec requires it",
        {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": TO,
            "type": "template",
            "template": {"name": "hello_world", "language": {"code": "en_US"}},
        },
    ),
    (
        "cta_url is missing from the spec's interactive types",
        {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": TO,
            "type": "interactive",
            "interactive": {
                "type": "cta_url",
                "body": {"text": "b"},
                "action": {
                    "name": "cta_url",
                    "parameters": {"display_text": "Go", "url": "https://example.com"},
                },
            },
        },
    ),
    (
        "mark-as-read is not a Message in the spec",
        {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.X"},
    ),
    ("biz_opaque_callback_data is missing from the spec", _text(biz_opaque_callback_data="t")),
]


@pytest.mark.parametrize(("quirk", "payload"), SPEC_QUIRKS, ids=[case[0] for case in SPEC_QUIRKS])
def test_spec_quirks_still_there(quirk: str, payload: dict[str, Any]) -> None:
    assert oracle_errors(payload), f"fixed in the spec? {quirk}"
    parse_message(payload)  # the API takes it, and so do we


def test_oracle_covers_every_type_it_models() -> None:
    assert {type(message) for _, message, _ in ACCEPTED} >= {
        TextMessage,
        ImageMessage,
        VideoMessage,
        AudioMessage,
        DocumentMessage,
        StickerMessage,
        ReactionMessage,
        ReplyButtonsMessage,
        ListMessage,
    }


def test_spec_misses_the_caption_limit() -> None:
    # The message media schema (MediaObject) declares no caption, so no 1024 limit; the
    # unused MediaObject_1 has it. We keep the documented limit.
    payload = {
        **ImageMessage.create(TO, "1").to_payload(),
        "image": {"id": "1", "caption": "c" * 1025},
    }
    assert oracle_errors(payload) == []
    with pytest.raises(MessageValidationError, match=r"image\.caption"):
        parse_message(payload)
