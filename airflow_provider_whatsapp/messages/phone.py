"""Recipient phone numbers: E.164 digits without the plus, which is all the API accepts."""

from __future__ import annotations

import re

__all__ = ["MAX_PHONE_DIGITS", "MIN_PHONE_DIGITS", "PhoneNumberError", "normalize_phone"]

MIN_PHONE_DIGITS = 7
MAX_PHONE_DIGITS = 15

# Separators people write inside numbers; removed before checking what is left.
_SEPARATORS = re.compile(r"[\s\-.()]+")
_DIGITS = re.compile(r"[0-9]+")


class PhoneNumberError(ValueError):
    """A phone number that cannot be sent to; the message says why and how to write it."""


def normalize_phone(value: str | int) -> str:
    """Return ``value`` as the API wants it: international digits, no ``+``, no separators.

    ``"+1 (650) 555-1234"`` becomes ``"16505551234"``. Numbers that would need a guess
    (``00`` prefix, national numbers with a leading 0) are errors rather than guesses:
    a wrong guess sends the message to a stranger.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise PhoneNumberError(
            f"phone number must be a string or an integer, got {type(value).__name__}"
        )
    if isinstance(value, int) and value < 0:
        raise PhoneNumberError(f"phone number {value} is negative")
    text = str(value).strip()
    if not text:
        raise PhoneNumberError("phone number is empty")
    digits = _SEPARATORS.sub("", text)
    if digits.startswith("+"):
        digits = digits[1:]
    if not _DIGITS.fullmatch(digits):
        raise PhoneNumberError(_explain_bad_characters(text, digits))
    if digits.startswith("00"):
        international = digits[2:]
        raise PhoneNumberError(
            f"phone number {text!r} starts with the international prefix 00: "
            f"write +{international} or {international}"
        )
    if digits.startswith("0"):
        raise PhoneNumberError(
            f"phone number {text!r} starts with 0, a national number: write it in "
            "international form with the country code and without the leading 0 "
            "(UK 07911 123456 -> 447911123456)"
        )
    if not MIN_PHONE_DIGITS <= len(digits) <= MAX_PHONE_DIGITS:
        raise PhoneNumberError(
            f"phone number {text!r} has {len(digits)} digits: an international number "
            f"(country code included) has {MIN_PHONE_DIGITS} to {MAX_PHONE_DIGITS}"
        )
    return digits


def _explain_bad_characters(text: str, digits: str) -> str:
    allowed = "only digits, spaces, dashes, dots, parentheses and one leading + are allowed"
    if not digits:
        return f"phone number {text!r} has no digits"
    if any(char.isalpha() for char in digits):
        return f"phone number {text!r} contains letters: {allowed}"
    if "+" in digits:
        return f"phone number {text!r} has a + that is not at the start: {allowed}"
    bad = next(char for char in digits if not ("0" <= char <= "9"))
    return f"phone number {text!r} contains {bad!r}: {allowed}"
