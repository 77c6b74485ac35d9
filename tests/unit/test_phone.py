"""normalize_phone: international digits out, or an error that says how to write the number.

Numbers are realistic: a country code that exists and a length that country's numbers
have (``phonenumbers`` checks both); the US 555 numbers the suite uses are among them.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from airflow_provider_whatsapp.messages import (
    MESSAGE_TYPES,
    MessageValidationError,
    PhoneNumberError,
    RecipientMessage,
    TextMessage,
    mask_phone,
    normalize_phone,
)
from tests.helpers import PHONE_COUNTRIES


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("+1 (650) 555-1234", "16505551234"),
        ("16505551234", "16505551234"),
        ("+44 20 7946 0958", "442079460958"),
        ("49.30.901820", "4930901820"),
        ("  +91-98765-43210 ", "919876543210"),
        ("(+44) 20 7946 0958", "442079460958"),
        ("+1\u00a0650\t555 1234", "16505551234"),
        (16505551234, "16505551234"),
        ("+683 4002", "6834002"),  # Niue: 7 digits, the shortest international number
        ("+49 1234 5678901 23", "491234567890123"),  # Germany: 15 digits, the longest
        ("+1 555 010 0001", "15550100001"),  # the suite's fictional US numbers
        ("+39 06 1234 5678", "390612345678"),  # Italy keeps its 0 after the country code
        ("+800 1234 5678", "80012345678"),  # a worldwide freephone number (no country)
        ("5215512345678", "5215512345678"),  # Mexico as WhatsApp writes it (wa_id 521...)
        ("+7 812 123 4567", "78121234567"),  # St Petersburg: an 8 that is no prefix
    ],
)
def test_normalises(value: str | int, expected: str) -> None:
    assert normalize_phone(value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("0044 20 7946 0958", "international prefix 00: write + in its place, or nothing"),
        ("+0044 20 7946 0958", "international prefix 00"),
        ("07911 123456", "starts with 0, a national number"),
        ("+0 650 555 1234", "starts with 0"),
        ("+1 650 CALL NOW", "contains letters"),
        ("1650555123x4", "contains letters"),
        ("+1 650 555 1234 ext", "contains letters"),
        ("1-650-555-1234#", "contains '#'"),
        ("1/650/555/1234", "contains '/'"),
        ("++16505551234", "a + that is not at the start"),
        ("1650+5551234", "a + that is not at the start"),
        ("+1 650 55", "has 6 digits"),
        (
            "999999999999",
            "has no such country code: it must start with one, and no country's is 9, 99 or 999",
        ),
        (
            "+44 20 7946",
            "is too short for country +44 (GB): 6 digits after the country code, numbers there have 7, 9 or 10",
        ),
        (
            "+1 650 555 12345",
            "is too long for country +1 (US): 11 digits after the country code, numbers there have 10",
        ),
        (
            "+1 555 1234",
            "is too short for country +1 (US): 7 digits after the country code, numbers there have 10 (a local number without its area code?)",
        ),
        ("1234567", "is too short for country +1 (US)"),
        ("123456789012345", "is too long for country +1 (US)"),
        (
            "+44 (0)20 7946 0958",
            "has the national prefix 0 after the country code +44: leave it out (+44 0... ->",
        ),
        (
            "+380 044 123 4567",
            "has the national prefix 0 after the country code +380: leave it out",
        ),
        (
            "+7 8 912 345 67 89",
            "has the national prefix 8 after the country code +7: leave it out (+7 8... -> +7",
        ),
        ("1234567890123456", "has 16 digits"),
        ("", "is empty"),
        ("   ", "is empty"),
        ("+", "has no digits"),
        ("()-", "has no digits"),
        ("\u0661\u0666\u0665\u0660\u0665\u0665\u0665\u0661\u0662\u0663\u0664", "contains"),
        (-16505551234, "negative"),
        (True, "string or an integer"),
        (None, "string or an integer"),
        (1.5, "string or an integer"),
    ],
)
def test_rejects_with_the_reason(value: Any, reason: str) -> None:
    with pytest.raises(PhoneNumberError) as caught:
        normalize_phone(value)
    assert reason in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_every_model_recipient_runs_through_it() -> None:
    for message_class in MESSAGE_TYPES:
        if issubclass(message_class, RecipientMessage):
            assert "to" in message_class.model_fields
    with pytest.raises(MessageValidationError, match="international prefix 00") as caught:
        TextMessage.create("0049 30 901820", "hi")
    assert caught.value.errors()[0]["loc"] == ("to",)


valid_digits = st.sampled_from(PHONE_COUNTRIES).flatmap(
    lambda country: st.builds(
        lambda first, rest: country[0] + first + rest,
        st.sampled_from("234567"),
        st.text(alphabet="0123456789", min_size=country[1] - 1, max_size=country[1] - 1),
    )
)
separators = st.sampled_from(["", "", " ", "-", ".", "(", ")", " (", ") ", "  "])


@st.composite
def formatted(draw: st.DrawFn, digits: str) -> str:
    """``digits`` as a person might write them: separators anywhere, maybe a + in front."""
    parts = [draw(separators) + digit for digit in digits]
    plus = draw(st.sampled_from(["", "+", "+ ", " +"]))
    return plus + "".join(parts) + draw(separators)


@given(st.data(), valid_digits)
def test_any_formatting_of_a_valid_number_normalises_back(data: st.DataObject, digits: str) -> None:
    assert normalize_phone(data.draw(formatted(digits))) == digits


@given(valid_digits)
def test_integers_normalise(digits: str) -> None:
    assert normalize_phone(int(digits)) == digits


@given(st.data(), valid_digits, st.text(alphabet="abcXYZéß", min_size=1, max_size=3))
def test_letters_anywhere_are_rejected(data: st.DataObject, digits: str, letters: str) -> None:
    position = data.draw(st.integers(min_value=0, max_value=len(digits)))
    with pytest.raises(PhoneNumberError, match="letters"):
        normalize_phone(digits[:position] + letters + digits[position:])


@given(valid_digits, st.sampled_from(["00", "+00", "00 "]))
def test_double_zero_prefix_is_rejected(digits: str, prefix: str) -> None:
    with pytest.raises(PhoneNumberError, match="00"):
        normalize_phone(prefix + digits)


@given(valid_digits)
def test_leading_zero_is_rejected(national: str) -> None:
    with pytest.raises(PhoneNumberError, match="starts with 0, a national number"):
        normalize_phone("0" + national)


@given(
    st.sampled_from("123456789"),
    st.one_of(
        st.text(alphabet="0123456789", max_size=5),
        st.text(alphabet="0123456789", min_size=15, max_size=30),
    ),
)
def test_wrong_length_is_rejected(first: str, rest: str) -> None:
    with pytest.raises(PhoneNumberError, match="digits"):
        normalize_phone(first + rest)


@given(st.one_of(st.text(), st.integers(), st.none(), st.floats(), st.binary(), st.booleans()))
def test_anything_either_normalises_or_raises_value_error(value: Any) -> None:
    try:
        result = normalize_phone(value)
    except PhoneNumberError:
        return
    assert result.isascii() and result.isdigit()
    assert 7 <= len(result) <= 15
    assert not result.startswith("0")


@given(st.sampled_from("123456789"), st.text(alphabet="0123456789", min_size=6, max_size=14))
def test_any_digits_give_themselves_or_name_the_country_problem(first: str, rest: str) -> None:
    """Past the cheap checks, a number either keeps its digits or is refused for its
    country code or its length in that country (or a national prefix), never otherwise."""
    try:
        result = normalize_phone(first + rest)
    except PhoneNumberError as exc:
        assert re.match(
            r"has no such country code|is too (short|long) for country \+\d|has a length no "
            r"number of country \+\d|has the national prefix \d+ after the country code",
            exc.problem,
        ), exc.problem
        assert str(exc) == f"phone number {mask_phone(first + rest)} {exc.problem}"
        assert exc.shown == mask_phone(first + rest)
        return
    assert result == first + rest


@given(st.text(alphabet="0123456789 +-.()", max_size=25))
def test_number_like_text_never_raises_anything_else(value: str) -> None:
    try:
        result = normalize_phone(value)
    except PhoneNumberError:
        return
    digits = "".join(char for char in value if char.isdigit())
    assume(result)
    assert result == digits
