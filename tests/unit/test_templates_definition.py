"""TemplateDefinition: Meta's examples load; each limit holds at the edge and fails past it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_provider_whatsapp.message_templates.definition import (
    TemplateDefinition,
    TemplateDefinitionError,
    parse_template_definition,
)

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "templates" / "meta_examples"


def _example_definitions() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(EXAMPLES.glob("*.json")):
        found += list(json.loads(path.read_text()).items())
    return found


def marketing(*components: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A valid MARKETING template, with ``components`` replacing the default body."""
    return {
        "name": "promo",
        "language": "en_US",
        "category": "MARKETING",
        "components": list(components) or [{"type": "BODY", "text": "Hello there."}],
        **fields,
    }


def body(text: str, *rows: list[str]) -> dict[str, Any]:
    component: dict[str, Any] = {"type": "BODY", "text": text}
    if rows:
        component["example"] = {"body_text": list(rows)}
    return component


def buttons(*items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "BUTTONS", "buttons": list(items)}


def quick_reply(text: str = "Stop") -> dict[str, Any]:
    return {"type": "QUICK_REPLY", "text": text}


def url_button(url: str = "https://example.com/x", **extra: Any) -> dict[str, Any]:
    return {"type": "URL", "text": "Open", "url": url, **extra}


def problems_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises(TemplateDefinitionError) as caught:
        parse_template_definition(data)
    return caught.value.problems


def authentication(*components: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "name": "login_code",
        "language": "en",
        "category": "AUTHENTICATION",
        "components": list(components)
        or [
            {"type": "BODY", "add_security_recommendation": True},
            {"type": "FOOTER", "code_expiration_minutes": 5},
            buttons({"type": "OTP", "otp_type": "COPY_CODE", "text": "Copy code"}),
        ],
        **fields,
    }


# --- Meta's examples ------------------------------------------------------------------------


def test_the_examples_are_all_there() -> None:
    assert len(_example_definitions()) == 13
    assert (EXAMPLES / "LICENSE.pywa").is_file()


@pytest.mark.parametrize(("name", "data"), _example_definitions(), ids=lambda v: str(v)[:40])
def test_every_example_validates_and_round_trips(name: str, data: dict[str, Any]) -> None:
    definition = parse_template_definition(data)
    assert definition.name == name
    assert definition.to_payload() == data


def test_payload_has_no_none_values() -> None:
    payload = parse_template_definition(marketing()).to_payload()

    def walk(value: Any) -> None:
        assert value is not None
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(payload)
    assert payload == marketing()


def test_enumerations_are_case_insensitive_and_written_upper_case() -> None:
    data = {
        "name": "promo",
        "language": "en-US",
        "category": "marketing",
        "parameter_format": "positional",
        "components": [
            {"type": "header", "format": "text", "text": "Hi"},
            {"type": "body", "text": "Hello there."},
            {"type": "buttons", "buttons": [{"type": "quick_reply", "text": "Stop"}]},
        ],
    }
    payload = parse_template_definition(data).to_payload()
    assert payload["category"] == "MARKETING"
    assert payload["language"] == "en_US"
    assert payload["parameter_format"] == "POSITIONAL"
    assert [c["type"] for c in payload["components"]] == ["HEADER", "BODY", "BUTTONS"]
    assert payload["components"][0]["format"] == "TEXT"
    assert payload["components"][2]["buttons"][0]["type"] == "QUICK_REPLY"


def test_text_is_stripped_at_both_ends() -> None:
    definition = parse_template_definition(marketing(body("  Hello there.\n")))
    assert definition.component("body").text == "Hello there."


# --- name, language, category ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["a", "order_2024_v2", "x" * 512])
def test_valid_names(name: str) -> None:
    assert parse_template_definition(marketing(name=name)).name == name


def test_name_over_512_characters() -> None:
    assert problems_of(marketing(name="x" * 513)) == ["name: 513 characters, over the limit of 512"]


@pytest.mark.parametrize("name", ["Promo", "promo-2", "promo sale", "", "café"])
def test_name_pattern(name: str) -> None:
    (problem,) = problems_of(marketing(name=name))
    assert problem.startswith("name: must match ^[a-z0-9_]{1,512}$")


