"""WhatsAppBulkSendOperator end to end: exact per-recipient results, exactly-once on retry."""

from __future__ import annotations

import collections
import csv
import json
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
from airflow_provider_whatsapp.bulk.sender import BulkReport, RecipientResult
from airflow_provider_whatsapp.operators.bulk import WhatsAppBulkSendOperator, record_key
from airflow_provider_whatsapp.version_compat import AirflowException, AirflowFailException
from tests.helpers import FakeTI, run_task_again, task_states, xcom_of

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


def test_record_key_fits_airflow_whatever_the_ids() -> None:
    long = "d" * 250
    keys = {
        record_key(long, "r" * 250, "t" * 250, 10_000),
        record_key(long, "r" * 249 + "x", "t" * 250, 10_000),  # same readable start
        record_key("dag", "manual__2026-01-02T03:04:05+00:00", "bulk"),
    }
    assert len(keys) == 3, "different task instances never share a key"
    assert all(len(k) + len(".s99999") <= 250 for k in keys)
    assert record_key("dag", "run", "bulk").startswith("whatsapp_bulk__dag__bulk__run__-1__")


def test_rate_share_is_checked_before_any_request() -> None:
    with pytest.raises(ValueError, match="rate_share must be in"):
        WhatsAppBulkSendOperator(task_id="b", recipients=["1"], template_name="t", rate_share=0)
    with pytest.raises(ValueError, match="rate_share must be a number"):
        WhatsAppBulkSendOperator(task_id="b", recipients=["1"], template_name="t", rate_share="x")
    templated = WhatsAppBulkSendOperator(
        task_id="b", recipients=["1"], template_name="t", rate_share="{{ params.share }}"
    )
    assert "rate_share" in templated.template_fields


@pytest.mark.parametrize(
    ("retryable", "exception"), [(1, AirflowException), (0, AirflowFailException)]
)
def test_too_many_failures_push_return_value_then_raise_the_house_exception(
    retryable: int, exception: type[Exception]
) -> None:
    """The convention every operator shares: result in ``return_value`` pushed first, then
    ``AirflowException`` (a retry may help) or ``AirflowFailException`` (it cannot)."""
    report = BulkReport(total=2)
    report.add(RecipientResult("16505550001", "accepted", message_id="wamid.A"))
    report.add(RecipientResult("16505550002", "failed", code=131000), retryable=bool(retryable))
    op = WhatsAppBulkSendOperator(task_id="bulk", recipients=[], template_name="notice")
    ti = FakeTI()
    result = {"summary": report.summary()}
    with pytest.raises(AirflowException) as raised:
        op._check(report, {"ti": ti}, result)
    assert type(raised.value) is exception
    assert ti.xcoms == {"return_value": result}
    assert "1 failed and 0 invalid of 2 recipients" in str(raised.value)


@pytest.mark.dag
def test_failed_bulk_run_keeps_its_results_in_return_value(
    airflow_db, whatsapp_emulator_connection, monkeypatch
) -> None:
    """Recipients the API refuses for good (131030): the task fails at once, no retry, and
    the per-recipient results are where a successful run puts them."""
    emu = whatsapp_emulator_connection
    unthrottled(emu, monkeypatch)
    emu.add_template("notice", components=NOTICE)
    emu.allowed_recipients = {"16505550201"}
    numbers = ["16505550201", "16505550202", "16505550203"]
    dr = emu_dag_test({"recipients": numbers, "parameters": ["Ann", "R1"]})
    assert dr.state == "failed"
    assert task_states(dr) == {"bulk": "failed"}
    [ti] = dr.get_task_instances()
    assert ti.try_number == 1, "a refused recipient is not retried"
    result = bulk_xcom(dr)
    assert result["summary"]["accepted"] == 1
    assert result["summary"]["failed"] == 2
    assert {numbers[r["index"]]: r["status"] for r in result["results"]} == {
        "16505550201": "accepted",
        "16505550202": "failed",
        "16505550203": "failed",
    }
    assert xcom_of(dr, "bulk", key="bulk_result") is None


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
    # Rows name recipients by position (their numbers are not in XCom by default).
    assert all("to" not in r for r in result["results"])
    got = {rows[r["index"]]["to"]: r["status"] for r in result["results"]}
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
    assert set(counts) == {rows[r["index"]]["to"] for r in accepted}
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


