"""One rule book for WhatsApp's limits (``airflow_provider_whatsapp/limits.py``).

Three things hold: what a template definition accepts, a send of that template accepts too
(the copy code drifted to 20 on one side and 15 on the other); the emulator, which keeps
its own reading of Meta's rules on purpose, reads each figure as the rule book does (so a
drift fails here, not at a user's); and no provider module defines a limit of its own.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_whatsapp import limits
from airflow_provider_whatsapp.client import WhatsAppClient
from airflow_provider_whatsapp.message_templates.definition import (
    TemplateDefinitionError,
    parse_template_definition,
)
from airflow_provider_whatsapp.messages import (
    MessageValidationError,
    PhoneNumberError,
    TemplateMessage,
    check_bsuid,
    normalize_phone,
)
from airflow_provider_whatsapp.testing import WhatsAppEmulator, rules, template_rules
from airflow_provider_whatsapp.testing.errors import GraphError
from tests.helpers import client_config

PACKAGE = Path(__file__).resolve().parents[1] / "airflow_provider_whatsapp"
TO = "16505551234"


# --- 1. a copy code the definition accepts is one a send accepts -----------------------------


def coupon_template(example: str) -> dict[str, Any]:
    return {
        "name": "spring_coupon",
        "language": "en_US",
        "category": "MARKETING",
        "components": [
            {"type": "BODY", "text": "Spring sale: copy your code below."},
            {"type": "BUTTONS", "buttons": [{"type": "COPY_CODE", "example": example}]},
        ],
    }


def coupon_send(code: str) -> TemplateMessage:
    button = {
        "type": "button",
        "sub_type": "copy_code",
        "index": 0,
        "parameters": [{"type": "coupon_code", "coupon_code": code}],
    }
    return TemplateMessage.create(TO, "spring_coupon", "en_US", components=[button])


def test_a_19_character_copy_code_is_created_and_sent(emu: WhatsAppEmulator) -> None:
    """The bug: the definition took a 19-character example, every send of such a code was
    refused locally. Now the template is created, approved and sent through the emulator."""
    definition = parse_template_definition(coupon_template("C" * 19))
    with WhatsAppClient(client_config(emu)) as client:
        assert client.create_template(definition)["status"] == "PENDING"
        emu.set_template_status("spring_coupon", "APPROVED")
        client.send_message(coupon_send("SPRING2026-ABCDEFGH"))
    [sent] = emu.sent_to(TO)
    [button] = sent.payload["template"]["components"]
    assert button["parameters"] == [{"type": "coupon_code", "coupon_code": "SPRING2026-ABCDEFGH"}]


def test_a_21_character_copy_code_is_refused_by_both_naming_the_limit() -> None:
    with pytest.raises(TemplateDefinitionError) as definition_error:
        parse_template_definition(coupon_template("C" * 21))
    assert definition_error.value.problems == [
        "components[1](BUTTONS).buttons[0](COPY_CODE).example: 21 characters, over the limit of 20"
    ]
    with pytest.raises(MessageValidationError) as send_error:
        coupon_send("C" * 21)
    assert "coupon_code" in str(send_error.value)
    assert "at most 20 characters" in str(send_error.value)
    parse_template_definition(coupon_template("C" * 20))
    coupon_send("C" * 20)


@pytest.mark.parametrize("code", ["en", "en_US", "pt_BR", "zh_CN", "fil", "prs_AF", "en-US"])
def test_a_language_a_definition_takes_is_one_a_send_takes(code: str) -> None:
    """One language pattern: ``en-US`` is written ``en_US`` by the definition (the webhook's
    spelling), and refused by a send with the hint to write it so."""
    definition = parse_template_definition({**coupon_template("C"), "language": code})
    if "-" in code:
        with pytest.raises(MessageValidationError, match="write 'en_US'"):
            TemplateMessage.create(TO, "spring_coupon", code)
    TemplateMessage.create(TO, "spring_coupon", definition.language)


@pytest.mark.parametrize("code", ["en_us", "EN", "es_419", "english", "e"])
def test_a_language_a_definition_refuses_is_one_a_send_refuses(code: str) -> None:
    with pytest.raises(TemplateDefinitionError, match="language: must be a language code"):
        parse_template_definition({**coupon_template("C"), "language": code})
    with pytest.raises(MessageValidationError, match=r"template\.language\.code"):
        TemplateMessage.create(TO, "spring_coupon", code)


# --- 2. the emulator reads each figure as the rule book does ---------------------------------
# The emulator keeps its own literals (it never imports the provider); these probes find
# where its acceptance stops, so they hold whatever it names them.


def media(_media_id: str) -> dict[str, Any]:
    return {"mime_type": "image/jpeg"}


def message(kind: str, content: Any, **envelope: Any) -> None:
    rules.check_message({"to": TO, "type": kind, kind: content, **envelope}, media)


def interactive(**parts: Any) -> None:
    body: dict[str, Any] = {
        "type": "button",
        "body": {"text": "Body"},
        "action": {"buttons": [{"type": "reply", "reply": {"id": "a", "title": "A"}}]},
    }
    message("interactive", {**body, **parts})


def reply_buttons(buttons: list[tuple[str, str]]) -> None:
    action = {"buttons": [{"type": "reply", "reply": {"id": i, "title": t}} for i, t in buttons]}
    interactive(action=action)


def list_message(**action: Any) -> None:
    base: dict[str, Any] = {"button": "Open", "sections": [section([("r", "Row")])]}
    message(
        "interactive",
        {"type": "list", "body": {"text": "Body"}, "action": {**base, **action}},
    )


def section(rows: list[tuple[str, ...]], title: str = "S") -> dict[str, Any]:
    keys = ("id", "title", "description")
    return {"title": title, "rows": [dict(zip(keys, row, strict=False)) for row in rows]}


def definition(*components: dict[str, Any], **fields: Any) -> None:
    body = {"type": "BODY", "text": "Hello."}
    payload = {
        "name": "probe",
        "language": "en_US",
        "category": "MARKETING",
        "components": list(components) or [body],
        **fields,
    }
    template_rules.check_definition(payload)


def buttons(*items: dict[str, Any]) -> None:
    definition({"type": "BODY", "text": "Hello."}, {"type": "BUTTONS", "buttons": list(items)})


def quick_replies(count: int) -> list[dict[str, Any]]:
    return [{"type": "QUICK_REPLY", "text": f"Reply {i}"} for i in range(count)]


def phone_digits(count: int) -> str:
    return "1" + "5" * (count - 1)


# (figure, the rule book's value, probe of the emulator with size n, +1: a maximum / -1: a minimum)
FIGURES: list[tuple[str, float, Callable[[Any], None], int]] = [
    ("TEXT_BODY_MAX", limits.TEXT_BODY_MAX, lambda n: message("text", {"body": "x" * n}), 1),
    (
        "CAPTION_MAX",
        limits.CAPTION_MAX,
        lambda n: message("image", {"link": "https://example.com/a.jpg", "caption": "c" * n}),
        1,
    ),
    (
        "FILENAME_MAX",
        limits.FILENAME_MAX,
        lambda n: message("document", {"id": "1", "filename": "f" * n}),
        1,
    ),
    (
        "MESSAGE_ID_MAX (reply context)",
        limits.MESSAGE_ID_MAX,
        lambda n: message("text", {"body": "x"}, context={"message_id": "w" * n}),
        1,
    ),
    (
        "MESSAGE_ID_MAX (reaction)",
        limits.MESSAGE_ID_MAX,
        lambda n: message("reaction", {"message_id": "w" * n, "emoji": "\N{THUMBS UP SIGN}"}),
        1,
    ),
    (
        "BIZ_OPAQUE_CALLBACK_DATA_MAX",
        limits.BIZ_OPAQUE_CALLBACK_DATA_MAX,
        lambda n: message("text", {"body": "x"}, biz_opaque_callback_data="b" * n),
        1,
    ),
    (
        "REACTION_EMOJI_MAX_CODE_POINTS",
        limits.REACTION_EMOJI_MAX_CODE_POINTS,
        lambda n: message("reaction", {"message_id": "w", "emoji": "\N{THUMBS UP SIGN}" * n}),
        1,
    ),
    (
        "NAME_TEXT_MAX (location)",
        limits.NAME_TEXT_MAX,
        lambda n: message("location", {"latitude": 1, "longitude": 2, "name": "n" * n}),
        1,
    ),
    (
        "NAME_TEXT_MAX (contact)",
        limits.NAME_TEXT_MAX,
        lambda n: message("contacts", [{"name": {"formatted_name": "n" * n}}]),
        1,
    ),
    (
        "LATITUDE_MAX",
        limits.LATITUDE_MAX,
        lambda n: message("location", {"latitude": n, "longitude": 0}),
        1,
    ),
    (
        "LONGITUDE_MAX",
        limits.LONGITUDE_MAX,
        lambda n: message("location", {"latitude": 0, "longitude": n}),
        1,
    ),
    (
        "PHONE_DIGITS_MAX",
        limits.PHONE_DIGITS_MAX,
        lambda n: rules.check_phone(phone_digits(n)),
        1,
    ),
    (
        "PHONE_DIGITS_MIN",
        limits.PHONE_DIGITS_MIN,
        lambda n: rules.check_phone(phone_digits(n)),
        -1,
    ),
    ("BSUID_ID_MAX", limits.BSUID_ID_MAX, lambda n: rules.check_user_id("US." + "7" * n), 1),
    (
        "BSUID_ID_MAX (parent)",
        limits.BSUID_ID_MAX,
        lambda n: rules.check_user_id("US.ENT." + "5" * n),
        1,
    ),
    (
        "INTERACTIVE_HEADER_TEXT_MAX",
        limits.INTERACTIVE_HEADER_TEXT_MAX,
        lambda n: interactive(header={"type": "text", "text": "h" * n}),
        1,
    ),
    (
        "INTERACTIVE_BODY_TEXT_MAX",
        limits.INTERACTIVE_BODY_TEXT_MAX,
        lambda n: interactive(body={"text": "b" * n}),
        1,
    ),
    (
        "INTERACTIVE_FOOTER_TEXT_MAX",
        limits.INTERACTIVE_FOOTER_TEXT_MAX,
        lambda n: interactive(footer={"text": "f" * n}),
        1,
    ),
    (
        "REPLY_BUTTONS_MAX",
        limits.REPLY_BUTTONS_MAX,
        lambda n: reply_buttons([(f"id{i}", f"T{i}") for i in range(n)]),
        1,
    ),
    (
        "REPLY_BUTTON_ID_MAX",
        limits.REPLY_BUTTON_ID_MAX,
        lambda n: reply_buttons([("i" * n, "T")]),
        1,
    ),
    (
        "REPLY_BUTTON_TITLE_MAX",
        limits.REPLY_BUTTON_TITLE_MAX,
        lambda n: reply_buttons([("a", "t" * n)]),
        1,
    ),
    (
        "LIST_BUTTON_TEXT_MAX",
        limits.LIST_BUTTON_TEXT_MAX,
        lambda n: list_message(button="b" * n),
        1,
    ),
    (
        "LIST_SECTIONS_MAX",
        limits.LIST_SECTIONS_MAX,
        lambda n: list_message(sections=[section([(f"r{i}", "R")], f"S{i}") for i in range(n)]),
        1,
    ),
    (
        "LIST_ROWS_MAX",
        limits.LIST_ROWS_MAX,
        lambda n: list_message(sections=[section([(f"r{i}", "R") for i in range(n)])]),
        1,
    ),
    (
        "LIST_SECTION_TITLE_MAX",
        limits.LIST_SECTION_TITLE_MAX,
        lambda n: list_message(sections=[section([("r", "R")], "s" * n)]),
        1,
    ),
    (
        "LIST_ROW_ID_MAX",
        limits.LIST_ROW_ID_MAX,
        lambda n: list_message(sections=[section([("i" * n, "R")])]),
        1,
    ),
    (
        "LIST_ROW_TITLE_MAX",
        limits.LIST_ROW_TITLE_MAX,
        lambda n: list_message(sections=[section([("r", "t" * n)])]),
        1,
    ),
    (
        "LIST_ROW_DESCRIPTION_MAX",
        limits.LIST_ROW_DESCRIPTION_MAX,
        lambda n: list_message(sections=[section([("r", "R", "d" * n)])]),
        1,
    ),
    (
        "CTA_URL_DISPLAY_TEXT_MAX",
        limits.CTA_URL_DISPLAY_TEXT_MAX,
        lambda n: message(
            "interactive",
            {
                "type": "cta_url",
                "body": {"text": "Body"},
                "action": {
                    "name": "cta_url",
                    "parameters": {"display_text": "d" * n, "url": "https://example.com"},
                },
            },
        ),
        1,
    ),
    *[
        (
            f"MEDIA_MAX_BYTES[{kind!r}]",
            limits.MEDIA_MAX_BYTES[kind],
            lambda n, mime=mimes[0]: rules.check_upload(mime, n),
            1,
        )
        for kind, mimes in limits.MEDIA_MIME_TYPES.items()
    ],
    (
        "TEMPLATE_NAME_MAX",
        limits.TEMPLATE_NAME_MAX,
        lambda n: definition(name="a" * n),
        1,
    ),
    (
        "TEMPLATE_HEADER_TEXT_MAX",
        limits.TEMPLATE_HEADER_TEXT_MAX,
        lambda n: definition(
            {"type": "HEADER", "format": "TEXT", "text": "h" * n},
            {"type": "BODY", "text": "Hello."},
        ),
        1,
    ),
    (
        "TEMPLATE_HEADER_PLACEHOLDERS_MAX",
        limits.TEMPLATE_HEADER_PLACEHOLDERS_MAX,
        lambda n: definition(
            {
                "type": "HEADER",
                "format": "TEXT",
                "text": " and ".join(f"{{{{{i}}}}}" for i in range(1, n + 1)),
                "example": {"header_text": [f"v{i}" for i in range(n)]},
            },
            {"type": "BODY", "text": "Hello."},
        ),
        1,
    ),
    (
        "TEMPLATE_BODY_TEXT_MAX",
        limits.TEMPLATE_BODY_TEXT_MAX,
        lambda n: definition({"type": "BODY", "text": "b" * n}),
        1,
    ),
    (
        "TEMPLATE_FOOTER_TEXT_MAX",
        limits.TEMPLATE_FOOTER_TEXT_MAX,
        lambda n: definition(
            {"type": "BODY", "text": "Hello."}, {"type": "FOOTER", "text": "f" * n}
        ),
        1,
    ),
    (
        "TEMPLATE_BUTTON_TEXT_MAX",
        limits.TEMPLATE_BUTTON_TEXT_MAX,
        lambda n: buttons({"type": "QUICK_REPLY", "text": "t" * n}),
        1,
    ),
    (
        # Below every per-type cap: only the total can refuse 11.
        "TEMPLATE_BUTTONS_MAX",
        limits.TEMPLATE_BUTTONS_MAX,
        lambda n: buttons(
            {"type": "URL", "text": "Open", "url": "https://example.com"},
            {"type": "PHONE_NUMBER", "text": "Call", "phone_number": "+16505551234"},
            {"type": "COPY_CODE", "example": "SAVE10"},
            *quick_replies(n - 3),
        ),
        1,
    ),
    # The emulator caps these four button types (Meta's review the others).
    (
        "TEMPLATE_BUTTON_TYPE_MAX['QUICK_REPLY']",
        limits.TEMPLATE_BUTTON_TYPE_MAX["QUICK_REPLY"],
        lambda n: buttons(*quick_replies(n)),
        1,
    ),
    *[
        (
            f"TEMPLATE_BUTTON_TYPE_MAX[{button['type']!r}]",
            limits.TEMPLATE_BUTTON_TYPE_MAX[str(button["type"])],
            lambda n, button=button: buttons(*[button] * n),
            1,
        )
        for button in (
            {"type": "URL", "text": "Open", "url": "https://example.com"},
            {"type": "PHONE_NUMBER", "text": "Call", "phone_number": "+16505551234"},
            {"type": "COPY_CODE", "example": "SAVE10"},
        )
    ],
    (
        "TEMPLATE_BUTTON_PHONE_NUMBER_MAX",
        limits.TEMPLATE_BUTTON_PHONE_NUMBER_MAX,
        lambda n: buttons({"type": "PHONE_NUMBER", "text": "Call", "phone_number": "1" * n}),
        1,
    ),
    (
        "COUPON_CODE_MAX",
        limits.COUPON_CODE_MAX,
        lambda n: buttons({"type": "COPY_CODE", "example": "C" * n}),
        1,
    ),
    (
        "CAROUSEL_CARDS_MAX",
        limits.CAROUSEL_CARDS_MAX,
        lambda n: definition(
            {"type": "BODY", "text": "Hello."},
            {"type": "CAROUSEL", "cards": [{"components": []}] * n},
        ),
        1,
    ),
    (
        "LIMITED_TIME_OFFER_TEXT_MAX",
        limits.LIMITED_TIME_OFFER_TEXT_MAX,
        lambda n: definition(
            {"type": "BODY", "text": "Hello."},
            {"type": "LIMITED_TIME_OFFER", "limited_time_offer": {"text": "o" * n}},
        ),
        1,
    ),
]


def accepts(probe: Callable[[Any], None], size: Any) -> bool:
    try:
        probe(size)
    except GraphError:
        return False
    return True


@pytest.mark.parametrize(
    ("figure", "value", "probe", "step"), FIGURES, ids=[entry[0] for entry in FIGURES]
)
def test_the_emulator_stops_where_the_rule_book_does(
    figure: str, value: float, probe: Callable[[Any], None], step: int
) -> None:
    past = value + step
    assert accepts(probe, value), f"the emulator refuses {figure} = {value}"
    assert not accepts(probe, past), f"the emulator accepts {past}, past {figure} = {value}"


def test_the_emulator_takes_the_rule_books_media_types() -> None:
    expected = {
        mime: (kind, limits.MEDIA_MAX_BYTES[kind])
        for kind, mimes in limits.MEDIA_MIME_TYPES.items()
        for mime in mimes
    }
    assert expected == rules.MEDIA_LIMITS


def test_the_emulator_takes_the_rule_books_categories() -> None:
    for category in limits.TEMPLATE_CATEGORIES:
        definition(category=category)
    assert not accepts(lambda category: definition(category=category), "TRANSACTIONAL")
    assert set(limits.TEMPLATE_CATEGORIES) == template_rules.CATEGORIES


# Codes on Meta's list, near misses, and spellings people write.
LANGUAGE_SAMPLES = ["en", "en_US", "pt_BR", "zh_CN", "fil", "prs_AF", "rw_RW", "es_419"]
LANGUAGE_SAMPLES += ["en_us", "EN", "en-US", "eng_USA", "e", "english", "en_US_x", ""]


@pytest.mark.parametrize("code", LANGUAGE_SAMPLES)
def test_the_emulator_reads_language_codes_as_the_rule_book(code: str) -> None:
    expected = limits.LANGUAGE_CODE_PATTERN.fullmatch(code) is not None
    assert accepts(lambda language: definition(language=language), code) == expected


@pytest.mark.parametrize(
    "name", ["hello_world", "order_2", "9lives", "_", "Hello", "a-b", "héllo", "a b", ""]
)
def test_the_emulator_reads_template_names_as_the_rule_book(name: str) -> None:
    expected = limits.TEMPLATE_NAME_PATTERN.fullmatch(name) is not None
    assert accepts(lambda value: definition(name=value), name) == expected


@pytest.mark.parametrize("name", ["first_name", "_x", "a1", "1a", "First", "first-name", "é"])
def test_the_emulator_reads_named_placeholders_as_the_rule_book(name: str) -> None:
    body = {
        "type": "BODY",
        "text": f"Hello {{{{{name}}}}}!",
        "example": {"body_text_named_params": [{"param_name": name, "example": "Ana"}]},
    }
    expected = limits.NAMED_PLACEHOLDER_PATTERN.fullmatch(name) is not None
    assert accepts(lambda fmt: definition(body, parameter_format=fmt), "named") == expected


# Meta's examples, ids of letters and digits, and near misses people write.
BSUID_SAMPLES = ["US.13491208655302741918", "US.ENT.506847293015824", "BR.8812Ab30Xk", "IN.7"]
BSUID_SAMPLES += ["us.13491208655302741918", "US.ent.5068472", "USA.1349", "U.1349", "US."]
BSUID_SAMPLES += ["US.1349-1208", "US.ENT.", "US 1349", "US.ENT.ENT.12", "US.13é4", ""]


@pytest.mark.parametrize("value", BSUID_SAMPLES)
def test_the_emulator_and_the_models_read_bsuids_as_the_rule_book(value: str) -> None:
    """One shape of business-scoped user id: the rule book's pattern, the emulator's own
    reading of a ``recipient`` and the models' check of a ``to`` agree on each sample."""
    expected = limits.BSUID_PATTERN.fullmatch(value) is not None
    assert accepts(rules.check_user_id, value) == expected
    try:
        check_bsuid(value)
    except PhoneNumberError:
        assert not expected
    else:
        assert expected


