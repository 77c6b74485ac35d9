"""Fuzzing every message model against the emulator.

For each model's ``create`` (and ``parse_message`` / ``model_validate`` on JSON shaped
like the API's, or not), hypothesis draws inputs near and past every limit. Each input
must end one of two ways:

* it raises a validation error (``ValueError``, which ``pydantic.ValidationError`` and
  ``PhoneNumberError`` are) before any request, or
* it validates into a payload that the emulator, which checks payloads by its own rules
  and never imports our models, accepts with HTTP 200.

Any other exception, or a payload the emulator refuses, fails the test: either the model
lets through what the API rejects, or it crashes on input it should explain.

One emulator serves the whole module; media of every kind is uploaded once per test and
each template message gets a stored template of its own (unique name) shaped after it:
the stored template's placeholders follow the message, so what is fuzzed is the payload,
not whether the fuzzer guessed a template.

Lengths the reference rules do not document (document filename <= 240, location
name/address <= 1024, reply and reaction message ids <= 512, contact formatted_name
<= 1024) are sanity bounds the models and the emulator share; they are fuzzed around
their edges like the documented ones.
"""

from __future__ import annotations

import itertools
import os
import string
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_provider_whatsapp.client import WhatsAppClient
from airflow_provider_whatsapp.client.errors import WhatsAppError
from airflow_provider_whatsapp.client.request import ApiRequest
from airflow_provider_whatsapp.messages import (
    MESSAGE_TYPES,
    AudioMessage,
    ContactsMessage,
    CtaUrlMessage,
    DocumentMessage,
    ImageMessage,
    ListMessage,
    LocationMessage,
    MarkAsRead,
    Message,
    MessageLimitWarning,
    PhoneNumberError,
    ReactionMessage,
    ReplyButtonsMessage,
    StickerMessage,
    TemplateMessage,
    TextMessage,
    VideoMessage,
    media_message,
    normalize_phone,
    parse_message,
)
from airflow_provider_whatsapp.testing import WhatsAppEmulator
from tests.helpers import PHONE_COUNTRIES, client_config