def test_unknown_category() -> None:
    (problem,) = problems_of(marketing(category="TRANSACTIONAL"))
    assert problem.startswith("category: Input should be 'AUTHENTICATION', 'MARKETING' or")


def test_bad_language() -> None:
    assert problems_of(marketing(language="English")) == [
        "language: must be a language code such as en, en_US or pt_BR"
    ]


def test_unknown_keys_are_typos() -> None:
    problems = problems_of(marketing(body("Hi there.") | {"exmaple": {}}))
    assert problems == ["components[0](BODY).exmaple: Extra inputs are not permitted"]


def test_unknown_component_type_lists_the_supported_ones() -> None:
    (problem,) = problems_of(marketing(body("Hello."), {"type": "FOOTNOTE", "text": "x"}))
    assert problem.startswith("components[1]: component type missing or unknown: use one of")
    assert "LIMITED_TIME_OFFER" in problem


# --- HEADER ---------------------------------------------------------------------------------


def text_header(text: str, example: list[str] | None = None) -> dict[str, Any]:
    header: dict[str, Any] = {"type": "HEADER", "format": "TEXT", "text": text}
    if example is not None:
        header["example"] = {"header_text": example}
    return header


def test_header_text_at_and_past_the_limit() -> None:
    parse_template_definition(marketing(text_header("h" * 60), body("Hello.")))
    assert problems_of(marketing(text_header("h" * 61), body("Hello."))) == [
        "components[0](HEADER).text: 61 characters, over the limit of 60"
    ]


def test_header_takes_one_placeholder() -> None:
    parse_template_definition(marketing(text_header("Hi {{1}}!", ["Ana"]), body("Hello.")))
    assert problems_of(
        marketing(text_header("Hi {{1}} and {{2}}!", ["Ana", "Bo"]), body("Hello."))
    ) == ["components[0](HEADER): text has 2 placeholders, over the limit of 1"]


def test_header_placeholder_needs_an_example() -> None:
    assert problems_of(marketing(text_header("Hi {{1}}!"), body("Hello."))) == [
        "components[0](HEADER): example.header_text is required: 1 value(s) for {{1}}"
    ]


@pytest.mark.parametrize("media", ["IMAGE", "VIDEO", "DOCUMENT"])
def test_media_header_needs_a_sample_handle(media: str) -> None:
    header = {"type": "HEADER", "format": media, "example": {"header_handle": ["4::aW..."]}}
    parse_template_definition(marketing(header, body("Hello.")))
    (problem,) = problems_of(marketing({"type": "HEADER", "format": media}, body("Hello.")))
    assert problem.startswith(f"components[0](HEADER): format {media} needs example.header_handle")


def test_location_header_takes_no_text() -> None:
    parse_template_definition(marketing({"type": "HEADER", "format": "LOCATION"}, body("Hi.")))
    header = {"type": "HEADER", "format": "LOCATION", "text": "Here"}
    assert problems_of(marketing(header, body("Hi."))) == [
        "components[0](HEADER): format LOCATION takes no text"
    ]


# --- BODY -----------------------------------------------------------------------------------


def test_body_text_at_and_past_the_limit() -> None:
    parse_template_definition(marketing(body("b" * 1024)))
    assert problems_of(marketing(body("b" * 1025))) == [
        "components[0](BODY).text: 1025 characters, over the limit of 1024"
    ]


def test_body_placeholders_need_examples() -> None:
    assert problems_of(marketing(body("Hi {{1}}, code {{2}}."))) == [
        "components[0](BODY): example.body_text is required: 2 value(s) for {{1}}, {{2}}"
    ]


def test_body_example_count_must_match() -> None:
    assert problems_of(marketing(body("Hi {{1}}, code {{2}}.", ["Ana"]))) == [
        "components[0](BODY): example.body_text has 1 value(s), "
        "the text has 2 placeholder(s) {{1}}, {{2}}"
    ]


def test_example_without_placeholders_is_rejected() -> None:
    assert problems_of(marketing(body("Hi there.", ["Ana"]))) == [
        "components[0](BODY): example is given but the text has no placeholders: remove it"
    ]


