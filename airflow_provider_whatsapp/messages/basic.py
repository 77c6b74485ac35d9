"""Text, location, reaction and read-mark messages: the ones with a flat content object."""

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field
from typing_extensions import Self

from ..limits import LATITUDE_MAX, LONGITUDE_MAX, REACTION_EMOJI_MAX_CODE_POINTS, TEXT_BODY_MAX
from .base import (
    ApiModel,
    Message,
    MessageId,
    NameText,
    RecipientMessage,
    context_for,
    invalid,
)

__all__ = [
    "Location",
    "LocationMessage",
    "MarkAsRead",
    "Reaction",
    "ReactionMessage",
    "Text",
    "TextMessage",
    "TypingIndicator",
]


class Text(ApiModel):
    """``text`` of a text message: the body and whether to preview its first URL."""

    body: Annotated[str, Field(min_length=1, max_length=TEXT_BODY_MAX)]
    preview_url: bool | None = None


class TextMessage(RecipientMessage):
    """A plain text message (only inside the 24-hour window; outside it, send a template)."""

    type: Literal["text"] = "text"
    text: Text

    @classmethod
    def create(
        cls,
        to: str | int,
        body: str,
        preview_url: bool = False,
        reply_to: str | None = None,
    ) -> Self:
        """A text message to ``to``; ``reply_to`` (a wamid) makes it a reply."""
        return cls.model_validate(
            {
                "to": to,
                "text": {"body": body, "preview_url": preview_url},
                "context": context_for(reply_to),
            }
        )


def _reject_bool(value: Any) -> Any:
    # pydantic would read True as 1.0: a coordinate is never a boolean.
    if isinstance(value, bool):
        raise invalid("coordinate", f"must be a number, got {value!r}")
    return value


Coordinate = Annotated[float, BeforeValidator(_reject_bool), Field(allow_inf_nan=False)]
Latitude = Annotated[Coordinate, Field(ge=-LATITUDE_MAX, le=LATITUDE_MAX)]
Longitude = Annotated[Coordinate, Field(ge=-LONGITUDE_MAX, le=LONGITUDE_MAX)]


class Location(ApiModel):
    """A map pin: coordinates as numbers (Meta's spec says strings; the API takes numbers)."""

    latitude: Latitude
    longitude: Longitude
    name: NameText | None = None
    address: NameText | None = None


class LocationMessage(RecipientMessage):
    """A location pin, optionally named and with an address."""

    type: Literal["location"] = "location"
    location: Location

    @classmethod
    def create(
        cls,
        to: str | int,
        latitude: float,
        longitude: float,
        name: str | None = None,
        address: str | None = None,
        reply_to: str | None = None,
    ) -> Self:
        """A location message; ``latitude`` in -90..90 and ``longitude`` in -180..180."""
        location = {"latitude": latitude, "longitude": longitude, "name": name, "address": address}
        return cls.model_validate(
            {"to": to, "location": location, "context": context_for(reply_to)}
        )


def _check_emoji(value: str) -> str:
    # A full emoji check needs Unicode tables; this catches the usual mistake: plain text.
    if value and (
        len(value) > REACTION_EMOJI_MAX_CODE_POINTS
        or value.isascii()
        or any(char.isspace() for char in value)
    ):
        raise invalid(
            "emoji",
            f"must be one emoji, or '' to remove the reaction, got {value!r}",
        )
    return value


class Reaction(ApiModel):
    """An emoji reaction to ``message_id``; the empty string removes an earlier reaction."""

    message_id: MessageId
    emoji: Annotated[str, AfterValidator(_check_emoji)]


class ReactionMessage(RecipientMessage):
    """Reacts to a message of the recipient's with an emoji (or removes the reaction)."""

    type: Literal["reaction"] = "reaction"
    reaction: Reaction

    @classmethod
    def create(cls, to: str | int, message_id: str, emoji: str) -> Self:
        """React to ``message_id`` with ``emoji``; ``emoji=""`` removes the reaction."""
        return cls.model_validate(
            {"to": to, "reaction": {"message_id": message_id, "emoji": emoji}}
        )


class TypingIndicator(ApiModel):
    """Shows "typing..." to the user while the answer is prepared (sent with a read mark)."""

    type: Literal["text"] = "text"


class MarkAsRead(Message):
    """Marks an incoming message read (blue ticks). Has no ``to``: the message id says whose."""

    status: Literal["read"] = "read"
    message_id: MessageId
    typing_indicator: TypingIndicator | None = None

    @classmethod
    def create(cls, message_id: str, typing_indicator: bool = False) -> Self:
        """A read mark for ``message_id``, optionally showing a typing indicator."""
        return cls.model_validate(
            {"message_id": message_id, "typing_indicator": {} if typing_indicator else None}
        )
