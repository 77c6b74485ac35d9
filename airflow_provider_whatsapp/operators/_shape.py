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
    but those of ``part``, and raise the models' own error for the rest.

    ``missing_error`` is the error type the models give for ``part`` being absent
    (``missing`` for a field; ``media_source`` for media with neither id nor link).
    """
    from pydantic import ValidationError
    from pydantic_core import InitErrorDetails, PydanticCustomError

    from ..messages import parse_message

    try:
        parse_message(data)
    except ValueError as exc:  # the models' error: pydantic's, or one wrapping it
        errors_of = getattr(exc, "errors", None)
        if not callable(errors_of):
            raise
        errors = errors_of()
        rest = [e for e in errors if not (e["loc"] == (part,) and e["type"] == missing_error)]
        if len(rest) == len(errors):
            raise
        if not rest:
            return
        details: list[InitErrorDetails] = [
            {"type": PydanticCustomError(e["type"], e["msg"]), "loc": e["loc"], "input": e["input"]}
            for e in rest
        ]
        refusal = ValidationError.from_exception_data(getattr(exc, "title", "Message"), details)
        if isinstance(exc, ValidationError):
            raise refusal from exc
        raise type(exc)(refusal) from exc  # the models' wrapper, around pydantic's error
    # Valid without it: this kind of message takes no such part; its model says so.
    parse_message({**data, part: None})
