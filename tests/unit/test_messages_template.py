"""Template messages: parameters (positional, named, typed), components, names, languages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from airflow_provider_whatsapp.messages import (
    BodyParameters,
    ButtonParameters,
    CurrencyParameter,
    MessageValidationError,
    TemplateLanguage,
    TemplateMessage,
    TextParameter,
    parse_message,
)

TO = "16505551234"


def body_parameters(message: TemplateMessage) -> list[dict[str, Any]]:
    components = message.to_payload()["template"]["components"]
    assert [component["type"] for component in components] == ["body"]
    parameters: list[dict[str, Any]] = components[0]["parameters"]
    return parameters


def template(*components: dict[str, Any]) -> TemplateMessage:
    return TemplateMessage.create(TO, "alert", "en_US", components=list(components))


def quick_reply(index: Any, payload: str = "P") -> dict[str, Any]:
    return {
        "type": "button",
        "sub_type": "quick_reply",
        "index": index,
        "parameters": [{"type": "payload", "payload": payload}],
    }


def test_positional_values_become_text_in_order() -> None:
    message = TemplateMessage.create(TO, "t", "en", parameters=[1, 2.5, Decimal("3.10"), "four"])
    assert body_parameters(message) == [
        {"type": "text", "text": "1"},
        {"type": "text", "text": "2.5"},
        {"type": "text", "text": "3.10"},
        {"type": "text", "text": "four"},
    ]


def test_named_values_carry_parameter_name() -> None:
    message = TemplateMessage.create(TO, "t", "en", parameters={"first_name": "Jo", "total": 12})
    assert body_parameters(message) == [
        {"type": "text", "parameter_name": "first_name", "text": "Jo"},
        {"type": "text", "parameter_name": "total", "text": "12"},
    ]


def test_typed_parameters_mix_with_plain_values() -> None:
    currency = {
        "type": "currency",
        "currency": {"fallback_value": "$1.50", "code": "USD", "amount_1000": 1500},
    }
    positional = TemplateMessage.create(TO, "t", "en", parameters=["Jo", currency])
    assert body_parameters(positional)[1] == currency
    model = CurrencyParameter.model_validate(currency)
    named = TemplateMessage.create(TO, "t", "en", parameters={"name": "Jo", "amount": model})
    assert body_parameters(named)[1] == {**currency, "parameter_name": "amount"}


@pytest.mark.parametrize("empty", [[], {}])
def test_empty_parameters_send_no_components(empty: list[Any] | dict[str, Any]) -> None:
    payload = TemplateMessage.create(TO, "t", "en", parameters=empty).to_payload()
    assert "components" not in payload["template"]


@pytest.mark.parametrize("extra", [{"parameters": ["a"]}, {"buttons": []}])
def test_components_exclude_parameters_and_buttons(extra: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="components, or parameters and buttons, not both"):
        TemplateMessage.create(TO, "t", "en", components=[], **extra)


URL_SUFFIX = {
    "type": "button",
    "sub_type": "url",
    "index": "0",
    "parameters": [{"type": "text", "text": "orders/42"}],
}


def test_buttons_go_beside_the_body_that_parameters_fill() -> None:
    both = TemplateMessage.create(TO, "t", "en", parameters=["Jo"], buttons=[URL_SUFFIX])
    body = {"type": "body", "parameters": [{"type": "text", "text": "Jo"}]}
    assert both.to_payload()["template"]["components"] == [body, URL_SUFFIX]
    alone = TemplateMessage.create(TO, "t", "en", buttons=[URL_SUFFIX]).to_payload()
    assert alone["template"]["components"] == [URL_SUFFIX]


@pytest.mark.parametrize(
    ("parameters", "error"),
    [
        ([None], r"parameter \{\{1\}\} is None"),
        ({"name": None}, "parameter 'name' is None"),
        ("abc", "must be a list or a dict"),
        ([""], "at least 1 character"),
        ({"First Name": "x"}, "parameter_name must be a lower-case identifier"),
        ({"1st": "x"}, "parameter_name must be a lower-case identifier"),
    ],
)
def test_bad_parameters(parameters: Any, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        TemplateMessage.create(TO, "t", "en", parameters=parameters)


def test_positional_and_named_never_mix_in_one_component() -> None:
    body = {
        "type": "body",
        "parameters": [
            {"type": "text", "text": "a", "parameter_name": "first"},
            {"type": "text", "text": "b"},
        ],
    }
    with pytest.raises(MessageValidationError, match="not a mix") as caught:
        template(body)
    assert "template.components.0.body" in str(caught.value)


def test_named_parameters_are_unique() -> None:
    body = {
        "type": "body",
        "parameters": [
            {"type": "text", "text": "a", "parameter_name": "name"},
            {"type": "text", "text": "b", "parameter_name": "name"},
        ],
    }
    with pytest.raises(MessageValidationError, match="'name' repeats"):
        template(body)


@pytest.mark.parametrize(
    "name", ["Hello", "hello-world", "hello world", "héllo", "a" * 513, "", "HELLO_WORLD"]
)
def test_template_name_pattern(name: str) -> None:
    with pytest.raises(MessageValidationError, match=r"template name must be 1\.\.512 characters"):
        TemplateMessage.create(TO, name, "en_US")


@pytest.mark.parametrize("name", ["hello_world", "a", "order_2", "9lives"])
def test_template_name_valid(name: str) -> None:
    TemplateMessage.create(TO, name, "en_US")


@pytest.mark.parametrize("code", ["en", "en_US", "pt_BR", "fil", "zh_HK"])
def test_language_codes(code: str) -> None:
    assert TemplateMessage.create(TO, "t", code).to_payload()["template"]["language"] == {
        "code": code
    }


@pytest.mark.parametrize(
    ("code", "hint"),
    [("en-US", "write 'en_US'"), ("english", "en_US"), ("EN", "en_US"), ("", "en_US")],
)
def test_language_code_must_be_explicit(code: str, hint: str) -> None:
    with pytest.raises(MessageValidationError, match=r"template\.language\.code") as caught:
        TemplateMessage.create(TO, "t", code)
    assert hint in str(caught.value)


def test_language_policy_is_deterministic_only() -> None:
    language = TemplateLanguage(code="en", policy="deterministic")
    message = TemplateMessage.create(TO, "t", language)
    assert message.to_payload()["template"]["language"] == {"code": "en", "policy": "deterministic"}
    with pytest.raises(MessageValidationError, match=r"template\.language\.policy"):
        TemplateMessage.create(TO, "t", {"code": "en", "policy": "fallback"})


def test_components_must_be_a_list() -> None:
    payload = TemplateMessage.create(TO, "t", "en", parameters=["a"]).to_payload()
    payload["template"]["components"] = {"body": payload["template"]["components"][0]}
    with pytest.raises(MessageValidationError, match=r"template\.components"):
        parse_message(payload)


def test_component_and_parameter_types_are_read_case_insensitively() -> None:
    message = template(
        {"type": "BODY", "parameters": [{"type": "TEXT", "text": "a"}]},
        {**quick_reply(0), "type": "BUTTON", "sub_type": "QUICK_REPLY"},
    )
    assert message.to_payload()["template"]["components"] == [
        {"type": "body", "parameters": [{"type": "text", "text": "a"}]},
        quick_reply("0"),
    ]


def test_button_index_accepts_int_and_sends_a_string() -> None:
    message = template(quick_reply(3))
    assert message.to_payload()["template"]["components"][0]["index"] == "3"


@pytest.mark.parametrize("index", [-1, 10, "10", "a", True, None])
def test_button_index_range(index: Any) -> None:
    with pytest.raises(MessageValidationError, match=r"template\.components\.0\.button\.index"):
        template(quick_reply(index))


def test_button_needs_sub_type_and_parameters() -> None:
    with pytest.raises(MessageValidationError, match="sub_type"):
        template(
            {"type": "button", "index": 0, "parameters": [{"type": "payload", "payload": "x"}]}
        )
    with pytest.raises(MessageValidationError, match="parameters"):
        template({"type": "button", "sub_type": "quick_reply", "index": 0, "parameters": []})
    with pytest.raises(MessageValidationError, match="sub_type"):
        template({**quick_reply(0), "sub_type": "teleport"})


def test_button_indexes_unique_and_one_header_and_body() -> None:
    with pytest.raises(MessageValidationError, match="each button index must be unique, 0 repeats"):
        template(quick_reply(0), quick_reply("0"))
    body = {"type": "body", "parameters": [{"type": "text", "text": "a"}]}
    with pytest.raises(MessageValidationError, match="at most one body component"):
        template(body, body)


@pytest.mark.parametrize(
    ("component", "allowed"),
    [
        (
            {"type": "body", "parameters": [{"type": "image", "image": {"id": "1"}}]},
            "'text', 'currency', 'date_time'",
        ),
        (
            {"type": "header", "parameters": [{"type": "payload", "payload": "x"}]},
            "'text', 'image', 'video', 'document', 'location'",
        ),
        ({"type": "footer", "parameters": []}, "'header', 'body', 'button'"),
    ],
)
def test_parameter_types_per_component(component: dict[str, Any], allowed: str) -> None:
    with pytest.raises(
        MessageValidationError, match="does not match any of the expected tags"
    ) as caught:
        template(component)
    assert allowed in str(caught.value)


def test_header_takes_one_parameter() -> None:
    text = {"type": "text", "text": "a"}
    with pytest.raises(MessageValidationError, match="at most 1 item"):
        template({"type": "header", "parameters": [text, text]})


@pytest.mark.parametrize(
    "parameter",
    [
        {"type": "image", "image": {"link": "https://example.com/a.jpg"}},
        {"type": "video", "video": {"id": "9"}},
        {"type": "document", "document": {"id": "9", "filename": "invoice.pdf"}},
        {"type": "location", "location": {"latitude": 1.5, "longitude": 2.5, "name": "HQ"}},
        {"type": "text", "text": "Hello"},
    ],
)
def test_header_parameter_types(parameter: dict[str, Any]) -> None:
    message = template({"type": "header", "parameters": [parameter]})
    assert message.to_payload()["template"]["components"][0]["parameters"] == [parameter]


@pytest.mark.parametrize(
    ("parameter", "error"),
    [
        ({"type": "image", "image": {"link": "http://example.com/a.jpg"}}, "https://"),
        ({"type": "image", "image": {"id": "1", "caption": "c"}}, "takes no caption"),
        ({"type": "video", "video": {}}, "exactly one of 'link'"),
    ],
)
def test_header_media_rules(parameter: dict[str, Any], error: str) -> None:
    with pytest.raises(MessageValidationError, match=error):
        template({"type": "header", "parameters": [parameter]})


@pytest.mark.parametrize(
    ("parameter", "field"),
    [
        (
            {
                "type": "currency",
                "currency": {"fallback_value": "$1", "code": "usd", "amount_1000": 1},
            },
            "code",
        ),
        ({"type": "currency", "currency": {"fallback_value": "$1", "code": "USD"}}, "amount_1000"),
        (
            {
                "type": "currency",
                "currency": {"fallback_value": "", "code": "USD", "amount_1000": 1},
            },
            "fallback_value",
        ),
        ({"type": "date_time", "date_time": {}}, "fallback_value"),
        ({"type": "date_time", "date_time": {"fallback_value": "x", "month": 13}}, "month"),
    ],
)
def test_currency_and_date_time_fields(parameter: dict[str, Any], field: str) -> None:
    with pytest.raises(MessageValidationError) as caught:
        template({"type": "body", "parameters": [parameter]})
    assert "template.components.0.body.parameters.0" in str(caught.value)
    assert field in str(caught.value)


def test_legacy_date_time_fields_from_meta_examples_are_accepted() -> None:
    date_time = {
        "fallback_value": "February 25, 1977",
        "calendar": "GREGORIAN",
        "day_of_month": 25,
        "day_of_week": 5,
        "hour": 15,
        "minute": 33,
        "month": 2,
        "year": 1977,
    }
    message = template(
        {"type": "body", "parameters": [{"type": "date_time", "date_time": date_time}]}
    )
    parameters = message.to_payload()["template"]["components"][0]["parameters"]
    assert parameters == [{"type": "date_time", "date_time": date_time}]


def test_flow_and_catalog_buttons_pass_their_action_through() -> None:
    button = {
        "type": "button",
        "sub_type": "flow",
        "index": "0",
        "parameters": [{"type": "action", "action": {"flow_token": "abc"}}],
    }
    assert template(button).to_payload()["template"]["components"] == [button]


def test_components_accept_models() -> None:
    body = {"type": "body", "parameters": [TextParameter(text="a")]}
    assert template(body).to_payload()["template"]["components"] == [
        {"type": "body", "parameters": [{"type": "text", "text": "a"}]}
    ]
    button = ButtonParameters(sub_type="url", index="1", parameters=[TextParameter(text="x/1")])
    message = TemplateMessage.create(
        TO, "alert", "en", components=[BodyParameters(parameters=[TextParameter(text="a")]), button]
    )
    assert message.to_payload()["template"]["components"] == [
        {"type": "body", "parameters": [{"type": "text", "text": "a"}]},
        {
            "type": "button",
            "sub_type": "url",
            "index": "1",
            "parameters": [{"type": "text", "text": "x/1"}],
        },
    ]
