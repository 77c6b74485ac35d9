"""Media rules: which files WhatsApp accepts, checked before an upload wastes a request.

No I/O beyond ``stat`` and reading the first bytes of a file to recognise its format.
"""

from __future__ import annotations

import mimetypes
import os
from dataclasses import dataclass
from pathlib import PurePath

from .._errors import WhatsAppValidationError
from ..limits import KB, MB, MEDIA_MAX_BYTES, MEDIA_MIME_TYPES, STICKER_STATIC_MAX_BYTES

__all__ = [
    "MEDIA_TYPES",
    "MediaRule",
    "MediaValidationError",
    "check_media",
    "check_media_file",
    "detect_mime_type",
    "format_size",
    "guess_mime_type",
    "media_type_for_mime",
    "sniff_mime_type",
]


class MediaValidationError(WhatsAppValidationError):
    """A file WhatsApp would refuse: wrong format or too large. The message says the rule."""


@dataclass(frozen=True)
class MediaRule:
    """What WhatsApp accepts for one media type."""

    media_type: str
    mime_types: tuple[str, ...]
    max_bytes: int
    # Said after the size limit in errors, where the API's limit depends on more than size.
    size_note: str = ""


#: The rule book's media limits (``limits.py``) as one rule per media type.
MEDIA_TYPES: dict[str, MediaRule] = {
    media_type: MediaRule(
        media_type,
        MEDIA_MIME_TYPES[media_type],
        MEDIA_MAX_BYTES[media_type],
        # A static sticker's limit needs a WebP parser to apply: said, not checked.
        f" (animated; a static sticker {STICKER_STATIC_MAX_BYTES // KB} KB)"
        if media_type == "sticker"
        else "",
    )
    for media_type in MEDIA_MIME_TYPES
}

# Our own table first: the system's mime.types differs between machines (.ogg can be
# application/ogg or video/ogg there), and WhatsApp wants these exact names.
_EXTENSION_MIME_TYPES = {
    ".aac": "audio/aac",
    ".amr": "audio/amr",
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/ogg",
    ".txt": "text/plain",
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".ppt": "application/vnd.ms-powerpoint",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".jpe": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".mp4": "video/mp4",
    ".3gp": "video/3gpp",
    ".3gpp": "video/3gpp",
}

_MIME_ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "audio/mp3": "audio/mpeg",
    "audio/x-m4a": "audio/mp4",
    "audio/opus": "audio/ogg",
    "application/ogg": "audio/ogg",
    "audio/3gpp": "video/3gpp",
}

# Which media type a mime type is sent as (image/webp only as a sticker).
_MEDIA_TYPE_BY_MIME = {
    mime: rule.media_type for rule in MEDIA_TYPES.values() for mime in rule.mime_types
}


def format_size(size: int) -> str:
    """``6500000`` -> ``"6.2 MB"``: sizes in errors people read."""
    if size >= MB:
        return f"{size / MB:.1f} MB".replace(".0 MB", " MB")
    if size >= KB:
        return f"{size / KB:.1f} KB".replace(".0 KB", " KB")
    return f"{size} bytes"


def _canonical_mime(mime_type: str) -> str:
    # "Audio/OGG; codecs=opus" -> "audio/ogg": WhatsApp wants the bare type.
    base = mime_type.split(";", 1)[0].strip().lower()
    return _MIME_ALIASES.get(base, base)


def guess_mime_type(path: str | os.PathLike[str]) -> str | None:
    """The mime type of ``path`` from its extension, or None when unknown. No I/O."""
    suffix = PurePath(path).suffix.lower()
    if suffix in _EXTENSION_MIME_TYPES:
        return _EXTENSION_MIME_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(PurePath(path).name, strict=False)
    return _canonical_mime(guessed) if guessed else None