def test_placeholders_must_be_sequential() -> None:
    assert problems_of(marketing(body("Hi {{1}}, code {{3}}.", ["a", "b"]))) == [
        "components[0](BODY): text placeholders must run {{1}}..{{2}} without gaps, "
        "found {{1}}, {{3}}"
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{{1}} is your code.", "text must not start or end with a placeholder"),
        ("Your code is {{1}}", "text must not start or end with a placeholder"),
        ("Hi {{1}}{{2}} there.", "text has two placeholders next to each other"),
        ("Hi {{1} there.", "text has an unmatched '{{' or '}}'"),
        ("Hi {{First Name}} there.", "text has an invalid placeholder {{First Name}}"),
        ("Hi {{1}} and {{name}}.", "text mixes {{1}}-style and named placeholders"),
    ],
)
def test_placeholder_syntax(text: str, problem: str) -> None:
    (found,) = problems_of(marketing(body(text, ["a", "b"])))
    assert found.startswith(f"components[0](BODY): {problem}")


def named_body(text: str, *params: tuple[str, str]) -> dict[str, Any]:
    return {
        "type": "BODY",
        "text": text,
        "example": {"body_text_named_params": [{"param_name": n, "example": e} for n, e in params]},
    }


def test_named_placeholders() -> None:
    data = marketing(
        named_body(
            "Hi {{first_name}}, order {{order_id}}.", ("first_name", "Ana"), ("order_id", "7")
        ),
        parameter_format="NAMED",
    )
    assert parse_template_definition(data).placeholders() == {"body": ["first_name", "order_id"]}


def test_named_examples_must_match_the_names() -> None:
    data = marketing(
        named_body("Hi {{first_name}}, order {{order_id}}.", ("first_name", "Ana"), ("order", "7")),
        parameter_format="NAMED",
    )
    assert problems_of(data) == [
        "components[0](BODY): example.body_text_named_params is missing {{order_id}}",
        "components[0](BODY): example.body_text_named_params has {{order}}, not in the text",
    ]


def test_named_placeholders_need_parameter_format_named() -> None:
    data = marketing(named_body("Hi {{first_name}}.", ("first_name", "Ana")))
    assert problems_of(data) == [
        "components[0](BODY).text: has named placeholders {{first_name}}: "
        "set parameter_format: NAMED"
    ]


def test_parameter_format_named_needs_named_placeholders() -> None:
    data = marketing(body("Hi {{1}}.", ["Ana"]), parameter_format="NAMED")
    assert problems_of(data) == [
        "components[0](BODY).text: has {{1}} but parameter_format is NAMED: "
        "use {{name}} placeholders"
    ]


@settings(max_examples=40, deadline=None)
@given(count=st.integers(min_value=0, max_value=30), examples=st.integers(0, 30))
def test_positional_example_counts(count: int, examples: int) -> None:
    text = "Start " + " and ".join(f"{{{{{n}}}}}" for n in range(1, count + 1)) + " end."
    rows = [[f"v{n}" for n in range(examples)]] if examples else []
    data = marketing(body(text, *rows))
    if count == examples:
        expected = [str(n) for n in range(1, count + 1)]
        assert parse_template_definition(data).placeholders().get("body", []) == expected
    else:
        with pytest.raises(TemplateDefinitionError, match=r"example"):
            parse_template_definition(data)


# --- FOOTER ---------------------------------------------------------------------------------


def test_footer_at_and_past_the_limit() -> None:
    parse_template_definition(marketing(body("Hello."), {"type": "FOOTER", "text": "f" * 60}))
    assert problems_of(marketing(body("Hello."), {"type": "FOOTER", "text": "f" * 61})) == [
        "components[1](FOOTER).text: 61 characters, over the limit of 60"
    ]


def test_footer_takes_no_placeholders() -> None:
    assert problems_of(marketing(body("Hello."), {"type": "FOOTER", "text": "Bye {{1}}"})) == [
        "components[1](FOOTER): text takes no placeholders"
    ]


# --- BUTTONS --------------------------------------------------------------------------------


