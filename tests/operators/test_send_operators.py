"""Send operators against the emulator: the exact JSON it received, the template pre-flight,
and how failures reach Airflow (fail fast vs. retry).

Direct ``execute`` calls cover the many payload cases (the send operators use nothing of
the context); the ``dag.test()`` runs at the end cover templated fields, XCom, mapping and
Airflow's retry handling.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import jinja2
import pytest

from airflow_provider_whatsapp.client.errors import RateLimitError, ServerError, WhatsAppError
from airflow_provider_whatsapp.hooks.whatsapp import WhatsAppHook
from airflow_provider_whatsapp.messages import (
    ContactsMessage,
    CtaUrlMessage,
    ImageMessage,
    ListMessage,
    LocationMessage,
    ReactionMessage,
    ReplyButtonsMessage,
    TemplateMessage,
    TextMessage,
)
from airflow_provider_whatsapp.operators.messages import (
    WhatsAppSendMediaOperator,
    WhatsAppSendMessageOperator,
    WhatsAppSendTemplateOperator,
    WhatsAppSendTextOperator,
)
from airflow_provider_whatsapp.testing import WhatsAppEmulator
from airflow_provider_whatsapp.version_compat import AirflowFailException
from tests.helpers import PHONE_ID, TO, WABA, connections_to, set_connection, task_states, xcom_of

# `emu`: a fresh emulator state behind ``whatsapp_default``; the client retries nothing.
pytestmark = pytest.mark.emu(connection={"rate_limit": 0, "max_retries": 0})

MESSAGES_PATH = f"/whatsapp-business/v21.0/{PHONE_ID}/messages"
MEDIA_PATH = f"/whatsapp-business/v21.0/{PHONE_ID}/media"
TEMPLATES_PATH = f"/whatsapp-business/v21.0/{WABA}/message_templates"
WAMID = "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"
MESSAGES_DATA = Path(__file__).resolve().parents[1] / "data" / "messages"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 56
PDF = b"%PDF-1.4\n" + b"x" * 100
ENVELOPE = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": TO}

ORDER_UPDATE = [
    {
        "type": "HEADER",
        "format": "TEXT",
        "text": "Order {{1}}",
        "example": {"header_text": ["A-1"]},
    },
    {
        "type": "BODY",
        "text": "Hi {{1}}, your order {{2}} ships on {{3}}.",
        "example": {"body_text": [["Ann", "A-1", "May 1"]]},
    },
    {
        "type": "BUTTONS",
        "buttons": [
            {"type": "QUICK_REPLY", "text": "Stop updates"},
            {
                "type": "URL",
                "text": "Track",
                "url": "https://example.com/track/{{1}}",
                "example": ["https://example.com/track/A-1"],
            },
        ],
    },
]
REMINDER = [
    {
        "type": "BODY",
        "text": "Hi {{1}}, your appointment is on {{2}}.",
        "example": {"body_text": [["Ann", "May 1"]]},
    }
]
WELCOME_NAMED = [
    {
        "type": "BODY",
        "text": "Welcome {{first_name}}! Your code is {{code}}.",
        "example": {
            "body_text_named_params": [
                {"param_name": "first_name", "example": "Ann"},
                {"param_name": "code", "example": "X1"},
            ]
        },
    }
]


# -- helpers ---------------------------------------------------------------------------
def use_connection(emu: WhatsAppEmulator, monkeypatch: pytest.MonkeyPatch, **extra: Any) -> None:
    """Point ``whatsapp_default`` at ``emu``; client rate limit off unless given."""
    for name, value in emu.connection_env(**{"rate_limit": 0, **extra}).items():
        monkeypatch.setenv(name, value)


def message_posts(emu: WhatsAppEmulator) -> list[Any]:
    return [r for r in emu.requests if (r.method, r.path) == ("POST", MESSAGES_PATH)]


def sent_bodies(emu: WhatsAppEmulator) -> list[Any]:
    """The JSON bodies of every POST to the messages endpoint (accepted or not)."""
    return [r.json for r in message_posts(emu)]


def template_gets(emu: WhatsAppEmulator) -> list[Any]:
    return [r for r in emu.requests if (r.method, r.path) == ("GET", TEMPLATES_PATH)]


def run(op: Any) -> Any:
    """``execute`` as a worker would call it (the send operators use no context)."""
    return op.execute({})


def assert_result(result: Any, emu: WhatsAppEmulator, to: str = TO) -> None:
    """The XCom record matches the message the emulator accepted last."""
    last = emu.messages[-1]
    assert result == {
        "to": to,
        "wa_id": to,
        "message_id": last.message_id,
        "message_status": "accepted",
    }
    assert last.message_id.startswith("wamid.")
    json.dumps(result)  # XCom-safe


# -- text --------------------------------------------------------------------------------
def test_text_exact_json_with_preview_url_and_reply_to(emu: WhatsAppEmulator) -> None:
    emu.open_window(TO)
    plain = run(WhatsAppSendTextOperator(task_id="t1", to="+1 (650) 555-1234", text="Hello"))
    assert_result(plain, emu)
    reply = run(
        WhatsAppSendTextOperator(
            task_id="t2",
            to=TO,
            text="Report: https://example.com/r/1",
            preview_url=True,
            reply_to=WAMID,
        )
    )
    assert_result(reply, emu)
    assert sent_bodies(emu) == [
        {**ENVELOPE, "type": "text", "text": {"body": "Hello", "preview_url": False}},
        {
            **ENVELOPE,
            "type": "text",
            "text": {"body": "Report: https://example.com/r/1", "preview_url": True},
            "context": {"message_id": WAMID},
        },
    ]
    [first, _] = message_posts(emu)
    assert first.headers["authorization"] == f"Bearer {emu.api_key}"
    assert plain["message_id"] != reply["message_id"]


def test_phone_number_id_argument_overrides_the_connection(
    emu: WhatsAppEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_connection(emu, monkeypatch, phone_number_id="999999999999999")
    emu.open_window(TO)
    run(WhatsAppSendTextOperator(task_id="t", to=TO, text="hi", phone_number_id=PHONE_ID))
    assert [r.path for r in emu.requests] == [MESSAGES_PATH]


# -- every message type through WhatsAppSendMessageOperator -------------------------------
API_SHAPED: dict[str, dict[str, Any]] = {
    "text": {"type": "text", "text": {"body": "Build 42 passed", "preview_url": False}},
    "image": {
        "type": "image",
        "image": {"link": "https://example.com/chart.png", "caption": "Daily chart"},
    },
    "video": {"type": "video", "video": {"link": "https://example.com/clip.mp4"}},
    "audio": {"type": "audio", "audio": {"link": "https://example.com/note.mp3"}},
    "document": {
        "type": "document",
        "document": {
            "link": "https://example.com/report.pdf",
            "caption": "Q1",
            "filename": "report.pdf",
        },
    },
    "sticker": {"type": "sticker", "sticker": {"link": "https://example.com/ok.webp"}},
    "location": {
        "type": "location",
        "location": {
            "latitude": 37.4847,
            "longitude": -122.1477,
            "name": "HQ",
            "address": "1 Hacker Way",
        },
    },
    "contacts": {
        "type": "contacts",
        "contacts": [
            {
                "name": {"formatted_name": "Ann Lee", "first_name": "Ann", "last_name": "Lee"},
                "phones": [{"phone": "+16505550000", "type": "WORK"}],
                "emails": [{"email": "ann@example.com", "type": "WORK"}],
            }
        ],
    },
    "reaction": {"type": "reaction", "reaction": {"message_id": WAMID, "emoji": "\U0001f44d"}},
    "buttons": {
        "type": "interactive",
        "interactive": {
            "type": "button",
            "header": {"type": "text", "text": "Deploy"},
            "body": {"text": "Roll out build 42?"},
            "footer": {"text": "ops bot"},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": "yes", "title": "Yes"}},
                    {"type": "reply", "reply": {"id": "no", "title": "No"}},
                ]
            },
        },
    },
    "list": {
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": "Pick a report"},
            "action": {
                "button": "Reports",
                "sections": [
                    {
                        "title": "Daily",
                        "rows": [
                            {"id": "sales", "title": "Sales", "description": "Yesterday"},
                            {"id": "ops", "title": "Ops"},
                        ],
                    },
                    {"title": "Weekly", "rows": [{"id": "kpi", "title": "KPIs"}]},
                ],
            },
        },
    },
    "cta_url": {
        "type": "interactive",
        "interactive": {
            "type": "cta_url",
            "body": {"text": "The dashboard is ready"},
            "action": {
                "name": "cta_url",
                "parameters": {"display_text": "Open", "url": "https://example.com/d"},
            },
        },
    },
    "template": {
        "type": "template",
        "template": {
            "name": "reminder",
            "language": {"code": "en_US"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "Ann"},
                        {"type": "text", "text": "May 1"},
                    ],
                }
            ],
        },
    },
}


@pytest.mark.parametrize("kind", list(API_SHAPED))
def test_every_type_as_api_shaped_dict_arrives_unchanged(emu: WhatsAppEmulator, kind: str) -> None:
    emu.add_template("reminder", components=REMINDER)
    emu.open_window(TO)
    message = {**ENVELOPE, **API_SHAPED[kind]}

    result = run(WhatsAppSendMessageOperator(task_id="m", message=message))

    assert sent_bodies(emu) == [message]
    assert [m.type for m in emu.messages] == [message["type"]]
    assert_result(result, emu)


def test_dict_without_envelope_gets_it_and_a_reply_context(emu: WhatsAppEmulator) -> None:
    emu.open_window(TO)
    message = {"to": "+1 650 555 1234", "type": "text", "text": {"body": "hi"}}
    message["context"] = {"message_id": WAMID}
    run(WhatsAppSendMessageOperator(task_id="m", message=message))
    assert sent_bodies(emu) == [
        {**ENVELOPE, "type": "text", "text": {"body": "hi"}, "context": {"message_id": WAMID}}
    ]


def test_models_arrive_as_their_payloads(emu: WhatsAppEmulator) -> None:
    emu.add_template("reminder", components=REMINDER)
    emu.open_window(TO)
    models = [
        TextMessage.create(TO, "plain"),
        ImageMessage.create(TO, "https://example.com/a.png", caption="A"),
        LocationMessage.create(TO, 1.5, -2.25, name="Depot"),
        ContactsMessage.create(TO, [{"name": {"formatted_name": "Bo"}}]),
        ReactionMessage.create(TO, WAMID, ""),
        ReplyButtonsMessage.create(TO, "Ok?", {"y": "Yes"}),
        ListMessage.create(TO, "Pick", "Open", {"S": [("a", "A")]}),
        CtaUrlMessage.create(TO, "See", "Open", "https://example.com"),
        TemplateMessage.create(TO, "reminder", "en_US", parameters=["Ann", 7]),
    ]
    for i, model in enumerate(models):
        run(WhatsAppSendMessageOperator(task_id=f"m{i}", message=model))
    bodies = sent_bodies(emu)
    assert bodies == [model.to_payload() for model in models]
    # Spot-check the shapes independently of the models' own serialisation.
    assert bodies[0] == {
        **ENVELOPE,
        "type": "text",
        "text": {"body": "plain", "preview_url": False},
    }
    assert bodies[2]["location"] == {"latitude": 1.5, "longitude": -2.25, "name": "Depot"}
    assert bodies[4]["reaction"] == {"message_id": WAMID, "emoji": ""}
    assert bodies[5]["interactive"]["action"] == {
        "buttons": [{"type": "reply", "reply": {"id": "y", "title": "Yes"}}]
    }
    assert bodies[8]["template"]["components"] == [
        {
            "type": "body",
            "parameters": [{"type": "text", "text": "Ann"}, {"type": "text", "text": "7"}],
        }
    ]
    assert len(emu.messages) == len(models)


def test_json_file_is_rendered_through_template_ext(emu: WhatsAppEmulator) -> None:
    """The ``.json`` path is loaded and Jinja-rendered as Airflow does before execute."""
    emu.open_window(TO)
    op = WhatsAppSendMessageOperator(task_id="m", message="survey_buttons.json")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(MESSAGES_DATA)))
    op.render_template_fields({"params": {"to": TO, "build": "42"}}, jinja_env=env)
    assert isinstance(op.message, str)  # rendered text; parsed as JSON by the operator

    run(op)

    assert sent_bodies(emu) == [
        {
            **ENVELOPE,
            "type": "interactive",
            "interactive": {
                "type": "button",
                "body": {"text": "Did build 42 work for you?"},
                "action": {
                    "buttons": [
                        {"type": "reply", "reply": {"id": "good-42", "title": "Yes"}},
                        {"type": "reply", "reply": {"id": "bad-42", "title": "No"}},
                    ]
                },
            },
        }
    ]


def test_strings_inside_a_message_dict_are_text_not_template_files(
    emu: WhatsAppEmulator,
) -> None:
    """Only ``message`` itself may be a ``.json`` path (Airflow would read nested ones too)."""
    emu.open_window(TO)
    message = {
        "to": "{{ params.to }}",
        "type": "document",
        "document": {
            "link": "https://example.com/{{ params.day }}/export.pdf",
            "caption": "{{ params.rows }} rows, schema in schema.json",
        },
    }
    op = WhatsAppSendMessageOperator(task_id="m", message=message)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(MESSAGES_DATA)))
    context = {"params": {"to": TO, "day": "2026-03-04", "rows": 12}}
    op.render_template_fields(context, jinja_env=env)

    run(op)

    assert sent_bodies(emu) == [
        {
            **ENVELOPE,
            "type": "document",
            "document": {
                "link": "https://example.com/2026-03-04/export.pdf",
                "caption": "12 rows, schema in schema.json",
            },
        }
    ]
    assert message["document"]["caption"].startswith("{{")  # the argument is not mutated


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("{not json", "message is not valid JSON"),
        ({**ENVELOPE, "type": "fax", "fax": {}}, "unknown message type 'fax'"),
        ({**ENVELOPE, "type": "text", "text": {"body": "x" * 4097}}, "4096"),
        ({**ENVELOPE, "to": "0044 20 7946 0958", "type": "text", "text": {"body": "x"}}, "to"),
        (
            {**ENVELOPE, "type": "image", "image": {"link": "http://example.com/a.png"}},
            "https",
        ),
    ],
)
def test_invalid_message_fails_fast_without_any_request(
    emu: WhatsAppEmulator, message: Any, expected: str
) -> None:
    emu.open_window(TO)
    with pytest.raises(AirflowFailException, match=expected):
        run(WhatsAppSendMessageOperator(task_id="m", message=message))
    assert emu.requests == []


# -- templates ---------------------------------------------------------------------------
def test_template_positional_and_named_parameters(emu: WhatsAppEmulator) -> None:
    emu.add_template("reminder", components=REMINDER)
    emu.add_template("welcome", components=WELCOME_NAMED)

    positional = run(
        WhatsAppSendTemplateOperator(
            task_id="p", to=TO, template_name="reminder", language="en_US", parameters=["Ann", 1]
        )
    )
    assert_result(positional, emu)
    named = run(
        WhatsAppSendTemplateOperator(
            task_id="n",
            to=TO,
            template_name="welcome",
            language="en_US",
            parameters={"first_name": "Bo", "code": "Z9"},
        )
    )
    assert_result(named, emu)

    assert sent_bodies(emu) == [
        {
            **ENVELOPE,
            "type": "template",
            "template": {
                "name": "reminder",
                "language": {"code": "en_US"},
                "components": [
                    {
                        "type": "body",
                        "parameters": [
                            {"type": "text", "text": "Ann"},
                            {"type": "text", "text": "1"},
                        ],
                    }
                ],
            },
        },
        {
            **ENVELOPE,
            "type": "template",
            "template": {
                "name": "welcome",
                "language": {"code": "en_US"},
                "components": [
                    {
                        "type": "body",
                        "parameters": [
                            {"type": "text", "text": "Bo", "parameter_name": "first_name"},
                            {"type": "text", "text": "Z9", "parameter_name": "code"},
                        ],
                    }
                ],
            },
        },
    ]
    # The pre-flight read the template list (filtered by name) before each send.
    assert [r.query.get("name") for r in template_gets(emu)] == ["reminder", "welcome"]
    assert [r.method for r in emu.requests] == ["GET", "POST", "GET", "POST"]


def test_template_header_body_and_button_components(emu: WhatsAppEmulator) -> None:
    emu.add_template("order_update", category="UTILITY", components=ORDER_UPDATE)
    components = [
        {"type": "header", "parameters": [{"type": "text", "text": "A-17"}]},
        {
            "type": "body",
            "parameters": [
                {"type": "text", "text": "Ann"},
                {
                    "type": "currency",
                    "currency": {"fallback_value": "$12.50", "code": "USD", "amount_1000": 12500},
                },
                {"type": "date_time", "date_time": {"fallback_value": "May 1, 2026"}},
            ],
        },
        {
            "type": "button",
            "sub_type": "quick_reply",
            "index": 0,
            "parameters": [{"type": "payload", "payload": "STOP-A-17"}],
        },
        {
            "type": "button",
            "sub_type": "url",
            "index": "1",
            "parameters": [{"type": "text", "text": "A-17"}],
        },
    ]
    result = run(
        WhatsAppSendTemplateOperator(
            task_id="c", to=TO, template_name="order_update", components=components
        )
    )
    assert_result(result, emu)
    [body] = sent_bodies(emu)
    expected_components = [dict(c) for c in components]
    expected_components[2]["index"] = "0"  # the API's documented shape: a string index
    assert body == {
        **ENVELOPE,
        "type": "template",
        "template": {
            "name": "order_update",
            "language": {"code": "en_US"},
            "components": expected_components,
        },
    }


def test_template_is_fetched_once_per_task_for_two_sends(emu: WhatsAppEmulator) -> None:
    emu.add_template("reminder", components=REMINDER)
    op = WhatsAppSendTemplateOperator(
        task_id="t", to=TO, template_name="reminder", parameters=["Ann", "May 1"]
    )
    run(op)
    run(op)
    assert len(template_gets(emu)) == 1
    assert len(emu.messages) == 2

    other = WhatsAppSendTemplateOperator(task_id="u", to=TO, template_name="reminder")
    first = other.template_for_send("reminder", "en_US")
    assert other.template_for_send("reminder", "en_US") is first
    assert first is not None and first["status"] == "APPROVED"
    assert len(template_gets(emu)) == 2  # another task fetched it once more


PREFLIGHT_CASES = [
    pytest.param(
        {"template_name": "order_update", "language": "fr", "parameters": ["a", "b", "c"]},
        None,
        ["'order_update' does not exist in language 'fr'", "en_US", "pt_BR"],
        id="missing-language",
    ),
    pytest.param(
        {"template_name": "nope", "language": "en_US", "parameters": ["a"]},
        None,
        ["'nope' does not exist in language 'en_US'", "create it"],
        id="missing-template",
    ),
    pytest.param(
        {"template_name": "reminder", "parameters": ["Ann", "May 1"]},
        ("PAUSED", None),
        ["'reminder' (en_US) is PAUSED", "paused for low quality"],
        id="paused",
    ),
    pytest.param(
        {"template_name": "reminder", "parameters": ["Ann", "May 1"]},
        ("REJECTED", "PROMOTIONAL"),
        ["is REJECTED", "rejected_reason: PROMOTIONAL", "resubmit"],
        id="rejected",
    ),
    pytest.param(
        {"template_name": "reminder", "parameters": ["Ann"]},
        None,
        ["expects body parameters {{1}}, {{2}} (2), got 1"],
        id="positional-count",
    ),
    pytest.param(
        {"template_name": "welcome", "parameters": {"first_name": "Ann", "coupon": "X"}},
        None,
        ["{{first_name}}, {{code}} (2)", "missing {{code}}", "unknown {{coupon}}"],
        id="named-names",
    ),
    pytest.param(
        {"template_name": "welcome", "parameters": ["Ann", "X"]},
        None,
        ["{{first_name}}, {{code}} (2)", "2 without parameter_name"],
        id="positional-for-named",
    ),
    pytest.param(
        {
            "template_name": "order_update",
            "components": [{"type": "body", "parameters": [{"type": "text", "text": "Ann"}]}],
        },
        None,
        [
            "body parameters {{1}}, {{2}}, {{3}} (3), got 1",
            "header parameters {{1}} (1), got 0",
            "button 1 parameters {{1}} (1), got 0",
        ],
        id="components-missing-parts",
    ),
]


@pytest.mark.parametrize(("kwargs", "status", "expected"), PREFLIGHT_CASES)
def test_preflight_fails_saying_what_the_template_expects_without_sending(
    emu: WhatsAppEmulator,
    kwargs: dict[str, Any],
    status: tuple[str, str | None] | None,
    expected: list[str],
) -> None:
    emu.add_template("order_update", components=ORDER_UPDATE)
    emu.add_template("order_update", language="pt_BR", components=ORDER_UPDATE)
    emu.add_template("reminder", components=REMINDER)
    emu.add_template("welcome", components=WELCOME_NAMED)
    if status:
        emu.set_template_status("reminder", status[0], reason=status[1])

    with pytest.raises(AirflowFailException) as failure:
        run(WhatsAppSendTemplateOperator(task_id="t", to=TO, **kwargs))

    text = str(failure.value)
    for part in expected:
        assert part in text
    assert message_posts(emu) == []
    assert {r.method for r in emu.requests} == {"GET"}


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"template_name": "nope", "parameters": ["a"]}, 132001),
        ({"template_name": "reminder", "language": "en", "parameters": ["a", "b"]}, 132001),
        ({"template_name": "reminder", "parameters": ["only one"]}, 132000),
    ],
)
def test_validate_template_false_skips_the_check_and_the_api_refuses(
    emu: WhatsAppEmulator, kwargs: dict[str, Any], code: int
) -> None:
    emu.add_template("reminder", components=REMINDER)
    with pytest.raises(AirflowFailException, match=f"code {code}"):
        run(WhatsAppSendTemplateOperator(task_id="t", to=TO, validate_template=False, **kwargs))
    assert template_gets(emu) == []
    assert len(message_posts(emu)) == 1
    assert emu.messages == []


def test_send_message_operator_preflights_a_template_message_too(emu: WhatsAppEmulator) -> None:
    emu.add_template("reminder", components=REMINDER)
    message = {
        "to": TO,
        "type": "template",
        "template": {"name": "reminder", "language": {"code": "en_US"}},
    }
    with pytest.raises(
        AirflowFailException, match=r"expects body parameters \{\{1\}\}, \{\{2\}\} \(2\), got 0"
    ):
        run(WhatsAppSendMessageOperator(task_id="m", message=message))
    assert message_posts(emu) == [] and len(template_gets(emu)) == 1

    # Opting out sends it as given; the API (here the emulator) refuses it.
    with pytest.raises(AirflowFailException, match="code 132000"):
        run(WhatsAppSendMessageOperator(task_id="m", message=message, validate_template=False))
    assert len(message_posts(emu)) == 1 and emu.messages == []


# -- media -------------------------------------------------------------------------------
def test_media_by_url_and_by_id(emu: WhatsAppEmulator, tmp_path: Path) -> None:
    emu.open_window(TO)
    (tmp_path / "chart.png").write_bytes(PNG)
    media_id = WhatsAppHook().client.upload_media(tmp_path / "chart.png", "image/png")
    uploads = len(emu.requests)

    by_url = run(
        WhatsAppSendMediaOperator(
            task_id="u",
            to=TO,
            media_type="document",
            media="https://example.com/r.pdf",
            caption="Q1",
            filename="r.pdf",
        )
    )
    assert_result(by_url, emu)
    by_id = run(
        WhatsAppSendMediaOperator(
            task_id="i", to=TO, media_type="image", media=media_id, caption="chart"
        )
    )
    assert_result(by_id, emu)
    audio = run(
        WhatsAppSendMediaOperator(
            task_id="a", to=TO, media_type="audio", media="https://example.com/n.ogg"
        )
    )
    assert_result(audio, emu)

    assert len(emu.requests) == uploads + 3  # no upload for a URL or an id
    assert sent_bodies(emu) == [
        {
            **ENVELOPE,
            "type": "document",
            "document": {"link": "https://example.com/r.pdf", "caption": "Q1", "filename": "r.pdf"},
        },
        {**ENVELOPE, "type": "image", "image": {"id": media_id, "caption": "chart"}},
        {**ENVELOPE, "type": "audio", "audio": {"link": "https://example.com/n.ogg"}},
    ]


@pytest.mark.parametrize(
    ("name", "data", "media_type", "mime", "extra"),
    [
        ("chart.png", PNG, "image", "image/png", {"caption": "Chart"}),
        ("report.pdf", PDF, "document", "application/pdf", {"filename": "report.pdf"}),
    ],
    ids=["image", "document"],
)
def test_media_from_local_file_is_uploaded_first(
    emu: WhatsAppEmulator,
    tmp_path: Path,
    name: str,
    data: bytes,
    media_type: str,
    mime: str,
    extra: dict[str, str],
) -> None:
    emu.open_window(TO)
    path = tmp_path / name
    path.write_bytes(data)
    caption = extra.get("caption")

    result = run(
        WhatsAppSendMediaOperator(
            task_id="f", to=TO, media_type=media_type, media=str(path), caption=caption
        )
    )

    upload, send = emu.requests
    assert (upload.method, upload.path) == ("POST", MEDIA_PATH)
    assert upload.form == {"messaging_product": "whatsapp", "type": mime}
    assert upload.files == [
        {"field": "file", "filename": name, "content_type": mime, "size": len(data)}
    ]
    [media_id] = emu.media
    assert emu.media[media_id]["data"] == data
    assert (send.method, send.path) == ("POST", MESSAGES_PATH)
    assert send.json == {**ENVELOPE, "type": media_type, media_type: {"id": media_id, **extra}}
    assert_result(result, emu)


def test_local_file_with_an_explicit_mime_type(emu: WhatsAppEmulator, tmp_path: Path) -> None:
    emu.open_window(TO)
    path = tmp_path / "notes.log"
    path.write_bytes(b"plain text notes")
    run(
        WhatsAppSendMediaOperator(
            task_id="f",
            to=TO,
            media_type="document",
            media=str(path),
            filename="notes.txt",
            mime_type="text/plain",
        )
    )
    upload, send = emu.requests
    assert upload.form["type"] == "text/plain"
    assert send.json["document"] == {"id": next(iter(emu.media)), "filename": "notes.txt"}


def test_local_file_without_extension_is_sniffed_like_an_upload(
    emu: WhatsAppEmulator, tmp_path: Path
) -> None:
    """One mime guesser for both operators: a PNG named ``chart`` is sent as an image."""
    emu.open_window(TO)
    path = tmp_path / "chart"
    path.write_bytes(PNG)
    run(WhatsAppSendMediaOperator(task_id="f", to=TO, media_type="image", media=str(path)))
    upload, send = emu.requests
    assert upload.form["type"] == "image/png"
    assert upload.files[0]["content_type"] == "image/png"
    assert send.json["image"] == {"id": next(iter(emu.media))}


@pytest.mark.parametrize(
    ("name", "data", "kwargs", "expected"),
    [
        ("anim.gif", b"GIF89a" + b"\x00" * 10, {"media_type": "image"}, "image/gif"),
        ("big.png", None, {"media_type": "image"}, "image must be at most 5 MB"),
        ("chart.png", PNG, {"media_type": "audio", "caption": "x"}, "audio takes no caption"),
        ("chart.png", PNG, {"media_type": "document"}, "document must be one of"),
    ],
    ids=["gif", "too-big", "audio-caption", "png-as-document"],
)
def test_local_file_refused_before_any_upload(
    emu: WhatsAppEmulator, tmp_path: Path, name: str, data: bytes | None, kwargs: Any, expected: str
) -> None:
    path = tmp_path / name
    if data is None:
        with path.open("wb") as file:
            file.write(PNG)
            file.truncate(5 * 1024 * 1024 + 1)
    else:
        path.write_bytes(data)
    with pytest.raises(AirflowFailException, match=expected):
        run(WhatsAppSendMediaOperator(task_id="f", to=TO, media=str(path), **kwargs))
    assert emu.requests == []


def test_missing_local_file_is_not_sent_as_a_media_id(
    emu: WhatsAppEmulator, tmp_path: Path
) -> None:
    emu.open_window(TO)
    with pytest.raises(AirflowFailException, match="a local file"):
        run(
            WhatsAppSendMediaOperator(
                task_id="f", to=TO, media_type="image", media=str(tmp_path / "typo.png")
            )
        )
    assert emu.requests == []


# -- the hook's connection pool ------------------------------------------------------------
def test_execute_closes_the_hooks_connection_pool_whether_it_succeeds_or_fails(
    whatsapp_emulator_connection: WhatsAppEmulator,
) -> None:
    """A worker runs one task after another: none leaves its pooled connection open."""
    emulator = whatsapp_emulator_connection
    emulator.open_window(TO)
    run(WhatsAppSendTextOperator(task_id="t", to=TO, text="hi"))
    assert len(emulator.messages) == 1
    assert connections_to(emulator.port) == 0
    with pytest.raises(AirflowFailException, match="does not exist"):
        run(WhatsAppSendTemplateOperator(task_id="t", to=TO, template_name="nope"))
    assert connections_to(emulator.port) == 0


# -- failure semantics -------------------------------------------------------------------
def test_window_closed_fails_fast_and_says_send_a_template(emu: WhatsAppEmulator) -> None:
    with pytest.raises(AirflowFailException) as failure:
        run(WhatsAppSendTextOperator(task_id="t", to=TO, text="hi"))
    text = str(failure.value)
    assert "131047" in text
    assert "Send a template" in text
    assert isinstance(failure.value.__cause__, WhatsAppError)
    assert failure.value.__cause__.retryable is False
    assert len(message_posts(emu)) == 1


def test_recipient_not_allowed_fails_fast(emu: WhatsAppEmulator) -> None:
    emu.allowed_recipients = {"16505550000"}
    emu.add_template("reminder", components=REMINDER)
    with pytest.raises(AirflowFailException, match="131030"):
        run(
            WhatsAppSendTemplateOperator(
                task_id="t", to=TO, template_name="reminder", parameters=["a", "b"]
            )
        )
    assert emu.messages == []


def test_wrong_key_fails_fast_without_leaking_it(
    emu: WhatsAppEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = emu.airflow_connection(max_retries=3)
    conn["password"] = "wrong-key-0123456789"
    set_connection(monkeypatch, conn)
    emu.open_window(TO)
    with pytest.raises(AirflowFailException) as failure:
        run(WhatsAppSendTextOperator(task_id="t", to=TO, text="hi"))
    assert "HTTP 401" in str(failure.value)
    assert "wrong-key-0123456789" not in str(failure.value)
    assert len(emu.requests) == 1  # not retried by the client either


def test_payload_the_api_refuses_fails_fast(emu: WhatsAppEmulator) -> None:
    emu.open_window(TO)
    with pytest.raises(AirflowFailException, match="does not exist"):
        run(WhatsAppSendMediaOperator(task_id="m", to=TO, media_type="image", media="123456"))
    assert len(message_posts(emu)) == 1


@pytest.mark.parametrize(("kind", "error"), [("503", ServerError), ("429", RateLimitError)])
def test_transient_faults_exhausted_raise_a_retryable_error(
    emu: WhatsAppEmulator, monkeypatch: pytest.MonkeyPatch, kind: str, error: type
) -> None:
    use_connection(emu, monkeypatch, max_retries=1)
    emu.open_window(TO)
    emu.inject_faults(1.0, (kind,), retry_after=0.05)
    with pytest.raises(WhatsAppError) as failure:
        run(WhatsAppSendTextOperator(task_id="t", to=TO, text="hi"))
    assert not isinstance(failure.value, AirflowFailException)
    assert isinstance(failure.value, error)
    assert failure.value.retryable is True
    assert len(message_posts(emu)) == 2  # the first try and max_retries=1 retry
    assert emu.messages == []


# -- through dag.test() ------------------------------------------------------------------
def dag_test(dag: Any, conf: dict[str, Any]) -> Any:
    when = datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone.utc)
    return dag.test(logical_date=when, run_after=when, run_conf=conf)


def ti_of(dr: Any, task_id: str) -> Any:
    [ti] = [ti for ti in dr.get_task_instances() if ti.task_id == task_id]
    return ti


@pytest.mark.dag
def test_dag_with_each_send_operator_templated(airflow_db: Any, emu: WhatsAppEmulator) -> None:
    from tests.dags.send_operators import dag

    emu.open_window(TO)
    emu.add_template("reminder", components=REMINDER)
    conf = {
        "to": TO,
        "name": "Ann",
        "template": "reminder",
        "image": "https://example.com/chart.png",
        "depot": "North",
    }

    dr = dag_test(dag, conf)

    states = task_states(dr)
    assert dr.state == "success", states
    assert set(states.values()) == {"success"}
    by_type = {m.type: m for m in emu.messages}
    assert sorted(by_type) == ["image", "interactive", "location", "template", "text"]
    assert by_type["interactive"].payload["interactive"] == {
        "type": "cta_url",
        "body": {"text": "Rows for 2026-03-04 saved to out.json"},
        "action": {
            "name": "cta_url",
            "parameters": {
                "display_text": "Open",
                "url": "https://example.com/2026-03-04/status.json",
            },
        },
    }
    assert by_type["text"].payload == {
        **ENVELOPE,
        "type": "text",
        "text": {"body": "Hello Ann, the 2026-03-04 report is ready", "preview_url": False},
    }
    assert by_type["template"].payload["template"] == {
        "name": "reminder",
        "language": {"code": "en_US"},
        "components": [
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": "Ann"},
                    {"type": "text", "text": "2026-03-04"},
                ],
            }
        ],
    }
    assert by_type["image"].payload["image"] == {
        "link": "https://example.com/chart.png",
        "caption": "Chart for 2026-03-04",
    }
    assert by_type["location"].payload == {
        **ENVELOPE,
        "type": "location",
        "location": {
            "latitude": 52.52,
            "longitude": 13.405,
            "name": "North depot",
            "address": "Report 2026-03-04",
        },
    }
    for task_id, kind in [
        ("text", "text"),
        ("template", "template"),
        ("media", "image"),
        ("message", "location"),
        ("message_dict", "interactive"),
    ]:
        assert xcom_of(dr, task_id) == {
            "to": TO,
            "wa_id": TO,
            "message_id": by_type[kind].message_id,
            "message_status": "accepted",
        }, task_id


@pytest.mark.dag
def test_mime_type_is_templated_on_send_as_on_upload(
    airflow_db: Any, emu: WhatsAppEmulator, tmp_path: Path
) -> None:
    from tests.dags.media_mime_templated import dag

    emu.open_window(TO)
    path = tmp_path / "notes.log"  # no extension that tells the mime type
    path.write_bytes(b"plain text notes")

    dr = dag_test(dag, {"to": TO, "path": str(path), "mime": "text/plain"})

    assert dr.state == "success", task_states(dr)
    uploads = [r for r in emu.requests if (r.method, r.path) == ("POST", MEDIA_PATH)]
    assert [r.form["type"] for r in uploads] == ["text/plain", "text/plain"]
    [sent] = emu.messages
    assert sent.payload["document"]["filename"] == "notes.log"


MAPPED_TO = ["16505550101", "16505550102", "16505550103"]


@pytest.mark.dag
def test_mapped_send_one_message_per_number(airflow_db: Any, emu: WhatsAppEmulator) -> None:
    from tests.dags.send_mapped import dag

    emu.add_template("reminder", components=REMINDER)

    dr = dag_test(dag, {"name": "Ann"})

    states = task_states(dr)
    assert dr.state == "success", states
    assert states == {f"send[{i}]": "success" for i in range(3)}
    assert sorted(m.to for m in emu.messages) == MAPPED_TO
    for index, to in enumerate(MAPPED_TO):
        [message] = emu.sent_to(to)
        assert message.payload["template"]["components"][0]["parameters"] == [
            {"type": "text", "text": "Ann"},
            {"type": "text", "text": "2026-03-04"},
        ]
        assert xcom_of(dr, "send", map_index=index) == {
            "to": to,
            "wa_id": to,
            "message_id": message.message_id,
            "message_status": "accepted",
        }
    # Each mapped task has its own hook: one pre-flight read per map index.
    assert len(template_gets(emu)) == 3


@pytest.mark.dag
def test_dag_retries_transient_failures_but_not_a_closed_window(
    airflow_db: Any, emu: WhatsAppEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.dags.send_retries import dag

    # "whatsapp_flaky": another emulator whose first send answers 503, the next succeeds
    # (seeded draw), with client retries off so only Airflow's retry can recover.
    with WhatsAppEmulator(rate_limit=None) as flaky:
        flaky.open_window(TO)
        flaky.inject_faults(0.5, ("503",), seed=1)
        for name, value in flaky.connection_env("whatsapp_flaky", max_retries=0).items():
            monkeypatch.setenv(name, value)

        dr = dag_test(dag, {"to": TO})

        flaky_posts = [r.status for r in flaky.requests if r.method == "POST"]
        flaky_messages = flaky.messages

    states = task_states(dr)
    assert dr.state == "failed", states
    assert states == {"closed_window": "failed", "transient": "success"}
    closed, transient = ti_of(dr, "closed_window"), ti_of(dr, "transient")
    assert closed.try_number == 1, "AirflowFailException must not use the task's retry"
    assert transient.try_number == 2, "a 503 must be retried by Airflow"
    assert len(message_posts(emu)) == 1
    assert emu.messages == []
    assert flaky_posts == [503, 200]
    assert [m.to for m in flaky_messages] == [TO]
    assert xcom_of(dr, "transient")["message_id"] == flaky_messages[0].message_id