def sniff_mime_type(head: bytes) -> str | None:
    """The mime type told by a file's first bytes (16 are enough), for the supported formats."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"#!AMR"):
        return "audio/amr"
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "audio/mpeg"
    if head[:2] in (b"\xff\xf1", b"\xff\xf9"):
        return "audio/aac"
    if head[4:8] == b"ftyp":
        brand = head[8:11]
        if brand == b"3gp":
            return "video/3gpp"
        if brand == b"M4A":
            return "audio/mp4"
        return "video/mp4"
    return None


def detect_mime_type(name: str, head: bytes = b"") -> str | None:
    """The one mime guesser: from ``name``'s extension, else from the first bytes ``head``.

    Used for every upload (operators and client alike), so a file that uploads can also
    be sent: a PNG named ``chart`` is an image either way.
    """
    return (guess_mime_type(name) if name else None) or sniff_mime_type(head[:16])


def media_type_for_mime(mime_type: str) -> str:
    """The media type (image, video, audio, document, sticker) a mime type is sent as."""
    canonical = _canonical_mime(mime_type)
    media_type = _MEDIA_TYPE_BY_MIME.get(canonical)
    if media_type is None:
        raise MediaValidationError(
            f"WhatsApp does not accept {canonical or mime_type!r} files; accepted: "
            + "; ".join(
                f"{rule.media_type}: {', '.join(rule.mime_types)}" for rule in MEDIA_TYPES.values()
            )
        )
    return media_type


def check_media(
    media_type: str | None, mime_type: str | None, size: int, filename: str = ""
) -> tuple[str, str]:
    """Check a file against WhatsApp's media rules; return ``(media_type, mime_type)``.

    ``mime_type`` None: guessed from ``filename``. ``media_type`` None: the one the mime
    type is sent as. Raises ``MediaValidationError`` naming the accepted mime types or
    the size limit.
    """
    subject = f"{filename!r}: " if filename else ""
    if mime_type is None:
        mime_type = guess_mime_type(filename) if filename else None
        if mime_type is None:
            raise MediaValidationError(
                f"{subject}cannot tell the mime type; pass mime_type explicitly"
            )
    canonical = _canonical_mime(mime_type)
    if media_type is None:
        try:
            media_type = media_type_for_mime(canonical)
        except MediaValidationError as error:
            raise MediaValidationError(f"{subject}{error}") from None
    rule = MEDIA_TYPES.get(media_type.strip().lower()) if isinstance(media_type, str) else None
    if rule is None:
        raise MediaValidationError(
            f"media type must be one of {', '.join(MEDIA_TYPES)}, got {media_type!r}"
        )
    if canonical not in rule.mime_types:
        raise MediaValidationError(
            f"{subject}{rule.media_type} must be one of {', '.join(rule.mime_types)}, "
            f"got {canonical!r}"
        )
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise MediaValidationError(f"{subject}size must be a byte count, got {size!r}")
    if size == 0:
        raise MediaValidationError(f"{subject}the file is empty")
    if size > rule.max_bytes:
        limit, got = format_size(rule.max_bytes), format_size(size)
        if got == limit:  # just past the limit: "got 5 MB" would read as allowed
            got = f"{size} bytes, over {rule.max_bytes}"
        raise MediaValidationError(
            f"{subject}{rule.media_type} must be at most {limit}{rule.size_note}, got {got}"
        )
    return rule.media_type, canonical


def check_media_file(
    path: str | os.PathLike[str],
    media_type: str | None = None,
    mime_type: str | None = None,
) -> tuple[str, str, int]:
    """``check_media`` for a local file; returns ``(media_type, mime_type, size)``.

    The mime type comes from the extension, else from the file's first bytes.
    """
    name = os.fspath(path)
    try:
        size = os.stat(name).st_size
    except OSError as error:
        raise MediaValidationError(f"cannot read media file {name!r}: {error.strerror}") from None
    if mime_type is None:
        with open(name, "rb") as file:
            mime_type = detect_mime_type(name, file.read(16))
    if mime_type is None:
        raise MediaValidationError(
            f"{name!r}: cannot tell the mime type from the name or content; pass mime_type"
        )
    checked_type, checked_mime = check_media(media_type, mime_type, size, filename=name)
    return checked_type, checked_mime, size
