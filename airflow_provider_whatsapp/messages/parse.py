"""Turn a dict in the API's JSON shape into the matching message model."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from pydantic_core import InitErrorDetails

from .base import Message, MessageValidationError, invalid

if TYPE_CHECKING:
    MESSAGE_TYPES: tuple[type[Message], ...]

__all__ = ["MESSAGE_TYPES", "parse_message"]

# (submodule, class) per message "type"; imported on first use, like the package's names.
_BY_TYPE: dict[str, tuple[str, str]] = {
    "text": ("basic", "TextMessage"),
    "image": ("media_messages", "ImageMessage"),
    "video": ("media_messages", "VideoMessage"),
    "audio": ("media_messages", "AudioMessage"),
    "document": ("media_messages", "DocumentMessage"),
    "sticker": ("media_messages", "StickerMessage"),
    "location": ("basic", "LocationMessage"),
    "contacts": ("contacts", "ContactsMessage"),
    "reaction": ("basic", "ReactionMessage"),
    "template": ("template", "TemplateMessage"),
}
_BY_INTERACTIVE_TYPE: dict[str, tuple[str, str]] = {
    "button": ("interactive", "ReplyButtonsMessage"),
    "list": ("interactive", "ListMessage"),
    "cta_url": ("interactive", "CtaUrlMessage"),
}
_MARK_AS_READ = ("basic", "MarkAsRead")


def _load(where: tuple[str, str]) -> type[Message]:
    module_name, class_name = where
    message_class: type[Message] = getattr(
        importlib.import_module(f".{module_name}", __package__), class_name
    )
    return message_class


def __getattr__(name: str) -> Any:
    if name == "MESSAGE_TYPES":
        # Every model class, in the order of the API's documentation.
        every = [*_BY_TYPE.values(), *_BY_INTERACTIVE_TYPE.values(), _MARK_AS_READ]
        value = tuple(_load(where) for where in every)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _error(location: tuple[str, ...], value: Any, message: str) -> MessageValidationError:
    """The error of a dict no model can take, worded and located as pydantic's are."""
    detail: InitErrorDetails = {
        "type": invalid("message_type", message),
        "loc": location,
        "input": value,
    }
    # The text names the field, not the value: a dict's value holds the recipient.
    cause = ValidationError.from_exception_data("Message", [detail], hide_input=True)
    error = MessageValidationError(cause)
    error.__cause__ = cause
    return error


def _message_class(data: Mapping[str, Any]) -> type[Message]:
    message_type = data.get("type")
    if message_type is None:
        if data.get("status") == "read":
            return _load(_MARK_AS_READ)
        raise _error(("type",), data, "missing 'type' (or 'status': 'read' for a read mark)")
    if message_type == "interactive":
        interactive = data.get("interactive")
        sub_type = interactive.get("type") if isinstance(interactive, Mapping) else None
        where = _BY_INTERACTIVE_TYPE.get(sub_type) if isinstance(sub_type, str) else None
        if where is None:
            allowed = ", ".join(_BY_INTERACTIVE_TYPE)
            raise _error(
                ("interactive", "type"),
                sub_type,
                f"unsupported interactive type {sub_type!r}: expected one of {allowed}",
            )
        return _load(where)
    where = _BY_TYPE.get(message_type) if isinstance(message_type, str) else None
    if where is None:
        allowed = ", ".join([*_BY_TYPE, "interactive"])
        raise _error(
            ("type",),
            message_type,
            f"unknown message type {message_type!r}: expected one of {allowed}",
        )
    return _load(where)


def parse_message(data: Message | Mapping[str, Any]) -> Message:
    """Validate ``data`` (a model, or a dict in the API's JSON shape) into its message model.

    Dispatches on ``type`` (and ``interactive.type``); ``{"status": "read"}`` is a read
    mark. Raises ``MessageValidationError`` (a ``WhatsAppError`` and a ``ValueError``)
    naming the field and the broken limit; ``errors()`` lists them as pydantic does.
    """
    if isinstance(data, Message):
        return data
    if not isinstance(data, Mapping):
        raise _error(
            (), data, f"a message must be a dict or a message model, got {type(data).__name__}"
        )
    return _message_class(data).model_validate(dict(data))
