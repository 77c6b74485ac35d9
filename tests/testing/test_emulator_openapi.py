"""A second oracle: the emulator's own message rules must agree with Meta's OpenAPI spec.

Only where the spec models messages correctly (text, media, sticker, reaction, reply
buttons, lists, reply context; see /work/shared/reference/README.md) and only limits it
states (it has no image caption limit, for one). The spec lives outside the repository,
so these tests skip when it is absent.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import httpx
import pytest

from airflow_provider_whatsapp.testing import WhatsAppEmulator

from .conftest import PHONE

SPEC = Path("/work/shared/reference/meta-openapi/business-messaging-api_v23.0.yaml")
pytestmark = pytest.mark.skipif(not SPEC.is_file(), reason="Meta's OpenAPI spec not present")


def _close_all_of(node: Any) -> None:
    """Move ``additionalProperties: false`` from ``allOf`` branches to the parent as
    ``unevaluatedProperties: false`` (as published, the spec rejects every message)."""
    if isinstance(node, dict):
        branches = node.get("allOf")
        if isinstance(branches, list):
            closed = False
            for branch in branches:
                if isinstance(branch, dict) and branch.get("additionalProperties") is False:
                    del branch["additionalProperties"]
                    closed = True
            if closed:
                node["unevaluatedProperties"] = False
        for value in node.values():
            _close_all_of(value)
    elif isinstance(node, list):
        for value in node:
            _close_all_of(value)


@pytest.fixture(scope="module")
def spec_valid() -> Any:
    yaml = pytest.importorskip("yaml")
    jsonschema = pytest.importorskip("jsonschema")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with SPEC.open() as fh:
        document = yaml.load(fh, Loader=loader)
    components = copy.deepcopy(document["components"])
    _close_all_of(components)
    schema = {"$ref": "#/components/schemas/Message", "components": components}
    validator = jsonschema.Draft202012Validator(schema)
    return validator.is_valid


def message(mtype: str, body: Any, **extra: Any) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": PHONE,
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
    emu.open_window(PHONE)
    payload = CASES[name]
    accepted = gw.post(f"/{emu.phone_number_id}/messages", json=payload).status_code == 200
    assert accepted == spec_valid(payload), f"{name}: emulator {accepted}, spec disagrees"
