"""Send pre-flight: placeholders of a listed template, and exact messages on mismatches."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_provider_whatsapp.message_templates.sending import (
    TemplateNotUsableError,
    TemplateParameterError,
    check_send_components,
    check_template_usable,
    template_placeholders,
)

# As GET /{waba_id}/message_templates lists them.
ORDER_UPDATE: dict[str, Any] = {
    "id": "1001",
    "name": "order_update",
    "language": "en_US",
    "status": "APPROVED",
    "category": "UTILITY",
    "parameter_format": "POSITIONAL",
    "components": [
        {
            "type": "HEADER",
            "format": "TEXT",
            "text": "Order {{1}}",
            "example": {"header_text": ["7"]},
        },
        {
            "type": "BODY",
            "text": "Hi {{1}}, your order ships on {{2}}.",
            "example": {"body_text": [["Ana", "Monday"]]},
        },
        {"type": "FOOTER", "text": "Thanks"},
        {
            "type": "BUTTONS",
            "buttons": [
                {
                    "type": "URL",
                    "text": "Track",
                    "url": "https://example.com/track/{{1}}",
                    "example": ["https://example.com/track/7"],
                },
                {"type": "QUICK_REPLY", "text": "Stop"},
                {"type": "PHONE_NUMBER", "text": "Call", "phone_number": "+15550051310"},
            ],
        },
    ],
}

NAMED: dict[str, Any] = {
    "name": "welcome",
    "language": "pt_BR",
    "status": "APPROVED",
    "category": "MARKETING",
    "parameter_format": "NAMED",
    "components": [
        {
            "type": "BODY",
            "text": "Oi {{first_name}}! Seu cupom {{coupon}} vale até {{date}}, {{first_name}}.",
            "example": {"body_text_named_params": []},
        }
    ],
}

MEDIA: dict[str, Any] = {
    "name": "receipt",
    "language": "en",
    "status": "APPROVED",
    "components": [
        {"type": "HEADER", "format": "DOCUMENT", "example": {"header_handle": ["https://x"]}},
        {"type": "BODY", "text": "Your receipt is attached."},
        {"type": "BUTTONS", "buttons": [{"type": "COPY_CODE", "text": "Copy offer code"}]},
    ],
}

# How Meta lists an authentication template: preset text, OTP button as a URL button.
AUTH: dict[str, Any] = {
    "name": "login_code",
    "language": "en",
    "status": "APPROVED",
    "category": "AUTHENTICATION",
    "components": [
        {
            "type": "BODY",
            "text": "*{{1}}* is your verification code.",
            "add_security_recommendation": True,
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


def text(value: str, name: str | None = None) -> dict[str, Any]:
    parameter = {"type": "text", "text": value}
    return parameter | {"parameter_name": name} if name else parameter


def order_update_components() -> list[dict[str, Any]]:
    return [
        {"type": "header", "parameters": [text("7")]},
        {"type": "body", "parameters": [text("Ana"), text("Monday")]},
        {"type": "button", "sub_type": "url", "index": "0", "parameters": [text("7")]},
    ]


def failure(template: dict[str, Any], components: list[dict[str, Any]]) -> str:
    with pytest.raises(TemplateParameterError) as caught:
        check_send_components(template, components)
    return str(caught.value)


# --- placeholders ---------------------------------------------------------------------------


def test_positional_placeholders() -> None:
    assert template_placeholders(ORDER_UPDATE) == {
        "header": ["1"],
        "body": ["1", "2"],
        "button:0": ["1"],
    }


def test_named_placeholders_in_first_appearance_order() -> None:
    assert template_placeholders(NAMED) == {"body": ["first_name", "coupon", "date"]}


def test_media_header_and_copy_code_slots() -> None:
    assert template_placeholders(MEDIA) == {"header": ["document"], "button:0": ["coupon_code"]}


def test_authentication_slots() -> None:
    assert template_placeholders(AUTH) == {"body": ["1"], "button:0": ["1"]}


def test_placeholders_sort_numerically() -> None:
    template = {"components": [{"type": "body", "text": "a {{10}} b {{2}} c {{1}} d"}]}
    assert template_placeholders(template)["body"] == ["1", "2", "10"]


# --- check_send_components ------------------------------------------------------------------


def test_matching_positional_send_passes() -> None:
    check_send_components(ORDER_UPDATE, order_update_components())


def test_types_are_case_insensitive_and_order_free() -> None:
    components: list[dict[str, Any]] = [
        {"type": "BUTTON", "sub_type": "URL", "index": 0, "parameters": [text("7")]},
        {"type": "BODY", "parameters": [text("Ana"), text("Monday")]},
        {"type": "Header", "parameters": [text("7")]},
    ]
    check_send_components(ORDER_UPDATE, components)


def test_the_message_of_the_brief() -> None:
    components = [{"type": "body", "parameters": [text("Ana")]}, order_update_components()[2]]
    assert failure(ORDER_UPDATE, components) == (
        "template 'order_update' (en_US) expects body parameters {{1}}, {{2}} (2), got 1; "
        "header parameters {{1}} (1), got 0"
    )


def test_url_button_parameter_missing() -> None:
    assert failure(ORDER_UPDATE, order_update_components()[:2]) == (
        "template 'order_update' (en_US) expects button 0 parameters {{1}} (1), got 0"
    )


def test_parameters_for_a_component_without_placeholders() -> None:
    components = [
        *order_update_components(),
        {"type": "button", "sub_type": "phone_number", "index": 2, "parameters": [text("x")]},
    ]
    assert failure(ORDER_UPDATE, components) == (
        "template 'order_update' (en_US) expects no button 2 parameters, got 1"
    )


def test_body_parameters_for_a_body_without_placeholders() -> None:
    components: list[dict[str, Any]] = [
        {"type": "header", "parameters": [{"type": "document", "document": {"id": "1"}}]},
        {
            "type": "button",
            "sub_type": "copy_code",
            "index": 0,
            "parameters": [{"type": "coupon_code", "coupon_code": "X"}],
        },
        {"type": "body", "parameters": [text("extra")]},
    ]
    assert failure(MEDIA, components) == (
        "template 'receipt' (en) expects no body parameters, got 1"
    )


def test_quick_reply_payload_is_optional() -> None:
    payload = {"type": "payload", "payload": "STOP"}
    components = [
        *order_update_components(),
        {"type": "button", "sub_type": "quick_reply", "index": 1, "parameters": [payload]},
    ]
    check_send_components(ORDER_UPDATE, components)


def test_button_index_out_of_range() -> None:
    components = [
        *order_update_components(),
        {"type": "button", "sub_type": "url", "index": 5, "parameters": [text("x")]},
    ]
    assert failure(ORDER_UPDATE, components) == (
        "template 'order_update' (en_US) expects no button 5 (the template has 3 buttons), got 1"
    )


def test_button_sub_type_must_match() -> None:
    components = order_update_components()
    components[2] = components[2] | {"sub_type": "quick_reply"}
    assert failure(ORDER_UPDATE, components) == (
        "template 'order_update' (en_US) expects button 0 sub_type url "
        "(the template button is URL), got quick_reply"
    )


def test_empty_text_is_rejected() -> None:
    components = order_update_components()
    components[1] = {"type": "body", "parameters": [text("Ana"), text("  ")]}
    assert failure(ORDER_UPDATE, components) == (
        "template 'order_update' (en_US) expects non-empty text for body parameter {{2}}"
    )


def test_unknown_component_type() -> None:
    components = [*order_update_components(), {"type": "footer", "parameters": []}]
    assert failure(ORDER_UPDATE, components) == (
        "template 'order_update' (en_US) expects components of type header, body, button, "
        "carousel, limited_time_offer, got 'footer'"
    )


def test_named_send_passes() -> None:
    parameters = [text("Ana", "first_name"), text("X1", "coupon"), text("May", "date")]
    check_send_components(NAMED, [{"type": "body", "parameters": parameters}])


def test_named_missing_and_unknown() -> None:
    parameters = [text("Ana", "first_name"), text("X1", "voucher")]
    assert failure(NAMED, [{"type": "body", "parameters": parameters}]) == (
        "template 'welcome' (pt_BR) expects body parameters {{first_name}}, {{coupon}}, "
        "{{date}} (3), got 2: missing {{coupon}}, {{date}}; unknown {{voucher}}"
    )


def test_named_without_parameter_name() -> None:
    parameters = [text("Ana", "first_name"), text("X1", "coupon"), text("May")]
    assert failure(NAMED, [{"type": "body", "parameters": parameters}]) == (
        "template 'welcome' (pt_BR) expects body parameters {{first_name}}, {{coupon}}, "
        "{{date}} (3), got 3: missing {{date}}; 1 without parameter_name"
    )


def test_media_header_needs_its_media() -> None:
    coupon = {
        "type": "button",
        "sub_type": "copy_code",
        "index": 0,
        "parameters": [{"type": "coupon_code", "coupon_code": "SAVE"}],
    }
    assert failure(MEDIA, [coupon]) == (
        "template 'receipt' (en) expects header parameters document (1), got 0"
    )
    wrong = {"type": "header", "parameters": [{"type": "image", "image": {"id": "1"}}]}
    assert failure(MEDIA, [coupon, wrong]) == (
        "template 'receipt' (en) expects a document parameter for header, got type 'image'"
    )
    right = {"type": "header", "parameters": [{"type": "document", "document": {"id": "1"}}]}
    check_send_components(MEDIA, [coupon, right])


def test_authentication_send() -> None:
    components = [
        {"type": "body", "parameters": [text("123456")]},
        {"type": "button", "sub_type": "url", "index": "0", "parameters": [text("123456")]},
    ]
    check_send_components(AUTH, components)


def test_carousel_cards() -> None:
    template = {
        "name": "cards",
        "language": "en",
        "components": [
            {"type": "BODY", "text": "Hi {{1}}, look."},
            {
                "type": "CAROUSEL",
                "cards": [
                    {
                        "components": [
                            {"type": "HEADER", "format": "IMAGE"},
                            {"type": "BODY", "text": "Card."},
                            {
                                "type": "BUTTONS",
                                "buttons": [
                                    {"type": "URL", "text": "Go", "url": "https://x/{{1}}"}
                                ],
                            },
                        ]
                    }
                ],
            },
        ],
    }
    assert template_placeholders(template) == {
        "body": ["1"],
        "card:0:header": ["image"],
        "card:0:button:0": ["1"],
    }
    card: dict[str, Any] = {
        "card_index": 0,
        "components": [
            {"type": "header", "parameters": [{"type": "image", "image": {"id": "9"}}]},
            {"type": "button", "sub_type": "url", "index": 0, "parameters": [text("a")]},
        ],
    }
    body = {"type": "body", "parameters": [text("Ana")]}
    check_send_components(template, [body, {"type": "carousel", "cards": [card]}])
    card["components"] = card["components"][:1]
    assert failure(template, [body, {"type": "carousel", "cards": [card]}]) == (
        "template 'cards' (en) expects card 0 button 0 parameters {{1}} (1), got 0"
    )


def test_template_listed_without_components_is_not_checked() -> None:
    check_send_components({"name": "x", "language": "en"}, [{"type": "body", "parameters": []}])


@settings(max_examples=50, deadline=None)
@given(expected=st.integers(0, 12), sent=st.integers(0, 12))
def test_count_check_matches_the_text(expected: int, sent: int) -> None:
    placeholders = " ".join(f"x {{{{{n}}}}}" for n in range(1, expected + 1))
    template = {
        "name": "t",
        "language": "en",
        "components": [{"type": "BODY", "text": f"Start {placeholders} end"}],
    }
    components = (
        [{"type": "body", "parameters": [text(f"v{n}") for n in range(sent)]}] if sent else []
    )
    if expected == sent:
        check_send_components(template, components)
    elif expected == 0:
        assert (
            failure(template, components)
            == f"template 't' (en) expects no body parameters, got {sent}"
        )
    else:
        names = ", ".join(f"{{{{{n}}}}}" for n in range(1, expected + 1))
        assert failure(template, components) == (
            f"template 't' (en) expects body parameters {names} ({expected}), got {sent}"
        )


# --- check_template_usable ------------------------------------------------------------------


def test_approved_is_usable() -> None:
    check_template_usable(ORDER_UPDATE)


def test_rejected_names_the_reason() -> None:
    rejected = ORDER_UPDATE | {"status": "REJECTED", "rejected_reason": "INVALID_FORMAT"}
    with pytest.raises(TemplateNotUsableError) as caught:
        check_template_usable(rejected)
    assert str(caught.value).startswith(
        "template 'order_update' (en_US) is REJECTED (rejected_reason: INVALID_FORMAT): "
    )


@pytest.mark.parametrize("status", ["PENDING", "PAUSED", "DISABLED", "pending_deletion", None])
def test_other_statuses_are_not_usable(status: str | None) -> None:
    with pytest.raises(TemplateNotUsableError, match=f"is {(status or 'UNKNOWN').upper()}"):
        check_template_usable(ORDER_UPDATE | {"status": status})
