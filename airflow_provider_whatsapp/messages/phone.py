"""Recipient phone numbers: E.164 digits without the plus, which is all the API accepts.

Two stages. ``check_phone_syntax`` is cheap (characters, prefixes, 7 to 15 digits): it
runs where a DAG file is parsed (the notifier's constructor), so it imports nothing.
``normalize_phone`` adds the country code and the length that country's numbers have,
from ``phonenumbers`` (Google's libphonenumber metadata), imported only when it runs.
"""

from __future__ import annotations

import re

from .._errors import WhatsAppValidationError

__all__ = [
    "MAX_PHONE_DIGITS",
    "MIN_PHONE_DIGITS",
    "PhoneNumberError",
    "check_phone_syntax",
    "normalize_phone",
]

MIN_PHONE_DIGITS = 7
MAX_PHONE_DIGITS = 15

# Separators people write inside numbers; removed before checking what is left.
_SEPARATORS = re.compile(r"[\s\-.()]+")
_DIGITS = re.compile(r"[0-9]+")
_MASK = "•••••"


class PhoneNumberError(WhatsAppValidationError):
    """A phone number that cannot be sent to; the message says why and how to write it.

    ``problem`` says what is wrong without the number (for a line that names the
    recipient its own way); ``shown`` is the value as a log may show it: as written when
    it is not a phone number at all, masked (``+44•••••0123``) when it looks like one.
    """

    def __init__(self, message: str, *, problem: str | None = None, shown: str = "") -> None:
        super().__init__(message)
        self.problem = problem or message
        self.shown = shown


def _syntax_error(text: str, problem: str) -> PhoneNumberError:
    return PhoneNumberError(f"phone number {text!r} {problem}", problem=problem, shown=repr(text))


