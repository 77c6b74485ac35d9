"""Maton's front door: API key, app name, connections, rate limit, latency, ctrl host."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from airflow_provider_whatsapp.testing import WhatsAppEmulator

from .conftest import graph_error


@pytest.mark.parametrize(
    ("style", "content_type", "check"),
    [
        ("json", "application/json", lambda r: r.json() == {"error": "Invalid API key"}),
        ("text", "text/plain", lambda r: r.text == "Invalid API key"),
        ("html", "text/html", lambda r: "<h1>401 Unauthorized</h1>" in r.text),
        # The four shapes of Maton's current docs.
        ("message", "application/json", lambda r: r.json() == {"message": "Invalid API key"}),
        (
            "error_object",
            "application/json",
            lambda r: r.json() == {"error": {"message": "Invalid API key"}},
        ),
        ("detail", "application/json", lambda r: r.json() == {"detail": "Invalid API key"}),
        (
            "detail_list",
            "application/json",
            lambda r: (
                r.json()
                == {
                    "detail": [
                        {
                            "loc": ["header", "authorization"],
                            "msg": "Invalid API key",
                            "type": "value_error",
                        }
                    ]
                }
            ),
        ),
    ],
)
def test_wrong_or_missing_key_is_401_in_each_style(
    emu: WhatsAppEmulator,
    style: str,
    content_type: str,
    check: Callable[[httpx.Response], bool],
) -> None:
    emu.maton_error_style = style
    url = f"{emu.url}/whatsapp-business/v21.0/{emu.phone_number_id}"
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": emu.api_key}):
        response = httpx.get(url, headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"].startswith(content_type)
        assert check(response)
    assert all(r.status == 401 and not r.processed for r in emu.requests)


def test_maton_error_json_is_a_string_not_graphs_object(emu: WhatsAppEmulator) -> None:
    body = httpx.get(f"{emu.url}/whatsapp-business/v21.0/x").json()
    assert isinstance(body["error"], str)


def test_unknown_or_inactive_connection_is_missing_app_connection(
    emu: WhatsAppEmulator, gw: httpx.Client
) -> None:
    path = f"/{emu.phone_number_id}"
    assert gw.get(path).status_code == 200
    assert gw.get(path, headers={"Maton-Connection": emu.connection_id}).status_code == 200
    unknown = gw.get(path, headers={"Maton-Connection": "not-a-connection"})
    assert unknown.status_code == 400
    assert unknown.json() == {"error": "Missing app connection"}
    pending = emu.add_connection(status="PENDING")
    assert gw.get(path, headers={"Maton-Connection": pending}).status_code == 400


def test_default_is_oldest_active_connection_and_none_left_is_400(
    emu: WhatsAppEmulator, gw: httpx.Client
) -> None:
    newer = emu.add_connection()
    emu.set_connection_status(emu.connection_id, "EXPIRED")
    assert gw.get(f"/{emu.phone_number_id}").status_code == 200  # falls back to ``newer``
    emu.set_connection_status(newer, "EXPIRED")
    response = gw.get(f"/{emu.phone_number_id}")
    assert response.status_code == 400
    assert response.json()["error"] == "Missing app connection"


def test_path_without_app_prefix_is_invalid_app_name(emu: WhatsAppEmulator) -> None:
    emu.maton_error_style = "text"
    response = httpx.get(
        f"{emu.url}/v21.0/{emu.phone_number_id}", headers={"Authorization": f"Bearer {emu.api_key}"}
    )
    assert response.status_code == 400
    assert "invalid app name" in response.text.lower()


def test_path_without_version_is_a_graph_error(gw: httpx.Client, emu: WhatsAppEmulator) -> None:
    response = gw.get(f"{emu.url}/whatsapp-business/{emu.phone_number_id}")
    assert graph_error(response, 2500)["message"].startswith("(#2500) Unknown path components")


def test_unknown_object_is_graph_100_subcode_33(gw: httpx.Client) -> None:
    error = graph_error(gw.get("/999"), 100)
    assert error["error_subcode"] == 33
    assert "Object with ID '999' does not exist" in error["message"]
    assert graph_error(gw.post("/999/messages", json={}), 100)["error_subcode"] == 33
    assert graph_error(gw.delete("/999"), 100)["message"].startswith("Unsupported delete")


def test_rate_limit_burst_recovery_and_off(emu: WhatsAppEmulator, gw: httpx.Client) -> None:
    emu.rate_limit = 10
    emu.freeze_clock()  # the 15 arrive within one second, however slow the machine
    responses = [gw.get(f"/{emu.phone_number_id}") for _ in range(15)]
    limited = [r for r in responses if r.status_code == 429]
    assert len(limited) == 5
    assert [r.status_code for r in responses[:10]] == [200] * 10
    assert all(r.headers["retry-after"] == "1" for r in limited)
    assert limited[0].json() == {"error": "Rate limit exceeded"}
    assert emu.count_429() == 5
    assert not any(r.processed for r in emu.requests if r.status == 429)
    emu.advance_clock(0.999)
    assert gw.get(f"/{emu.phone_number_id}").status_code == 429  # the second is not over
    emu.advance_clock(0.001)
    assert [gw.get(f"/{emu.phone_number_id}").status_code for _ in range(11)] == [200] * 10 + [429]
    emu.rate_limit = None
    assert all(gw.get(f"/{emu.phone_number_id}").status_code == 200 for _ in range(30))


def test_rate_limit_counts_ctrl_calls_too(emu: WhatsAppEmulator, ctrl: httpx.Client) -> None:
    emu.rate_limit = 3
    codes = [ctrl.get("/connections").status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]


def test_latency_delays_gateway_answers(emu: WhatsAppEmulator, gw: httpx.Client) -> None:
    emu.latency = 0.3
    assert gw.get(f"/{emu.phone_number_id}").status_code == 200
    (held,) = emu.requests
    assert held.answered_at is not None and held.answered_at - held.received_at >= 0.3


async def test_latency_never_holds_control_routes(whatsapp_emulator: WhatsAppEmulator) -> None:
    """A control route answers while a gateway request under the same latency waits (an
    hour: were control routes delayed too, the test would hang until pytest's timeout)."""
    emu = whatsapp_emulator
    emu.latency = 3600
    gateway = f"{emu.url}/whatsapp-business/v21.0/{emu.phone_number_id}"
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {emu.api_key}"}) as client:
        held = asyncio.create_task(client.get(gateway, timeout=None))
        while not emu.requests and not held.done():  # until the gateway request is held
            await asyncio.sleep(0.01)
        control = await client.get(f"{emu.url}/_emulator/messages", timeout=None)
        assert control.status_code == 200
        assert not held.done()
        assert [r.answered_at for r in emu.requests] == [None]
        held.cancel()


def test_connections_list_create_get_delete(emu: WhatsAppEmulator, ctrl: httpx.Client) -> None:
    listed = ctrl.get("/connections", params={"app": "whatsapp-business", "status": "ACTIVE"})
    assert listed.status_code == 200
    (default,) = listed.json()["connections"]
    assert default["connection_id"] == emu.connection_id
    assert set(default) == {
        "connection_id",
        "status",
        "creation_time",
        "last_updated_time",
        "url",
        "app",
        "metadata",
    }
    assert default["creation_time"].endswith("Z")
    created = ctrl.post("/connections", json={"app": "whatsapp-business"}).json()["connection"]
    assert created["status"] == "PENDING"
    assert created["url"].startswith("https://connect.maton.ai/?session_token=")
    assert ctrl.get(f"/connections/{created['connection_id']}").json() == {"connection": created}
    active = ctrl.get("/connections", params={"status": "ACTIVE"}).json()["connections"]
    assert [c["connection_id"] for c in active] == [emu.connection_id]
    assert len(ctrl.get("/connections").json()["connections"]) == 2
    assert ctrl.get("/connections", params={"app": "slack"}).json() == {"connections": []}
    assert ctrl.delete(f"/connections/{created['connection_id']}").json() == {"success": True}
    missing = ctrl.get(f"/connections/{created['connection_id']}")
    assert missing.status_code == 404
    assert "not found" in missing.json()["error"]
    assert ctrl.post("/connections", json={"app": "slack"}).status_code == 400


def test_ctrl_needs_the_key(emu: WhatsAppEmulator) -> None:
    assert httpx.get(f"{emu.url}/connections").status_code == 401


@pytest.mark.parametrize(
    ("style", "check"),
    [
        ("json", lambda r: r.json() == {"error": "Missing app connection"}),
        ("message", lambda r: r.json() == {"message": "Missing app connection"}),
        ("error_object", lambda r: r.json() == {"error": {"message": "Missing app connection"}}),
        ("detail", lambda r: r.json() == {"detail": "Missing app connection"}),
        (
            "detail_list",
            lambda r: r.json()["detail"][0]["loc"] == ["header", "maton-connection"],
        ),
        ("html", lambda r: "<h1>412 Precondition Failed</h1>" in r.text),
    ],
)
def test_missing_connection_can_be_maton_sdks_412(
    emu: WhatsAppEmulator,
    gw: httpx.Client,
    ctrl: httpx.Client,
    style: str,
    check: Callable[[httpx.Response], bool],
) -> None:
    """``missing_connection_status=412``: every way a connection goes missing answers 412
    (an unknown or inactive Maton-Connection, none left, the account fault), in the style."""
    emu.configure(missing_connection_status=412, maton_error_style=style)
    path = f"/{emu.phone_number_id}"
    assert gw.get(path).status_code == 200
    unknown = gw.get(path, headers={"Maton-Connection": "not-a-connection"})
    pending = gw.get(path, headers={"Maton-Connection": emu.add_connection(status="PENDING")})
    emu.break_account("remove_connection")
    removed = gw.get(path)
    for response in (unknown, pending, removed):
        assert response.status_code == 412, response.text
        assert check(response), response.text
    assert ctrl.get("/connections").status_code == 200  # the ctrl routes still answer
    emu.reset()
    assert emu.missing_connection_status == 400  # the default: the seed's 400
    assert gw.get(path, headers={"Maton-Connection": "not-a-connection"}).status_code == 400


def test_connection_ids_spelt_as_maton_openapi_spec(
    emu: WhatsAppEmulator, ctrl: httpx.Client
) -> None:
    """``connection_id_key="connection_Id"``: list, create, get and the inspection
    property all spell the id that way, and only that way."""
    emu.connection_id_key = "connection_Id"
    (listed,) = ctrl.get("/connections").json()["connections"]
    created = ctrl.post("/connections", json={"app": "whatsapp-business"}).json()["connection"]
    fetched = ctrl.get(f"/connections/{created['connection_Id']}").json()["connection"]
    assert listed["connection_Id"] == emu.connection_id
    assert fetched == created
    for connection in (listed, created, *emu.connections):
        assert "connection_Id" in connection and "connection_id" not in connection


def test_the_new_settings_are_checked(emu: WhatsAppEmulator) -> None:
    with pytest.raises(ValueError, match=r"missing_connection_status must be one of \(400, 412\)"):
        emu.missing_connection_status = 404
    with pytest.raises(ValueError, match="connection_id_key must be one of"):
        emu.connection_id_key = "id"
    emu.configure(missing_connection_status="412")  # as a JSON body or the CLI may give it
    assert emu.missing_connection_status == 412
