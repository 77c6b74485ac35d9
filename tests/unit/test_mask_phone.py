"""``mask_phone``: how every log line and error text shows a number (``+44••••••0123``).

The country code and the last 4 characters, every other digit hidden one for one, short
values hidden at least by half; values that are not numbers masked the same way when they
hold a digit (a typo of a real number), shown as written when they hold none.
"""

from __future__ import annotations

import re
from typing import Any

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_provider_whatsapp.messages import (
    MessageValidationError,
    PhoneNumberError,
    TextMessage,
    mask_phone,
    mask_phone_in,
    normalize_phone,
    parse_message,
)
from tests.helpers import PHONE_COUNTRIES


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("+44 7700 900123", "+44••••••0123"),
        ("447700900123", "+44••••••0123"),
        (447700900123, "+44••••••0123"),
        ("(+44) 7700-900-123", "+44••••••0123"),
        ("+1 555 010 7201", "+1••••••7201"),
        ("+380 44 123 4567", "+380••••••567"),  # half hidden: 3 last digits
        ("+49 1234 5678901 23", "+49•••••••••0123"),  # 15 digits, the longest
        ("+49 30 901820", "+49•••••820"),  # 10 digits: half stays hidden
        ("+683 4002", "+683••••"),  # Niue, 7 digits: only the country code shows
        ("+1 650 55", "+1••••5"),  # too short: still half hidden
        ("1234", "+••••"),
        ("999 1234 5678", "+•••••••5678"),  # no such country code: none shown
        ("0044 20 7946 0958", "0044••••••0958"),  # as written: 00, then the country code
        ("07911 123456", "0••••••3456"),  # a national number: no country code in it
        ("+44 7700 9OO123", "+44••••••O123"),  # a typo: letters masked like digits
        ("12ab34cd56ef", "••••••••56ef"),  # not a number: no + and no country code
        ("+1 650 CALL NOW", "+1••••••LNOW"),
        (-16505551234, "-1••••••1234"),
        ("oncall", "'oncall'"),  # no digit, no number: as written
        ("", "''"),
        ("x" * 50, "'" + "x" * 40 + "…'"),
        ([447700900123], "<list>"),
        (None, "<NoneType>"),
        (True, "<bool>"),
        ("1" * 60, "+1" + "•" * 32 + "…1111"),
    ],
)
def test_masks(value: Any, shown: str) -> None:
    assert mask_phone(value) == shown


def test_every_country_code_phonenumbers_knows_shows_and_no_other() -> None:
    """Masking has its own table (it imports nothing): it must agree with phonenumbers'."""
    known = {str(code) for code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE}
    for code in known:
        assert mask_phone(f"+{code} 2345 678901").startswith(f"+{code}•"), code
    for prefix in map(str, range(100, 1000)):
        if not any(prefix[:n] in known for n in (1, 2, 3)):
            assert mask_phone(f"+{prefix} 2345 6789").startswith("+•"), prefix


valid_digits = st.sampled_from(PHONE_COUNTRIES).flatmap(
    lambda country: st.builds(
        lambda first, rest: (country[0], country[0] + first + rest),
        st.sampled_from("234567"),
        st.text(alphabet="0123456789", min_size=country[1] - 1, max_size=country[1] - 1),
    )
)


