"""Recipients: phone numbers (E.164 digits without the plus) and business-scoped user ids.

Two stages. ``check_phone_syntax`` is cheap (characters, prefixes, 7 to 15 digits): it
runs where a DAG file is parsed (the notifier's constructor), so it imports nothing.
``normalize_phone`` adds the country code and the length that country's numbers have,
from ``phonenumbers`` (Google's libphonenumber metadata), imported only when it runs.

A user who hides their number behind a username (WhatsApp, 2026) is addressed by a
business-scoped user id instead (BSUID, ``US.13491208655302741918``; a parent BSUID
``US.ENT.506847293015824``): ``normalize_recipient`` / ``check_recipient_syntax`` take
either, judging a value that starts like a BSUID (two letters and a dot) by the rule book's
``BSUID_PATTERN`` and anything else as a number.

Numbers and BSUIDs are personal data: every log line and error text the provider writes
shows them through ``mask_phone`` (``+44••••••0123``, ``US.••••••••••••••••1918``), this
module's errors included.
"""

from __future__ import annotations

import re

from .._errors import WhatsAppValidationError
from ..limits import BSUID_ID_MAX, BSUID_PARENT_MARK, BSUID_PATTERN

__all__ = [
    "MAX_PHONE_DIGITS",
    "MIN_PHONE_DIGITS",
    "BusinessScopedUserIdError",
    "PhoneNumberError",
    "check_bsuid",
    "check_phone_syntax",
    "check_recipient_syntax",
    "is_bsuid",
    "mask_phone",
    "mask_phone_in",
    "normalize_phone",
    "normalize_recipient",
]

MIN_PHONE_DIGITS = 7
MAX_PHONE_DIGITS = 15

# Separators people write inside numbers; removed before checking what is left.
_SEPARATORS = re.compile(r"[\s\-.()]+")
_DIGITS = re.compile(r"[0-9]+")

# -- masking ------------------------------------------------------------------------------
#: ITU-T E.164 country calling codes (those ``phonenumbers`` knows; a test keeps them
#: equal). No code is the start of another, so the one a number starts with is unique.
# fmt: off
_COUNTRY_CODES = frozenset({
    1, 7, 20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51,
    52, 53, 54, 55, 56, 57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92,
    93, 94, 95, 98, 211, 212, 213, 216, 218, 220, 221, 222, 223, 224, 225, 226, 227,
    228, 229, 230, 231, 232, 233, 234, 235, 236, 237, 238, 239, 240, 241, 242, 243, 244,
    245, 246, 247, 248, 249, 250, 251, 252, 253, 254, 255, 256, 257, 258, 260, 261, 262,
    263, 264, 265, 266, 267, 268, 269, 290, 291, 297, 298, 299, 350, 351, 352, 353, 354,
    355, 356, 357, 358, 359, 370, 371, 372, 373, 374, 375, 376, 377, 378, 380, 381, 382,
    383, 385, 386, 387, 389, 420, 421, 423, 500, 501, 502, 503, 504, 505, 506, 507, 508,
    509, 590, 591, 592, 593, 594, 595, 596, 597, 598, 599, 670, 672, 673, 674, 675, 676,
    677, 678, 679, 680, 681, 682, 683, 685, 686, 687, 688, 689, 690, 691, 692, 800, 808,
    850, 852, 853, 855, 856, 870, 878, 880, 881, 882, 883, 886, 888, 960, 961, 962, 963,
    964, 965, 966, 967, 968, 970, 971, 972, 973, 974, 975, 976, 977, 979, 992, 993, 994,
    995, 996, 998
})
# fmt: on
_HIDDEN = "\u2022"  # •, one per hidden character
_HIDE_AT_LEAST = 4  # hidden characters at least (and half the number's): short ones stay hidden
_TAIL = 4  # last characters shown
_BULLETS_SHOWN = 32  # characters of a long value's mask; the rest is "…"
_QUOTED_CHARS = 40  # characters of a value with no digit (it holds no number) shown as written
# What a BSUID starts with (country, dot, the parent's ENT.): any value starting so is read
# as a BSUID, well formed or not, since no phone number starts with letters.
_BSUID_LEAD = re.compile(rf"[A-Za-z]{{2}}\.(?:{BSUID_PARENT_MARK}\.)?", re.IGNORECASE)
_BSUID_START = re.compile(r"[A-Za-z]{2}\.")


def _country_code(digits: str) -> str:
    """The calling code ``digits`` starts with (``44`` of ``447700900123``), else ""."""
    if not digits[:1].isdigit() or digits.startswith("0"):
        return ""
    return next((digits[:n] for n in (1, 2, 3) if int(digits[:n]) in _COUNTRY_CODES), "")


def is_bsuid(value: object) -> bool:
    """Whether ``value`` is written as a business-scoped user id (two letters and a dot
    first: ``US.13491208655302741918``), well formed or not; no phone number starts so."""
    return isinstance(value, str) and _BSUID_START.match(value.strip()) is not None


