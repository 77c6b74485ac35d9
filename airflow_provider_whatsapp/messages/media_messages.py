"""Image, video, audio, document and sticker messages; ``media_message`` builds any of them."""

from typing import ClassVar, Literal

from typing_extensions import Self

from .._errors import WhatsAppValidationError
from .base import CaptionedMedia, DocumentMedia, MediaRef, RecipientMessage, context_for

__all__ = [
    "AudioMedia",
    "AudioMessage",
    "DocumentMessage",
    "ImageMedia",
    "ImageMessage",
    "MediaMessage",
    "StickerMedia",
    "StickerMessage",
    "VideoMedia",
    "VideoMessage",
    "media_message",
    "media_source",
]


class ImageMedia(CaptionedMedia):
    """The ``image`` object: a media id or a link, with an optional caption."""

    kind: ClassVar[str] = "image"


class VideoMedia(CaptionedMedia):
    """The ``video`` object: a media id or a link, with an optional caption."""

    kind: ClassVar[str] = "video"


class AudioMedia(MediaRef):
    """The ``audio`` object: a media id or a link."""

    kind: ClassVar[str] = "audio"


class StickerMedia(MediaRef):
    """The ``sticker`` object: a media id or a link (webp)."""

    kind: ClassVar[str] = "sticker"


def media_source(media: str) -> dict[str, str]:
    """``{"link": url}`` for an https URL, ``{"id": media}`` otherwise.

    An http:// URL is an error rather than an id: the API fetches media over HTTPS only.
    """
    if not isinstance(media, str):
        raise WhatsAppValidationError(
            f"media must be an https URL or a media id, got {type(media).__name__}"
        )
    text = media.strip()
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if scheme == "https":
        return {"link": text}
    if scheme == "http":
        raise WhatsAppValidationError(
            f"media URL {text!r} uses http://: WhatsApp fetches media over HTTPS only; "
            "serve it over https:// or upload the file and send its media id"
        )
    if scheme:
        raise WhatsAppValidationError(
            f"media {text!r} is a {scheme}:// URL: give an https:// URL or an uploaded media id"
        )
    return {"id": text}


class MediaMessage(RecipientMessage):
    """Base of the five media messages: the content object is named by ``type``."""

    @classmethod
    def _build(
        cls,
        to: str | int,
        media: str,
        reply_to: str | None,
        **extra: str | None,
    ) -> Self:
        content = {**media_source(media), **{k: v for k, v in extra.items() if v}}
        media_type = cls.model_fields["type"].default
        return cls.model_validate({"to": to, media_type: content, "context": context_for(reply_to)})


class ImageMessage(MediaMessage):
    """A JPEG or PNG image (at most 5 MB), optionally captioned."""

    type: Literal["image"] = "image"
    image: ImageMedia

    @classmethod
    def create(
        cls, to: str | int, media: str, caption: str | None = None, reply_to: str | None = None
    ) -> Self:
        """An image by https URL or media id; an empty caption counts as none."""
        return cls._build(to, media, reply_to, caption=caption)


class VideoMessage(MediaMessage):
    """An MP4 or 3GPP video (at most 16 MB), optionally captioned."""

    type: Literal["video"] = "video"
    video: VideoMedia

    @classmethod
    def create(
        cls, to: str | int, media: str, caption: str | None = None, reply_to: str | None = None
    ) -> Self:
        """A video by https URL or media id; an empty caption counts as none."""
        return cls._build(to, media, reply_to, caption=caption)


class AudioMessage(MediaMessage):
    """An audio clip (at most 16 MB); audio takes no caption."""

    type: Literal["audio"] = "audio"
    audio: AudioMedia

    @classmethod
    def create(cls, to: str | int, media: str, reply_to: str | None = None) -> Self:
        """An audio message by https URL or media id."""
        return cls._build(to, media, reply_to)


class DocumentMessage(MediaMessage):
    """A document (PDF, Office, plain text; at most 100 MB) with an optional caption and name."""

    type: Literal["document"] = "document"
    document: DocumentMedia

    @classmethod
    def create(
        cls,
        to: str | int,
        media: str,
        caption: str | None = None,
        filename: str | None = None,
        reply_to: str | None = None,
    ) -> Self:
        """A document by https URL or media id; ``filename`` is what the recipient sees."""
        return cls._build(to, media, reply_to, caption=caption, filename=filename)


class StickerMessage(MediaMessage):
    """A WebP sticker (100 KB static, 500 KB animated); stickers take no caption."""

    type: Literal["sticker"] = "sticker"
    sticker: StickerMedia

    @classmethod
    def create(cls, to: str | int, media: str, reply_to: str | None = None) -> Self:
        """A sticker by https URL or media id."""
        return cls._build(to, media, reply_to)


MEDIA_MESSAGE_CLASSES: dict[str, type[MediaMessage]] = {
    "image": ImageMessage,
    "video": VideoMessage,
    "audio": AudioMessage,
    "document": DocumentMessage,
    "sticker": StickerMessage,
}


def media_message(
    media_type: str,
    to: str | int,
    media: str,
    caption: str | None = None,
    filename: str | None = None,
    reply_to: str | None = None,
) -> MediaMessage:
    """The media message of ``media_type`` (image, video, audio, document or sticker).

    ``media`` is an https URL (sent as ``link``) or an uploaded media id (sent as ``id``).
    A caption on audio or a sticker, or a filename on anything but a document, is an
    error: the API would reject it.
    """
    kind = media_type.strip().lower() if isinstance(media_type, str) else ""
    message_class = MEDIA_MESSAGE_CLASSES.get(kind)
    if message_class is None:
        allowed = ", ".join(MEDIA_MESSAGE_CLASSES)
        raise WhatsAppValidationError(f"media_type must be one of {allowed}, got {media_type!r}")
    if caption and kind in ("audio", "sticker"):
        raise WhatsAppValidationError(
            f"{kind} takes no caption (captions go on image, video and document)"
        )
    if filename and kind != "document":
        raise WhatsAppValidationError(f"{kind} takes no filename (only documents carry a filename)")
    extra = {"caption": caption, "filename": filename}
    return message_class._build(to, media, reply_to, **extra)
