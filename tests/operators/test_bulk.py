"""WhatsAppBulkSendOperator end to end: exact per-recipient results, exactly-once on retry."""

from __future__ import annotations

import collections
import csv
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_whatsapp.bulk.recipients import iter_recipients
from airflow_provider_whatsapp.bulk.sender import DeliveryRecord
from tests.helpers import xcom_of

REPO = Path(__file__).resolve().parents[2]
NOTICE = [
    {
        "type": "BODY",
        "text": "Hello {{1}}, your report {{2}} is ready",
        "example": {"body_text": [["Ann", "R1"]]},
    }
]


def bulk_xcom(dr: Any) -> dict[str, Any]:
    result = xcom_of(dr, "bulk")
    assert isinstance(result, dict)
    return result


def make_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["to", "1", "2"])
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_recipients_sources(tmp_path: Path) -> None:
    csv_file = make_csv(tmp_path / "r.csv", [{"to": "+1 650 555 0001", "1": "Ann", "2": "R1"}])
    assert next(iter_recipients(csv_file)).parameters == ["Ann", "R1"]
    jsonl = tmp_path / "r.jsonl"
    jsonl.write_text('{"to": "16505550002", "parameters": {"name": "Bo"}}\n\n"16505550003"\n')
    assert [(r.to, r.parameters) for r in iter_recipients(jsonl)] == [
        ("16505550002", {"name": "Bo"}),
        ("16505550003", None),
    ]
    assert [r.to for r in iter_recipients("1650, 1651")] == ["1650", "1651"]
    with pytest.raises(ValueError, match="does not exist"):
        iter_recipients(tmp_path / "missing.csv")


def test_delivery_record_round_trip() -> None:
    record = DeliveryRecord()
    record.reserve(["1", "2", "3"])
    record.accept("1")
    record.release("2")
    again = DeliveryRecord(record.dump())
    assert again.accepted == {"1"}
    assert again.unknown == {"3"}  # in flight when the try stopped
    assert again.tries == 2


@pytest.mark.dag
def test_bulk_1000_mixed_recipients_exact_results(
    airflow_db, whatsapp_emulator_connection, monkeypatch, tmp_path: Path
) -> None:
    emu = whatsapp_emulator_connection
    emu.rate_limit = None
    unthrottled(emu, monkeypatch)
    emu.add_template("notice", components=NOTICE)
    rows, expected = [], {}
    blocked = {f"1650556{n:04d}" for n in range(0, 1000, 20)}  # 50 not in the allow list -> 131030
    emu.allowed_recipients = {f"1650555{n:04d}" for n in range(1000)} | set()
    for n in range(1000):
        if n % 25 == 7:  # 40 malformed numbers: never sent
            to, status = f"0{n:07d}", "invalid"
        elif n % 20 == 0:
            to, status = f"1650556{n:04d}", "failed"
        else:
            to, status = f"1650555{n:04d}", "accepted"
        rows.append({"to": to, "1": f"user{n}", "2": f"R{n}"})
        expected[to] = status
    source = make_csv(tmp_path / "recipients.csv", rows)

    dr = emu_dag_test({"recipients": str(source)})
    assert dr.state == "success", "failure ratio 9% is under max_failure_ratio 20%"
    result = bulk_xcom(dr)
    got = {r["to"]: r["status"] for r in result["results"]}
    assert got == expected
    assert result["summary"]["accepted"] == sum(v == "accepted" for v in expected.values())
    assert result["summary"]["failed"] == len(blocked)
    failed = [r for r in result["results"] if r["status"] == "failed"]
    assert {r["code"] for r in failed} == {131030}
    invalid = [r for r in result["results"] if r["status"] == "invalid"]
    assert all("to" in r["reason"] for r in invalid)
    accepted = [r for r in result["results"] if r["status"] == "accepted"]
    assert all(r["message_id"].startswith("wamid.") for r in accepted)
    # Exactly what the template needs, once per accepted recipient.
    counts = collections.Counter(m.to for m in emu.messages)
    assert set(counts) == {r["to"] for r in accepted}
    assert set(counts.values()) == {1}
    sample = emu.sent_to("16505550001")[0].payload["template"]
    assert sample["components"] == [
        {
            "type": "body",
            "parameters": [{"type": "text", "text": "user1"}, {"type": "text", "text": "R1"}],
        }
    ]
    assert emu.count_429() == 0


def unthrottled(emu: Any, monkeypatch: Any) -> None:
    """The suite cannot wait 100 s per 1,000 sends: lift the client-side limit too."""
    for name, value in emu.connection_env(rate_limit=0).items():
        monkeypatch.setenv(name, value)


def emu_dag_test(conf: dict[str, Any], when: datetime | None = None) -> Any:
    from tests.dags.bulk_send import dag

    when = when or datetime.now(timezone.utc)
    return dag.test(logical_date=when, run_after=when, run_conf=conf)


@pytest.mark.dag
def test_killed_bulk_task_retried_sends_each_accepted_recipient_once(
    airflow_db, whatsapp_emulator_connection, monkeypatch, tmp_path: Path
) -> None:
    emu = whatsapp_emulator_connection
    emu.rate_limit = None
    unthrottled(emu, monkeypatch)
    emu.latency = 0.02
    emu.add_template("notice", components=NOTICE)
    numbers = [f"1650557{n:04d}" for n in range(600)]
    source = make_csv(tmp_path / "r.csv", [{"to": p, "1": "a", "2": "b"} for p in numbers])
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    conf = {"recipients": str(source)}

    code = (
        f"import sys, datetime as d; sys.path.insert(0, {str(REPO)!r})\n"
        "from tests.dags.bulk_send import dag\n"
        "w = d.datetime(2026, 1, 2, 3, 4, 5, tzinfo=d.timezone.utc)\n"
        f"dag.test(logical_date=w, run_after=w, run_conf={conf!r})\n"
    )
    first = subprocess.Popen(
        [sys.executable, "-c", code],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while len(emu.messages) < 150 and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)  # the worker dies mid-send: no cleanup of any kind
    first.wait()
    sent_in_first = len(emu.messages)
    assert 150 <= sent_in_first < 600, "kill must land half way"

    dr = emu_dag_test(conf, when)
    assert dr.state == "success"
    result = bulk_xcom(dr)
    statuses = collections.Counter(r["status"] for r in result["results"])
    counts = collections.Counter(m.to for m in emu.messages)
    assert max(counts.values()) == 1, "no recipient was messaged twice"
    assert statuses["skipped"] + statuses["ambiguous"] + statuses["accepted"] == 600
    # Accepted before the kill: skipped now; in flight at the kill: reported, never resent.
    assert statuses["skipped"] + statuses["ambiguous"] >= sent_in_first
    assert statuses["ambiguous"] <= 2 * 8 * 4  # at most the blocks in flight (concurrency 8)
    ambiguous = {r["to"] for r in result["results"] if r["status"] == "ambiguous"}
    assert ambiguous <= set(numbers)
    # Every recipient either got exactly one message or is reported ambiguous (never resent).
    never = set(numbers) - set(counts)
    assert never <= ambiguous
