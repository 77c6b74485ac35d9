"""Media rules: mime types, sizes and their error messages, before any upload."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_provider_whatsapp.messages.media_files import (
    MEDIA_TYPES,
    MediaValidationError,
    check_media,
    check_media_file,
    format_size,
    guess_mime_type,
    media_type_for_mime,
    sniff_mime_type,
)

KB = 1024
MB = 1024 * KB


def test_media_types_table_follows_the_rules() -> None:
    assert {name: rule.max_bytes for name, rule in MEDIA_TYPES.items()} == {
        "audio": 16 * MB,
        "document": 100 * MB,
        "image": 5 * MB,
        "sticker": 500 * KB,
        "video": 16 * MB,
    }
    assert MEDIA_TYPES["image"].mime_types == ("image/jpeg", "image/png")
    assert MEDIA_TYPES["sticker"].mime_types == ("image/webp",)
    assert MEDIA_TYPES["video"].mime_types == ("video/mp4", "video/3gpp")
    assert set(MEDIA_TYPES["audio"].mime_types) == {
        "audio/aac",
        "audio/amr",
        "audio/mpeg",
        "audio/mp4",
        "audio/ogg",
    }
    assert len(MEDIA_TYPES["document"].mime_types) == 8
    assert "application/pdf" in MEDIA_TYPES["document"].mime_types


@pytest.mark.parametrize(
    ("path", "mime"),
    [
        ("photo.JPG", "image/jpeg"),
        ("photo.jpeg", "image/jpeg"),
        ("chart.png", "image/png"),
        ("sticker.webp", "image/webp"),
        ("voice.opus", "audio/ogg"),
        ("voice.ogg", "audio/ogg"),
        ("song.mp3", "audio/mpeg"),
        ("note.m4a", "audio/mp4"),
        ("clip.3gp", "video/3gpp"),
        ("clip.mp4", "video/mp4"),
        ("report.pdf", "application/pdf"),
        (
            "/tmp/dir.v2/sheet.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (Path("notes.txt"), "text/plain"),
        ("anim.gif", "image/gif"),
        ("no_extension", None),
        ("weird.zzz123", None),
    ],
)
def test_guess_mime_type(path: str | Path, mime: str | None) -> None:
    assert guess_mime_type(path) == mime


@pytest.mark.parametrize(
    ("mime", "media_type"),
    [
        ("image/jpeg", "image"),
        ("IMAGE/PNG", "image"),
        ("image/jpg", "image"),
        ("image/webp", "sticker"),
        ("audio/ogg; codecs=opus", "audio"),
        ("video/3gpp", "video"),
        ("application/msword", "document"),
        ("text/plain; charset=utf-8", "document"),
    ],
)
def test_media_type_for_mime(mime: str, media_type: str) -> None:
    assert media_type_for_mime(mime) == media_type


@pytest.mark.parametrize("mime", ["image/gif", "video/quicktime", "application/zip", ""])
def test_media_type_for_unsupported_mime(mime: str) -> None:
    with pytest.raises(MediaValidationError, match="WhatsApp does not accept") as caught:
        media_type_for_mime(mime)
    assert "image: image/jpeg, image/png" in str(caught.value)


@pytest.mark.parametrize("media_type", sorted(MEDIA_TYPES))
def test_size_limit_per_type(media_type: str) -> None:
    rule = MEDIA_TYPES[media_type]
    mime = rule.mime_types[0]
    assert check_media(media_type, mime, rule.max_bytes) == (media_type, mime)
    with pytest.raises(MediaValidationError, match=f"{media_type} must be at most"):
        check_media(media_type, mime, rule.max_bytes + 1)


@pytest.mark.parametrize(
    ("media_type", "size", "message"),
    [
        ("image", 6_500_000, "image must be at most 5 MB, got 6.2 MB"),
        ("video", 20 * MB, "video must be at most 16 MB, got 20 MB"),
        ("document", 150 * MB, "document must be at most 100 MB, got 150 MB"),
        (
            "sticker",
            612 * KB,
            "sticker must be at most 500 KB (animated; a static sticker 100 KB), got 612 KB",
        ),
        ("image", 5 * MB + 1, "image must be at most 5 MB, got 5242881 bytes, over 5242880"),
    ],
)
def test_size_errors_in_human_units(media_type: str, size: int, message: str) -> None:
    mime = MEDIA_TYPES[media_type].mime_types[0]
    with pytest.raises(MediaValidationError) as caught:
        check_media(media_type, mime, size)
    assert str(caught.value) == message


def test_wrong_mime_names_the_accepted_ones() -> None:
    with pytest.raises(MediaValidationError) as caught:
        check_media("image", "image/gif", 10, "anim.gif")
    assert (
        str(caught.value)
        == "'anim.gif': image must be one of image/jpeg, image/png, got 'image/gif'"
    )


def test_mime_and_type_are_inferred() -> None:
    assert check_media(None, None, 10, "voice.opus") == ("audio", "audio/ogg")
    assert check_media(None, "Audio/OGG; codecs=opus", 10) == ("audio", "audio/ogg")
    assert check_media("DOCUMENT", None, 10, "r.pdf") == ("document", "application/pdf")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((None, None, 10, ""), "cannot tell the mime type"),
        ((None, None, 10, "file.zzz123"), "cannot tell the mime type"),
        (("gif", "image/gif", 10, ""), "media type must be one of audio, document, image"),
        ((None, "image/gif", 10, "a.gif"), "'a.gif': WhatsApp does not accept 'image/gif'"),
        (("image", "image/png", 0, ""), "the file is empty"),
        (("image", "image/png", -1, ""), "size must be a byte count"),
        (("audio", "video/mp4", 10, ""), "audio must be one of"),
    ],
)
def test_check_media_errors(
    arguments: tuple[str | None, str | None, int, str], message: str
) -> None:
    with pytest.raises(MediaValidationError, match=message):
        check_media(*arguments)


def test_media_validation_error_is_a_value_error() -> None:
    assert issubclass(MediaValidationError, ValueError)


@pytest.mark.parametrize(
    ("head", "mime"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"%PDF-1.7\n", "application/pdf"),
        (b"OggS\x00\x02", "audio/ogg"),
        (b"#!AMR\n", "audio/amr"),
        (b"ID3\x04\x00", "audio/mpeg"),
        (b"\x00\x00\x00\x18ftypmp42", "video/mp4"),
        (b"\x00\x00\x00\x14ftyp3gp5", "video/3gpp"),
        (b"\x00\x00\x00\x20ftypM4A ", "audio/mp4"),
        (b"GIF89a", None),
        (b"", None),
    ],
)
def test_sniff_mime_type(head: bytes, mime: str | None) -> None:
    assert sniff_mime_type(head) == mime


@given(st.binary(max_size=32))
def test_sniff_never_fails(head: bytes) -> None:
    assert sniff_mime_type(head) in {None, *(m for r in MEDIA_TYPES.values() for m in r.mime_types)}


def test_check_media_file(tmp_path: Path) -> None:
    photo = tmp_path / "photo.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    assert check_media_file(photo) == ("image", "image/png", 108)

    unnamed = tmp_path / "upload"
    unnamed.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 10)
    assert check_media_file(unnamed) == ("image", "image/jpeg", 14)

    unknown = tmp_path / "blob"
    unknown.write_bytes(b"hello")
    with pytest.raises(MediaValidationError, match="cannot tell the mime type"):
        check_media_file(unknown)
    assert check_media_file(unknown, mime_type="text/plain") == ("document", "text/plain", 5)

    with pytest.raises(MediaValidationError, match="cannot read media file"):
        check_media_file(tmp_path / "missing.png")


def test_check_media_file_size_error_names_the_file(tmp_path: Path) -> None:
    sticker = tmp_path / "big.webp"
    sticker.write_bytes(b"RIFF" + b"\x00" * (501 * KB))
    with pytest.raises(MediaValidationError, match=r"big\.webp'?: sticker must be at most 500 KB"):
        check_media_file(sticker)


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0 bytes"), (1023, "1023 bytes"), (1024, "1 KB"), (1536, "1.5 KB"), (5 * MB, "5 MB")],
)
def test_format_size(size: int, text: str) -> None:
    assert format_size(size) == text


def test_media_module_imports_no_pydantic_or_airflow() -> None:
    import subprocess
    import sys

    code = "import sys, airflow_provider_whatsapp.messages.media_files as m; print(' '.join(sys.modules))"
    repo = Path(__file__).resolve().parents[2]
    loaded = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(repo)},
    ).stdout.split()
    assert "pydantic" not in loaded
    assert not any(name == "airflow" or name.startswith("airflow.") for name in loaded)