def _mask_bsuid(text: str) -> str:
    """``US.••••••••••••••••1918``: the country (and ``ENT.``) as written, then the id as
    :func:`mask_phone` hides a number's digits."""
    lead = _BSUID_LEAD.match(text)
    head = lead.group() if lead else text[:3]
    rest = "".join(char for char in text[len(head) :] if char.isalnum())
    hidden = max(_HIDE_AT_LEAST, len(rest) // 2)
    tail = max(0, min(_TAIL, len(rest) - hidden))
    middle = len(rest) - tail
    dots = _HIDDEN * min(middle, _BULLETS_SHOWN) + ("…" if middle > _BULLETS_SHOWN else "")
    return head + dots + (rest[-tail:] if tail else "")


def mask_phone(value: object) -> str:
    """``value`` as a log line or an error text may show it: ``+44••••••0123``.

    The country code and the last 4 characters, every other digit a ``•`` (one each):
    enough for its owner to find it in a list, not enough to call it. Separators are
    dropped. What is not a number is masked the same way if it holds any digit, letters
    included (``+44 7700 9OO123`` is a typo of a real number: ``+44••••••O123``); no ``+``
    unless written or the value is a number, no country code unless it is. Short values
    keep at least half (and at least 4) of their characters hidden, the country code and
    the last characters giving way first. A value without a digit holds no number: it is
    shown quoted, as written (``'oncall'``); one that is neither text nor an integer by
    its type (``<list>``). A business-scoped user id shows its country (and the parent's
    ``ENT.``) and the last characters of its id: ``US.••••••••••••••••1918``. Imports
    nothing: cheap wherever it runs.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return f"<{type(value).__name__}>"
    text = str(value).strip()
    if is_bsuid(text):
        return _mask_bsuid(text)
    sign = "-" if text.startswith("-") else ""  # a negative integer
    if not any(char.isdigit() for char in text):
        shown = text if len(text) <= _QUOTED_CHARS else text[:_QUOTED_CHARS] + "…"
        return repr(shown)
    chars = "".join(char for char in text if char.isalnum())
    number = chars.isdigit() and chars.isascii()
    if number and chars.startswith("00"):  # international prefix, then the country code
        prefix = "00"
    elif number and chars.startswith("0"):  # a national number: no country code in it
        prefix = "0"
    else:
        prefix = ""
    rest = chars[len(prefix) :]
    code = _country_code(rest) if number and prefix != "0" else ""
    plus = text.startswith("+") or (number and not prefix and not sign)
    if text.startswith("+") and not number:  # written as international: its code shows
        lead = re.match(r"[0-9]+", rest)
        code = _country_code(lead.group()) if lead else ""
    hidden = max(_HIDE_AT_LEAST, len(rest) // 2)
    head = prefix + code
    if len(chars) - hidden < len(head):
        head = ""
    tail = max(0, min(_TAIL, len(chars) - hidden - len(head)))
    middle = len(chars) - len(head) - tail
    dots = _HIDDEN * min(middle, _BULLETS_SHOWN) + ("…" if middle > _BULLETS_SHOWN else "")
    return (sign or ("+" if plus else "")) + head + dots + (chars[-tail:] if tail else "")


def mask_phone_in(text: str, phone: object) -> str:
    """``text`` with every writing of ``phone``'s digits (separators between them allowed,
    a ``+`` in front) replaced by :func:`mask_phone`: for texts others wrote, such as an
    API error that echoes the recipient. ``phone`` with fewer than 7 digits: unchanged.
    A business-scoped user id is replaced where written whole, and where its id stands
    alone (7 characters or more)."""
    if is_bsuid(phone):
        bsuid = str(phone).strip()
        lead = _BSUID_LEAD.match(bsuid)
        ident = bsuid[lead.end() :] if lead else ""
        alone = f"|{re.escape(ident)}" if len(ident) >= MIN_PHONE_DIGITS else ""
        written = re.compile(rf"(?<![A-Za-z0-9])(?:{re.escape(bsuid)}{alone})(?![A-Za-z0-9])")
        return written.sub(lambda _: mask_phone(bsuid), text)
    digits = "".join(char for char in str(phone) if char.isdigit())
    if len(digits) < MIN_PHONE_DIGITS:
        return text
    spaced = r"[\s\-.()]*".join(map(re.escape, digits))
    pattern = re.compile(rf"(?<![0-9])\+?{spaced}(?![0-9])")
    return pattern.sub(lambda _: mask_phone(digits), text)


class PhoneNumberError(WhatsAppValidationError):
    """A phone number that cannot be sent to; the message says why and how to write it.

    The text shows the value masked (:func:`mask_phone`), never in full: it reaches task
    logs and failed callbacks that anyone reading the DAG's logs sees. ``problem`` says
    what is wrong without the value (for a line that names the recipient its own way);
    ``shown`` is the value as masked.
    """

    def __init__(self, message: str, *, problem: str | None = None, shown: str = "") -> None:
        super().__init__(message)
        self.problem = problem or message
        self.shown = shown


class BusinessScopedUserIdError(PhoneNumberError):
    """A business-scoped user id (BSUID) that is not written as one; the text shows it
    masked and says how a BSUID is written. A :class:`PhoneNumberError`: wherever a bad
    number is reported on its own, so is a bad BSUID."""


def _error(value: object, problem: str) -> PhoneNumberError:
    shown = mask_phone(value)
    return PhoneNumberError(f"phone number {shown} {problem}", problem=problem, shown=shown)


_BSUID_EXAMPLE = "US.13491208655302741918; a parent BSUID: US.ENT.506847293015824"


def check_bsuid(value: str) -> str:
    """``value`` (stripped) if it is a business-scoped user id as the rule book writes
    one, else a :class:`BusinessScopedUserIdError` saying what is wrong (value masked).

    Nothing is rewritten (a lower-case country is an error, not a guess): a BSUID is an
    opaque id, and one changed by a guess may be another user's.
    """
    text = value.strip()
    if BSUID_PATTERN.fullmatch(text):
        return text
    lead = _BSUID_LEAD.match(text)
    ident = text[lead.end() :] if lead else ""
    parent = lead.group()[3:] if lead else ""
    if not text[:2].isupper():
        problem = f"must start with its country code in upper case ({text[:2].upper()}.…)"
    elif parent and parent != BSUID_PARENT_MARK + ".":
        problem = f"must write the parent mark in upper case ({BSUID_PARENT_MARK}.)"
    elif not ident:
        problem = "has no id after the country code"
    elif len(ident) > BSUID_ID_MAX:
        problem = f"has an id of {len(ident)} characters, more than {BSUID_ID_MAX}"
    else:
        bad = next(char for char in ident if not (char.isascii() and char.isalnum()))
        problem = f"contains {bad!r}: its id holds only letters and digits"
    problem += f" (a business-scoped user id is written {_BSUID_EXAMPLE})"
    shown = mask_phone(text)
    raise BusinessScopedUserIdError(
        f"business-scoped user id {shown} {problem}", problem=problem, shown=shown
    )


def check_recipient_syntax(value: str | int) -> str:
    """:func:`check_phone_syntax` for a number, :func:`check_bsuid` for a value written
    as a business-scoped user id: what a DAG file's parse can afford."""
    if is_bsuid(value):
        return check_bsuid(str(value))
    return check_phone_syntax(value)


