"""Checking a message before the one part of it that a task learns later.

A bulk message's ``to`` comes from each recipient; a local file's media id from its
upload. Both messages are checked before anything is sent, and neither part is made up
for the check (a made-up number or id can itself break a rule, or pass one the real
value would not): the part is left out, and only the error saying it is missing is
set aside. Imported at execute time only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def check_message_without(data: Mapping[str, Any], part: str, missing_error: str) -> None:
    """Validate ``data`` (a message in the API's shape, ``part`` left out) by every rule
    but those of ``part``; raise the ``pydantic.ValidationError`` of the rest.

    ``missing_error`` is the error type the models give for ``part`` being absent
    (``missing`` for a field; ``media_source`` for media with neither id nor link). A
    message that is valid without ``part`` does not take it at all: that is an error too.
    """
    from pydantic import ValidationError
    from pydantic_core import PydanticCustomError

    from ..messages import parse_message

    try:
        message = parse_message(data)
    except ValidationError as exc:
        errors = exc.errors()
        rest = [e for e in errors if not (e["loc"] == (part,) and e["type"] == missing_error)]
        if len(rest) == len(errors):
            raise
        if rest:
            raise ValidationError.from_exception_data(
                exc.title,
                [
                    {
                        "type": PydanticCustomError(e["type"], e["msg"]),
                        "loc": e["loc"],
                        "input": e["input"],
                    }
                    for e in rest
                ],
            ) from exc
        return
    raise ValueError(
        f"a {getattr(message, 'type', None) or type(message).__name__} message takes no "
        f"{part!r}: this operator needs one that does"
    )
