"""Every limit of every message type: valid at the limit, invalid one past it, error names it."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_provider_whatsapp.messages import (
    ContactsMessage,
    CtaUrlMessage,
    DocumentMessage,
    ImageMessage,
    ListMessage,
    LocationMessage,
    MessageLimitWarning,
    MessageValidationError,
    ReactionMessage,
    ReplyButtonsMessage,
    TemplateMessage,
    TextMessage,
    VideoMessage,
    media_message,
    parse_message,
)

TO = "16505551234"


def rows(count: int, prefix: str = "r") -> list[tuple[str, str]]:
    return [(f"{prefix}{i}", f"Row {i}") for i in range(count)]


def list_with(**overrides: Any) -> ListMessage:
    arguments: dict[str, Any] = {"body": "Body", "button": "Open", "sections": {"S": rows(1)}}
    arguments.update(overrides)
    return ListMessage.create(TO, **arguments)


def buttons_with(**overrides: Any) -> ReplyButtonsMessage:
    arguments: dict[str, Any] = {"body": "Body", "buttons": {"a": "A"}}
    arguments.update(overrides)
    return ReplyButtonsMessage.create(TO, **arguments)


def template_with_components(*components: dict[str, Any]) -> TemplateMessage:
    return TemplateMessage.create(TO, "alert", "en_US", components=list(components))


# (limit, builder of a message whose checked value has size n, largest valid n, field, text)
UPPER_LIMITS: list[tuple[str, Callable[[int], Any], int, str, str]] = [
    ("text body", lambda n: TextMessage.create(TO, "x" * n), 4096, "text.body", "4096"),
    (
        "image caption",
        lambda n: ImageMessage.create(TO, "1", caption="c" * n),
        1024,
        "image.caption",
        "1024",
    ),
    (
        "video caption",
        lambda n: VideoMessage.create(TO, "1", caption="c" * n),
        1024,
        "video.caption",
        "1024",
    ),
    (
        "document caption",
        lambda n: DocumentMessage.create(TO, "1", caption="c" * n),
        1024,
        "document.caption",
        "1024",
    ),
    (
        "tracking data",
        lambda n: TextMessage.model_validate(
            {"to": TO, "text": {"body": "x"}, "biz_opaque_callback_data": "b" * n}
        ),
        512,
        "biz_opaque_callback_data",
        "512",
    ),
    (
        "interactive header text",
        lambda n: buttons_with(header="h" * n),
        60,
        "interactive.header.text",
        "60",
    ),
    (
        "interactive body",
        lambda n: buttons_with(body="b" * n),
        1024,
        "interactive.body.text",
        "1024",
    ),
    (
        "interactive footer",
        lambda n: buttons_with(footer="f" * n),
        60,
        "interactive.footer.text",
        "60",
    ),
    (
        "reply button count",
        lambda n: buttons_with(buttons={f"id{i}": f"T{i}" for i in range(n)}),
        3,
        "interactive.action.buttons",
        "3",
    ),
    (
        "reply button title",
        lambda n: buttons_with(buttons={"a": "t" * n}),
        20,
        "interactive.action.buttons.0.reply.title",
        "20",
    ),
    (
        "reply button id",
        lambda n: buttons_with(buttons={"i" * n: "T"}),
        256,
        "interactive.action.buttons.0.reply.id",
        "256",
    ),
    ("list button", lambda n: list_with(button="b" * n), 20, "interactive.action.button", "20"),
    (
        "list header text",
        lambda n: list_with(header="h" * n),
        60,
        "interactive.header.text",
        "60",
    ),
    (
        "list sections",
        lambda n: list_with(sections={f"S{i}": [(f"r{i}", "Row")] for i in range(n)}),
        10,
        "interactive.action.sections",
        "10",
    ),
    (
        "list rows in one section",
        lambda n: list_with(sections={"S": rows(n)}),
        10,
        "interactive.action.sections.0.rows",
        "10",
    ),
    (
        "list rows across sections",
        lambda n: list_with(sections={"A": rows(5, "a"), "B": rows(n - 5, "b")}),
        10,
        "interactive.action",
        "at most 10 rows in total",
    ),
    (
        "list section title",
        lambda n: list_with(sections={"s" * n: rows(1)}),
        24,
        "interactive.action.sections.0.title",
        "24",
    ),
    (
        "list row title",
        lambda n: list_with(sections={"S": [("r", "t" * n)]}),
        24,
        "interactive.action.sections.0.rows.0.title",
        "24",
    ),
    (
        "list row id",
        lambda n: list_with(sections={"S": [("i" * n, "Row")]}),
        200,
        "interactive.action.sections.0.rows.0.id",
        "200",
    ),
    (
        "list row description",
        lambda n: list_with(sections={"S": [("r", "Row", "d" * n)]}),
        72,
        "interactive.action.sections.0.rows.0.description",
        "72",
    ),
    (
        "cta display text",
        lambda n: CtaUrlMessage.create(TO, "Body", "d" * n, "https://example.com"),
        20,
        "interactive.action.parameters.display_text",
        "20",
    ),
    (
        "cta header text",
        lambda n: CtaUrlMessage.create(TO, "Body", "Go", "https://example.com", header="h" * n),
        60,
        "interactive.header.text",
        "60",
    ),
    (
        "template name",
        lambda n: TemplateMessage.create(TO, "a" * n, "en_US"),
        512,
        "template.name",
        "512",
    ),
    (
        "template header text parameter",
        lambda n: template_with_components(
            {"type": "header", "parameters": [{"type": "text", "text": "h" * n}]}
        ),
        60,
        "template.components.0.header",
        "60",
    ),
    (
        "template coupon code",
        lambda n: template_with_components(
            {
                "type": "button",
                "sub_type": "copy_code",
                "index": 0,
                "parameters": [{"type": "coupon_code", "coupon_code": "C" * n}],
            }
        ),
        20,  # Meta's coupon-template page, Dec 2025 (15 before): as a definition's example
        "coupon_code",
        "20",
    ),
    (
        "template button index",
        lambda n: template_with_components(
            {
                "type": "button",
                "sub_type": "quick_reply",
                "index": n,
                "parameters": [{"type": "payload", "payload": "P"}],
            }
        ),
        9,
        "template.components.0.button.index",
        "position, 0..9",
    ),
    # Undocumented sanity bounds, shared with the emulator (see messages/base.py).
    (
        "document filename",
        lambda n: DocumentMessage.create(TO, "1", filename="f" * n),
        240,
        "document.filename",
        "240",
    ),
    (
        "reply context id",
        lambda n: TextMessage.create(TO, "hi", reply_to="w" * n),
        512,
        "context.message_id",
        "512",
    ),
    (
        "reaction message id",
        lambda n: ReactionMessage.create(TO, "w" * n, ""),
        512,
        "reaction.message_id",
        "512",
    ),
    (
        "location name",
        lambda n: LocationMessage.create(TO, 1.0, 2.0, name="n" * n),
        1024,
        "location.name",
        "1024",
    ),
    (
        "contact formatted name",
        lambda n: ContactsMessage.create(TO, [{"name": {"formatted_name": "n" * n}}]),
        1024,
        "contacts.0.name.formatted_name",
        "1024",
    ),
]


@pytest.mark.parametrize(
    ("limit", "build", "largest", "field", "text"),
    UPPER_LIMITS,
    ids=[case[0] for case in UPPER_LIMITS],
)
def test_upper_limit(
    limit: str, build: Callable[[int], Any], largest: int, field: str, text: str
) -> None:
    build(largest)
    with pytest.raises(MessageValidationError) as caught:
        build(largest + 1)
    message = str(caught.value)
    assert field in message
    assert text in message


# (limit, builder of a message with an empty/missing value, field)
EMPTY_VALUES: list[tuple[str, Callable[[], Any], str]] = [
    ("text body", lambda: TextMessage.create(TO, ""), "text.body"),
    ("interactive body", lambda: buttons_with(body=""), "interactive.body.text"),
    ("reply buttons", lambda: buttons_with(buttons={}), "interactive.action.buttons"),
    ("reply button title", lambda: buttons_with(buttons={"a": ""}), "reply.title"),
    ("reply button id", lambda: buttons_with(buttons={"": "A"}), "reply.id"),
    ("list button", lambda: list_with(button=""), "interactive.action.button"),
    ("list sections", lambda: list_with(sections={}), "interactive.action.sections"),
    ("list section rows", lambda: list_with(sections={"S": []}), "sections.0.rows"),
    ("list row title", lambda: list_with(sections={"S": [("r", "")]}), "rows.0.title"),
    ("list row id", lambda: list_with(sections={"S": [("", "Row")]}), "rows.0.id"),
    (
        "cta display text",
        lambda: CtaUrlMessage.create(TO, "Body", "", "https://example.com"),
        "display_text",
    ),
    ("contacts", lambda: ContactsMessage.create(TO, []), "contacts"),
    (
        "contact formatted name",
        lambda: ContactsMessage.create(TO, [{"name": {"formatted_name": ""}}]),
        "contacts.0.name.formatted_name",
    ),
    ("contact name", lambda: ContactsMessage.create(TO, [{"phones": []}]), "contacts.0.name"),
    ("reaction message id", lambda: ReactionMessage.create(TO, "", "x"), "reaction.message_id"),
    ("template name", lambda: TemplateMessage.create(TO, "", "en_US"), "template.name"),
    (
        "template text parameter",
        lambda: TemplateMessage.create(TO, "alert", "en_US", parameters=[""]),
        "template.components.0.body.parameters.0.text.text",
    ),
    ("reply context id", lambda: TextMessage.create(TO, "hi", reply_to=""), "context.message_id"),
    ("recipient", lambda: TextMessage.create("", "hi"), "to"),
]


@pytest.mark.parametrize(
    ("limit", "build", "field"), EMPTY_VALUES, ids=[case[0] for case in EMPTY_VALUES]
)
def test_empty_value_is_rejected(limit: str, build: Callable[[], Any], field: str) -> None:
    with pytest.raises(MessageValidationError) as caught:
        build()
    assert field in str(caught.value)


@pytest.mark.parametrize(
    ("latitude", "longitude", "field"),
    [(90.000001, 0, "latitude"), (-90.000001, 0, "latitude"), (0, 180.5, "longitude")],
)
def test_location_out_of_range(latitude: float, longitude: float, field: str) -> None:
    with pytest.raises(MessageValidationError) as caught:
        LocationMessage.create(TO, latitude, longitude)
    assert f"location.{field}" in str(caught.value)


@pytest.mark.parametrize(("latitude", "longitude"), [(90, 180), (-90, -180), ("37.5", "-122")])
def test_location_at_the_limits_and_from_strings(latitude: Any, longitude: Any) -> None:
    payload = LocationMessage.create(TO, latitude, longitude).to_payload()
    assert payload["location"] == {"latitude": float(latitude), "longitude": float(longitude)}


@pytest.mark.parametrize("bad", [True, float("nan"), float("inf"), "north"])
def test_location_rejects_non_numbers(bad: Any) -> None:
    with pytest.raises(MessageValidationError, match=r"location\.latitude"):
        LocationMessage.create(TO, bad, 0)


def test_reply_button_ids_and_titles_are_unique() -> None:
    with pytest.raises(MessageValidationError, match="each id must be unique, 'a' repeats"):
        buttons_with(buttons=[("a", "One"), ("a", "Two")])
    with pytest.raises(MessageValidationError, match="each title must be unique, 'Same' repeats"):
        buttons_with(buttons=[("a", "Same"), ("b", "Same")])


def test_reply_button_id_without_edge_spaces() -> None:
    with pytest.raises(MessageValidationError, match="must not start or end with spaces"):
        buttons_with(buttons={" a": "A"})


def test_list_row_ids_unique_across_sections() -> None:
    with pytest.raises(MessageValidationError, match="each id must be unique, 'x' repeats"):
        list_with(sections={"A": [("x", "One")], "B": [("x", "Two")]})


def test_list_section_titles_required_when_several() -> None:
    sections = [
        {"rows": [{"id": "a", "title": "A"}]},
        {"title": "B", "rows": [{"id": "b", "title": "B"}]},
    ]
    with pytest.raises(MessageValidationError, match="title is required when there are several"):
        list_with(sections=sections)


def test_list_header_is_text_only() -> None:
    payload = ListMessage.create(TO, "Body", "Open", {"S": rows(1)}).to_payload()
    payload["interactive"]["header"] = {"type": "image", "image": {"id": "1"}}
    with pytest.raises(MessageValidationError, match=r"interactive\.header"):
        parse_message(payload)


@pytest.mark.parametrize(
    ("header", "error"),
    [
        ({"type": "text"}, "header of type 'text' needs 'text'"),
        ({"type": "image", "video": {"id": "1"}}, "header of type 'image' needs 'image'"),
        ({"type": "text", "text": "t", "image": {"id": "1"}}, "takes no 'image'"),
        ({"type": "document", "document": {"id": "1", "caption": "c"}}, "takes no caption"),
    ],
)
def test_interactive_header_content_matches_type(header: dict[str, Any], error: str) -> None:
    with pytest.raises(MessageValidationError, match=error):
        buttons_with(header=header)


def test_cta_url_must_be_http_or_https() -> None:
    CtaUrlMessage.create(TO, "Body", "Go", "http://example.com")
    with pytest.raises(MessageValidationError, match=r"interactive\.action\.parameters\.url"):
        CtaUrlMessage.create(TO, "Body", "Go", "ftp://example.com")
    payload = CtaUrlMessage.create(TO, "Body", "Go", "https://example.com").to_payload()
    payload["interactive"]["action"]["name"] = "open"
    with pytest.raises(MessageValidationError, match=r"interactive.action.name"):
        parse_message(payload)


@pytest.mark.parametrize(
    ("media", "error"),
    [
        ("http://example.com/a.png", "uses http://"),
        ("ftp://example.com/a.png", "ftp:// URL"),
    ],
)
def test_media_message_url_errors(media: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        media_message("image", TO, media)


@pytest.mark.parametrize(
    "payload_media",
    [
        {"link": "http://example.com/a.png"},
        {"link": "https://"},
        {"id": "1", "link": "https://example.com/a.png"},
        {},
        {"id": "/tmp/a.png"},
        {"id": "my photo"},
    ],
)
def test_media_object_needs_exactly_one_valid_source(payload_media: dict[str, Any]) -> None:
    payload = {"to": TO, "type": "image", "image": payload_media}
    with pytest.raises(MessageValidationError, match="image"):
        parse_message(payload)


@pytest.mark.parametrize("media_type", ["audio", "sticker"])
def test_audio_and_sticker_take_no_caption(media_type: str) -> None:
    with pytest.raises(ValueError, match=f"{media_type} takes no caption"):
        media_message(media_type, TO, "1", caption="c")
    with pytest.raises(MessageValidationError, match=f"{media_type} takes no caption"):
        parse_message({"to": TO, "type": media_type, media_type: {"id": "1", "caption": "c"}})


@pytest.mark.parametrize("media_type", ["image", "video", "audio", "sticker"])
def test_only_documents_take_a_filename(media_type: str) -> None:
    with pytest.raises(ValueError, match="takes no filename"):
        media_message(media_type, TO, "1", filename="a.pdf")
    with pytest.raises(MessageValidationError, match="takes no filename"):
        parse_message({"to": TO, "type": media_type, media_type: {"id": "1", "filename": "a"}})


def test_media_message_rejects_unknown_media_type() -> None:
    with pytest.raises(ValueError, match="media_type must be one of image, video"):
        media_message("gif", TO, "1")


def test_media_message_empty_caption_is_no_caption() -> None:
    payload = media_message("image", TO, "1", caption="").to_payload()
    assert payload["image"] == {"id": "1"}


@pytest.mark.parametrize("emoji", ["\N{THUMBS UP SIGN}", "\N{FLAG IN HOLE}", "1\ufe0f\u20e3", ""])
def test_reaction_accepts_emoji(emoji: str) -> None:
    ReactionMessage.create(TO, "wamid.1", emoji)


@pytest.mark.parametrize("text", ["ok", ":)", "\N{THUMBS UP SIGN} nice", "\N{THUMBS UP SIGN}" * 17])
def test_reaction_rejects_text(text: str) -> None:
    with pytest.raises(MessageValidationError, match=r"reaction\.emoji"):
        ReactionMessage.create(TO, "wamid.1", text)


def test_more_than_five_contacts_warns_but_is_valid() -> None:
    contacts = [{"name": {"formatted_name": f"Person {i}"}} for i in range(6)]
    with pytest.warns(MessageLimitWarning, match="6 contacts"):
        message = ContactsMessage.create(TO, contacts)
    assert len(message.to_payload()["contacts"]) == 6
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ContactsMessage.create(TO, contacts[:5])


@pytest.mark.parametrize(
    ("contact", "field"),
    [
        ({"emails": [{"email": "not-an-email"}]}, "contacts.0.emails.0.email"),
        ({"urls": [{"url": "www.example.com"}]}, "contacts.0.urls.0.url"),
        ({"birthday": "18-08-2012"}, "contacts.0.birthday"),
        ({"birthday": "2012-02-30"}, "contacts.0.birthday"),
        ({"phones": [{"phone": "1", "type": "FAX"}]}, "contacts.0.phones.0.type"),
        ({"phones": [{"phone": "1", "wa_id": "+1650"}]}, "contacts.0.phones.0.wa_id"),
        ({"addresses": [{"country_code": "USA"}]}, "contacts.0.addresses.0.country_code"),
        ({"phones": {"phone": "1"}}, "contacts.0.phones"),
    ],
)
def test_contact_fields_are_checked(contact: dict[str, Any], field: str) -> None:
    with pytest.raises(MessageValidationError) as caught:
        ContactsMessage.create(TO, [{"name": {"formatted_name": "A"}, **contact}])
    assert field in str(caught.value)


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=4096))
def test_any_text_within_the_limit_is_sent_unchanged(body: str) -> None:
    assert TextMessage.create(TO, body).to_payload()["text"]["body"] == body


@settings(max_examples=20, deadline=None)
@given(st.text(min_size=1, max_size=50), st.integers(min_value=4097, max_value=5000))
def test_any_text_over_the_limit_is_rejected(pattern: str, length: int) -> None:
    body = (pattern * length)[:length]
    with pytest.raises(MessageValidationError, match=r"text\.body"):
        TextMessage.create(TO, body)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=40))
def test_button_title_limit_holds_for_any_text(title: str) -> None:
    if 1 <= len(title) <= 20:
        assert (
            buttons_with(buttons={"id": title}).interactive.action.buttons[0].reply.title == title
        )
    else:
        with pytest.raises(MessageValidationError, match=r"reply\.title"):
            buttons_with(buttons={"id": title})