def notice_send(
    emu: Any, monkeypatch: Any, tmp_path: Path, numbers: list[str]
) -> tuple[list[str], dict[str, Any]]:
    """Unthrottled emulator with the "notice" template; the run conf sending it to
    ``numbers`` from a CSV file."""
    emu.rate_limit = None
    unthrottled(emu, monkeypatch)
    emu.add_template("notice", components=NOTICE)
    source = make_csv(tmp_path / "r.csv", [{"to": p, "1": "a", "2": "b"} for p in numbers])
    return numbers, {"recipients": str(source)}


def emu_dag_test(conf: dict[str, Any], when: datetime | None = None) -> Any:
    from tests.dags.bulk_send import dag

    when = when or datetime.now(timezone.utc)
    return dag.test(logical_date=when, run_after=when, run_conf=conf)


@pytest.mark.dag
def test_relative_recipients_file_is_read_beside_the_dag_file(
    airflow_db, whatsapp_emulator_connection, monkeypatch, tmp_path: Path
) -> None:
    """A worker's cwd is arbitrary: ``bulk_recipients.csv`` means the file next to the DAG
    (tests/dags/), as media and template paths do."""
    emu = whatsapp_emulator_connection
    emu.add_template("notice", components=NOTICE)
    monkeypatch.chdir(tmp_path)  # nothing named bulk_recipients.csv here
    dr = emu_dag_test({"recipients": "bulk_recipients.csv"})
    assert dr.state == "success"
    assert bulk_xcom(dr)["summary"]["accepted"] == 2
    assert sorted(m.to for m in emu.messages) == ["16505550101", "16505550102"]
    assert emu.sent_to("16505550102")[0].payload["template"]["components"][0]["parameters"] == [
        {"type": "text", "text": "Bo"},
        {"type": "text", "text": "R2"},
    ]


@pytest.mark.dag
def test_killed_bulk_task_retried_sends_each_accepted_recipient_once(
    airflow_db, whatsapp_emulator_connection, monkeypatch, tmp_path: Path
) -> None:
    emu = whatsapp_emulator_connection
    numbers, conf = notice_send(emu, monkeypatch, tmp_path, [f"1650557{n:04d}" for n in range(600)])
    emu.latency = 0.02
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)

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

    # Airflow retries the task in the same DAG run (dag.test() again would replace the
    # run, and the task state store with it).
    dr = dag_run("bulk_send_test", when)
    assert run_task_again(bulk_dag(), dr.run_id, "bulk", monkeypatch) == "success"
    result = bulk_xcom(dr)
    statuses = collections.Counter(r["status"] for r in result["results"])
    counts = collections.Counter(m.to for m in emu.messages)
    assert max(counts.values()) == 1, "no recipient was messaged twice"
    assert statuses["skipped"] + statuses["ambiguous"] + statuses["accepted"] == 600
    # Accepted before the kill: skipped now; in flight at the kill: reported, never resent.
    assert statuses["skipped"] + statuses["ambiguous"] >= sent_in_first
    # At most what was really in flight (concurrency 8), and nothing left unsent.
    assert statuses["ambiguous"] <= 8
    ambiguous = {numbers[r["index"]] for r in result["results"] if r["status"] == "ambiguous"}
    assert ambiguous <= set(numbers)
    # Every recipient either got exactly one message or is reported ambiguous (never resent).
    never = set(numbers) - set(counts)
    assert never <= ambiguous
    assert statuses["skipped"] + statuses["ambiguous"] <= sent_in_first + 8
    # The record holds no number in clear, and a success shrank it to a marker.
    stored = delivery_record(dr)
    assert list(stored) == [result["delivery_record"]]
    marker = json.loads(stored[result["delivery_record"]])
    assert marker["done"] is True and marker["accepted"] >= 600 - statuses["ambiguous"]
    assert not any(p[-7:] in v for p in numbers for v in stored.values())

    # A cleared, re-run task sends nothing: the marker says the send completed.
    before = len(emu.messages)
    assert run_task_again(bulk_dag(), dr.run_id, "bulk", monkeypatch) == "success"
    rerun = bulk_xcom(dr)
    assert len(emu.messages) == before
    assert {r["status"] for r in rerun["results"]} == {"skipped"}


