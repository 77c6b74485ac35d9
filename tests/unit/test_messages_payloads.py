"""Every message type builds exactly the JSON the API takes, and parses back from it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_whatsapp.messages import (
    MESSAGE_TYPES,
    ContactsMessage,
    CtaUrlMessage,
    DocumentMessage,
    ImageMessage,
    ListMessage,
    LocationMessage,
    MarkAsRead,
    Message,
    MessageValidationError,
    ReactionMessage,
    ReplyButtonsMessage,
    TemplateMessage,
    TextMessage,
    media_message,
    parse_message,
)

TO = "16505551234"
ENVELOPE = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": TO}


def envelope(**content: Any) -> dict[str, Any]:
    return {**ENVELOPE, **content}


CONTACT = {
    "name": {"formatted_name": "John Smith", "first_name": "John", "last_name": "Smith"},
    "phones": [{"phone": "+1 (650) 555-1234", "type": "WORK", "wa_id": "16505551234"}],
    "emails": [{"email": "john@example.com", "type": "WORK"}],
    "urls": [{"url": "https://www.example.com", "type": "HOME"}],
    "addresses": [
        {
            "street": "1 Hacker Way",
            "city": "Menlo Park",
            "state": "CA",
            "zip": "94025",
            "country": "United States",
            "country_code": "us",
            "type": "WORK",
        }
    ],
    "org": {"company": "WhatsApp", "department": "Design", "title": "Manager"},
    "birthday": "2012-08-18",
}

# (name, how a user builds it, the exact JSON the API takes)
CASES: list[tuple[str, Callable[[], Message], dict[str, Any]]] = [
    (
        "text",
        lambda: TextMessage.create("+1 (650) 555-1234", "Hello"),
        envelope(type="text", text={"body": "Hello", "preview_url": False}),
    ),
    (
        "text reply with preview and tracker",
        lambda: TextMessage.create(
            TO, "See https://example.com", preview_url=True, reply_to="wamid.ABC"
        ).model_copy(update={"biz_opaque_callback_data": "run-42"}),
        envelope(
            type="text",
            text={"body": "See https://example.com", "preview_url": True},
            context={"message_id": "wamid.ABC"},
            biz_opaque_callback_data="run-42",
        ),
    ),
    (
        "image by link with caption",
        lambda: media_message("image", TO, "https://example.com/a.png", caption="Chart"),
        envelope(type="image", image={"link": "https://example.com/a.png", "caption": "Chart"}),
    ),
    (
        "image by id",
        lambda: ImageMessage.create(TO, "1234567890"),
        envelope(type="image", image={"id": "1234567890"}),
    ),
    (
        "video by id with caption",
        lambda: media_message("video", TO, "555", caption="Clip"),
        envelope(type="video", video={"id": "555", "caption": "Clip"}),
    ),
    (
        "audio by link",
        lambda: media_message("audio", TO, "https://example.com/a.ogg"),
        envelope(type="audio", audio={"link": "https://example.com/a.ogg"}),
    ),
    (
        "document by id with caption and filename",
        lambda: DocumentMessage.create(TO, "777", caption="Report", filename="report.pdf"),
        envelope(
            type="document", document={"id": "777", "caption": "Report", "filename": "report.pdf"}
        ),
    ),
    (
        "sticker by id as a reply",
        lambda: media_message("sticker", TO, "888", reply_to="wamid.S"),
        envelope(type="sticker", sticker={"id": "888"}, context={"message_id": "wamid.S"}),
    ),
    (
        "location",
        lambda: LocationMessage.create(TO, 37.4847, -122.1486, name="Meta HQ", address="1 Way"),
        envelope(
            type="location",
            location={
                "latitude": 37.4847,
                "longitude": -122.1486,
                "name": "Meta HQ",
                "address": "1 Way",
            },
        ),
    ),
    (
        "contacts",
        lambda: ContactsMessage.create(TO, [CONTACT]),
        envelope(type="contacts", contacts=[CONTACT]),
    ),
    (
        "reaction",
        lambda: ReactionMessage.create(TO, "wamid.R", "\N{THUMBS UP SIGN}"),
        envelope(
            type="reaction", reaction={"message_id": "wamid.R", "emoji": "\N{THUMBS UP SIGN}"}
        ),
    ),
    (
        "reaction removed",
        lambda: ReactionMessage.create(TO, "wamid.R", ""),
        envelope(type="reaction", reaction={"message_id": "wamid.R", "emoji": ""}),
    ),
    (
        "reply buttons",
        lambda: ReplyButtonsMessage.create(
            TO,
            "Task failed. Retry?",
            {"retry": "Retry", "skip": "Skip"},
            header="Airflow",
            footer="dag etl",
        ),
        envelope(
            type="interactive",
            interactive={
                "type": "button",
                "header": {"type": "text", "text": "Airflow"},
                "body": {"text": "Task failed. Retry?"},
                "footer": {"text": "dag etl"},
                "action": {
                    "buttons": [
                        {"type": "reply", "reply": {"id": "retry", "title": "Retry"}},
                        {"type": "reply", "reply": {"id": "skip", "title": "Skip"}},
                    ]
                },
            },
        ),
    ),
    (
        "reply buttons with image header",
        lambda: ReplyButtonsMessage.create(
            TO,
            "Pick",
            ["Yes", ("n", "No")],
            header={"type": "image", "image": {"link": "https://example.com/h.png"}},
        ),
        envelope(
            type="interactive",
            interactive={
                "type": "button",
                "header": {"type": "image", "image": {"link": "https://example.com/h.png"}},
                "body": {"text": "Pick"},
                "action": {
                    "buttons": [
                        {"type": "reply", "reply": {"id": "Yes", "title": "Yes"}},
                        {"type": "reply", "reply": {"id": "n", "title": "No"}},
                    ]
                },
            },
        ),
    ),
    (
        "list",
        lambda: ListMessage.create(
            TO,
            "Choose a run",
            "Runs",
            {
                "Today": [("r1", "Run 1", "08:00"), ("r2", "Run 2")],
                "Yesterday": [{"id": "r3", "title": "Run 3"}],
            },
            header="Runs",
            footer="pick one",
        ),
        envelope(
            type="interactive",
            interactive={
                "type": "list",
                "header": {"type": "text", "text": "Runs"},
                "body": {"text": "Choose a run"},
                "footer": {"text": "pick one"},
                "action": {
                    "button": "Runs",
                    "sections": [
                        {
                            "title": "Today",
                            "rows": [
                                {"id": "r1", "title": "Run 1", "description": "08:00"},
                                {"id": "r2", "title": "Run 2"},
                            ],
                        },
                        {"title": "Yesterday", "rows": [{"id": "r3", "title": "Run 3"}]},
                    ],
                },
            },
        ),
    ),
    (
        "list with one untitled section",
        lambda: ListMessage.create(TO, "Body", "Open", [{"rows": [{"id": "a", "title": "A"}]}]),
        envelope(
            type="interactive",
            interactive={
                "type": "list",
                "body": {"text": "Body"},
                "action": {"button": "Open", "sections": [{"rows": [{"id": "a", "title": "A"}]}]},
            },
        ),
    ),
    (
        "cta_url",
        lambda: CtaUrlMessage.create(
            TO, "Logs are ready", "Open logs", "https://airflow.example.com/logs", footer="f"
        ),
        envelope(
            type="interactive",
            interactive={
                "type": "cta_url",
                "body": {"text": "Logs are ready"},
                "footer": {"text": "f"},
                "action": {
                    "name": "cta_url",
                    "parameters": {
                        "display_text": "Open logs",
                        "url": "https://airflow.example.com/logs",
                    },
                },
            },
        ),
    ),
    (
        "template without parameters",
        lambda: TemplateMessage.create(TO, "hello_world", "en_US"),
        envelope(type="template", template={"name": "hello_world", "language": {"code": "en_US"}}),
    ),
    (
        "template with positional parameters",
        lambda: TemplateMessage.create(TO, "order_update", "en", parameters=["Ann", 42, 9.5]),
        envelope(
            type="template",
            template={
                "name": "order_update",
                "language": {"code": "en"},
                "components": [
                    {
                        "type": "body",
                        "parameters": [
                            {"type": "text", "text": "Ann"},
                            {"type": "text", "text": "42"},
                            {"type": "text", "text": "9.5"},
                        ],
                    }
                ],
            },
        ),
    ),
    (
        "template with named parameters",
        lambda: TemplateMessage.create(
            TO, "order_update", "pt_BR", parameters={"first_name": "Ana", "order_id": 7}
        ),
        envelope(
            type="template",
            template={
                "name": "order_update",
                "language": {"code": "pt_BR"},
                "components": [
                    {
                        "type": "body",
                        "parameters": [
                            {"type": "text", "parameter_name": "first_name", "text": "Ana"},
                            {"type": "text", "parameter_name": "order_id", "text": "7"},
                        ],
                    }
                ],
            },
        ),
    ),
    (
        "template with every component",
        lambda: TemplateMessage.create(
            TO,
            "shipping_alert",
            {"code": "en_US", "policy": "deterministic"},
            components=[
                {
                    "type": "header",
                    "parameters": [
                        {"type": "image", "image": {"link": "https://example.com/h.jpg"}}
                    ],
                },
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "Ann"},
                        {
                            "type": "currency",
                            "currency": {
                                "fallback_value": "$100.99",
                                "code": "USD",
                                "amount_1000": 100990,
                            },
                        },
                        {"type": "date_time", "date_time": {"fallback_value": "May 1, 2026"}},
                    ],
                },
                {
                    "type": "button",
                    "sub_type": "quick_reply",
                    "index": "0",
                    "parameters": [{"type": "payload", "payload": "STOP"}],
                },
                {
                    "type": "button",
                    "sub_type": "url",
                    "index": "1",
                    "parameters": [{"type": "text", "text": "track/123"}],
                },
                {
                    "type": "button",
                    "sub_type": "copy_code",
                    "index": "2",
                    "parameters": [{"type": "coupon_code", "coupon_code": "SAVE10"}],
                },
            ],
        ),
        envelope(
            type="template",
            template={
                "name": "shipping_alert",
                "language": {"code": "en_US", "policy": "deterministic"},
                "components": [
                    {
                        "type": "header",
                        "parameters": [
                            {"type": "image", "image": {"link": "https://example.com/h.jpg"}}
                        ],
                    },
                    {
                        "type": "body",
                        "parameters": [
                            {"type": "text", "text": "Ann"},
                            {
                                "type": "currency",
                                "currency": {
                                    "fallback_value": "$100.99",
                                    "code": "USD",
                                    "amount_1000": 100990,
                                },
                            },
                            {"type": "date_time", "date_time": {"fallback_value": "May 1, 2026"}},
                        ],
                    },
                    {
                        "type": "button",
                        "sub_type": "quick_reply",
                        "index": "0",
                        "parameters": [{"type": "payload", "payload": "STOP"}],
                    },
                    {
                        "type": "button",
                        "sub_type": "url",
                        "index": "1",
                        "parameters": [{"type": "text", "text": "track/123"}],
                    },
                    {
                        "type": "button",
                        "sub_type": "copy_code",
                        "index": "2",
                        "parameters": [{"type": "coupon_code", "coupon_code": "SAVE10"}],
                    },
                ],
            },
        ),
    ),
    (
        "mark as read",
        lambda: MarkAsRead.create("wamid.IN"),
        {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.IN"},
    ),
    (
        "mark as read with typing indicator",
        lambda: MarkAsRead.create("wamid.IN", typing_indicator=True),
        {
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": "wamid.IN",
            "typing_indicator": {"type": "text"},
        },
    ),
]
CASE_IDS = [name for name, _, _ in CASES]


def _no_none(value: Any) -> bool:
    if isinstance(value, dict):
        return all(_no_none(item) for item in value.values())
    if isinstance(value, list):
        return all(_no_none(item) for item in value)
    return value is not None


@pytest.mark.parametrize(("name", "build", "expected"), CASES, ids=CASE_IDS)
def test_to_payload_is_the_exact_api_json(
    name: str, build: Callable[[], Message], expected: dict[str, Any]
) -> None:
    payload = build().to_payload()
    assert payload == expected
    assert _no_none(payload)


@pytest.mark.parametrize(("name", "build", "expected"), CASES, ids=CASE_IDS)
def test_parse_message_round_trips(
    name: str, build: Callable[[], Message], expected: dict[str, Any]
) -> None:
    message = build()
    parsed = parse_message(expected)
    assert type(parsed) is type(message)
    assert parsed == message
    assert parsed.to_payload() == expected
    assert type(message).model_validate(expected) == message


@pytest.mark.parametrize(("name", "build", "expected"), CASES, ids=CASE_IDS)
def test_unknown_field_is_rejected(
    name: str, build: Callable[[], Message], expected: dict[str, Any]
) -> None:
    with pytest.raises(MessageValidationError, match="surprise") as caught:
        parse_message({**expected, "surprise": 1})
    assert "Extra inputs are not permitted" in str(caught.value)


def test_unknown_nested_field_is_rejected() -> None:
    payload = envelope(type="text", text={"body": "hi", "bold": True})
    with pytest.raises(MessageValidationError, match=r"text\.bold"):
        parse_message(payload)


def test_every_message_type_has_a_payload_case() -> None:
    covered = {type(build()) for _, build, _ in CASES}
    assert covered == set(MESSAGE_TYPES)


def test_payload_keys_are_in_reading_order() -> None:
    message = TextMessage.create(TO, "hi", reply_to="wamid.A")
    assert list(message.to_payload()) == [
        "messaging_product",
        "recipient_type",
        "to",
        "type",
        "text",
        "context",
    ]


def test_recipient_is_normalised_in_parsed_json() -> None:
    payload = envelope(type="text", text={"body": "hi"})
    parsed = parse_message({**payload, "to": "+1 650-555-1234"})
    assert parsed.to_payload()["to"] == TO


def test_optional_recipient_type_defaults_to_individual() -> None:
    payload = {"messaging_product": "whatsapp", "to": TO, "type": "text", "text": {"body": "x"}}
    assert parse_message(payload).to_payload()["recipient_type"] == "individual"


def test_to_payload_returns_a_fresh_dict() -> None:
    message = TextMessage.create(TO, "hi")
    message.to_payload()["text"]["body"] = "changed"
    assert message.to_payload()["text"]["body"] == "hi"


def test_assignment_is_validated() -> None:
    message = TextMessage.create(TO, "hi")
    with pytest.raises(MessageValidationError, match="to"):
        message.to = "0044 20 7946 0958"