# WHATSAPP_FUZZ_SCALE=10 runs ten times the examples (a longer hunt than the suite's).
SCALE = float(os.environ.get("WHATSAPP_FUZZ_SCALE", "1"))
FUZZ = settings(
    max_examples=int(250 * SCALE),
    deadline=None,
    # One harness (emulator session, uploaded media) per test, shared by its examples.
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
MANY = settings(FUZZ, max_examples=int(400 * SCALE))

MEDIA_KINDS = ("image", "video", "audio", "document", "sticker")
UPLOADS = {
    "image": ("image/png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64),
    "video": ("video/mp4", b"\0\0\0\x18ftypmp42" + b"\0" * 64),
    "audio": ("audio/mpeg", b"ID3" + b"\0" * 64),
    "document": ("application/pdf", b"%PDF-1.4\n" + b"\0" * 64),
    "sticker": ("image/webp", b"RIFF\0\0\0\0WEBPVP8 " + b"\0" * 64),
}
# Stands for "the id of an uploaded medium of this kind": ids exist only once uploaded.
UPLOADED = {kind: f"<uploaded:{kind}>" for kind in MEDIA_KINDS}
_unique = itertools.count()


# -- the emulator, the client, and the one check every test makes ----------------------


@pytest.fixture(scope="module")
def emulator() -> Iterator[WhatsAppEmulator]:
    with WhatsAppEmulator(rate_limit=None, enforce_window=True) as emu:
        yield emu


class Harness:
    """Build, then either a validation error before any request or an HTTP 200."""

    def __init__(self, emu: WhatsAppEmulator, client: WhatsAppClient, ids: dict[str, str]):
        self.emu = emu
        self.client = client
        self.ids = ids
        # Every request the client is about to send (counted by its before_send hook).
        self.attempts: list[ApiRequest] = []
        client.before_send.append(self.attempts.append)
        self.sent = 0
        self.rejected = 0

    def fill(self, value: Any) -> Any:
        """Replace the ``UPLOADED`` stand-ins with the real media ids."""
        if isinstance(value, str):
            for kind, marker in UPLOADED.items():
                if value == marker:
                    return self.ids[kind]
            return value
        if isinstance(value, dict):
            return {k: self.fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self.fill(v) for v in value)
        return value

    def build(self, make: Callable[[], Message]) -> Message | None:
        """The model, or None after a validation error. Anything else propagates."""
        before = len(self.attempts)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", MessageLimitWarning)
                message = make()
        except ValueError:  # pydantic.ValidationError, PhoneNumberError, our own checks
            assert len(self.attempts) == before
            self.rejected += 1
            return None
        assert isinstance(message, Message), type(message)
        return message

    def check(self, make: Callable[[], Message]) -> Message | None:
        message = self.build(make)
        if message is not None:
            self.send(message)
        return message

    def send(self, message: Message) -> dict[str, Any]:
        payload = message.to_payload()
        # What we send reads back into the same model (the API's JSON shape is the model's).
        assert parse_message(payload).to_payload() == payload
        to = payload.get("to")
        if to:
            self.emu.open_window(to)
        if payload.get("type") == "template":
            self.store_template(payload["template"])
        try:
            answer = self.client.send_message(message)
        except WhatsAppError as exc:
            pytest.fail(f"the emulator refused a payload our model accepted: {exc}\n{payload}")
        if to:
            assert answer["contacts"][0]["wa_id"] == to
            assert answer["messages"][0]["id"].startswith("wamid.")
        self.sent += 1
        return answer

    def store_template(self, sent: dict[str, Any]) -> None:
        """An APPROVED template the message fits: as many placeholders as it fills."""
        comps = {c["type"]: c for c in sent.get("components", []) if c["type"] != "button"}
        buttons = [c for c in sent.get("components", []) if c["type"] == "button"]

        def holders(params: list[dict[str, Any]]) -> str:
            return " ".join(
                "{{" + str(p.get("parameter_name", i)) + "}}" for i, p in enumerate(params, start=1)
            )

        stored: list[dict[str, Any]] = []
        header = comps.get("header", {}).get("parameters", [])
        if header and header[0]["type"] == "text":
            stored.append({"type": "HEADER", "format": "TEXT", "text": "Re " + holders(header)})
        elif header:
            stored.append({"type": "HEADER", "format": header[0]["type"].upper()})
        body = comps.get("body", {}).get("parameters", [])
        stored.append({"type": "BODY", "text": "Hello " + holders(body)})
        if buttons:
            count = max(int(b["index"]) for b in buttons) + 1
            stored.append(
                {
                    "type": "BUTTONS",
                    "buttons": [{"type": "QUICK_REPLY", "text": f"b{i}"} for i in range(count)],
                }
            )
        named = any("parameter_name" in p for p in header + body)
        self.emu.add_template(
            sent["name"],
            sent["language"]["code"],
            components=stored,
            parameter_format="NAMED" if named else "POSITIONAL",
        )


@pytest.fixture
def harness(emulator: WhatsAppEmulator) -> Iterator[Harness]:
    emulator.reset()
    config = client_config(emulator, rate_limit=None, max_retries=0)
    with WhatsAppClient(config) as client:
        ids = {kind: client.upload_media(data, mime) for kind, (mime, data) in UPLOADS.items()}
        h = Harness(emulator, client, ids)
        yield h
    # The fuzzing reached both sides: valid payloads sent and invalid ones refused.
    assert h.sent > 0 and h.rejected > 0, (h.sent, h.rejected)


# -- strategies ---------------------------------------------------------------------------
#
# Every input strategy is ``mostly(valid, anything)``: seven draws in eight from inputs a
# user would write (so payloads reach the emulator), one from anything at all, edges
# and wrong types included (so validation errors are exercised). Examples mix the two
# per field, so many examples are "valid but for one field".


_SEVEN_IN_EIGHT = st.sampled_from([True] * 7 + [False])


def mostly(valid: st.SearchStrategy[Any], other: st.SearchStrategy[Any]) -> Any:
    # (st.one_of(valid, valid, ..., other) would not weigh: equal branches count once.)
    return _SEVEN_IN_EIGHT.flatmap(lambda pick: valid if pick else other)


def near(limit: int) -> st.SearchStrategy[str]:
    """Arbitrary short text, or text right around ``limit`` characters, or blank."""
    edge = st.builds(
        lambda char, n: char * n,
        st.characters(codec="utf-8"),
        st.integers(max(0, limit - 2), limit + 2),
    )
    surrogates = st.text(st.characters(categories=["Cs"]), min_size=1, max_size=3)  # not UTF-8
    return st.one_of(
        st.text(max_size=min(limit, 30)), edge, st.sampled_from(["", " ", "\n"]), surrogates
    )


def ok_text(limit: int) -> st.SearchStrategy[str]:
    """Text a user would put in a field of at most ``limit`` characters (the limit too)."""
    at_limit = st.builds(lambda char: char * limit, st.characters(codec="utf-8"))
    short = st.text(min_size=1, max_size=min(limit, 40))
    return st.one_of(short, short, short, at_limit)


def field(limit: int) -> st.SearchStrategy[str]:
    return mostly(ok_text(limit), near(limit))


def plain(limit: int) -> st.SearchStrategy[str]:
    """Printable text without edge spaces (ids, titles)."""
    chars = string.ascii_letters + string.digits + " _-."
    return st.text(alphabet=chars, min_size=1, max_size=limit).map(str.strip).filter(bool)


WORDS = st.text(max_size=40)
# Numbers as they exist: a country code, and a length that country's numbers have.
VALID_PHONE = st.sampled_from(PHONE_COUNTRIES).flatmap(
    lambda country: st.from_regex(rf"\+?{country[0]}[2-7][0-9]{{{country[1] - 1}}}", fullmatch=True)
)
WRITTEN_PHONE = st.builds(
    lambda cc, a, b, c: f"+{cc} ({a}) {b}-{c}",
    st.sampled_from([1, 7, 44, 49, 52, 62, 81, 86, 91, 234, 880, 971]),  # 10 digits after
    st.integers(100, 999),
    st.integers(100, 999),
    st.integers(1000, 9999),
)
ANY_PHONE = st.one_of(
    VALID_PHONE,
    WRITTEN_PHONE,
    st.integers(min_value=-(10**3), max_value=10**17),
    st.text(alphabet="0123456789+-(). \t", max_size=20),
    st.text(max_size=12),
    st.sampled_from(["", "0044 20 7946 0958", "07911 123456", "+", "1" * 16, "123456", "١٢٣٤٥٦٧٨"]),
)
TO = mostly(st.one_of(VALID_PHONE, WRITTEN_PHONE), ANY_PHONE)
HOST = st.from_regex(r"[a-z0-9]{1,12}\.(com|org|net)", fullmatch=True)
PATH = st.text(alphabet=string.ascii_letters + string.digits + "-._~/%?=&", max_size=30)
HTTPS_URL = st.builds(lambda h, p: f"https://{h}/{p}", HOST, PATH)
HTTP_URL = st.builds(lambda h, p: f"http://{h}/{p}", HOST, PATH)
JUNK_URL = st.one_of(
    st.text(max_size=20),
    st.builds(lambda s: "https://" + s, st.text(max_size=15)),
    st.sampled_from(["https://", "ftp://x.org/a", "HTTPS://Example.com/A", "https://a b/c"]),
)
WAMID = st.from_regex(r"wamid\.[A-Za-z0-9=+/]{10,60}", fullmatch=True)
MESSAGE_ID = mostly(WAMID, st.one_of(st.text(max_size=80), near(512)))


def media(kind: str) -> st.SearchStrategy[str]:
    """An uploaded id or an https link, or something that is neither.

    Never an id-like string that was not uploaded: the model cannot know which ids exist
    (the API answers that one), so such a string is no finding.
    """
    return mostly(
        st.one_of(st.just(UPLOADED[kind]), HTTPS_URL),
        st.one_of(
            HTTP_URL,
            JUNK_URL.filter(lambda s: "://" in s),
            st.sampled_from(["some/local/file.png", "id with space", " ", "", "C:\\x.png"]),
        ),
    )


def media_object(kind: str, *, caption: bool = True) -> st.SearchStrategy[dict[str, Any]]:
    """A media object (``{"id"}`` or ``{"link"}``, with the extras its kind takes)."""
    source = st.one_of(
        st.fixed_dictionaries({"id": st.just(UPLOADED[kind])}),
        st.fixed_dictionaries({"link": HTTPS_URL}),
    )
    takes: dict[str, st.SearchStrategy[Any]] = {}
    if caption and kind in ("image", "video", "document"):
        takes["caption"] = ok_text(1024)
    if kind == "document":
        takes["filename"] = ok_text(240)
    valid = st.builds(lambda a, b: {**a, **b}, source, st.fixed_dictionaries({}, optional=takes))
    wrong = st.builds(
        lambda a, b: {**a, **b},
        st.one_of(
            source,
            st.fixed_dictionaries({"link": JUNK_URL}),
            st.fixed_dictionaries({"id": st.just(UPLOADED[kind]), "link": HTTPS_URL}),
            st.just({}),
        ),
        st.fixed_dictionaries(
            {}, optional={"caption": near(1024), "filename": near(240), "mime": WORDS}
        ),
    )
    return mostly(valid, wrong)


LATITUDE = st.one_of(st.floats(-90, 90), st.integers(-90, 90))
LONGITUDE = st.one_of(st.floats(-180, 180), st.integers(-180, 180))
ANY_COORD = st.one_of(
    st.floats(),
    st.integers(-200, 200),
    st.sampled_from([90.0000001, -180.5, "45.5", "north", "", True, None, [1]]),
)


# -- normalize_phone -------------------------------------------------------------------


@MANY
@given(value=ANY_PHONE)
def test_normalize_phone_returns_sendable_digits_or_says_why(harness: Harness, value: Any) -> None:
    try:
        digits = normalize_phone(value)
    except PhoneNumberError as exc:
        assert str(exc)  # a reason, naming the problem
        harness.rejected += 1
        return
    assert digits.isdigit() and digits.isascii() and not digits.startswith("0")
    assert 7 <= len(digits) <= 15
    assert normalize_phone(digits) == digits
    message = harness.build(lambda: TextMessage.create(value, "phone fuzz"))
    assert message is not None and message.to == digits  # type: ignore[attr-defined]
    harness.send(message)


@settings(FUZZ, max_examples=int(100 * SCALE))
@given(value=st.one_of(st.none(), st.floats(), st.booleans(), st.lists(st.integers(), max_size=2)))
def test_normalize_phone_rejects_non_numbers_with_a_value_error(
    harness: Harness, value: Any
) -> None:
    with pytest.raises(PhoneNumberError):
        normalize_phone(value)
    harness.rejected += 1
    harness.check(lambda: TextMessage.create("15550001111", "keeps the harness honest"))


# -- one model at a time, through create() ----------------------------------------------

REPLY_TO = st.one_of(st.none(), MESSAGE_ID)


@MANY
@given(to=TO, body=field(4096), preview_url=st.booleans(), reply_to=REPLY_TO)
def test_text(harness: Harness, to: Any, body: str, preview_url: bool, reply_to: Any) -> None:
    harness.check(lambda: TextMessage.create(to, body, preview_url, reply_to))


@MANY
@given(
    kind=mostly(st.sampled_from(MEDIA_KINDS), st.sampled_from(["IMAGE", " video ", "gif", ""])),
    to=TO,
    source=st.data(),
    caption=mostly(st.none(), field(1024)),
    filename=mostly(st.none(), field(240)),
    reply_to=REPLY_TO,
)
def test_media_message(
    harness: Harness,
    kind: str,
    to: Any,
    source: st.DataObject,
    caption: Any,
    filename: Any,
    reply_to: Any,
) -> None:
    clean = kind.strip().lower()
    link_or_id = harness.fill(source.draw(media(clean if clean in MEDIA_KINDS else "image")))
    harness.check(lambda: media_message(kind, to, link_or_id, caption, filename, reply_to))


@FUZZ
@given(
    to=TO,
    source=st.data(),
    caption=st.one_of(st.none(), field(1024)),
    filename=st.one_of(st.none(), field(100)),
)
def test_media_classes_create(
    harness: Harness, to: Any, source: st.DataObject, caption: Any, filename: Any
) -> None:
    ref = {k: harness.fill(source.draw(media(k))) for k in MEDIA_KINDS}
    harness.check(lambda: ImageMessage.create(to, ref["image"], caption))
    harness.check(lambda: VideoMessage.create(to, ref["video"], caption))
    harness.check(lambda: AudioMessage.create(to, ref["audio"]))
    harness.check(lambda: DocumentMessage.create(to, ref["document"], caption, filename))
    harness.check(lambda: StickerMessage.create(to, ref["sticker"]))


@MANY
@given(
    to=TO,
    latitude=mostly(LATITUDE, ANY_COORD),
    longitude=mostly(LONGITUDE, ANY_COORD),
    name=st.one_of(st.none(), field(1024)),
    address=st.one_of(st.none(), field(1024)),
    reply_to=REPLY_TO,
)
def test_location(
    harness: Harness,
    to: Any,
    latitude: Any,
    longitude: Any,
    name: Any,
    address: Any,
    reply_to: Any,
) -> None:
    harness.check(lambda: LocationMessage.create(to, latitude, longitude, name, address, reply_to))


EMOJI = mostly(
    st.one_of(
        st.sampled_from(["👍", "❤️", "👨‍👩‍👧‍👦", "🇺🇸", "", "🙏🏽"]),
        st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF),
    ),
    st.one_of(st.sampled_from(["ok", " 👍", "👍 ", "👍" * 17]), st.text(max_size=20)),
)


@FUZZ
@given(to=TO, message_id=MESSAGE_ID, emoji=EMOJI)
def test_reaction(harness: Harness, to: Any, message_id: str, emoji: str) -> None:
    harness.check(lambda: ReactionMessage.create(to, message_id, emoji))


@FUZZ
@given(message_id=MESSAGE_ID, typing=st.booleans())
def test_mark_as_read(harness: Harness, message_id: str, typing: bool) -> None:
    harness.check(lambda: MarkAsRead.create(message_id, typing))
    harness.build(lambda: TextMessage.create("", "and the other side"))


def optional_list(item: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
    return st.lists(item, min_size=1, max_size=2)


GOOD_CONTACT = st.fixed_dictionaries(
    {
        "name": st.fixed_dictionaries(
            {"formatted_name": field(1024)},
            optional={"first_name": ok_text(40), "last_name": ok_text(40)},
        )
    },
    optional={
        "phones": optional_list(
            st.fixed_dictionaries(
                {"phone": st.one_of(WRITTEN_PHONE, ok_text(20))},
                optional={
                    "type": st.sampled_from(["CELL", "HOME", "WORK", "MAIN", "IPHONE"]),
                    "wa_id": st.from_regex(r"[1-9][0-9]{6,14}", fullmatch=True),
                },
            )
        ),
        "emails": optional_list(
            st.fixed_dictionaries(
                {"email": st.emails()}, optional={"type": st.sampled_from(["HOME", "WORK"])}
            )
        ),
        "urls": optional_list(st.fixed_dictionaries({"url": st.one_of(HTTPS_URL, HTTP_URL)})),
        "addresses": optional_list(
            st.fixed_dictionaries(
                {},
                optional={
                    "street": ok_text(60),
                    "city": ok_text(40),
                    "country_code": st.sampled_from(["US", "GB", "br"]),
                    "type": st.sampled_from(["HOME", "WORK"]),
                },
            )
        ),
        "org": st.fixed_dictionaries({}, optional={"company": ok_text(40), "title": ok_text(40)}),
        "birthday": st.dates().map(str),
    },
)
ANY_CONTACT = st.one_of(
    st.builds(
        lambda contact, broken: {**contact, **broken},
        GOOD_CONTACT,
        st.fixed_dictionaries(
            {},
            optional={
                "name": st.one_of(st.just({}), st.fixed_dictionaries({"formatted_name": near(5)})),
                "phones": st.lists(st.fixed_dictionaries({"phone": near(5), "type": WORDS})),
                "emails": st.lists(st.fixed_dictionaries({"email": WORDS}), max_size=2),
                "urls": st.lists(st.fixed_dictionaries({"url": JUNK_URL}), max_size=2),
                "birthday": st.one_of(WORDS, st.just("2024-02-30"), st.just("24-01-01")),
                "nickname": WORDS,  # not in the API
            },
        ),
    ),
    st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=2),
)


@FUZZ
@given(
    to=TO,
    contacts=mostly(
        st.lists(GOOD_CONTACT, min_size=1, max_size=3), st.lists(ANY_CONTACT, max_size=7)
    ),
    reply_to=REPLY_TO,
)
def test_contacts(harness: Harness, to: Any, contacts: list[Any], reply_to: Any) -> None:
    harness.check(lambda: ContactsMessage.create(to, contacts, reply_to))


def header_input(kinds: tuple[str, ...]) -> st.SearchStrategy[Any]:
    media_headers = [
        st.builds(lambda k, m: {"type": k, k: m}, st.just(k), media_object(k, caption=False))
        for k in kinds
    ]
    return mostly(
        st.one_of(st.none(), ok_text(60), *media_headers),
        st.one_of(
            near(60),
            st.fixed_dictionaries({"type": st.sampled_from(["text", "gif", "image"])}),
            st.builds(lambda m: {"type": "text", "image": m}, media_object("image")),
        ),
    )


TITLE = plain(20)
GOOD_BUTTONS = st.one_of(
    st.lists(TITLE, min_size=1, max_size=3, unique=True),
    st.dictionaries(plain(40), TITLE, min_size=1, max_size=3).filter(
        lambda d: len(set(d.values())) == len(d)
    ),
    st.lists(
        st.fixed_dictionaries({"id": plain(40), "title": TITLE}),
        min_size=1,
        max_size=3,
        unique_by=(lambda b: b["id"], lambda b: b["title"]),
    ),
    st.lists(st.tuples(plain(256), TITLE), min_size=1, max_size=3, unique=True),
)
ANY_BUTTONS = st.one_of(
    st.dictionaries(near(256), near(20), max_size=4),
    st.lists(
        st.one_of(
            near(20),
            st.tuples(WORDS, near(20)),
            st.fixed_dictionaries({"id": WORDS, "title": near(20)}),
            st.tuples(WORDS, WORDS, WORDS),
            st.fixed_dictionaries({"type": st.just("url"), "reply": st.just({})}),
        ),
        max_size=4,
    ),
)


@MANY
@given(
    to=TO,
    body=field(1024),
    buttons=mostly(GOOD_BUTTONS, ANY_BUTTONS),
    header=header_input(("image", "video", "document")),
    footer=st.one_of(st.none(), field(60)),
    reply_to=REPLY_TO,
)
def test_reply_buttons(
    harness: Harness, to: Any, body: str, buttons: Any, header: Any, footer: Any, reply_to: Any
) -> None:
    buttons, header = harness.fill(buttons), harness.fill(header)
    harness.check(lambda: ReplyButtonsMessage.create(to, body, buttons, header, footer, reply_to))


GOOD_ROW = st.one_of(
    st.tuples(plain(200), plain(24)),
    st.tuples(plain(200), plain(24), ok_text(72)),
    st.fixed_dictionaries(
        {"id": plain(200), "title": plain(24)}, optional={"description": ok_text(72)}
    ),
)
ANY_ROW = st.one_of(
    st.tuples(near(200), near(24)),
    st.tuples(WORDS, near(24), near(72)),
    st.fixed_dictionaries({"id": WORDS, "title": near(24)}, optional={"description": near(72)}),
    st.tuples(WORDS),
    st.tuples(WORDS, WORDS, WORDS, WORDS),
)
GOOD_ROWS = st.lists(GOOD_ROW, min_size=1, max_size=3, unique_by=lambda r: _row_id(r))
GOOD_SECTIONS = st.one_of(
    st.dictionaries(plain(24), GOOD_ROWS, min_size=1, max_size=3),
    st.lists(st.fixed_dictionaries({"rows": GOOD_ROWS}), min_size=1, max_size=1),
    st.lists(
        st.fixed_dictionaries({"title": plain(24), "rows": GOOD_ROWS}), min_size=1, max_size=3
    ),
)
ANY_SECTIONS = st.one_of(
    st.dictionaries(near(24), st.lists(ANY_ROW, max_size=5), max_size=3),
    st.lists(
        st.fixed_dictionaries(
            {"rows": st.lists(mostly(GOOD_ROW, ANY_ROW), max_size=11)},
            optional={"title": near(24)},
        ),
        max_size=11,
    ),
)


def _row_id(row: Any) -> Any:
    return row["id"] if isinstance(row, dict) else row[0]


@MANY
@given(
    to=TO,
    body=field(1024),
    button=mostly(plain(20), near(20)),
    sections=mostly(GOOD_SECTIONS, ANY_SECTIONS),
    header=st.one_of(st.none(), field(60)),
    footer=st.one_of(st.none(), field(60)),
)
def test_list(
    harness: Harness, to: Any, body: str, button: str, sections: Any, header: Any, footer: Any
) -> None:
    harness.check(lambda: ListMessage.create(to, body, button, sections, header, footer))


@FUZZ
@given(
    to=TO,
    body=field(1024),
    display_text=field(20),
    url=mostly(st.one_of(HTTPS_URL, HTTP_URL), JUNK_URL),
    header=header_input(("image", "video", "document")),
    footer=st.one_of(st.none(), field(60)),
)
def test_cta_url(
    harness: Harness,
    to: Any,
    body: str,
    display_text: str,
    url: str,
    header: Any,
    footer: Any,
) -> None:
    header = harness.fill(header)
    harness.check(lambda: CtaUrlMessage.create(to, body, display_text, url, header, footer))


# -- templates ----------------------------------------------------------------------------

TEMPLATE_NAME = mostly(
    st.from_regex(r"[a-z0-9_]{1,30}", fullmatch=True),
    st.one_of(st.text(max_size=12), st.just("Order-Shipped")),
)
LANGUAGE = mostly(
    st.sampled_from(["en", "en_US", "pt_BR", "fil", "es_MX"]),
    st.one_of(st.sampled_from(["en-US", "EN", "english", ""]), st.text(max_size=6)),
)
PARAM_NAME = mostly(
    st.from_regex(r"[a-z_][a-z0-9_]{0,15}", fullmatch=True),
    st.one_of(st.text(max_size=8), st.just("1"), st.just("First Name")),
)
TEXT_VALUE = field(60)


def text_param(named: bool | None) -> st.SearchStrategy[dict[str, Any]]:
    """``named``: True, False, or None for either (the mix is an error)."""
    base = {"type": mostly(st.just("text"), st.just("TEXT")), "text": TEXT_VALUE}
    if named is None:
        return st.fixed_dictionaries(base, optional={"parameter_name": PARAM_NAME})
    if named:
        return st.fixed_dictionaries({**base, "parameter_name": PARAM_NAME})
    return st.fixed_dictionaries(base)


CURRENCY = st.fixed_dictionaries(
    {
        "fallback_value": ok_text(20),
        "code": mostly(st.sampled_from(["USD", "EUR", "BRL"]), st.text(max_size=4)),
        "amount_1000": mostly(st.integers(), st.one_of(st.floats(), st.text(max_size=4))),
    }
)
DATE_TIME = st.fixed_dictionaries(
    {"fallback_value": ok_text(30)},
    optional={
        "month": mostly(st.integers(1, 12), st.integers()),
        "calendar": st.sampled_from(["GREGORIAN", "SOLAR_HIJRI", "lunar"]),
    },
)


def body_param(named: bool | None) -> st.SearchStrategy[dict[str, Any]]:
    name = {"parameter_name": PARAM_NAME}
    if named is None:
        naming: dict[str, Any] = {"optional": name}
    elif named:
        naming = {"mapping": name}
    else:
        naming = {}

    def with_name(
        fixed: dict[str, st.SearchStrategy[Any]],
    ) -> st.SearchStrategy[dict[str, Any]]:
        return st.fixed_dictionaries(
            {**fixed, **naming.get("mapping", {})}, optional=naming.get("optional")
        )

    return st.one_of(
        text_param(named),
        text_param(named),
        with_name({"type": st.just("currency"), "currency": CURRENCY}),
        with_name({"type": st.just("date_time"), "date_time": DATE_TIME}),
    )


def media_param(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"type": st.just(kind), kind: media_object(kind, caption=False)})


