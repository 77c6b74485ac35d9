"""What every message model shares: strict JSON objects, recipient and URL types, base classes."""

import re
from collections.abc import Callable
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError
from typing_extensions import Self

from .._errors import MessageValidationError
from ..limits import (
    BIZ_OPAQUE_CALLBACK_DATA_MAX,
    CAPTION_MAX,
    FILENAME_MAX,
    MESSAGE_ID_MAX,
    NAME_TEXT_MAX,
)
from .phone import is_bsuid, normalize_phone, normalize_recipient

__all__ = [
    "ApiModel",
    "CaptionedMedia",
    "DocumentMedia",
    "DocumentRef",
    "FileName",
    "HttpUrlStr",
    "HttpsUrl",
    "MediaId",
    "MediaRef",
    "Message",
    "MessageContext",
    "MessageId",
    "MessageLimitWarning",
    "MessageValidationError",
    "NameText",
    "NonEmptyStr",
    "PhoneNumber",
    "Recipient",
    "RecipientMessage",
    "context_for",
    "invalid",
]


def invalid(error_type: str, message: str) -> PydanticCustomError:
    """An error pydantic reports as is (no "Value error, " prefix), under the field's location."""
    return PydanticCustomError(error_type, message)


def full_match(pattern: re.Pattern[str], error_type: str, expected: str) -> Callable[[str], str]:
    """A validator: the whole value matches a rule book pattern; the error says what is wanted."""

    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise invalid(error_type, f"must be {expected}, got {value!r}")
        return value

    return check


class MessageLimitWarning(UserWarning):
    """A message that is valid but likely to be refused or rendered badly by WhatsApp."""


class ApiModel(BaseModel):
    """A JSON object of the API. Unknown keys are errors: the API rejects them too.

    ``defer_build`` keeps imports cheap (a DAG file imports this at every parse); the
    validators are built on first use. ``hide_input_in_errors``: pydantic's error text
    names the field and the rule but not the value (``input_value='447700900123'``), as
    a recipient's number in it would reach the task log in full.
    """

    model_config = ConfigDict(
        extra="forbid", validate_assignment=True, defer_build=True, hide_input_in_errors=True
    )

    # Each way input becomes or changes a model (``create()`` and ``parse_message`` end in
    # ``model_validate``; the constructor; an assignment) refuses it with
    # ``MessageValidationError``: the provider's refusals are one ``WhatsAppError`` branch
    # (also a ``ValueError``), with pydantic's text (field paths, rule; no input value), its
    # ``errors()``, and pydantic's error chained. Nested models are validated by pydantic's
    # core, which calls none of these: their errors keep their place in the outer one.

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as error:
            raise MessageValidationError(error) from error

    # pydantic's marker of its own __init__: nested validation does not call this one.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @classmethod
    def model_validate(cls, obj: Any, **options: Any) -> Self:
        """Validate ``obj`` into this model; a refusal is a ``MessageValidationError``."""
        try:
            return super().model_validate(obj, **options)
        except ValidationError as error:
            raise MessageValidationError(error) from error

    def __setattr__(self, name: str, value: Any) -> None:
        try:
            super().__setattr__(name, value)
        except ValidationError as error:
            raise MessageValidationError(error) from error


def _check_url(value: str, schemes: tuple[str, ...], why: str) -> str:
    parts = urlsplit(value)
    if parts.scheme.lower() not in schemes or not parts.netloc or any(c.isspace() for c in value):
        wanted = " or ".join(f"{scheme}://" for scheme in schemes)
        raise invalid("url", f"must be an absolute {wanted} URL{why}, got {value!r}")
    return value


def _check_https_url(value: str) -> str:
    return _check_url(value, ("https",), " (WhatsApp fetches media over HTTPS only)")


def _check_http_url(value: str) -> str:
    return _check_url(value, ("http", "https"), "")


def _check_media_id(value: str) -> str:
    if "/" in value or "\\" in value or any(c.isspace() for c in value):
        raise invalid(
            "media_id",
            f"must be a media id returned by an upload, got {value!r} "
            "(a local file? upload it first and send its id)",
        )
    return value


NonEmptyStr = Annotated[str, Field(min_length=1)]
MessageId = Annotated[str, Field(min_length=1, max_length=MESSAGE_ID_MAX)]
FileName = Annotated[str, Field(min_length=1, max_length=FILENAME_MAX)]
NameText = Annotated[str, Field(min_length=1, max_length=NAME_TEXT_MAX)]
PhoneNumber = Annotated[str, BeforeValidator(normalize_phone)]
#: A phone number (normalised to its digits) or a business-scoped user id (as written).
Recipient = Annotated[str, BeforeValidator(normalize_recipient)]
HttpsUrl = Annotated[str, Field(min_length=1), AfterValidator(_check_https_url)]
HttpUrlStr = Annotated[str, Field(min_length=1), AfterValidator(_check_http_url)]
MediaId = Annotated[str, Field(min_length=1), AfterValidator(_check_media_id)]


