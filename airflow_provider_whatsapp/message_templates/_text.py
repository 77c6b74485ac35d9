"""Placeholder syntax shared by the definition models, the send pre-flight and the sync diff.

One parser, so that what a definition accepts, what a send is checked against and what the
sync compares all agree on what ``{{1}}`` and ``{{first_name}}`` mean.
"""

from __future__ import annotations

import re
from typing import Any

from ..limits import (
    NAMED_PLACEHOLDER_PATTERN,
    PLACEHOLDER_PATTERN,
    POSITIONAL_PLACEHOLDER_PATTERN,
)

_ADJACENT_RE = re.compile(r"\}\}\s*\{\{")


def upper(value: Any) -> Any:
    """Upper-case a string (enums arrive in any case: the API accepts both, reads return upper)."""
    return value.strip().upper() if isinstance(value, str) else value


def raw_placeholders(text: str | None) -> list[str]:
    """Every ``{{...}}`` inner text in order of appearance, repeats included."""
    return [match.group(1) for match in PLACEHOLDER_PATTERN.finditer(text or "")]


def placeholder_names(text: str | None) -> list[str]:
    """Distinct placeholder names in the order a send supplies them.

    Positional ``{{n}}`` come in numeric order; named ones in order of first appearance.
    """
    distinct = list(dict.fromkeys(name.strip() for name in raw_placeholders(text)))
    if distinct and all(POSITIONAL_PLACEHOLDER_PATTERN.fullmatch(name) for name in distinct):
        return sorted(distinct, key=int)
    return distinct


def is_named(names: list[str]) -> bool:
    """True when the placeholders are ``{{name}}``-style rather than ``{{1}}``-style."""
    return any(not POSITIONAL_PLACEHOLDER_PATTERN.fullmatch(name) for name in names)


def format_names(names: list[str] | tuple[str, ...]) -> str:
    """``{{1}}, {{2}}`` for messages."""
    return ", ".join("{{" + name + "}}" for name in names)


def placeholder_problems(text: str, *, edges_matter: bool = False) -> list[str]:
    """Syntax problems Meta rejects a template for (each costs a review cycle, so catch them here).

    ``edges_matter``: body text may neither start nor end with a placeholder.
    """
    problems: list[str] = []
    names = raw_placeholders(text)
    leftover = PLACEHOLDER_PATTERN.sub("", text)
    if "{{" in leftover or "}}" in leftover:
        problems.append("has an unmatched '{{' or '}}'")
    invalid = [
        n
        for n in names
        if not (
            POSITIONAL_PLACEHOLDER_PATTERN.fullmatch(n) or NAMED_PLACEHOLDER_PATTERN.fullmatch(n)
        )
    ]
    if invalid:
        problems.append(
            f"has an invalid placeholder {{{{{invalid[0]}}}}}: use {{{{1}}}}, {{{{2}}}}... "
            "or lower_snake_case names such as {{first_name}}"
        )
        return problems
    positional = sorted({int(n) for n in names if POSITIONAL_PLACEHOLDER_PATTERN.fullmatch(n)})
    if positional and len(positional) != len(set(names)):
        problems.append("mixes {{1}}-style and named placeholders")
    elif positional and positional != list(range(1, len(positional) + 1)):
        found = format_names([str(n) for n in positional])
        last = "{{" + str(len(positional)) + "}}"
        problems.append(f"placeholders must run {{{{1}}}}..{last} without gaps, found {found}")
    if _ADJACENT_RE.search(text):
        problems.append("has two placeholders next to each other: put text between them")
    stripped = text.strip()
    if edges_matter and names and (stripped.startswith("{{") or stripped.endswith("}}")):
        problems.append("must not start or end with a placeholder")
    return problems
