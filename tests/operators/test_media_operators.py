"""Media operators against the emulator: limits checked before upload, multipart fields."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from airflow_provider_whatsapp.operators.media import (
    WhatsAppDeleteMediaOperator,
    WhatsAppUploadMediaOperator,
)
from airflow_provider_whatsapp.version_compat import AirflowFailException

pytestmark = pytest.mark.whatsapp_emulator(rate_limit=None)

PHONE = "100000000000001"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 56
PDF = b"%PDF-1.4\n" + b"x" * 100


def upload(path: Path | str, **kwargs: Any) -> str:
    return str(WhatsAppUploadMediaOperator(task_id="up", path=str(path), **kwargs).execute({}))


def sized(path: Path, size: int, head: bytes = b"") -> Path:
    """A sparse file of ``size`` bytes starting with ``head``."""
    with path.open("wb") as file:
        file.write(head)
        file.truncate(size)
    return path


def test_upload_sends_the_file_with_its_mime_type(
    whatsapp_emulator_connection: Any, tmp_path: Path
) -> None:
    (tmp_path / "chart.png").write_bytes(PNG)

    media_id = upload(tmp_path / "chart.png")

    [request] = whatsapp_emulator_connection.requests
    assert (request.method, request.path) == ("POST", f"/whatsapp-business/v21.0/{PHONE}/media")
    assert request.form == {"messaging_product": "whatsapp", "type": "image/png"}
    assert request.files == [
        {"field": "file", "filename": "chart.png", "content_type": "image/png", "size": len(PNG)}
    ]
    stored = whatsapp_emulator_connection.media[media_id]
    assert (stored["data"], stored["mime_type"]) == (PNG, "image/png")


def test_upload_tells_the_mime_type_from_content_or_takes_it_given(
    whatsapp_emulator_connection: Any, tmp_path: Path
) -> None:
    (tmp_path / "report").write_bytes(PDF)  # no extension: sniffed
    (tmp_path / "notes.log").write_bytes(b"plain text")  # unknown extension: given
    sniffed = upload(tmp_path / "report")
    given = upload(tmp_path / "notes.log", mime_type="text/plain", media_type="document")
    media = whatsapp_emulator_connection.media
    assert media[sniffed]["mime_type"] == "application/pdf"
    assert media[given]["mime_type"] == "text/plain"


@pytest.mark.parametrize(
    ("name", "size", "head", "kwargs", "expected"),
    [
        ("big.png", 5 * 1024 * 1024 + 1, PNG, {}, "image must be at most 5 MB, got 5242881 bytes"),
        ("anim.gif", 100, b"GIF89a", {}, "WhatsApp does not accept 'image/gif'"),
        (
            "doc.pdf",
            100,
            PDF,
            {"media_type": "image"},
            "image must be one of image/jpeg, image/png",
        ),
        ("x.png", 100, PNG, {"mime_type": "image/tiff"}, "does not accept 'image/tiff'"),
        ("s.webp", 600 * 1024, b"RIFF", {}, "sticker must be at most 500 KB"),
        ("empty.png", 0, b"", {}, "the file is empty"),
    ],
)
def test_upload_refuses_what_whatsapp_would_refuse_without_a_request(
    whatsapp_emulator_connection: Any,
    tmp_path: Path,
    name: str,
    size: int,
    head: bytes,
    kwargs: dict[str, Any],
    expected: str,
) -> None:
    path = sized(tmp_path / name, size, head)
    with pytest.raises(AirflowFailException, match=expected):
        upload(path, **kwargs)
    assert whatsapp_emulator_connection.requests == []


def test_upload_of_a_missing_file_fails_without_a_request(
    whatsapp_emulator_connection: Any, tmp_path: Path
) -> None:
    with pytest.raises(AirflowFailException, match="cannot read media file"):
        upload(tmp_path / "nope.png")
    assert whatsapp_emulator_connection.requests == []


def test_delete_media(whatsapp_emulator_connection: Any, tmp_path: Path) -> None:
    (tmp_path / "chart.png").write_bytes(PNG)
    media_id = upload(tmp_path / "chart.png")

    result = WhatsAppDeleteMediaOperator(task_id="rm", media_id=media_id).execute({})

    assert result == {"id": media_id, "deleted": True}
    last = whatsapp_emulator_connection.requests[-1]
    assert (last.method, last.path) == ("DELETE", f"/whatsapp-business/v21.0/{media_id}")
    assert whatsapp_emulator_connection.media == {}


@pytest.mark.dag
def test_upload_then_delete_dag_with_templated_arguments(
    airflow_db: Path,
    whatsapp_emulator_connection: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "chart.png").write_bytes(PNG)
    monkeypatch.setenv("WHATSAPP_TEST_MEDIA_PATH", str(tmp_path / "chart.png"))
    from tests.dags.media_upload_delete import dag

    dr = dag.test()

    assert dr.state == "success"
    upload_request, delete_request = whatsapp_emulator_connection.requests
    assert upload_request.files[0]["filename"] == "chart.png"
    # The id the upload returned reached the delete through XCom and Jinja.
    assert (delete_request.method, delete_request.status) == ("DELETE", 200)
    assert delete_request.path.rsplit("/", 1)[1].isdigit()
    assert whatsapp_emulator_connection.media == {}
