"""Media (upload, URL on another host, download, delete, limits), phone numbers, profile."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from airflow_provider_whatsapp.testing import WhatsAppEmulator

from .conftest import graph_error

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


def upload(
    gw: httpx.Client, emu: WhatsAppEmulator, data: bytes, mime: str, **form: str
) -> httpx.Response:
    fields = {"messaging_product": "whatsapp", "type": mime} | form
    return gw.post(
        f"/{emu.phone_number_id}/media", data=fields, files={"file": ("f.bin", data, mime)}
    )


def test_upload_get_download_delete(emu: WhatsAppEmulator, gw: httpx.Client) -> None:
    response = upload(gw, emu, PNG, "image/png")
    assert response.status_code == 200, response.text
    media_id = response.json()["id"]
    assert media_id.isdigit()
    assert emu.media[media_id]["data"] == PNG
    assert emu.media[media_id]["filename"] == "f.bin"
    (recorded,) = emu.requests
    assert recorded.form == {"messaging_product": "whatsapp", "type": "image/png"}
    assert recorded.files == [
        {"field": "file", "filename": "f.bin", "content_type": "image/png", "size": len(PNG)}
    ]

    info = gw.get(f"/{media_id}").json()
    assert info == {
        "url": info["url"],
        "mime_type": "image/png",
        "sha256": hashlib.sha256(PNG).hexdigest(),
        "file_size": len(PNG),
        "id": media_id,
        "messaging_product": "whatsapp",
    }
    url = urlsplit(info["url"])
    assert url.hostname == "localhost"  # another host than the gateway: no Maton key there
    download = httpx.get(info["url"])
    assert download.content == PNG
    assert download.headers["content-type"] == "image/png"
    lookaside = emu.requests[-1]
    assert lookaside.path == f"/_lookaside/{media_id}"
    assert "authorization" not in lookaside.headers
    assert lookaside.host.startswith("localhost:")
    assert httpx.get(info["url"].replace("token=", "token=x")).status_code == 404
    emu.freeze_clock()
    short_lived = gw.get(f"/{media_id}").json()["url"]
    emu.advance_clock(300)
    assert httpx.get(short_lived).content == PNG  # five minutes, like Meta's
    emu.advance_clock(0.001)
    assert httpx.get(short_lived).status_code == 404

    assert gw.delete(f"/{media_id}").json() == {"success": True}
    assert media_id not in emu.media
    assert graph_error(gw.get(f"/{media_id}"), 100)["error_subcode"] == 33
    assert graph_error(gw.delete(f"/{media_id}"), 100)["error_subcode"] == 33
    assert httpx.get(info["url"]).status_code == 404


@pytest.mark.parametrize(
    ("size", "mime", "code"),
    [
        (500 * 1024, "image/webp", None),
        (500 * 1024 + 1, "image/webp", 131053),
        (5 * 1024 * 1024 + 1, "image/jpeg", 131053),
        (10, "image/gif", 100),
        (10, "application/zip", 100),
        (0, "text/plain", 131053),
        (10, "audio/ogg; codecs=opus", None),
    ],
)
def test_upload_limits(
    emu: WhatsAppEmulator, gw: httpx.Client, size: int, mime: str, code: int | None
) -> None:
    response = upload(gw, emu, b"x" * size, mime)
    if code is None:
        assert response.status_code == 200, response.text
    else:
        graph_error(response, code)
        assert emu.media == {}


@pytest.mark.parametrize("drop", ["messaging_product", "type"])
def test_upload_needs_its_form_fields(emu: WhatsAppEmulator, gw: httpx.Client, drop: str) -> None:
    fields = {"messaging_product": "whatsapp", "type": "image/png"}
    del fields[drop]
    response = gw.post(
        f"/{emu.phone_number_id}/media", data=fields, files={"file": ("a.png", PNG, "image/png")}
    )
    assert drop in graph_error(response, 131008)["error_data"]["details"]
    no_file = gw.post(
        f"/{emu.phone_number_id}/media", data={"messaging_product": "whatsapp", "type": "image/png"}
    )
    graph_error(no_file, 131008)


def test_phone_number_and_list(emu: WhatsAppEmulator, gw: httpx.Client) -> None:
    phone = gw.get(f"/{emu.phone_number_id}").json()
    assert phone["id"] == emu.phone_number_id
    assert phone["quality_rating"] == "GREEN"
    assert phone["code_verification_status"] == "VERIFIED"
    assert phone["platform_type"] == "CLOUD_API"
    assert phone["throughput"] == {"level": "STANDARD"}
    assert {"display_phone_number", "verified_name"} <= set(phone)
    listed = gw.get(f"/{emu.waba_id}/phone_numbers").json()
    assert listed["data"] == [phone]
    assert "cursors" in listed["paging"]
    assert gw.get(f"/{emu.waba_id}").json()["id"] == emu.waba_id
    graph_error(gw.get(f"/{emu.waba_id}/nothing"), 2500)


def test_business_profile_get_and_update(emu: WhatsAppEmulator, gw: httpx.Client) -> None:
    url = f"/{emu.phone_number_id}/whatsapp_business_profile"
    fields = "about,address,description,email,profile_picture_url,websites,vertical"
    (profile,) = gw.get(url, params={"fields": fields}).json()["data"]
    assert set(profile) == set(fields.split(",")) | {"messaging_product"}
    (only,) = gw.get(url, params={"fields": "about"}).json()["data"]
    assert set(only) == {"about", "messaging_product"}
    update = {
        "messaging_product": "whatsapp",
        "about": "Open 9-5",
        "websites": ["https://a.example", "https://b.example"],
        "vertical": "RETAIL",
    }
    assert gw.post(url, json=update).json() == {"success": True}
    (after,) = gw.get(url).json()["data"]
    assert (after["about"], after["vertical"]) == ("Open 9-5", "RETAIL")
    assert after["websites"] == update["websites"]
    graph_error(gw.get(url, params={"fields": "about,shoe_size"}), 100)


@pytest.mark.parametrize(
    "change",
    [
        {"about": ""},
        {"about": "a" * 140},
        {"address": "a" * 257},
        {"description": "d" * 513},
        {"email": "e" * 120 + "@x.example"},
        {"websites": ["https://a.example", "https://b.example", "https://c.example"]},
        {"websites": ["https://" + "w" * 250 + ".example"]},
        {"vertical": "SPACESHIPS"},
        {"favourite_colour": "blue"},
    ],
)
def test_business_profile_limits(
    emu: WhatsAppEmulator, gw: httpx.Client, change: dict[str, Any]
) -> None:
    url = f"/{emu.phone_number_id}/whatsapp_business_profile"
    graph_error(gw.post(url, json={"messaging_product": "whatsapp"} | change), 100)
    assert gw.post(url, json={"about": "no product"}).status_code == 400