def test_button_label_at_and_past_the_limit() -> None:
    parse_template_definition(marketing(body("Hello."), buttons(quick_reply("q" * 25))))
    assert problems_of(marketing(body("Hello."), buttons(quick_reply("q" * 26)))) == [
        "components[1](BUTTONS).buttons[0](QUICK_REPLY).text: 26 characters, over the limit of 25"
    ]


def test_ten_buttons_at_most() -> None:
    parse_template_definition(marketing(body("Hello."), buttons(*[quick_reply()] * 10)))
    problems = problems_of(marketing(body("Hello."), buttons(*[quick_reply()] * 11)))
    assert problems == [
        "components[1](BUTTONS): 11 buttons, over the limit of 10",
        "components[1](BUTTONS): 11 QUICK_REPLY buttons, over the limit of 10",
    ]


@pytest.mark.parametrize(
    ("button", "limit"),
    [
        (url_button(), 2),
        ({"type": "PHONE_NUMBER", "text": "Call", "phone_number": "15550051310"}, 1),
        ({"type": "COPY_CODE", "example": "SAVE10"}, 1),
        ({"type": "CATALOG", "text": "View"}, 1),
    ],
)
def test_per_type_button_limits(button: dict[str, Any], limit: int) -> None:
    parse_template_definition(marketing(body("Hello."), buttons(*[button] * limit)))
    problems = problems_of(marketing(body("Hello."), buttons(*[button] * (limit + 1))))
    assert problems == [
        f"components[1](BUTTONS): {limit + 1} {button['type']} buttons, over the limit of {limit}"
    ]


def test_quick_replies_must_be_grouped() -> None:
    parse_template_definition(
        marketing(body("Hi."), buttons(quick_reply(), quick_reply(), url_button()))
    )
    parse_template_definition(
        marketing(body("Hi."), buttons(url_button(), quick_reply(), quick_reply()))
    )
    (problem,) = problems_of(
        marketing(body("Hi."), buttons(quick_reply(), url_button(), quick_reply()))
    )
    assert problem.startswith("components[1](BUTTONS): QUICK_REPLY buttons must be grouped")


def test_url_button_placeholder_needs_an_example() -> None:
    good = url_button("https://example.com/track/{{1}}", example=["A1"])
    parse_template_definition(marketing(body("Hello."), buttons(good)))
    assert problems_of(
        marketing(body("Hello."), buttons(url_button("https://example.com/{{1}}")))
    ) == [
        "components[1](BUTTONS).buttons[0](URL): "
        "url has {{1}}: example needs exactly 1 sample value"
    ]


def test_url_button_placeholder_only_at_the_end() -> None:
    bad = url_button("https://example.com/{{1}}/track", example=["A1"])
    assert problems_of(marketing(body("Hello."), buttons(bad))) == [
        "components[1](BUTTONS).buttons[0](URL): url takes one placeholder, {{1}}, at its very end"
    ]


def test_url_at_and_past_the_limit() -> None:
    base = "https://example.com/"
    parse_template_definition(
        marketing(body("Hi."), buttons(url_button(base + "u" * (2000 - len(base)))))
    )
    assert problems_of(
        marketing(body("Hi."), buttons(url_button(base + "u" * (2001 - len(base)))))
    ) == ["components[1](BUTTONS).buttons[0](URL).url: 2001 characters, over the limit of 2000"]


def test_copy_code_example_at_and_past_the_limit() -> None:
    parse_template_definition(
        marketing(body("Hi."), buttons({"type": "COPY_CODE", "example": "C" * 20}))
    )
    assert problems_of(
        marketing(body("Hi."), buttons({"type": "COPY_CODE", "example": "C" * 21}))
    ) == [
        "components[1](BUTTONS).buttons[0](COPY_CODE).example: 21 characters, over the limit of 20"
    ]


def test_phone_number_at_and_past_the_limit() -> None:
    phone = {"type": "PHONE_NUMBER", "text": "Call"}
    parse_template_definition(marketing(body("Hi."), buttons(phone | {"phone_number": "1" * 20})))
    assert problems_of(marketing(body("Hi."), buttons(phone | {"phone_number": "1" * 21}))) == [
        "components[1](BUTTONS).buttons[0](PHONE_NUMBER).phone_number: "
        "21 characters, over the limit of 20"
    ]


