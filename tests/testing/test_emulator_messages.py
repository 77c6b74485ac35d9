"""``POST {phone_number_id}/messages``: every message type, and each documented refusal."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from airflow_provider_whatsapp.testing import WhatsAppEmulator
from tests.helpers import TO

from .conftest import graph_error, text_message

LINK = "https://example.com/file"


def msg(mtype: str, body: Any, to: str = TO, **extra: Any) -> dict[str, Any]:
    return {"messaging_product": "whatsapp", "to": to, "type": mtype, mtype: body, **extra}


def send(gw: httpx.Client, emu: WhatsAppEmulator, payload: Any) -> httpx.Response:
    return gw.post(f"/{emu.phone_number_id}/messages", json=payload)


def buttons(n: int, title: str = "Title") -> dict[str, Any]:
    return {
        "type": "button",
        "body": {"text": "Pick one"},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": f"b{i}", "title": f"{title}{i}"}}
                for i in range(n)
            ]
        },
    }


def list_message(rows_per_section: list[int]) -> dict[str, Any]:
    sections = [
        {"title": f"S{s}", "rows": [{"id": f"r{s}-{r}", "title": f"Row {r}"} for r in range(n)]}
        for s, n in enumerate(rows_per_section)
    ]
    return {
        "type": "list",
        "header": {"type": "text", "text": "Menu"},
        "body": {"text": "Choose"},
        "footer": {"text": "Thanks"},
        "action": {"button": "Open", "sections": sections},
    }


VALID = {
    "text": {"body": "hi", "preview_url": True},
    "image": {"link": LINK + ".png", "caption": "a picture"},
    "video": {"link": LINK + ".mp4", "caption": "a film"},
    "audio": {"link": LINK + ".ogg"},
    "document": {"link": LINK + ".pdf", "caption": "read me", "filename": "report.pdf"},
    "sticker": {"link": LINK + ".webp"},
    "location": {"latitude": 37.48, "longitude": -122.15, "name": "HQ", "address": "1 Way"},
    "contacts": [{"name": {"formatted_name": "Ada Lovelace", "first_name": "Ada"}}],
    "reaction": {"message_id": "wamid.ABC", "emoji": "\U0001f44d"},
    "interactive": buttons(3),
}


@pytest.mark.parametrize("mtype", sorted(VALID))
def test_each_message_type_is_accepted_and_recorded(
    emu: WhatsAppEmulator, gw: httpx.Client, mtype: str
) -> None:
    emu.open_window(TO)
    payload = msg(mtype, VALID[mtype], recipient_type="individual")
    response = send(gw, emu, payload)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["messaging_product"] == "whatsapp"
    assert body["contacts"] == [{"input": TO, "wa_id": TO}]
    (message,) = body["messages"]
    assert message["id"].startswith("wamid.")
    assert message["message_status"] == "accepted"
    (sent,) = emu.sent_to(TO)
    assert (sent.type, sent.payload, sent.message_id) == (mtype, payload, message["id"])


@pytest.mark.parametrize(
    "interactive",
    [
        list_message([4, 6]),
        {
            "type": "cta_url",
            "header": {"type": "image", "image": {"link": LINK + ".png"}},
            "body": {"text": "See"},
            "action": {
                "name": "cta_url",
                "parameters": {"display_text": "Open", "url": "http://x.example/"},
            },
        },
    ],
    ids=["list", "cta_url"],
)
def test_other_interactive_kinds(
    emu: WhatsAppEmulator, gw: httpx.Client, interactive: dict[str, Any]
) -> None:
    emu.open_window(TO)
    assert send(gw, emu, msg("interactive", interactive)).status_code == 200


def test_wamids_are_unique(emu: WhatsAppEmulator, gw: httpx.Client) -> None:
    emu.open_window(TO)
    ids = {send(gw, emu, text_message()).json()["messages"][0]["id"] for _ in range(20)}
    assert len(ids) == 20
    assert len(emu.messages) == 20


def test_reply_context_and_mark_as_read(emu: WhatsAppEmulator, gw: httpx.Client) -> None:
    emu.open_window(TO)
    payload = text_message() | {"context": {"message_id": "wamid.IN"}}
    assert send(gw, emu, payload).status_code == 200
    read = {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.IN"}
    assert send(gw, emu, read).json() == {"success": True}
    assert len(emu.messages) == 1  # a read receipt is not a message


def test_reaction_and_template_need_no_window(emu: WhatsAppEmulator, gw: httpx.Client) -> None:
    emu.add_template("greeting")
    assert send(gw, emu, msg("reaction", VALID["reaction"])).status_code == 200
    template = {
        "name": "greeting",
        "language": {"code": "en_US"},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": "Ada"}]}],
    }
    assert send(gw, emu, msg("template", template)).status_code == 200
    assert [m.type for m in emu.messages] == ["reaction", "template"]


def test_closed_window_is_131047_and_can_be_disabled(
    emu: WhatsAppEmulator, gw: httpx.Client
) -> None:
    error = graph_error(send(gw, emu, text_message()), 131047)
    assert error["message"] == "(#131047) Re-engagement message"
    assert error["error_data"]["messaging_product"] == "whatsapp"
    assert "template" in error["error_data"]["details"]
    emu.enforce_window = False
    assert send(gw, emu, text_message()).status_code == 200


def test_recipient_outside_allowed_list_is_131030(emu: WhatsAppEmulator, gw: httpx.Client) -> None:
    emu.allowed_recipients = {"15550001111"}
    emu.open_window(TO, "15550001111")
    error = graph_error(send(gw, emu, text_message()), 131030)
    assert "not in allowed list" in error["message"]
    assert send(gw, emu, text_message(to="15550001111")).status_code == 200
    assert emu.allowed_recipients == {"15550001111"}


@pytest.mark.parametrize("to", ["+16505551234", "016505551234", "123456", "1" * 16, "1650-555", 1])
def test_bad_phone_numbers_are_100(emu: WhatsAppEmulator, gw: httpx.Client, to: Any) -> None:
    assert "to" in graph_error(send(gw, emu, text_message(to=to)), 100)["error_data"]["details"]


def mutate(payload: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(payload)
    *parents, last = path.split(".")
    node: Any = out
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return out


TEXT = text_message()
IMAGE = msg("image", {"link": LINK})
LIST = msg("interactive", list_message([5]))


@pytest.mark.parametrize(
    ("payload", "code", "field"),
    [
        (mutate(TEXT, "messaging_product", "sms"), 100, "messaging_product"),
        (mutate(TEXT, "text.body", ""), 100, "text.body"),
        (mutate(TEXT, "text.body", "x" * 4097), 100, "text.body"),
        (mutate(TEXT, "type", "fax"), 100, "type"),
        (mutate(TEXT, "recipient_type", "group"), 100, "recipient_type"),
        (mutate(TEXT, "text", ...), 131008, "text"),
        (mutate(TEXT, "to", ...), 131008, "to"),
        (mutate(TEXT, "template_name", "x"), 100, "template_name"),
        (mutate(IMAGE, "image.link", "http://insecure.example/x.png"), 100, "image.link"),
        (mutate(IMAGE, "image.id", "123"), 100, "exactly one"),
        (mutate(IMAGE, "image.caption", "c" * 1025), 100, "image.caption"),
        (msg("audio", {"link": LINK, "caption": "no"}), 100, "caption"),
        (msg("image", {"id": "404404"}), 100, "does not exist"),
        (msg("location", {"latitude": 91, "longitude": 0}), 100, "latitude"),
        (msg("location", {"latitude": "37.4", "longitude": 0}), 100, "latitude"),
        (msg("contacts", [{"name": {}}]), 131008, "formatted_name"),
        (msg("interactive", buttons(4)), 100, "1..3"),
        (msg("interactive", buttons(0)), 100, "1..3"),
        (
            mutate(msg("interactive", buttons(2)), "interactive.action.buttons.1.reply.id", "b0"),
            131009,
            "unique",
        ),
        (msg("interactive", buttons(1, title="T" * 20)), 100, "title"),
        (mutate(msg("interactive", buttons(1)), "interactive.body", ...), 131008, "body"),
        (mutate(msg("interactive", buttons(1)), "interactive.body.text", "b" * 1025), 100, "body"),
        (msg("interactive", list_message([5, 6])), 100, "at most 10"),
        (msg("interactive", list_message([11])), 100, "at most 10"),
        (mutate(LIST, "interactive.action.sections.0.rows.0.title", "t" * 25), 100, "title"),
        (mutate(LIST, "interactive.action.button", "b" * 21), 100, "button"),
    ],
)
def test_invalid_payloads_name_the_field(
    emu: WhatsAppEmulator, gw: httpx.Client, payload: dict[str, Any], code: int, field: str
) -> None:
    emu.open_window(TO)
    error = graph_error(send(gw, emu, payload), code)
    assert field in error["error_data"]["details"]
    assert emu.messages == []


def test_non_json_body_and_unknown_phone_number_id(emu: WhatsAppEmulator, gw: httpx.Client) -> None:
    bad = gw.post(
        f"/{emu.phone_number_id}/messages",
        content=b"to=1",
        headers={"content-type": "application/json"},
    )
    assert "JSON" in graph_error(bad, 100)["error_data"]["details"]
    other = gw.post("/100000000000999/messages", json=text_message())
    assert graph_error(other, 100)["error_subcode"] == 33


def test_uploaded_media_id_of_matching_kind(emu: WhatsAppEmulator, gw: httpx.Client) -> None:
    emu.open_window(TO)
    upload = gw.post(
        f"/{emu.phone_number_id}/media",
        data={"messaging_product": "whatsapp", "type": "application/pdf"},
        files={"file": ("a.pdf", b"%PDF-1.4", "application/pdf")},
    )
    media_id = upload.json()["id"]
    assert send(gw, emu, msg("document", {"id": media_id, "filename": "a.pdf"})).status_code == 200
    wrong = send(gw, emu, msg("image", {"id": media_id}))
    assert "not image" in graph_error(wrong, 100)["error_data"]["details"]


# -- templates ----------------------------------------------------------------------------
def template_msg(name: str = "greeting", language: str = "en_US", **template: Any) -> dict:
    return msg("template", {"name": name, "language": {"code": language}, **template})


def body(*params: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"type": "body", "parameters": list(params)}]


def test_template_send_checks_existence_language_and_status(
    emu: WhatsAppEmulator, gw: httpx.Client
) -> None:
    emu.add_template("greeting")
    ok = template_msg(components=body({"type": "text", "text": "Ada"}))
    assert send(gw, emu, ok).status_code == 200
    for payload in (
        mutate(ok, "template.name", "nope"),
        mutate(ok, "template.language.code", "en"),
    ):
        error = graph_error(send(gw, emu, payload), 132001)
        assert error["message"] == "(#132001) Template name does not exist in the translation"
    for status, code in (
        ("PAUSED", 132015),
        ("DISABLED", 132016),
        ("PENDING", 132001),
        ("REJECTED", 132001),
    ):
        emu.set_template_status("greeting", status)
        graph_error(send(gw, emu, ok), code)
    assert len(emu.messages) == 1


def test_template_parameter_count_and_content(emu: WhatsAppEmulator, gw: httpx.Client) -> None:
    emu.add_template("greeting")
    error = graph_error(send(gw, emu, template_msg()), 132000)
    assert error["message"] == (
        "(#132000) Number of parameters does not match the expected number of params"
    )
    two = body({"type": "text", "text": "a"}, {"type": "text", "text": "b"})
    graph_error(send(gw, emu, template_msg(components=two)), 132000)
    empty = template_msg(components=body({"type": "text", "text": ""}))
    assert "empty" in graph_error(send(gw, emu, empty), 100)["error_data"]["details"]
    as_dict = template_msg(components={"type": "body"})
    assert "list" in graph_error(send(gw, emu, as_dict), 100)["error_data"]["details"]
    currency = {
        "type": "currency",
        "currency": {"fallback_value": "$5", "code": "USD", "amount_1000": 5000},
    }
    assert send(gw, emu, template_msg(components=body(currency))).status_code == 200


def test_named_template_needs_matching_parameter_names(
    emu: WhatsAppEmulator, gw: httpx.Client
) -> None:
    emu.add_template(
        "order_ready",
        components=[{"type": "BODY", "text": "Hi {{first_name}}, order {{order_id}} is ready"}],
    )
    assert emu.templates[0]["parameter_format"] == "NAMED"
    good = body(
        {"type": "text", "parameter_name": "first_name", "text": "Ada"},
        {"type": "text", "parameter_name": "order_id", "text": "42"},
    )
    assert send(gw, emu, template_msg("order_ready", components=good)).status_code == 200
    bad = mutate(
        template_msg("order_ready", components=good),
        "template.components.0.parameters.1.parameter_name",
        "order",
    )
    assert "parameter_name" in graph_error(send(gw, emu, bad), 100)["error_data"]["details"]


def test_template_header_and_button_parameters(emu: WhatsAppEmulator, gw: httpx.Client) -> None:
    emu.add_template(
        "receipt",
        components=[
            {"type": "HEADER", "format": "DOCUMENT", "example": {"header_handle": ["4::x"]}},
            {"type": "BODY", "text": "Thanks {{1}}"},
            {
                "type": "BUTTONS",
                "buttons": [
                    {
                        "type": "URL",
                        "text": "Open",
                        "url": "https://x.example/{{1}}",
                        "example": ["a"],
                    }
                ],
            },
        ],
    )
    components = [
        {"type": "header", "parameters": [{"type": "document", "document": {"link": LINK}}]},
        *body({"type": "text", "text": "Ada"}),
        {
            "type": "button",
            "sub_type": "url",
            "index": "0",
            "parameters": [{"type": "text", "text": "abc"}],
        },
    ]
    assert send(gw, emu, template_msg("receipt", components=components)).status_code == 200
    no_header = template_msg("receipt", components=components[1:])
    graph_error(send(gw, emu, no_header), 132012)
    bad_index = mutate(
        template_msg("receipt", components=components), "template.components.2.index", "3"
    )
    assert "index" in graph_error(send(gw, emu, bad_index), 100)["error_data"]["details"]
