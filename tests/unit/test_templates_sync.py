"""plan_sync: every action, the remote's own spelling of an unchanged template, table and XCom."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from airflow_provider_whatsapp.message_templates.definition import (
    TemplateDefinition,
    parse_template_definition,
)
from airflow_provider_whatsapp.message_templates.sync import (
    SYNC_ACTIONS,
    SyncPlan,
    edit_payload,
    plan_sync,
)

ORDER = parse_template_definition(
    {
        "name": "order_confirmation",
        "language": "en_US",
        "category": "UTILITY",
        "components": [
            {"type": "HEADER", "format": "DOCUMENT", "example": {"header_handle": ["4::YX..."]}},
            {
                "type": "BODY",
                "text": "Thank you, {{1}}! Your order number is {{2}}.",
                "example": {"body_text": [["Pablo", "860198"]]},
            },
            {"type": "FOOTER", "text": "Lucky Shrub"},
            {
                "type": "BUTTONS",
                "buttons": [
                    {"type": "PHONE_NUMBER", "text": "Call", "phone_number": "15550051310"},
                    {"type": "URL", "text": "Support", "url": "https://www.luckyshrub.com/support"},
                ],
            },
        ],
    }
)

LOGIN = parse_template_definition(
    {
        "name": "login_code",
        "language": "en",
        "category": "AUTHENTICATION",
        "components": [
            {"type": "BODY", "add_security_recommendation": True},
            {"type": "FOOTER", "code_expiration_minutes": 10},
            {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE"}]},
        ],
    }
)


def listed_order(**changes: Any) -> dict[str, Any]:
    """ORDER as the API lists it: other key order and case, extra fields, rewritten examples."""
    listed = {
        "status": "APPROVED",
        "id": "594425479261596",
        "quality_score": {"score": "GREEN"},
        "rejected_reason": "NONE",
        "parameter_format": "POSITIONAL",
        "components": [
            {
                "format": "document",
                "type": "header",
                "example": {"header_handle": ["https://scontent.whatsapp.net/v/t61/abc"]},
            },
            {
                "text": "Thank you, {{1}}! Your order number is {{2}}.  \n",
                "type": "BODY",
                "example": {"body_text": [["Maria", "1"]]},
            },
            {"type": "FOOTER", "text": " Lucky Shrub"},
            {
                "type": "BUTTONS",
                "buttons": [
                    {"type": "PHONE_NUMBER", "text": "Call", "phone_number": "+1 555-005-1310"},
                    {"url": "https://www.luckyshrub.com/support", "text": "Support", "type": "url"},
                ],
            },
        ],
        "language": "en_US",
        "name": "order_confirmation",
        "category": "utility",
    }
    listed.update(changes)
    return listed


def listed_login(**changes: Any) -> dict[str, Any]:
    """LOGIN as Meta lists it: preset texts, the OTP button turned into a URL button."""
    listed = {
        "name": "login_code",
        "language": "en",
        "status": "APPROVED",
        "category": "AUTHENTICATION",
        "id": "77",
        "components": [
            {
                "type": "BODY",
                "text": "*{{1}}* is your verification code. For your security, do not share it.",
                "add_security_recommendation": True,
            },
            {
                "type": "FOOTER",
                "text": "This code expires in 10 minutes.",
                "code_expiration_minutes": 10,
            },
            {
                "type": "BUTTONS",
                "buttons": [
                    {
                        "type": "URL",
                        "text": "Copy code",
                        "url": "https://www.whatsapp.com/otp/code/?otp_type=COPY_CODE&code=otp{{1}}",
                    }
                ],
            },
        ],
    }
    listed.update(changes)
    return listed


def with_body(definition: TemplateDefinition, text: str) -> TemplateDefinition:
    data = definition.to_payload()
    body = next(c for c in data["components"] if c["type"] == "BODY")
    body["text"] = text
    return parse_template_definition(data)


def only(plan: SyncPlan) -> Any:
    (action,) = plan.actions
    return action


def test_create() -> None:
    action = only(plan_sync([ORDER], []))
    assert (action.action, action.name, action.language) == ("create", ORDER.name, "en_US")
    assert action.reason == "not on the account: will be created"
    assert action.payload() == ORDER.to_payload()
    assert action.template_id is None


def test_unchanged_despite_the_remote_spelling() -> None:
    action = only(plan_sync([ORDER], [listed_order()]))
    assert action.action == "unchanged", action.changes
    assert action.template_id == "594425479261596"
    assert action.payload() is None


def test_unchanged_authentication_template() -> None:
    assert only(plan_sync([LOGIN], [listed_login()])).action == "unchanged"


def test_authentication_setting_differs() -> None:
    remote = listed_login()
    remote["components"][1]["code_expiration_minutes"] = 5
    action = only(plan_sync([LOGIN], [remote]))
    assert action.changes == ["FOOTER code_expiration_minutes"]


def test_remote_language_spelling_is_normalised() -> None:
    assert only(plan_sync([ORDER], [listed_order(language="en-US")])).action == "unchanged"


def test_unchanged_but_rejected_says_so() -> None:
    remote = listed_order(status="REJECTED", rejected_reason="INVALID_FORMAT")
    assert only(plan_sync([ORDER], [remote])).reason == (
        "matches the remote template; it is REJECTED (INVALID_FORMAT)"
    )


def test_update_an_approved_template() -> None:
    local = with_body(ORDER, "Thanks, {{1}}! Order {{2}} is confirmed.")
    action = only(plan_sync([local], [listed_order()], update=True))
    assert action.action == "update"
    assert action.changes == ["BODY text"]
    assert action.reason == (
        "differs: BODY text; will be edited (at most 1 edit a day and 10 in 30 days; "
        "it goes back to review)"
    )
    payload = action.payload()
    assert "category" not in payload  # not editable on an APPROVED template
    assert payload["components"] == local.to_payload()["components"]


def test_update_a_rejected_template_may_change_the_category() -> None:
    local = parse_template_definition(ORDER.to_payload() | {"category": "MARKETING"})
    action = only(plan_sync([local], [listed_order(status="REJECTED")], update=True))
    assert action.action == "update"
    assert action.changes == ["category UTILITY -> MARKETING"]
    assert action.payload()["category"] == "MARKETING"


def test_differs_without_update() -> None:
    local = with_body(ORDER, "Thanks, {{1}}! Order {{2}} is confirmed.")
    action = only(plan_sync([local], [listed_order()]))
    assert action.action == "differs"
    assert action.reason == "differs: BODY text; run with update=True to edit it"
    assert action.payload() is None


def test_differs_category_of_an_approved_template() -> None:
    local = parse_template_definition(ORDER.to_payload() | {"category": "MARKETING"})
    action = only(plan_sync([local], [listed_order()], update=True))
    assert action.action == "differs"
    assert action.changes == ["category UTILITY -> MARKETING"]
    assert "an APPROVED template's category can't be changed" in action.reason


@pytest.mark.parametrize("status", ["PENDING", "IN_APPEAL", "DISABLED"])
def test_differs_when_the_status_forbids_edits(status: str) -> None:
    local = with_body(ORDER, "Thanks, {{1}}! Order {{2}} is confirmed.")
    action = only(plan_sync([local], [listed_order(status=status)], update=True))
    assert action.action == "differs"
    assert action.reason.endswith(
        f"a {status} template can't be edited (only APPROVED, REJECTED, PAUSED)"
    )


def test_changes_name_what_differs() -> None:
    remote = listed_order()
    remote["components"] = [*remote["components"][:2], remote["components"][3]]  # no footer
    remote["components"][2]["buttons"][1]["url"] = "https://www.luckyshrub.com/help"
    remote["components"][0]["format"] = "IMAGE"
    action = only(plan_sync([ORDER], [remote]))
    assert action.changes == ["HEADER format", "FOOTER added", "BUTTONS[1] url"]


def test_button_count_change() -> None:
    remote = listed_order()
    remote["components"][3]["buttons"].pop()
    assert only(plan_sync([ORDER], [remote])).changes == ["BUTTONS count 1 -> 2"]


def test_remote_only_and_delete() -> None:
    other = listed_order(name="old_promo", id="9")
    kept = only(plan_sync([], [other]))
    assert (kept.action, kept.template_id) == ("remote_only", "9")
    assert kept.reason == "not in the local definitions; kept (prune=False)"
    deleted = only(plan_sync([], [other], prune=True))
    assert deleted.action == "delete"
    assert deleted.reason == "not in the local definitions; will be deleted by id 9"


def test_delete_warns_about_other_languages_of_the_name() -> None:
    spanish = listed_order(language="es", id="10")
    plan = plan_sync([ORDER], [listed_order(), spanish], prune=True)
    [delete] = [action for action in plan.actions if action.action == "delete"]
    assert delete.language == "es"
    assert delete.reason.endswith("(not by name: that would also delete en_US)")


def test_disabled_templates_cannot_be_pruned() -> None:
    action = only(plan_sync([], [listed_order(name="old", status="DISABLED")], prune=True))
    assert action.action == "blocked"
    assert action.reason == "not in the local definitions, but a DISABLED template can't be deleted"


@pytest.mark.parametrize("status", ["DELETED", "PENDING_DELETION"])
def test_a_name_being_deleted_blocks_its_creation(status: str) -> None:
    action = only(plan_sync([ORDER], [listed_order(status=status)], prune=True))
    assert action.action == "blocked"
    assert action.reason.startswith(f"the remote template is {status}: WhatsApp reserves")
    assert "order_confirmation_v2" in action.reason
    assert action.payload() is None


def test_being_deleted_remote_only_templates_are_ignored() -> None:
    assert plan_sync([], [listed_order(status="DELETED")], prune=True).actions == []


def test_an_active_twin_wins_over_a_deleted_one() -> None:
    remote = [listed_order(status="DELETED", id="1"), listed_order(id="2")]
    action = only(plan_sync([ORDER], remote))
    assert (action.action, action.template_id) == ("unchanged", "2")


def test_local_duplicates_are_a_programming_error() -> None:
    with pytest.raises(ValueError, match="repeat"):
        plan_sync([ORDER, ORDER], [])


def full_plan() -> SyncPlan:
    changed = with_body(ORDER, "Thanks, {{1}}! Order {{2}} is confirmed.")
    new = parse_template_definition(ORDER.to_payload() | {"name": "brand_new"})
    remote = [
        listed_order(),
        listed_order(name="old_one", id="5"),
        listed_order(name="gone", status="PENDING_DELETION"),
        listed_login(),
    ]
    gone = parse_template_definition(ORDER.to_payload() | {"name": "gone"})
    return plan_sync([changed, new, LOGIN, gone], remote, update=True, prune=True)


def test_counts_and_actions() -> None:
    plan = full_plan()
    assert plan.counts() == {
        "create": 1,
        "update": 1,
        "unchanged": 1,
        "differs": 0,
        "delete": 1,
        "remote_only": 0,
        "blocked": 1,
    }
    assert list(plan.counts()) == list(SYNC_ACTIONS)
    assert {a.name: a.action for a in plan.actions} == {
        "brand_new": "create",
        "order_confirmation": "update",
        "old_one": "delete",
        "gone": "blocked",
        "login_code": "unchanged",
    }
    assert [a.name for a in plan.actions] == sorted(a.name for a in plan.actions)


def test_as_table_has_every_row() -> None:
    plan = full_plan()
    table = plan.as_table()
    lines = table.splitlines()
    assert lines[0].split() == ["action", "name", "language", "reason"]
    assert len(lines) == 2 + len(plan.actions)
    for action, line in zip(plan.actions, lines[2:], strict=True):
        assert line.split()[:3] == [action.action, action.name, action.language]
        assert action.reason in line


def test_to_dict_is_json_serialisable() -> None:
    data = full_plan().to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["counts"]["create"] == 1
    assert {a["action"] for a in data["actions"]} == {
        "create",
        "update",
        "unchanged",
        "delete",
        "blocked",
    }
    assert all("definition" not in a for a in data["actions"])


def test_edit_payload() -> None:
    local = parse_template_definition(ORDER.to_payload() | {"message_send_ttl_seconds": 3600})
    assert edit_payload(local) == {
        "components": local.to_payload()["components"],
        "category": "UTILITY",
        "message_send_ttl_seconds": 3600,
    }
    assert "category" not in edit_payload(local, remote_status="approved")


def test_plan_does_not_mutate_its_inputs() -> None:
    remote = [listed_order()]
    before = copy.deepcopy(remote)
    plan_sync([ORDER], remote, update=True, prune=True)
    assert remote == before