def test_unknown_button_type() -> None:
    (problem,) = problems_of(marketing(body("Hi."), buttons({"type": "POSTBACK", "text": "x"})))
    assert problem.startswith("components[1](BUTTONS).buttons[0]: button type missing or unknown")


def test_flow_button_needs_exactly_one_flow() -> None:
    flow = {"type": "FLOW", "text": "Book", "flow_id": 123, "flow_action": "navigate"}
    payload = parse_template_definition(marketing(body("Hi."), buttons(flow))).to_payload()
    assert payload["components"][1]["buttons"][0] == {
        "type": "FLOW",
        "text": "Book",
        "flow_id": "123",
        "flow_action": "NAVIGATE",
    }
    (problem,) = problems_of(marketing(body("Hi."), buttons(flow | {"flow_name": "booking"})))
    assert "give exactly one of flow_id, flow_name, flow_json" in problem


def test_otp_buttons_only_in_authentication_templates() -> None:
    otp = {"type": "OTP", "otp_type": "COPY_CODE"}
    assert problems_of(marketing(body("Hi."), buttons(otp))) == [
        "components[1](BUTTONS): OTP buttons are for AUTHENTICATION templates"
    ]


# --- AUTHENTICATION -------------------------------------------------------------------------


def test_authentication_template() -> None:
    definition = parse_template_definition(authentication(message_send_ttl_seconds=900))
    assert definition.category == "AUTHENTICATION"


def test_authentication_body_text_is_preset() -> None:
    data = authentication(
        {"type": "BODY", "text": "Your code"},
        buttons({"type": "OTP", "otp_type": "COPY_CODE"}),
    )
    (problem,) = problems_of(data)
    assert problem.startswith(
        "components[0](BODY).text: is preset by WhatsApp in AUTHENTICATION templates"
    )


def test_authentication_needs_one_otp_button() -> None:
    data = authentication({"type": "BODY", "add_security_recommendation": True})
    assert problems_of(data) == [
        "components: AUTHENTICATION templates need BUTTONS with exactly one OTP button, got []"
    ]


def test_code_expiration_minutes_range() -> None:
    otp = buttons({"type": "OTP", "otp_type": "COPY_CODE"})
    for minutes in (1, 90):
        footer = {"type": "FOOTER", "code_expiration_minutes": minutes}
        parse_template_definition(authentication({"type": "BODY"}, footer, otp))
    footer = {"type": "FOOTER", "code_expiration_minutes": 91}
    assert problems_of(authentication({"type": "BODY"}, footer, otp)) == [
        "components[1](FOOTER).code_expiration_minutes: Input should be less than or equal to 90"
    ]


def test_one_tap_needs_supported_apps() -> None:
    data = authentication({"type": "BODY"}, buttons({"type": "OTP", "otp_type": "one_tap"}))
    assert problems_of(data) == [
        "components[1](BUTTONS).buttons[0](OTP): otp_type ONE_TAP needs supported_apps"
    ]


def test_zero_tap_needs_the_terms_accepted() -> None:
    app = {"package_name": "com.example.app", "signature_hash": "K8a/AINcGX7"}
    otp = {"type": "OTP", "otp_type": "ZERO_TAP", "supported_apps": [app]}
    assert problems_of(authentication({"type": "BODY"}, buttons(otp))) == [
        "components[1](BUTTONS).buttons[0](OTP): otp_type ZERO_TAP needs "
        "zero_tap_terms_accepted: true"
    ]


def test_signature_hash_is_eleven_characters() -> None:
    app = {"package_name": "com.example.app", "signature_hash": "short"}
    otp = {"type": "OTP", "otp_type": "ONE_TAP", "supported_apps": [app]}
    (problem,) = problems_of(authentication({"type": "BODY"}, buttons(otp)))
    assert problem.startswith(
        "components[1](BUTTONS).buttons[0](OTP).supported_apps[0].signature_hash: 5 characters"
    )


def test_message_send_ttl_seconds_by_category() -> None:
    parse_template_definition(authentication(message_send_ttl_seconds=30))
    assert problems_of(authentication(message_send_ttl_seconds=901)) == [
        "message_send_ttl_seconds: 901 is outside 30..900, the range of AUTHENTICATION templates"
    ]
    assert problems_of(marketing(message_send_ttl_seconds=600)) == [
        "message_send_ttl_seconds: 600 is outside 43200..2592000, the range of MARKETING templates"
    ]


