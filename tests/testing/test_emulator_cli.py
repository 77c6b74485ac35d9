"""The emulator as users start it from a shell: lines they paste, env files they load, and
numbers written the way people write them (``+1 650 555 1234``)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from airflow_provider_whatsapp.testing import WhatsAppEmulator
from airflow_provider_whatsapp.testing.process import EmulatorProcess
from tests.helpers import TO

from .conftest import text_message
from .test_emulator_control import ENV

AS_WRITTEN = "+1 650 555 1234"  # TO as people write it
NAMES = ("WHATSAPP_EMULATOR_URL", "MATON_API_KEY", "AIRFLOW_CONN_WHATSAPP_DEFAULT")


def bash(script: str) -> str:
    """Run ``script`` in a fresh bash; its stdout (the test fails on a non-zero exit)."""
    done = subprocess.run(
        ["bash", "-c", script],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": "/bin:/usr/bin"},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def exported_by(script: str) -> dict[str, str]:
    """The variables ``script`` exports to child processes (``printenv`` sees only those)."""
    out = bash(script + "\n" + "".join(f'printenv {n}; printf "\\0"\n' for n in NAMES))
    values = [v.removesuffix("\n") for v in out.split("\0")[:-1]]
    return dict(zip(NAMES, values, strict=True))


def send(url: str, key: str, phone_number_id: str) -> httpx.Response:
    return httpx.post(
        f"{url}/whatsapp-business/v21.0/{phone_number_id}/messages",
        json=text_message(TO),
        headers={"Authorization": f"Bearer {key}"},
    )


@pytest.fixture(scope="module")
def started(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[str], Path]]:
    """``python -m airflow_provider_whatsapp.testing --open-window "+1 650 555 1234"
    --env-file PATH``: the start-up lines it printed, and PATH."""
    env_file = tmp_path_factory.mktemp("cli") / "whatsapp-emulator.env"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "airflow_provider_whatsapp.testing",
            "--api-key",
            "key with 'quotes' & spaces",
            "--open-window",
            AS_WRITTEN,
            "--env-file",
            str(env_file),
        ],
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        yield [proc.stdout.readline() for _ in NAMES], env_file
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def test_printed_lines_paste_into_bash_and_reach_the_emulator(
    started: tuple[list[str], Path],
) -> None:
    lines, _ = started
    assert all(line.startswith("export ") for line in lines), lines
    values = exported_by("".join(lines))  # pasted as printed, one after the other
    url, key = values["WHATSAPP_EMULATOR_URL"], values["MATON_API_KEY"]
    assert key == "key with 'quotes' & spaces"
    conn = json.loads(values["AIRFLOW_CONN_WHATSAPP_DEFAULT"])
    port = urlsplit(url).port
    assert port and urlsplit(conn["host"]).port == port
    assert (conn["conn_type"], conn["password"]) == ("whatsapp", key)
    # The window was opened as "+1 650 555 1234"; the provider sends "16505551234".
    sent = send(url, key, conn["extra"]["phone_number_id"])
    assert sent.status_code == 200, sent.text


def test_env_file_loads_with_set_a_in_a_posix_shell(started: tuple[list[str], Path]) -> None:
    lines, env_file = started
    from_file = exported_by(f"set -a; . '{env_file}'; set +a")
    assert from_file == exported_by("".join(lines))
    assert (
        json.loads(from_file["AIRFLOW_CONN_WHATSAPP_DEFAULT"])["host"]
        == (from_file["WHATSAPP_EMULATOR_URL"])
    )


def test_docker_env_file_holds_the_values_unquoted(tmp_path: Path) -> None:
    """``docker run --env-file`` takes everything after the first ``=`` literally."""
    env_file = tmp_path / "docker.env"
    options = ("--env-file", str(env_file), "--env-format", "docker")
    with EmulatorProcess(*options, env=ENV) as emulator:
        lines = env_file.read_text().splitlines()
        as_docker_reads = dict(line.partition("=")[::2] for line in lines)
        assert as_docker_reads == emulator.variables
        assert set(as_docker_reads) == set(NAMES)
        assert json.loads(as_docker_reads["AIRFLOW_CONN_WHATSAPP_DEFAULT"]) == emulator.connection


def test_open_window_accepts_numbers_as_written_through_the_process(tmp_path: Path) -> None:
    with EmulatorProcess("--open-window", "+44 20 7946 0958", AS_WRITTEN, env=ENV) as emulator:
        conn = emulator.connection
        sent = send(emulator.url, conn["password"], conn["extra"]["phone_number_id"])
        assert sent.status_code == 200, sent.text
        assert [m["to"] for m in emulator.messages()] == [TO]


def test_open_window_refuses_what_is_not_a_number() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "airflow_provider_whatsapp.testing", "--open-window", "call me"],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "--open-window: not a phone number: 'call me'" in done.stderr


def test_windows_route_normalises_numbers_as_the_provider_sends_them(
    emu: WhatsAppEmulator, gw: httpx.Client
) -> None:
    with httpx.Client(base_url=f"{emu.url}/_emulator") as control:
        refused = control.post("/windows", json={"phones": ["15550001111", "call me"]})
        assert refused.status_code == 400
        assert "not a phone number: 'call me'" in refused.json()["detail"]
        assert control.post("/windows", json={"phones": [AS_WRITTEN]}).status_code == 200
    assert gw.post(f"/{emu.phone_number_id}/messages", json=text_message(TO)).status_code == 200
    # The refused request opened nothing, not even its valid number.
    closed = gw.post(f"/{emu.phone_number_id}/messages", json=text_message("15550001111"))
    assert closed.json()["error"]["code"] == 131047, closed.text
    emu.open_window("+1 (555) 000-2222")  # the Python API: the same rule
    assert (
        gw.post(f"/{emu.phone_number_id}/messages", json=text_message("15550002222")).status_code
        == 200
    )