def test_the_emulator_refuses_the_rule_books_phone_only_templates() -> None:
    assert set(limits.PHONE_ONLY_OTP_TYPES) == rules.PHONE_ONLY_OTP


def test_recipient_numbers_are_normalised_within_the_rule_books_digits() -> None:
    """The shortest and longest real numbers (Niue: 7 digits, Germany: 15) are accepted,
    one digit fewer or more is refused: ``messages/phone.py`` holds to the rule book."""
    shortest, longest = "6834002", "491234567890123"
    assert (len(shortest), len(longest)) == (limits.PHONE_DIGITS_MIN, limits.PHONE_DIGITS_MAX)
    for number in (shortest, longest):
        assert normalize_phone("+" + number) == number
    for number in (shortest[:-1], longest + "4"):
        with pytest.raises(PhoneNumberError):
            normalize_phone("+" + number)


# --- 3. no provider module defines a limit of its own ---------------------------------------

LIMIT_NAME = re.compile(r"_(MAX|MIN)(_|$)")
# Where the message and template models declare field limits: never as a bare number.
MODEL_FOLDERS = ("messages", "message_templates")
LENGTH_KEYWORDS = frozenset({"max_length", "min_length"})


def provider_modules() -> list[Path]:
    """Every module but the emulator (its own reading, on purpose) and the rule book."""
    testing = PACKAGE / "testing"
    return [
        path
        for path in sorted(PACKAGE.rglob("*.py"))
        if testing not in path.parents and path != PACKAGE / "limits.py"
    ]