def test_body_exactly_once() -> None:
    assert problems_of(marketing({"type": "FOOTER", "text": "Bye"})) == [
        "components: a template needs exactly 1 BODY component, got 0"
    ]
    assert problems_of(marketing(body("Hi."), body("Again."))) == [
        "components: a template needs exactly 1 BODY component, got 2"
    ]


# --- CAROUSEL and LIMITED_TIME_OFFER --------------------------------------------------------


def media_card(body_text: str = "A card.", header_format: str = "IMAGE") -> dict[str, Any]:
    return {
        "components": [
            {"type": "HEADER", "format": header_format, "example": {"header_handle": ["4::x"]}},
            body(body_text),
            buttons(quick_reply("More")),
        ]
    }


def carousel(*cards: dict[str, Any]) -> dict[str, Any]:
    return marketing(body("Look at these."), {"type": "CAROUSEL", "cards": list(cards)})


def test_carousel_card_limits() -> None:
    parse_template_definition(carousel(*[media_card()] * 10))
    assert problems_of(carousel(*[media_card()] * 11)) == [
        "components[1](CAROUSEL): 11 cards, over the limit of 10"
    ]
    parse_template_definition(carousel(media_card("c" * 160), media_card()))
    assert problems_of(carousel(media_card("c" * 161), media_card())) == [
        "components[1](CAROUSEL).cards[0]: BODY text: 161 characters, over the card limit of 160"
    ]


def test_carousel_cards_must_match() -> None:
    assert problems_of(carousel(media_card(), media_card(header_format="VIDEO"))) == [
        "components[1](CAROUSEL): all cards need the same header format, got ['IMAGE', 'VIDEO']"
    ]


def test_carousel_card_buttons_at_most_two() -> None:
    card = copy.deepcopy(media_card())
    card["components"][2] = buttons(quick_reply(), quick_reply(), quick_reply())
    assert problems_of(carousel(card, card)) == [
        "components[1](CAROUSEL).cards[0]: 3 buttons, over the card limit of 2",
        "components[1](CAROUSEL).cards[1]: 3 buttons, over the card limit of 2",
    ]


def limited_time_offer(text: str = "Expiring offer!") -> dict[str, Any]:
    return {
        "type": "LIMITED_TIME_OFFER",
        "limited_time_offer": {"text": text, "has_expiration": True},
    }


def test_limited_time_offer_text_limit() -> None:
    parse_template_definition(marketing(limited_time_offer("o" * 16), body("Hi.")))
    assert problems_of(marketing(limited_time_offer("o" * 17), body("Hi."))) == [
        "components[0](LIMITED_TIME_OFFER).limited_time_offer.text: "
        "17 characters, over the limit of 16"
    ]


def test_limited_time_offer_is_marketing_without_footer() -> None:
    data = marketing(limited_time_offer(), body("Hi."), {"type": "FOOTER", "text": "Bye"})
    data["category"] = "UTILITY"
    assert problems_of(data) == [
        "category: LIMITED_TIME_OFFER templates must be MARKETING",
        "components[2](FOOTER): LIMITED_TIME_OFFER templates take no FOOTER",
    ]


def test_unchecked_components_pass_through() -> None:
    extra = {"type": "call_permission_request", "anything": {"goes": [1, 2]}}
    payload = parse_template_definition(marketing(body("Hi."), extra)).to_payload()
    assert payload["components"][1] == {
        "type": "CALL_PERMISSION_REQUEST",
        "anything": {"goes": [1, 2]},
    }


def test_error_string_names_the_template() -> None:
    with pytest.raises(ValueError, match=r"^template 'promo': components\[0\]\(BODY\)\.text"):
        parse_template_definition(marketing(body("b" * 1025)))


def test_model_validate_is_the_same_model() -> None:
    definition = TemplateDefinition.model_validate(marketing())
    assert parse_template_definition(definition) is definition
    assert definition.key == ("promo", "en_US")
