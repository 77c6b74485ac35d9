"""Building blocks shared by the component and button models."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict


def strip_text(value: Any) -> Any:
    """Strip both ends before a limit is checked (YAML ``|`` blocks end with a newline)."""
    return value.strip() if isinstance(value, str) else value


def max_chars(limit: int) -> Callable[[str], str]:
    """A validator whose message names the limit: ``61 characters, over the limit of 60``."""

    def check(value: str) -> str:
        if not value:
            raise ValueError("must not be empty")
        if len(value) > limit:
            raise ValueError(f"{len(value)} characters, over the limit of {limit}")
        return value

    return check


class StrictModel(BaseModel):
    """Unknown keys are errors: in a declarative file they are almost always typos."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


def type_tag(value: Any) -> str | None:
    """Discriminator that ignores case, so ``{"type": "body"}`` finds the BODY model."""
    tag = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return tag.strip().upper() if isinstance(tag, str) else None


def raise_problems(problems: list[str]) -> None:
    # One line per problem: describe_validation_error() splits them back apart.
    if problems:
        raise ValueError("\n".join(problems))
