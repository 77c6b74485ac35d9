"""``EmulatorProcess``: the emulator in a child process, as ``make demo`` and the benchmarks
run it, steered over real HTTP through its control routes."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from airflow_provider_whatsapp.testing.process import EmulatorProcess
from tests.helpers import TO

from .conftest import text_message
from .test_emulator_control import ENV


def test_child_process_serves_and_is_steered_through_its_control_routes(tmp_path: Path) -> None:
    log = tmp_path / "emulator.log"
    emulator = EmulatorProcess("--api-key", "proc-key", "--open-window", TO, env=ENV, log_path=log)
    with emulator:
        assert emulator.variables["MATON_API_KEY"] == "proc-key"
        conn = emulator.connection
        assert (conn["host"], conn["password"]) == (emulator.url, "proc-key")
        ((name, value),) = emulator.connection_env("whatsapp_alt", max_retries=0).items()
        assert name == "AIRFLOW_CONN_WHATSAPP_ALT"
        assert json.loads(value)["extra"] == {**conn["extra"], "max_retries": 0}

        def send() -> httpx.Response:
            phone_id = conn["extra"]["phone_number_id"]
            return httpx.post(
                f"{emulator.url}/whatsapp-business/v21.0/{phone_id}/messages",
                json=text_message(),
                headers={"Authorization": "Bearer proc-key"},
            )

        assert send().status_code == 200
        assert [m["to"] for m in emulator.messages()] == [TO]
        assert [r["status"] for r in emulator.requests()] == [200]
        template_id = emulator.add_template("hello_world", status="PENDING")
        assert [(t["id"], t["status"]) for t in emulator.templates()] == [(template_id, "PENDING")]

        emulator.reset(allowed_recipients=["15550009999"])  # traffic forgotten, then set
        assert emulator.messages() == [] and emulator.requests() == []
        refused = send()
        assert refused.json()["error"]["code"] == 131030, refused.text
        proc = emulator.proc
    assert proc is not None and proc.poll() is not None  # stopped with the block
    assert "control routes (OpenAPI)" in log.read_text()  # its stderr, logged
    with pytest.raises(RuntimeError, match="not running"):
        emulator.messages()


def test_a_child_that_cannot_start_says_why() -> None:
    emulator = EmulatorProcess("--no-such-option", env=ENV)
    with pytest.raises(RuntimeError, match=r"(?s)did not start.*--no-such-option"):
        emulator.start(timeout=30)
    assert emulator.proc is not None and emulator.proc.poll() is not None