def normalize_recipient(value: str | int) -> str:
    """What the API is sent for a recipient: :func:`normalize_phone`'s digits for a
    number, the business-scoped user id as written (checked by :func:`check_bsuid`)."""
    if is_bsuid(value):
        return check_bsuid(str(value))
    return normalize_phone(value)


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
        raise PhoneNumberError(f"phone number {problem}", problem=problem, shown=mask_phone(value))
    if isinstance(value, int) and value < 0:
        raise _error(value, "is negative")
    text = str(value).strip()
    if not text:
        raise PhoneNumberError("phone number is empty", problem="is empty", shown=repr(text))
    digits = _SEPARATORS.sub("", text)
    if digits.startswith("+"):
        digits = digits[1:]
    if not _DIGITS.fullmatch(digits):
        raise _error(text, _explain_bad_characters(digits))
    if digits.startswith("00"):
        raise _error(
            text,
            "starts with the international prefix 00: write + in its place, or nothing "
            "(+44..., not 0044...)",
        )
    if digits.startswith("0"):
        raise _error(
            text,
            "starts with 0, a national number: write it in international form with the "
            "country code and without the leading 0 (UK 07911 123456 -> 447911123456)",
        )
    if not MIN_PHONE_DIGITS <= len(digits) <= MAX_PHONE_DIGITS:
        raise _error(
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
        raise _error(text, problem) from None
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
        raise _error(text, problem)


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
        f"has the national prefix {prefix} after the country code +{cc}: leave it out "
        f"(+{cc} {prefix}... -> +{cc} ...: the country code, then the number without its "
        "national prefix)"
    )


def _explain_bad_characters(digits: str) -> str:
    allowed = "only digits, spaces, dashes, dots, parentheses and one leading + are allowed"
    if not digits:
        return "has no digits"
    if any(char.isalpha() for char in digits):
        return (
            f"contains letters: {allowed} (a user without a number is addressed by their "
            f"business-scoped user id: {_BSUID_EXAMPLE})"
        )
    if "+" in digits:
        return f"has a + that is not at the start: {allowed}"
    bad = next(char for char in digits if not ("0" <= char <= "9"))
    return f"contains {bad!r}: {allowed}"
