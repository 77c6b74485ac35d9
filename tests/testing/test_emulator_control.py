"""Steering and packaging: reset, HTTP control routes, Airflow connection, pytest fixture,
``python -m`` entry point, cheap import, concurrency under latency."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from airflow_provider_whatsapp.testing import WhatsAppEmulator
from tests.helpers import TO

from .conftest import text_message

REPO = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}


def test_airflow_connection_and_env(emu: WhatsAppEmulator) -> None:
    conn = emu.airflow_connection(maton_connection=emu.connection_id)
    assert conn == {
        "conn_type": "whatsapp",
        "host": emu.url,
        "password": emu.api_key,
        "extra": {
            "phone_number_id": emu.phone_number_id,
            "waba_id": emu.waba_id,
            "ctrl_host": emu.url,
            "api_version": "v21.0",
            "maton_connection": emu.connection_id,
        },
    }
    env = emu.connection_env("whatsapp_alerts")
    assert list(env) == ["AIRFLOW_CONN_WHATSAPP_ALERTS"]
    assert json.loads(env["AIRFLOW_CONN_WHATSAPP_ALERTS"])["host"] == emu.url
    assert emu.url.startswith("http://127.0.0.1:")


def test_reset_forgets_traffic_and_restores_settings(
    emu: WhatsAppEmulator, gw: httpx.Client
) -> None:
    emu.open_window(TO)
    gw.post(f"/{emu.phone_number_id}/messages", json=text_message())
    emu.add_template("temporary")
    emu.latency, emu.rate_limit, emu.maton_error_style = 0.01, 5, "html"
    emu.allowed_recipients = {TO}
    emu.inject_faults(1.0, ["500"])
    emu.reset()
    assert (emu.requests, emu.messages, emu.media, emu.templates) == ([], [], {}, [])
    assert (emu.latency, emu.rate_limit, emu.maton_error_style) == (0.0, None, "json")
    assert emu.allowed_recipients is None
    response = gw.post(f"/{emu.phone_number_id}/messages", json=text_message())
    assert response.json()["error"]["code"] == 131047  # window forgotten, no fault left


# At 4192096.83 s of uptime (t + 3600) - t is 3599.9999999999995 in floats: the hourly
# template limit stayed shut at its boundary on a CI machine up that long. Whole-second
# advances must be exact wherever the machine's clock stands.
@pytest.mark.parametrize("machine_time", [None, 4192096.8330435217, 12345.678901234])
def test_the_24_hour_window_closes_on_the_emulators_clock(
    emu: WhatsAppEmulator,
    gw: httpx.Client,
    monkeypatch: pytest.MonkeyPatch,
    machine_time: float | None,
) -> None:
    if machine_time is not None:
        monkeypatch.setattr("time.monotonic", lambda: machine_time)
    emu.freeze_clock()
    emu.open_window(TO)
    emu.advance_clock(24 * 3600 - 1)
    send = f"/{emu.phone_number_id}/messages"
    assert gw.post(send, json=text_message()).status_code == 200
    emu.advance_clock(1)
    assert gw.post(send, json=text_message()).json()["error"]["code"] == 131047


def test_a_frozen_clock_stops_arrivals_and_reset_restarts_it(
    emu: WhatsAppEmulator, gw: httpx.Client
) -> None:
    emu.freeze_clock()
    gw.get(f"/{emu.phone_number_id}")
    emu.advance_clock(2.5)
    gw.get(f"/{emu.phone_number_id}")
    gw.get(f"/{emu.phone_number_id}")
    first, second, third = (r.received_at for r in emu.requests)
    assert (second - first, third - second) == (2.5, 0.0)
    with pytest.raises(ValueError, match="only moves forward"):
        emu.advance_clock(-1)
    emu.reset()
    gw.get(f"/{emu.phone_number_id}")
    gw.get(f"/{emu.phone_number_id}")
    first, second = (r.received_at for r in emu.requests)
    assert second > first  # running again


def test_constructor_templates_survive_reset() -> None:
    emulator = WhatsAppEmulator(templates=[{"name": "hello_world"}], review_delay=1)
    emulator.add_template("extra")
    emulator.set_template_status("hello_world", "PAUSED")
    emulator.reset()
    assert [(t["name"], t["status"]) for t in emulator.templates] == [("hello_world", "APPROVED")]
    assert emulator.review_delay == 1


def test_settings_are_validated(emu: WhatsAppEmulator) -> None:
    with pytest.raises(ValueError):
        emu.maton_error_style = "xml"
    with pytest.raises(ValueError):
        emu.latency = -1
    with pytest.raises(ValueError):
        emu.configure(colour="red")
    with pytest.raises(KeyError):
        emu.set_template_status("absent", "APPROVED")
    emu.add_template("dup")
    with pytest.raises(ValueError):
        emu.add_template("dup")


def test_http_control_routes(emu: WhatsAppEmulator, gw: httpx.Client) -> None:
    control = httpx.Client(base_url=f"{emu.url}/_emulator")
    assert control.post(
        "/config", json={"latency": 0, "rate_limit": 2, "maton_error_style": "text"}
    ).json() == {"success": True}
    assert (emu.rate_limit, emu.maton_error_style) == (2, "text")
    assert control.post("/config", json={"rate_limit": 0}).status_code == 200
    assert emu.rate_limit is None
    assert control.post("/config", json={"maton_error_style": "xml"}).status_code == 400
    assert control.post("/windows", json={"phones": [TO]}).status_code == 200
    assert gw.post(f"/{emu.phone_number_id}/messages", json=text_message()).status_code == 200
    (message,) = control.get("/messages").json()
    assert (message["to"], message["type"]) == (TO, "text")
    (request,) = control.get("/requests").json()
    assert (request["method"], request["status"], request["json"]) == ("POST", 200, text_message())
    emu.add_template("greeting", status="PENDING")
    assert (
        control.post(
            "/templates/status",
            json={"name": "greeting", "status": "REJECTED", "reason": "INVALID_FORMAT"},
        ).status_code
        == 200
    )
    (template,) = control.get("/templates").json()
    assert (template["status"], template["rejected_reason"]) == ("REJECTED", "INVALID_FORMAT")
    assert (
        control.post("/templates/status", json={"name": "nope", "status": "X"}).status_code == 400
    )
    assert control.post("/faults", json={"ratio": 1, "kinds": ["503"]}).status_code == 200
    assert gw.post(f"/{emu.phone_number_id}/messages", json=text_message()).status_code == 503
    assert control.post("/faults", json={"ratio": 0}).status_code == 200
    assert gw.post(f"/{emu.phone_number_id}/messages", json=text_message()).status_code == 200
    assert len(emu.requests) == 3  # control calls are never recorded
    assert control.post("/reset").json() == {"success": True}
    assert control.get("/messages").json() == []
    assert control.get("/nothing").status_code == 404
    assert control.post("/windows", json={"phone": TO}).status_code == 422  # typed bodies
    assert "/_emulator/faults" in control.get("/openapi.json").json()["paths"]
    assert control.get("/docs").status_code == 200
    control.close()


def test_account_breaks_after_counted_messages_and_is_restored(
    emu: WhatsAppEmulator, gw: httpx.Client
) -> None:
    """Each kind answers as Maton or Graph would, only after ``after_messages`` more
    accepted messages; the ctrl host still lists connections (except a revoked key)."""
    emu.enforce_window = False
    control = httpx.Client(base_url=f"{emu.url}/_emulator")
    ctrl = httpx.Client(base_url=emu.url, headers={"Authorization": f"Bearer {emu.api_key}"})
    messages = f"/{emu.phone_number_id}/messages"
    expected = {
        "revoke_key": (401, None, 401),
        "remove_connection": (400, None, 200),
        "expire_authorisation": (500, None, 200),
        "expire_token": (401, 190, 200),
        "lock_account": (400, 131031, 200),
        "spam_limit": (400, 131048, 200),
    }
    for kind, (status, code, ctrl_status) in expected.items():
        assert control.post("/account", json={"kind": kind, "after_messages": 2}).json() == {
            "success": True
        }
        assert [gw.post(messages, json=text_message()).status_code for _ in range(2)] == [200] * 2
        refused = gw.post(messages, json=text_message())
        assert refused.status_code == status, kind
        error = refused.json().get("error")
        assert (error.get("code") if isinstance(error, dict) else None) == code, kind
        assert emu.requests[-1].fault == kind and not emu.requests[-1].processed
        assert ctrl.get("/connections").status_code == ctrl_status, kind
        emu.restore_account()
        assert gw.post(messages, json=text_message()).status_code == 200, kind
    assert control.post("/account", json={"kind": "lock_account"}).status_code == 200
    assert gw.post(messages, json=text_message()).status_code == 400  # at once by default
    assert gw.get(f"/{emu.phone_number_id}").status_code == 200  # only sends are refused
    assert control.post("/account", json={"kind": None}).status_code == 200
    assert gw.post(messages, json=text_message()).status_code == 200
    assert control.post("/account", json={"kind": "melt"}).status_code == 400
    with pytest.raises(ValueError, match="after_messages"):
        emu.break_account("spam_limit", after_messages=-1)
    emu.break_account("remove_connection")
    gw.post(messages, json=text_message())
    assert emu.connections == []
    emu.reset()  # a reset restores the account too
    assert len(emu.connections) == 1
    emu.enforce_window = False
    assert gw.post(messages, json=text_message()).status_code == 200
    control.close()
    ctrl.close()


def test_control_routes_are_not_rate_limited(emu: WhatsAppEmulator) -> None:
    emu.rate_limit = 1
    codes = {httpx.get(f"{emu.url}/_emulator/templates").status_code for _ in range(5)}
    assert codes == {200}


def test_settings_change_while_serving(emu: WhatsAppEmulator, gw: httpx.Client) -> None:
    assert gw.get(f"/{emu.phone_number_id}").status_code == 200
    emu.maton_error_style = "html"
    emu.rate_limit = 1
    gw.get(f"/{emu.phone_number_id}")
    limited = gw.get(f"/{emu.phone_number_id}")
    assert limited.status_code == 429
    assert limited.headers["content-type"].startswith("text/html")


async def test_latency_does_not_serialise_concurrent_requests(emu: WhatsAppEmulator) -> None:
    """Held by latency at the same time: were answers serialised (one request's latency
    before the next one's), no two requests would be waiting at once."""
    emu.latency = 0.2
    emu.open_window(TO)
    url = f"{emu.url}/whatsapp-business/v21.0/{emu.phone_number_id}/messages"
    headers = {"Authorization": f"Bearer {emu.api_key}"}

    limits = httpx.Limits(max_connections=64)
    async with httpx.AsyncClient(headers=headers, timeout=None, limits=limits) as client:
        responses = await asyncio.gather(
            *(client.post(url, json=text_message()) for _ in range(64))
        )
    codes = [r.status_code for r in responses]
    assert codes == [200] * 64
    assert len(emu.messages) == 64
    first_answer = min(r.answered_at for r in emu.requests if r.answered_at is not None)
    waiting_together = [r for r in emu.requests if r.received_at < first_answer]
    assert len(waiting_together) > 1


def test_fixture_serves_with_service_defaults(whatsapp_emulator: WhatsAppEmulator) -> None:
    assert whatsapp_emulator.rate_limit == 10 and whatsapp_emulator.enforce_window
    response = httpx.get(
        f"{whatsapp_emulator.url}/whatsapp-business/v21.0/{whatsapp_emulator.phone_number_id}",
        headers={"Authorization": f"Bearer {whatsapp_emulator.api_key}"},
    )
    assert response.json()["id"] == whatsapp_emulator.phone_number_id


def test_fixture_in_a_fresh_pytest_session(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(
        textwrap.dedent("""
        import json, httpx, pytest

        def test_default(whatsapp_emulator):
            assert whatsapp_emulator.rate_limit == 10
            r = httpx.get(whatsapp_emulator.url + "/whatsapp-business/v21.0/"
                          + whatsapp_emulator.phone_number_id,
                          headers={"Authorization": "Bearer " + whatsapp_emulator.api_key})
            assert r.status_code == 200

        @pytest.mark.whatsapp_emulator(rate_limit=None, api_key="k2")
        def test_marker_and_env(whatsapp_emulator_connection, monkeypatch):
            import os
            conn = json.loads(os.environ["AIRFLOW_CONN_WHATSAPP_DEFAULT"])
            assert conn["password"] == "k2" == whatsapp_emulator_connection.api_key
            assert whatsapp_emulator_connection.rate_limit is None
    """)
    )
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    args = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-W",
        "error::pytest.PytestUnknownMarkWarning",
    ]
    env = dict(ENV, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    args += ["-p", "airflow_provider_whatsapp.testing.pytest_plugin", str(tmp_path)]
    done = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout


def test_import_is_cheap() -> None:
    code = (
        "import sys, airflow_provider_whatsapp.testing, airflow_provider_whatsapp.testing."
        "pytest_plugin; print(sorted(m for m in ('uvicorn', 'starlette', 'fastapi', 'airflow')"
        " if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=ENV, capture_output=True, text=True, timeout=30
    )
    assert done.stdout.strip() == "[]", done.stderr


def exported(line: str) -> tuple[str, str]:
    """``export NAME='value'`` as the emulator prints it -> ``(NAME, value)``."""
    name, _, value = shlex.split(line)[1].partition("=")
    return name, value


def test_module_entry_point_serves_until_terminated(tmp_path: Path) -> None:
    env_file = tmp_path / "emulator.env"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "airflow_provider_whatsapp.testing",
            "--api-key",
            "cli-key",
            "--rate-limit",
            "0",
            "--open-window",
            TO,
            "--template",
            "hello_world",
            "--reject",
            "bad=INVALID_FORMAT",
            "--review-delay",
            "0",
            "--review-after-reads",
            "1",
            "--env-file",
            str(env_file),
        ],
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = dict(exported(proc.stdout.readline()) for _ in range(3))
        url = lines["WHATSAPP_EMULATOR_URL"]
        assert lines["MATON_API_KEY"] == "cli-key"
        conn = json.loads(lines["AIRFLOW_CONN_WHATSAPP_DEFAULT"])
        assert (conn["host"], conn["password"]) == (url, "cli-key")
        headers = {"Authorization": "Bearer cli-key"}
        phone = conn["extra"]["phone_number_id"]
        sent = httpx.post(
            f"{url}/whatsapp-business/v21.0/{phone}/messages", json=text_message(), headers=headers
        )
        assert sent.status_code == 200, sent.text
        (template,) = httpx.get(f"{url}/_emulator/templates").json()
        assert (template["name"], template["status"]) == ("hello_world", "APPROVED")
        templates = f"{url}/whatsapp-business/v21.0/{conn['extra']['waba_id']}/message_templates"
        body = {"type": "BODY", "text": "Hi"}
        definition = {"name": "bad", "language": "en_US", "category": "UTILITY"}
        created = httpx.post(templates, json={**definition, "components": [body]}, headers=headers)
        assert created.json()["status"] == "PENDING", created.text
        seen = [
            httpx.get(templates, params={"name": "bad"}, headers=headers).json()["data"][0]
            for _ in range(2)
        ]
        assert [t["status"] for t in seen] == ["PENDING", "REJECTED"]  # after one read
        assert seen[1]["rejected_reason"] == "INVALID_FORMAT"
        assert "AIRFLOW_CONN_WHATSAPP_DEFAULT='{" in env_file.read_text()  # shell-quoted
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0