def check_phone_syntax(value: str | int) -> str:
    """The digits of ``value``, or a ``PhoneNumberError`` if no number can be written so.

    Characters, ``00``/``0`` prefixes and the 7 to 15 digits of any international
    number: what can be judged without knowing countries, cheaply enough for DAG parsing.
    ``"+1 (650) 555-1234"`` gives ``"16505551234"``. Numbers that would need a guess
    (``00`` prefix, national numbers with a leading 0) are errors rather than guesses: a
    wrong guess sends the message to a stranger.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        problem = f"must be a string or an integer, got {type(value).__name__}"
        raise PhoneNumberError(f"phone number {problem}", problem=problem, shown=repr(value))
    if isinstance(value, int) and value < 0:
        raise _syntax_error(str(value), "is negative")
    text = str(value).strip()
    if not text:
        raise PhoneNumberError("phone number is empty", problem="is empty", shown=repr(text))
    digits = _SEPARATORS.sub("", text)
    if digits.startswith("+"):
        digits = digits[1:]
    if not _DIGITS.fullmatch(digits):
        raise _syntax_error(text, _explain_bad_characters(digits))
    if digits.startswith("00"):
        international = digits[2:]
        raise _syntax_error(
            text,
            f"starts with the international prefix 00: write +{international} or {international}",
        )
    if digits.startswith("0"):
        raise _syntax_error(
            text,
            "starts with 0, a national number: write it in international form with the "
            "country code and without the leading 0 (UK 07911 123456 -> 447911123456)",
        )
    if not MIN_PHONE_DIGITS <= len(digits) <= MAX_PHONE_DIGITS:
        raise _syntax_error(
            text,
            f"has {len(digits)} digits: an international number (country code included) "
            f"has {MIN_PHONE_DIGITS} to {MAX_PHONE_DIGITS}",
        )
    return digits


def normalize_phone(value: str | int) -> str:
    """Return ``value`` as the API wants it: international digits, no ``+``, no separators.

    ``"+1 (650) 555-1234"`` becomes ``"16505551234"``. Beyond ``check_phone_syntax``, the
    number must start with a country code that exists and have a length that country's
    numbers have (``999999999999``: no such country code; ``+44 20 7946``: too short for
    +44). The digits are returned as written, never rewritten.
    """
    digits = check_phone_syntax(value)
    _check_country_and_length(digits, str(value).strip())
    return digits


# WhatsApp writes Mexican mobile numbers with the "1" Mexico dropped in 2019 (wa_id
# 521 + ten digits); numbers copied from a webhook look so and reach their owner.
_WHATSAPP_MEXICO = re.compile(r"521[0-9]{10}")


def _check_country_and_length(digits: str, text: str) -> None:
    """Raise ``PhoneNumberError`` unless ``+digits`` has a country code and a length that
    country's numbers can have.

    ``is_possible_number`` (the lengths a country's numbers have), not
    ``is_valid_number`` (the ranges allocated today): the allocation tables change every
    few weeks and lag behind on an installed system, so "valid" would refuse a real new
    number, silencing an alert to it, and it refuses the reserved fictional ranges
    (US 555-01xx) that tests and demos use. A wrong length or an unknown country code is
    a typo on every version of the tables; a number the gateway still refuses (not on
    WhatsApp) gets its own error from the API.
    """
    import phonenumbers

    if _WHATSAPP_MEXICO.fullmatch(digits):
        return
    shown = _masked(digits)
    try:
        number = phonenumbers.parse("+" + digits)
    except phonenumbers.NumberParseException as exc:
        if exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            codes = [digits[:1], digits[:2], digits[:3]]
            problem = (
                f"has no such country code: it must start with one, and no country's is "
                f"{codes[0]}, {codes[1]} or {codes[2]}"
            )
        else:  # too short or too long once the country code is read
            problem = f"cannot be read as an international number ({exc})"
        raise PhoneNumberError(
            f"phone number {text!r} {problem}", problem=problem, shown=shown
        ) from None
    code = number.country_code or 0
    reason = phonenumbers.is_possible_number_with_reason(number)
    problem = ""
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
        problem = _length_problem(digits, code, reason)
    else:
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:]
        if e164 != digits:  # read without something after the country code: +44 (0)20 ...
            problem = _prefix_problem(digits, e164, code)
    if problem:
        shown = _masked(digits, code)
        raise PhoneNumberError(f"phone number {text!r} {problem}", problem=problem, shown=shown)


def _length_problem(digits: str, code: int, reason: int) -> str:
    import phonenumbers

    result = phonenumbers.ValidationResult
    region = phonenumbers.region_code_for_country_code(code)
    if region == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY:
        metadata = phonenumbers.PhoneMetadata.metadata_for_nongeo_region(code)
        country = f"+{code}"
    else:
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
        country = f"+{code} ({region})"
    desc = metadata.general_desc if metadata else None
    lengths = tuple(desc.possible_length) if desc and desc.possible_length else ()
    have = f"{len(digits) - len(str(code))} digits after the country code"
    if lengths:
        words = [str(n) for n in sorted(lengths)]
        listed = words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"
        have += f", numbers there have {listed}"
    if reason == result.TOO_LONG:
        return f"is too long for country {country}: {have}"
    if reason == result.IS_POSSIBLE_LOCAL_ONLY:
        return f"is too short for country {country}: {have} (a local number without its area code?)"
    if reason == result.TOO_SHORT:
        return f"is too short for country {country}: {have}"
    return f"has a length no number of country {country} has: {have}"


def _prefix_problem(digits: str, e164: str, code: int) -> str:
    """The problem when ``digits`` is ``e164`` with the country's national prefix written
    after the country code (``+44 (0)20 ...``, ``+7 8 912 ...``), else "" (no problem).

    Only that prefix: what else ``phonenumbers`` may drop (carrier codes) could be part of
    a number its tables do not know yet, so such digits are sent as written.
    """
    import phonenumbers

    metadata = phonenumbers.PhoneMetadata.metadata_for_region(
        phonenumbers.region_code_for_country_code(code)
    )
    prefix = metadata.national_prefix if metadata else None
    cc = str(code)
    if not prefix or digits != cc + prefix + e164[len(cc) :]:
        return ""
    return (
        f"has the national prefix {prefix} after the country code +{cc}: write +{e164} "
        "(country code, then the number without its national prefix)"
    )


def _masked(digits: str, country_code: int | None = None) -> str:
    """``+44•••••0123``: enough for its owner to find the number in a list, no more."""
    head = str(country_code) if country_code is not None else digits[:3]
    return f"+{head}{_MASK}{digits[-4:]}"


def _explain_bad_characters(digits: str) -> str:
    allowed = "only digits, spaces, dashes, dots, parentheses and one leading + are allowed"
    if not digits:
        return "has no digits"
    if any(char.isalpha() for char in digits):
        return f"contains letters: {allowed}"
    if "+" in digits:
        return f"has a + that is not at the start: {allowed}"
    bad = next(char for char in digits if not ("0" <= char <= "9"))
    return f"contains {bad!r}: {allowed}"