_UNSUPPORTED_KEY_HINTS = {
    "caption": "captions go on image, video and document messages",
    "filename": "only documents carry a filename",
}


class MediaRef(ApiModel):
    """Media by exactly one of ``link`` (an https URL the API fetches) or ``id`` (uploaded)."""

    # Names the media in errors about keys this kind does not take (caption, filename).
    kind: ClassVar[str] = "media"

    id: MediaId | None = None
    link: HttpsUrl | None = None

    @model_validator(mode="before")
    @classmethod
    def _explain_unsupported_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key, hint in _UNSUPPORTED_KEY_HINTS.items():
                if key in data and key not in cls.model_fields:
                    raise invalid(f"no_{key}", f"{cls.kind} takes no {key} ({hint})")
        return data

    @model_validator(mode="after")
    def _exactly_one_source(self) -> Self:
        if (self.id is None) == (self.link is None):
            raise invalid(
                "media_source",
                f"{self.kind}: give exactly one of 'link' (https URL) or 'id' (uploaded media id)",
            )
        return self


class CaptionedMedia(MediaRef):
    """Image or video: media plus an optional caption of at most 1024 characters."""

    caption: Annotated[str, Field(max_length=CAPTION_MAX)] | None = None


class DocumentMedia(CaptionedMedia):
    """A document: captioned media plus the file name the recipient sees."""

    kind: ClassVar[str] = "document"

    filename: FileName | None = None


class DocumentRef(MediaRef):
    """A document where captions do not apply (headers, template parameters): a file name only."""

    kind: ClassVar[str] = "document header"

    filename: FileName | None = None


class MessageContext(ApiModel):
    """Makes a message a reply to ``message_id`` (a ``wamid.`` id)."""

    message_id: MessageId


def context_for(reply_to: str | None) -> dict[str, str] | None:
    """The ``context`` of a reply to ``reply_to``, or None when it is not a reply."""
    return None if reply_to is None else {"message_id": reply_to}


class Message(ApiModel):
    """Base of every body sent to ``POST {phone_number_id}/messages``."""

    messaging_product: Literal["whatsapp"] = "whatsapp"

    def to_payload(self) -> dict[str, Any]:
        """The exact JSON body the API expects: no None values, optional keys left out."""
        payload = self.model_dump(mode="json", exclude_none=True)
        # The optional envelope keys last, so logs read messaging_product, to, type, content.
        for key in ("context", "biz_opaque_callback_data"):
            if key in payload:
                payload[key] = payload.pop(key)
        return payload


class RecipientMessage(Message):
    """A message sent to one person: the shared envelope of every message type but read marks.

    Subclasses add ``type`` (a literal) and the object named by it.

    ``to`` is whom it goes to: a phone number, or a business-scoped user id (BSUID,
    ``US.13491208655302741918``) for a user who hides their number. The API takes a BSUID
    in ``recipient``, never in ``to``: :meth:`to_payload` writes it there. An API-shaped
    dict may give ``recipient`` itself; given beside ``to``, ``to`` wins, as in the API
    (the BSUID is still checked, then left out).
    """

    recipient_type: Literal["individual"] = "individual"
    to: Recipient
    context: MessageContext | None = None
    biz_opaque_callback_data: (
        Annotated[str, Field(max_length=BIZ_OPAQUE_CALLBACK_DATA_MAX)] | None
    ) = None

    @model_validator(mode="before")
    @classmethod
    def _recipient_field(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "recipient" not in data:
            return data
        data = dict(data)
        recipient = data.pop("recipient")
        if recipient is None:
            return data
        if not isinstance(recipient, str) or not is_bsuid(recipient):
            raise invalid(
                "recipient",
                "recipient must be a business-scoped user id (US.13491208655302741918); "
                "a phone number goes in 'to'",
            )
        normalize_recipient(recipient)  # checked even when 'to' wins
        if data.get("to") is None:
            data["to"] = recipient
        return data

    @property
    def to_bsuid(self) -> bool:
        """Whether this goes to a business-scoped user id (sent as ``recipient``)."""
        return is_bsuid(self.to)

    def to_payload(self) -> dict[str, Any]:
        """The JSON body; a business-scoped user id goes in ``recipient`` (no ``to``)."""
        payload = super().to_payload()
        if not self.to_bsuid:
            return payload
        return {("recipient" if key == "to" else key): value for key, value in payload.items()}