def bulk_dag() -> Any:
    from tests.dags.bulk_send import dag

    return dag


def dag_run(dag_id: str, when: datetime) -> Any:
    """The DAG run of ``dag_id`` at logical date ``when`` (from the DB, not guessed)."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    with create_session() as session:
        run = session.query(DagRun).filter_by(dag_id=dag_id, logical_date=when).one()
        session.expunge(run)
        return run


def stored_variables() -> dict[str, str]:
    """Every Variable as the metadata database holds it (decrypted)."""
    from airflow.models.variable import Variable
    from airflow.utils.session import create_session

    with create_session() as session:
        return {v.key: v.val for v in session.query(Variable).all()}


def delivery_record(dr: Any, task_id: str = "bulk") -> dict[str, str]:
    """The delivery record of ``task_id`` in run ``dr``, key -> value, where this Airflow
    keeps it: the task's state store (3.3+), else Variables."""
    from airflow_provider_whatsapp.version_compat import HAS_TASK_STATE_STORE

    if not HAS_TASK_STATE_STORE:
        key = record_key(dr.dag_id, dr.run_id, task_id)
        return {k: v for k, v in stored_variables().items() if k.startswith(key)}
    from airflow.models.task_state_store import TaskStateStoreModel
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = session.query(TaskStateStoreModel).filter_by(
            dag_id=dr.dag_id, run_id=dr.run_id, task_id=task_id, map_index=-1
        )
        return {r.key: json.loads(r.value) for r in rows if r.key.startswith("whatsapp_bulk")}


@pytest.mark.dag
def test_locked_account_stops_the_task_and_a_rerun_sends_only_the_not_sent(
    airflow_db,
    whatsapp_emulator_connection,
    monkeypatch,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    emu = whatsapp_emulator_connection
    numbers, conf = notice_send(emu, monkeypatch, tmp_path, [f"1650558{n:04d}" for n in range(300)])
    emu.latency = 0.01
    when = datetime(2026, 2, 3, 4, 5, 6, tzinfo=timezone.utc)
    emu.break_account("lock_account", after_messages=50)

    dr = emu_dag_test(conf, when)
    assert dr.state == "failed"
    (ti,) = [t for t in dr.get_task_instances() if t.task_id == "bulk"]
    assert ti.try_number == 1, "a locked account is not retried by Airflow"
    result = xcom_of(dr, "bulk")  # return_value, pushed before the failure
    by_status = collections.defaultdict(set)
    for row in result["results"]:
        by_status[row["status"]].add(numbers[row["index"]])
    assert len(by_status["accepted"]) == len(emu.messages) == 50
    assert 1 <= len(by_status["failed"]) <= 8  # concurrency 8: only what was on its way
    assert len(by_status["not_sent"]) == 300 - 50 - len(by_status["failed"])
    assert result["summary"]["stopped_by"]["code"] == 131031
    log = capfd.readouterr().out
    assert "Bulk send stopped: [HTTP 400, code 131031]" in log
    assert "The business account is locked" in log  # the reason
    assert "once the account is fixed, retry or clear this task" in log  # the fix

    emu.restore_account()
    assert run_task_again(bulk_dag(), dr.run_id, "bulk", monkeypatch) == "success"
    again = bulk_xcom(dr)
    statuses = {numbers[r["index"]]: r["status"] for r in again["results"]}
    assert {to for to, s in statuses.items() if s == "skipped"} == by_status["accepted"]
    assert {to for to, s in statuses.items() if s == "accepted"} == (
        by_status["not_sent"] | by_status["failed"]
    )
    counts = collections.Counter(m.to for m in emu.messages)
    assert set(counts) == set(numbers) and set(counts.values()) == {1}, "a duplicate"
