"""Templates: listing with paging and filters, create and review, edit, delete."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from airflow_provider_whatsapp.testing import WhatsAppEmulator

from .conftest import graph_error

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "templates" / "meta_examples"


def definition(name: str = "order_update", **overrides: Any) -> dict[str, Any]:
    base = {
        "name": name,
        "language": "en_US",
        "category": "UTILITY",
        "components": [
            {
                "type": "HEADER",
                "format": "TEXT",
                "text": "Order {{1}}",
                "example": {"header_text": ["42"]},
            },
            {
                "type": "BODY",
                "text": "Hi {{1}}, your order ships {{2}}.",
                "example": {"body_text": [["Ada", "today"]]},
            },
            {"type": "FOOTER", "text": "Reply STOP to opt out"},
            {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Thanks"}]},
        ],
    }
    return base | overrides


def create(gw: httpx.Client, emu: WhatsAppEmulator, body: dict[str, Any]) -> httpx.Response:
    return gw.post(f"/{emu.waba_id}/message_templates", json=body)


def test_list_pages_through_absolute_next_and_after_cursor(
    emu: WhatsAppEmulator, gw: httpx.Client
) -> None:
    for i in range(7):
        emu.add_template(f"tpl_{i}")
    seen: list[str] = []
    params: dict[str, str] = {"limit": "3"}
    pages = 0
    while True:
        page = gw.get(f"/{emu.waba_id}/message_templates", params=params).json()
        pages += 1
        seen += [t["name"] for t in page["data"]]
        cursors = page["paging"]["cursors"]
        assert cursors["before"] and cursors["after"]
        if "next" not in page["paging"]:
            break
        nxt = urlsplit(page["paging"]["next"])
        assert (nxt.scheme, nxt.netloc) == ("https", "graph.facebook.com")
        assert nxt.path == f"/v21.0/{emu.waba_id}/message_templates"
        query = parse_qs(nxt.query)
        assert query["after"] == [cursors["after"]] and query["limit"] == ["3"]
        params = {"limit": "3", "after": cursors["after"]}
    assert pages == 3
    assert seen == [f"tpl_{i}" for i in range(7)]
    assert "previous" in page["paging"]


def test_list_shape_default_limit_clamp_and_bad_cursor(
    emu: WhatsAppEmulator, gw: httpx.Client
) -> None:
    for i in range(30):
        emu.add_template(f"t{i:02d}")
    url = f"/{emu.waba_id}/message_templates"
    first = gw.get(url).json()
    assert len(first["data"]) == 25
    template = first["data"][0]
    assert set(template) == {
        "id",
        "name",
        "language",
        "status",
        "category",
        "components",
        "parameter_format",
        "quality_score",
    }
    assert template["quality_score"] == {"score": "GREEN"}
    assert template["id"].isdigit()
    assert len(gw.get(url, params={"limit": 1000}).json()["data"]) == 30
    assert "next" not in gw.get(url, params={"limit": 1000}).json()["paging"]
    assert graph_error(gw.get(url, params={"after": "garbage"}), 100)
    assert gw.get(url, params={"name": "nothing_like_it"}).json() == {"data": []}
    fields = gw.get(url, params={"fields": "name,status", "limit": 1}).json()["data"][0]
    assert set(fields) == {"id", "name", "status"}


def test_list_filters(emu: WhatsAppEmulator, gw: httpx.Client) -> None:
    emu.add_template("order_shipped")
    emu.add_template("order_shipped", language="pt_BR")
    emu.add_template("order_shipped_late", status="PENDING")
    emu.add_template("promo", category="MARKETING", status="REJECTED", reason="PROMOTIONAL")
    url = f"/{emu.waba_id}/message_templates"

    def names(**params: str) -> list[tuple[str, str]]:
        data = gw.get(url, params=params).json()["data"]
        return [(t["name"], t["language"]) for t in data]

    assert names(status="APPROVED") == [("order_shipped", "en_US"), ("order_shipped", "pt_BR")]
    assert names(name="order_shipped") == [  # substring, like Meta
        ("order_shipped", "en_US"),
        ("order_shipped", "pt_BR"),
        ("order_shipped_late", "en_US"),
    ]
    assert names(language="pt_BR") == [("order_shipped", "pt_BR")]
    rejected = gw.get(url, params={"status": "REJECTED"}).json()["data"]
    assert rejected[0]["rejected_reason"] == "PROMOTIONAL"
    assert rejected[0]["quality_score"] == {"score": "UNKNOWN"}


def test_create_is_pending_until_moved_when_no_review_delay(
    emu: WhatsAppEmulator, gw: httpx.Client
) -> None:
    response = create(gw, emu, definition())
    assert response.status_code == 200, response.text
    created = response.json()
    assert created == {"id": created["id"], "status": "PENDING", "category": "UTILITY"}
    emu.advance_clock(30 * 24 * 3600)  # no review_delay: no verdict, however long
    assert emu.templates[0]["status"] == "PENDING"
    emu.set_template_status("order_update", "APPROVED")
    (listed,) = gw.get(f"/{emu.waba_id}/message_templates").json()["data"]
    assert listed["status"] == "APPROVED"
    assert listed["id"] == created["id"]
    assert gw.get(f"/{created['id']}").json()["name"] == "order_update"


def test_review_delay_approves_and_reject_templates_rejects(
    emu: WhatsAppEmulator, gw: httpx.Client
) -> None:
    emu.freeze_clock()
    emu.review_delay = 60
    emu.reject_templates = {"bad_one": "INVALID_FORMAT"}
    create(gw, emu, definition("good_one"))
    create(gw, emu, definition("bad_one"))
    url = f"/{emu.waba_id}/message_templates"
    assert {t["status"] for t in gw.get(url).json()["data"]} == {"PENDING"}
    emu.advance_clock(59)
    assert {t["status"] for t in gw.get(url).json()["data"]} == {"PENDING"}  # not yet
    emu.advance_clock(1)
    by_name = {t["name"]: t for t in gw.get(url).json()["data"]}
    assert by_name["good_one"]["status"] == "APPROVED"
    assert by_name["bad_one"]["status"] == "REJECTED"
    assert by_name["bad_one"]["rejected_reason"] == "INVALID_FORMAT"


def test_review_after_reads_counts_api_answers_not_the_clock(
    emu: WhatsAppEmulator, gw: httpx.Client
) -> None:
    """What makes sensor tests deterministic: a verdict waits for PENDING answers."""
    emu.configure(review_delay=0, review_after_reads=2)
    template_id = create(gw, emu, definition("counted")).json()["id"]
    url = f"/{emu.waba_id}/message_templates"
    assert emu.templates[0]["status"] == "PENDING"  # a control snapshot is not a read
    assert gw.get(url, params={"name": "counted"}).json()["data"][0]["status"] == "PENDING"
    assert gw.get(f"/{template_id}").json()["status"] == "PENDING"  # by id counts too
    assert gw.get(f"/{template_id}").json()["status"] == "APPROVED"
    # Back to PENDING (an edit, or the control API) starts the count again.
    emu.set_template_status("counted", "PENDING")
    assert [gw.get(f"/{template_id}").json()["status"] for _ in range(3)] == [
        "PENDING",
        "PENDING",
        "APPROVED",
    ]
    with pytest.raises(ValueError, match="review_after_reads must not be negative"):
        emu.review_after_reads = -1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "Bad-Name"}, "name"),
        ({"category": "SPAM"}, "category"),
        ({"language": "english"}, "language"),
        ({"components": [{"type": "FOOTER", "text": "only"}]}, "BODY"),
        ({"components": [{"type": "BODY", "text": "x" * 1025}]}, "text"),
        ({"components": [{"type": "BODY", "text": "Hi {{1}}"}]}, "example"),
        (
            {
                "components": [
                    {"type": "BODY", "text": "Hi {{2}}", "example": {"body_text": [["a"]]}}
                ]
            },
            "numbered",
        ),
        (
            {
                "components": [
                    {"type": "BODY", "text": "Hi {{name}}", "example": {"body_text": [["a"]]}}
                ]
            },
            "named",
        ),
        (
            {
                "components": [
                    {"type": "HEADER", "format": "TEXT", "text": "h" * 61},
                    {"type": "BODY", "text": "b"},
                ]
            },
            "text",
        ),
        (
            {"components": [{"type": "BODY", "text": "b"}, {"type": "FOOTER", "text": "f" * 61}]},
            "text",
        ),
        (
            {
                "components": [
                    {"type": "BODY", "text": "b"},
                    {
                        "type": "BUTTONS",
                        "buttons": [
                            {"type": "URL", "text": f"u{i}", "url": "https://x.example"}
                            for i in range(3)
                        ],
                    },
                ]
            },
            "URL",
        ),
        (
            {
                "components": [
                    {"type": "BODY", "text": "b"},
                    {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "q" * 26}]},
                ]
            },
            "text",
        ),
        (
            {"components": [{"type": "BODY", "text": "b"}, {"type": "HEADER", "format": "IMAGE"}]},
            "header_handle",
        ),
        ({"unknown_field": 1}, "unknown_field"),
    ],
)
def test_create_rejects_invalid_definitions(
    emu: WhatsAppEmulator, gw: httpx.Client, change: dict[str, Any], field: str
) -> None:
    error = graph_error(create(gw, emu, definition() | change), 100)
    assert field in error["error_data"]["details"]
    assert emu.templates == []


def test_named_definition_needs_named_examples(emu: WhatsAppEmulator, gw: httpx.Client) -> None:
    comp: dict[str, Any] = {"type": "BODY", "text": "Hi {{first_name}}"}
    named = definition(parameter_format="named", components=[comp])
    graph_error(create(gw, emu, named), 100)
    comp["example"] = {"body_text_named_params": [{"param_name": "first_name", "example": "Ada"}]}
    assert create(gw, emu, named).status_code == 200
    assert emu.templates[0]["parameter_format"] == "NAMED"


def test_meta_documented_examples_are_accepted(emu: WhatsAppEmulator, gw: httpx.Client) -> None:
    count = 0
    for path in sorted(EXAMPLES.glob("*.json")):
        for spec in json.loads(path.read_text()).values():
            response = create(gw, emu, spec)
            assert response.status_code == 200, (spec["name"], response.text)
            count += 1
    assert count == len(emu.templates) >= 10


def test_duplicate_name_and_language_is_2388024(emu: WhatsAppEmulator, gw: httpx.Client) -> None:
    assert create(gw, emu, definition()).status_code == 200
    error = graph_error(create(gw, emu, definition()), 100)
    assert error["error_subcode"] == 2388024
    assert "already exists" in error["error_data"]["details"]
    assert create(gw, emu, definition(language="pt_BR")).status_code == 200


def test_hundred_creations_per_hour(emu: WhatsAppEmulator, gw: httpx.Client) -> None:
    emu.freeze_clock()
    for i in range(100):
        assert create(gw, emu, definition(f"t_{i}")).status_code == 200
    emu.advance_clock(3599)
    error = graph_error(create(gw, emu, definition("one_too_many")), 4)
    assert "per hour" in error["error_data"]["details"]
    assert len(emu.templates) == 100
    emu.advance_clock(1)  # the first hundred are an hour old
    assert create(gw, emu, definition("next_hour")).status_code == 200


def test_edit_returns_to_pending_and_is_reviewed_again(
    emu: WhatsAppEmulator, gw: httpx.Client
) -> None:
    template_id = emu.add_template("greeting", status="REJECTED", reason="INVALID_FORMAT")
    new_components = [{"type": "BODY", "text": "Hello {{1}}!", "example": {"body_text": [["A"]]}}]
    response = gw.post(f"/{template_id}", json={"components": new_components})
    assert response.json() == {"success": True}
    (template,) = emu.templates
    assert (template["status"], template["components"]) == ("PENDING", new_components)
    assert "rejected_reason" not in template
    again = gw.post(f"/{template_id}", json={"category": "MARKETING"})
    assert "PENDING" in graph_error(again, 100)["error_data"]["details"]
    emu.review_delay = 0
    assert emu.templates[0]["status"] == "APPROVED"
    invalid = gw.post(f"/{template_id}", json={"components": [{"type": "BODY", "text": ""}]})
    graph_error(invalid, 100)


def test_delete_by_name_and_by_hsm_id(emu: WhatsAppEmulator, gw: httpx.Client) -> None:
    emu.add_template("bye")
    pt_id = emu.add_template("bye", language="pt_BR")
    emu.add_template("hello")
    emu.add_template("hello", language="pt_BR")
    url = f"/{emu.waba_id}/message_templates"
    assert gw.delete(url, params={"name": "bye", "hsm_id": pt_id}).json() == {"success": True}
    assert [(t["name"], t["language"]) for t in emu.templates] == [
        ("bye", "en_US"),
        ("hello", "en_US"),
        ("hello", "pt_BR"),
    ]
    assert gw.delete(url, params={"name": "hello"}).json() == {"success": True}
    assert [t["name"] for t in emu.templates] == ["bye"]
    graph_error(gw.delete(url, params={"name": "hello"}), 100)
    graph_error(gw.delete(url, params={"name": "bye", "hsm_id": pt_id}), 100)
    graph_error(gw.delete(url), 131008)


def test_template_ids_are_distinct_from_other_ids(emu: WhatsAppEmulator, gw: httpx.Client) -> None:
    template_id = emu.add_template("x")
    assert template_id not in {emu.phone_number_id, emu.waba_id}
    cursor = gw.get(f"/{emu.waba_id}/message_templates").json()["paging"]["cursors"]["after"]
    assert base64.b64decode(cursor)  # opaque, but base64