LOCATION_PARAM = st.fixed_dictionaries(
    {
        "type": st.just("location"),
        "location": st.fixed_dictionaries(
            {"latitude": mostly(LATITUDE, ANY_COORD), "longitude": LONGITUDE},
            optional={"name": ok_text(40)},
        ),
    }
)


@st.composite
def components(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A template's send components: usually one header, one body and a few buttons."""
    named = draw(mostly(st.booleans(), st.none()))
    comps: list[dict[str, Any]] = []
    if draw(st.booleans()):
        header = draw(
            mostly(
                st.one_of(
                    text_param(named),
                    media_param("image"),
                    media_param("video"),
                    media_param("document"),
                    LOCATION_PARAM,
                ).map(lambda p: [p]),
                st.lists(text_param(named), max_size=2),
            )
        )
        comps.append(
            {"type": draw(mostly(st.just("header"), st.just("HEADER"))), "parameters": header}
        )
    if draw(mostly(st.just(True), st.just(False))):
        params = draw(mostly(st.lists(body_param(named), min_size=1, max_size=4), st.just([])))
        if named:  # unique names, as a template's placeholders are
            params = list({p["parameter_name"]: p for p in params}.values())
        comps.append({"type": draw(st.sampled_from(["body", "BODY"])), "parameters": params})
    indexes = draw(
        mostly(
            st.lists(st.integers(0, 9), max_size=3, unique=True),
            st.lists(st.one_of(st.integers(-1, 11), st.sampled_from(["0", "x", True])), max_size=3),
        )
    )
    for index in indexes:
        sub_type, param = draw(
            st.one_of(
                st.tuples(
                    st.just("quick_reply"),
                    st.fixed_dictionaries({"type": st.just("payload"), "payload": ok_text(30)}),
                ),
                st.tuples(st.just("url"), text_param(False)),
                st.tuples(
                    st.just("copy_code"),
                    st.fixed_dictionaries(
                        {"type": st.just("coupon_code"), "coupon_code": field(15)}
                    ),
                ),
                st.tuples(
                    st.just("flow"),
                    st.fixed_dictionaries(
                        {"type": st.just("action"), "action": st.just({"flow_token": "t"})}
                    ),
                ),
                st.tuples(st.sampled_from(["QUICK_REPLY", "bogus"]), text_param(False)),
            )
        )
        comps.append(
            {"type": "button", "sub_type": sub_type, "index": index, "parameters": [param]}
        )
    return draw(st.permutations(comps))


PARAMETER_VALUE = mostly(
    st.one_of(TEXT_VALUE, st.integers(), st.floats(allow_nan=False), st.decimals(places=2)),
    st.one_of(
        st.none(),
        st.booleans(),
        text_param(False),
        body_param(None),
        st.just({"type": "image", "image": {"link": "https://x.org/a.png"}}),
    ),
)
PARAMETERS = st.one_of(
    st.none(),
    st.lists(PARAMETER_VALUE, max_size=4),
    st.dictionaries(PARAM_NAME, PARAMETER_VALUE, max_size=4),
)
PARAMETERS = mostly(PARAMETERS, st.sampled_from(["not a list", b"bytes", 5]))


def unique(name: str) -> str:
    """Every example gets its own stored template: a suffix keeping (in)validity as is."""
    return f"{name}_{next(_unique)}"


@MANY
@given(to=TO, name=TEMPLATE_NAME, language=LANGUAGE, parameters=PARAMETERS, reply_to=REPLY_TO)
def test_template_with_parameters(
    harness: Harness, to: Any, name: str, language: str, parameters: Any, reply_to: Any
) -> None:
    name = unique(name)
    harness.check(lambda: TemplateMessage.create(to, name, language, parameters, None, reply_to))


@MANY
@given(to=TO, name=TEMPLATE_NAME, language=LANGUAGE, comps=components())
def test_template_with_components(
    harness: Harness, to: Any, name: str, language: str, comps: list[Any]
) -> None:
    name, comps = unique(name), harness.fill(comps)
    harness.check(lambda: TemplateMessage.create(to, name, language, components=comps))


# -- any JSON, through parse_message and each model's model_validate -------------------

JSON = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=10)
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
TYPE_NAMES = ["text", "image", "video", "audio", "document", "sticker", "location", "contacts"]
TYPE_NAMES += ["reaction", "template", "interactive", "order", None]


