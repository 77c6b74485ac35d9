"""A second oracle: the emulator's own message rules must agree with Meta's OpenAPI spec.

Only where the spec models messages correctly (text, media, sticker, reaction, reply
buttons, lists, reply context) and only limits it states (it has no image caption limit,
for one). The schemas are the ones extracted into ``tests/data/meta_message_schemas.json``
from the spec committed beside them; a missing file fails these tests.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from airflow_provider_whatsapp.testing import WhatsAppEmulator
from tests.helpers import TO, meta_oracle


@pytest.fixture(scope="module")
def spec_valid() -> Any:
    return meta_oracle("Message").is_valid


def message(mtype: str, body: Any, **extra: Any) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": TO,
        "type": mtype,
        mtype: body,
        **extra,
    }


def reply_buttons(n: int, title: str = "Yes") -> dict[str, Any]:
    return {
        "type": "button",
        "body": {"text": "Choose"},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": f"id{i}", "title": f"{title}{i}"}}
                for i in range(n)
            ]
        },
    }


def a_list(rows: int) -> dict[str, Any]:
    return {
        "type": "list",
        "body": {"text": "Pick"},
        "action": {
            "button": "Menu",
            "sections": [
                {
                    "title": "All",
                    "rows": [{"id": f"r{i}", "title": f"Row {i}"} for i in range(rows)],
                }
            ],
        },
    }


LINK = "https://example.com/media"
CASES = {
    "text": message("text", {"body": "hi", "preview_url": False}),
    "text-reply": message("text", {"body": "hi"}, context={"message_id": "wamid.X"}),
    "image": message("image", {"link": LINK, "caption": "c"}),
    "video": message("video", {"link": LINK}),
    "document": message("document", {"link": LINK, "caption": "c"}),
    "audio": message("audio", {"link": LINK}),
    "sticker": message("sticker", {"link": LINK}),
    "reaction": message("reaction", {"message_id": "wamid.X", "emoji": "\U0001f600"}),
    "buttons": message("interactive", reply_buttons(3)),
    "list": message("interactive", a_list(3)),
    "four-buttons": message("interactive", reply_buttons(4)),
    "long-title": message("interactive", reply_buttons(1, title="t" * 20)),
    "unknown-field": message("text", {"body": "hi"}, colour="red"),
    "unknown-text-field": message("text", {"body": "hi", "bold": True}),
    "link-and-id": message("image", {"link": LINK, "id": "1"}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_emulator_agrees_with_metas_spec(
    emu: WhatsAppEmulator, gw: httpx.Client, spec_valid: Any, name: str
) -> None:
    emu.open_window(TO)
    payload = CASES[name]
    accepted = gw.post(f"/{emu.phone_number_id}/messages", json=payload).status_code == 200
    assert accepted == spec_valid(payload), f"{name}: emulator {accepted}, spec disagrees"
