"""A ``to`` value as a list of recipients, and the check a DAG file's parse can afford.

``to`` may be one number or business-scoped user id (``US.13491208655302741918``),
comma-separated text, a list, or a list Jinja rendered to text.
Splitting it and judging each literal item without country data needs nothing but the
standard library, so a notifier's constructor runs this at every parse of a DAG file;
:mod:`.fanout` (the send) is imported only when a callback sends.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["is_templated", "split_recipients", "syntax_problems"]

_JINJA_MARKS = ("{{", "{%")
_QUOTES = "'\""


def is_templated(value: Any) -> bool:
    """Text Jinja has yet to render (checked only once it is)."""
    return isinstance(value, str) and any(mark in value for mark in _JINJA_MARKS)


def split_recipients(value: Any) -> list[Any]:
    """One number, a comma-separated string, a list, or a list rendered to text.

    ``"{{ params.team }}"`` renders a list as ``"['+1 555 0100', '1555']"`` (or JSON with
    ``| tojson``): brackets, quotes and commas are separators, as no phone number holds
    one. A list's strings are split the same way (a Variable rendered into one item may
    hold several numbers; a business-scoped user id holds none of those separators either);
    other items (an int, a wrong type) are kept as they are, so
    the phone check can name them.
    """
    if value is None:
        return []
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("[") and text.endswith("]"):
            parts = (part.strip().strip(_QUOTES).strip() for part in text[1:-1].split(","))
            return [part for part in parts if part]
        return [part.strip() for part in text.split(",") if part.strip()]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [part for item in value for part in split_recipients(item)]
    return [value]


def syntax_problems(items: Sequence[Any]) -> list[str]:
    """``recipient 1 of 3, ••••••••56ef, contains letters`` for each literal item that can never
    be a number or a business-scoped user id, judged without country data (so without
    importing ``phonenumbers``): what a DAG file's parse can afford. Jinja and non-numbers
    are left to the send."""
    from ..messages.phone import PhoneNumberError, check_recipient_syntax

    problems = []
    for position, item in enumerate(items, start=1):
        if is_templated(item) or not isinstance(item, (str, int)):
            continue
        try:
            check_recipient_syntax(item)
        except PhoneNumberError as exc:
            problems.append(f"recipient {position} of {len(items)}, {exc.shown}, {exc.problem}")
    return problems