def content_of(mtype: str) -> st.SearchStrategy[Any]:
    """The content object of a message of type ``mtype``, shaped as the API wants (mostly)."""
    if mtype in MEDIA_KINDS:
        return media_object(mtype)
    interactive = st.fixed_dictionaries(
        {
            "type": st.sampled_from(["button", "list", "cta_url", "product"]),
            "body": st.fixed_dictionaries({"text": field(1024)}),
            "action": st.one_of(
                st.fixed_dictionaries(
                    {
                        "buttons": st.lists(
                            st.fixed_dictionaries(
                                {
                                    "type": st.just("reply"),
                                    "reply": st.fixed_dictionaries(
                                        {"id": plain(40), "title": TITLE}
                                    ),
                                }
                            ),
                            min_size=1,
                            max_size=3,
                        )
                    }
                ),
                st.fixed_dictionaries({"button": plain(20), "sections": JSON}),
                st.fixed_dictionaries(
                    {
                        "name": st.just("cta_url"),
                        "parameters": st.fixed_dictionaries(
                            {"display_text": plain(20), "url": HTTPS_URL}
                        ),
                    }
                ),
                JSON,
            ),
        },
        optional={"footer": st.fixed_dictionaries({"text": field(60)})},
    )
    return {
        "text": st.fixed_dictionaries(
            {"body": field(4096)}, optional={"preview_url": mostly(st.booleans(), JSON)}
        ),
        "location": st.fixed_dictionaries(
            {"latitude": mostly(LATITUDE, ANY_COORD), "longitude": LONGITUDE}
        ),
        "reaction": st.fixed_dictionaries({"message_id": MESSAGE_ID, "emoji": EMOJI}),
        "contacts": st.lists(mostly(GOOD_CONTACT, ANY_CONTACT), max_size=2),
        "template": st.fixed_dictionaries(
            {
                "name": TEMPLATE_NAME.map(unique),
                "language": st.fixed_dictionaries({"code": LANGUAGE}),
            },
            optional={"components": components()},
        ),
        "interactive": interactive,
    }.get(mtype, JSON)