@given(valid_digits, st.sampled_from(["{}", "+{}", " +{} "]))
def test_a_valid_number_shows_its_country_code_and_last_digits(
    drawn: tuple[str, str], form: str
) -> None:
    code, number = drawn
    hidden = max(4, len(number) // 2)
    tail = max(0, min(4, len(number) - hidden - len(code)))
    shown = mask_phone(form.format(number))
    last = number[-tail:] if tail else ""
    assert shown == "+" + code + "•" * (len(number) - len(code) - tail) + last
    assert shown.count("•") >= hidden


@given(st.one_of(st.text(max_size=40), st.integers()))
def test_at_least_half_of_anything_is_hidden(value: str | int) -> None:
    """Whatever the value, at most half its characters (and never the last 4 of fewer than
    8) show: shown characters are the mask's letters and digits."""
    text = str(value).strip()
    chars = [c for c in text if c.isalnum()]
    shown = mask_phone(value)
    if not any(c.isdigit() for c in text):
        assert shown == repr(text)
        return
    visible = [c for c in shown if c.isalnum()]
    assert len(visible) <= max(0, len(chars) - 4)
    assert len(visible) <= 2 + len(chars) // 2  # "00" of an international prefix aside


def digit_runs(text: str) -> list[str]:
    """Runs of digits, spaces, dashes and parentheses between them allowed, as digits."""
    return ["".join(filter(str.isdigit, m)) for m in re.findall(r"\d(?:[ \-()]*\d)*", text)]


@given(st.text(alphabet="0123456789 +-.()abO", min_size=7, max_size=25))
def test_a_refused_number_is_never_repeated_in_full(value: str) -> None:
    """Every refusal's text (syntax, country, length, prefix) masks the value: no run of 6
    of its digits shows, and the value as written does not either."""
    try:
        normalize_phone(value)
    except PhoneNumberError as exc:
        text = str(exc)
        digits = "".join(filter(str.isdigit, value))
        assert value.strip() not in text or len(digits) < 4
        assert exc.shown == mask_phone(value) or exc.shown == "''"
        leaked = [run for run in digit_runs(text) if len(run) >= 6 and run in digits]
        assert not leaked, text


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("+44 7700 9OO123", "contains letters"),
        ("0044 7700 900123", "starts with the international prefix 00"),
        ("07700 900123", "starts with 0, a national number"),
        ("+44 7700 9001", "is too short for country +44 (GB)"),
        ("+999 1234 5678", "has no such country code"),
        ("+44 (0)7700 900123", "has the national prefix 0 after the country code +44"),
        ("+44 7700 900123 999", "is too long for country +44 (GB)"),
    ],
)
def test_the_refusal_names_the_masked_value_and_the_problem(value: str, problem: str) -> None:
    with pytest.raises(PhoneNumberError) as caught:
        normalize_phone(value)
    assert str(caught.value) == f"phone number {mask_phone(value)} {caught.value.problem}"
    assert caught.value.problem.startswith(problem)
    assert "7700900" not in re.sub(r"[ \-()]", "", str(caught.value))


def test_message_errors_name_the_field_not_the_value() -> None:
    """pydantic's text would end with ``input_value='447700900123'``: the models hide it."""
    with pytest.raises(MessageValidationError) as caught:
        TextMessage.create("+44 7700 9001", "hi")
    text = str(caught.value)
    assert text.startswith("1 validation error for TextMessage\nto\n")
    assert f"phone number {mask_phone('+44 7700 9001')} is too short" in text
    assert "input_value" not in text and "7700 9001" not in text
    with pytest.raises(MessageValidationError) as caught:
        TextMessage.create("447700900123", "x" * 5000)
    text = str(caught.value)
    assert "text.body" in text and "4096" in text
    assert "input_value" not in text and "447700900123" not in text
    with pytest.raises(MessageValidationError) as caught:
        parse_message({"to": "447700900123", "type": "telegram"})
    assert "unknown message type" in str(caught.value)
    assert "447700900123" not in str(caught.value) and "input_value" not in str(caught.value)


def test_mask_phone_in_masks_each_writing_of_one_number() -> None:
    text = (
        "Recipient 447700900123 (+44 7700 900123, 44-7700-900123) is not allowed; "
        "4477009001234 and 447700900124 are other numbers"
    )
    assert mask_phone_in(text, "447700900123") == (
        "Recipient +44••••••0123 (+44••••••0123, +44••••••0123) is not allowed; "
        "4477009001234 and 447700900124 are other numbers"
    )
    assert mask_phone_in("code 131047", "131047") == "code 131047"  # too short to be one
