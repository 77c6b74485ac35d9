"""Alerts first: a bulk send leaves part of the account's rate free, so an alert sent
meanwhile (from this process or another, which no in-process object can see) gets in
while the bulk send is still running, with the emulator at Maton's 10 requests/s."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from airflow_provider_whatsapp.bulk.record import DeliveryRecord
from airflow_provider_whatsapp.client import ClientConfig
from airflow_provider_whatsapp.client.errors import WhatsAppConfigError
from airflow_provider_whatsapp.hooks.whatsapp import config_from_connection
from airflow_provider_whatsapp.notifications.whatsapp import WhatsAppNotifier
from airflow_provider_whatsapp.testing import WhatsAppEmulator
from tests.bulk.child import send, spawn
from tests.helpers import set_connection

ALERT_TO = "15550109999"
BULK = 48  # ~6 s at 8/s


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch) -> Iterator[WhatsAppEmulator]:
    with WhatsAppEmulator(rate_limit=10, latency=0.05, enforce_window=False) as emulator:
        set_connection(monkeypatch, emulator.airflow_connection())
        yield emulator


def bulk_spec(emu: WhatsAppEmulator, tmp_path: Path) -> dict[str, object]:
    return {
        "url": emu.url,
        "api_key": emu.api_key,
        "phone_number_id": emu.phone_number_id,
        "store": str(tmp_path / "record"),
        "numbers": [f"1650558{i:04d}" for i in range(BULK)],
        "concurrency": 16,
        "rate_limit": 10,  # the connection's default
        "bulk": True,  # and its default bulk_rate_share, 0.8
    }


def wait_for_bulk(emu: WhatsAppEmulator, count: int, alive: object) -> None:
    deadline = time.monotonic() + 60
    while len(emu.messages) < count and time.monotonic() < deadline and alive():  # type: ignore[operator]
        time.sleep(0.02)
    assert len(emu.messages) >= count, "the bulk send did not start"


def judge(emu: WhatsAppEmulator) -> None:
    [alert] = emu.sent_to(ALERT_TO)
    bulk = [m for m in emu.messages if m.to != ALERT_TO]
    assert len(bulk) == BULK and len({m.to for m in bulk}) == BULK
    after = [m for m in bulk if m.received_at > alert.received_at]
    assert after, "the alert got in only once the bulk send was over"


def test_alert_from_another_process_gets_in_during_a_bulk_send(
    gateway: WhatsAppEmulator, tmp_path: Path
) -> None:
    spec = bulk_spec(gateway, tmp_path)
    child = spawn(spec, stdout=subprocess.PIPE)
    try:
        wait_for_bulk(gateway, 16, lambda: child.poll() is None)
        WhatsAppNotifier(to=ALERT_TO, text="task failed").notify({})
        out, err = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 0, err[-2000:]
    assert json.loads(out.splitlines()[-1])["accepted"] == BULK
    judge(gateway)


def test_alert_from_this_process_gets_in_during_a_bulk_send(gateway: WhatsAppEmulator) -> None:
    spec = bulk_spec(gateway, Path("."))
    errors: list[BaseException] = []

    def run_bulk() -> None:
        try:
            send(spec, DeliveryRecord())
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    worker = threading.Thread(target=run_bulk)
    worker.start()
    wait_for_bulk(gateway, 16, worker.is_alive)
    WhatsAppNotifier(to=ALERT_TO, text="task failed").notify({})
    worker.join(120)
    assert not errors and not worker.is_alive()
    judge(gateway)


def test_bulk_rate_share_from_the_connection_is_validated_and_applied() -> None:
    from airflow.sdk import Connection

    def conn(**extra: object) -> Connection:
        return Connection(conn_id="w", conn_type="whatsapp", password="k", extra=json.dumps(extra))

    config = config_from_connection(conn(), mask=False)
    assert config.bulk_rate_share == 0.8
    assert config.for_bulk().rate_limit == pytest.approx(8.0)
    assert (
        config_from_connection(conn(bulk_rate_share="0.5"), mask=False).for_bulk().rate_limit == 5
    )
    assert config.for_bulk(1.0).rate_limit == 10
    for bad in ("lots", 0, 1.5):
        with pytest.raises(WhatsAppConfigError, match="'w': extra bulk_rate_share must"):
            config_from_connection(conn(bulk_rate_share=bad), mask=False)
    with pytest.raises(ValueError, match="rate_share must be in"):
        config.for_bulk(2)
    unlimited = ClientConfig(api_key="k", rate_limit=None)
    assert unlimited.for_bulk().rate_limit is None


def test_provider_info_declares_bulk_rate_share_next_to_rate_limit() -> None:
    from airflow_provider_whatsapp import get_provider_info

    fields = get_provider_info()["connection-types"][0]["conn-fields"]
    names = list(fields)
    assert names.index("bulk_rate_share") == names.index("rate_limit") + 1
    assert fields["bulk_rate_share"]["schema"]["default"] == 0.8