@st.composite
def api_shaped(draw: st.DrawFn) -> Any:
    """Dicts with the API's envelope and a fuzzed content object, or any JSON at all."""
    if draw(st.integers(0, 9)) == 0:
        return draw(JSON)
    mtype = draw(st.sampled_from(TYPE_NAMES))
    payload: dict[str, Any] = {
        "messaging_product": draw(mostly(st.just("whatsapp"), st.just("sms")))
    }
    if mtype is None:
        payload.update(status="read", message_id=draw(MESSAGE_ID))
        return payload
    payload.update(to=draw(TO), type=mtype)
    payload[mtype] = draw(mostly(content_of(mtype), JSON))
    extras = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "recipient_type": mostly(st.just("individual"), st.just("group")),
                "context": mostly(st.fixed_dictionaries({"message_id": WAMID}), JSON),
                "biz_opaque_callback_data": field(512),
                "unknown_key": JSON,
            },
        )
    )
    return {**payload, **extras}


@MANY
@given(data=api_shaped())
def test_parse_message_on_api_shaped_json(harness: Harness, data: Any) -> None:
    data = harness.fill(data)
    message = harness.build(lambda: parse_message(data))
    if message is None:
        # The client refuses it the same way, without a request.
        before = len(harness.attempts)
        with pytest.raises(ValueError):
            harness.client.send_message(data)
        assert len(harness.attempts) == before
        return
    harness.send(message)


@FUZZ
@given(model=st.sampled_from(MESSAGE_TYPES), data=api_shaped())
def test_every_model_validate_on_any_payload(harness: Harness, model: Any, data: Any) -> None:
    data = harness.fill(data)
    harness.check(lambda: model.model_validate(data))
    harness.check(lambda: TextMessage.create("15550001111", "keeps the harness honest"))