def module_level_names(tree: ast.Module) -> list[tuple[int, str]]:
    found = []
    for node in tree.body:
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign)
            else []
        )
        for target in targets:
            names = target.elts if isinstance(target, ast.Tuple) else [target]
            found += [(node.lineno, name.id) for name in names if isinstance(name, ast.Name)]
    return found


def numeric_limits(tree: ast.Module) -> list[tuple[int, str]]:
    """``Field(max_length=20)``, ``max_chars(60)``: a length where a rule book name belongs
    (0 and 1, "empty" and "non-empty" or "one", are not limits of WhatsApp's)."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        values = [(k.arg, k.value) for k in node.keywords if k.arg in LENGTH_KEYWORDS]
        if isinstance(node.func, ast.Name) and node.func.id == "max_chars":
            values += [("max_chars", arg) for arg in node.args]
        for keyword, value in values:
            if isinstance(value, ast.Constant) and value.value not in (0, 1):
                found.append((node.lineno, f"{keyword}={value.value!r}"))
    return found


def test_the_rule_book_is_the_only_module_defining_limits() -> None:
    defined = []
    for path in provider_modules():
        where = path.relative_to(PACKAGE.parent)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        defined += [
            f"{where}:{line}: {name}"
            for line, name in module_level_names(tree)
            if LIMIT_NAME.search(name)
        ]
        if path.parent.name in MODEL_FOLDERS:
            defined += [f"{where}:{line}: {text}" for line, text in numeric_limits(tree)]
    assert defined == []


def test_the_scan_finds_a_limit_defined_outside_the_rule_book() -> None:
    """The scan above is not vacuous: each way of writing a limit of one's own is found."""
    tree = ast.parse(
        "COUPON_CODE_MAX = 15\n"
        "LIMITS_MAX_BYTES: dict[str, int] = {}\n"
        "CODE_MIN, CODE_MAX = 1, 90\n"
        "text: Annotated[str, Field(max_length=60)]\n"
        "name = Annotated[str, AfterValidator(max_chars(25))]\n"
        "day: Annotated[int, Field(ge=1, le=31)]\n"
    )
    assert [name for _, name in module_level_names(tree) if LIMIT_NAME.search(name)] == [
        "COUPON_CODE_MAX",
        "LIMITS_MAX_BYTES",
        "CODE_MIN",
        "CODE_MAX",
    ]
    # Calendar bounds (day 1..31) are not WhatsApp's: only lengths are held to the rule book.
    assert [text for _, text in numeric_limits(tree)] == ["max_length=60", "max_chars=25"]


def test_the_emulator_enforces_the_rule_books_messaging_tiers() -> None:
    """Every tier the emulator can be set to allows as many unique users as the rule book
    says (the emulator's own table; the provider's pre-flight reads the rule book's)."""
    from airflow_provider_whatsapp.testing import account, settings

    for tier in settings.MESSAGING_LIMITS:
        assert account.TIER_USERS[tier] == limits.MESSAGING_LIMIT_TIERS[tier], tier
