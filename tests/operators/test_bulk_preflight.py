"""WhatsAppBulkSendOperator reads and checks every recipient before its first message:
the template pre-flight of the single-template operator, once; a bad row or entry is one
invalid recipient (with its position), never the end of the send; only an unreadable
file stops it, with nothing sent. Failure reasons reach the task log with their counts.

Through the emulator and ``dag.test()`` (tests/dags/bulk_send.py and
bulk_send_unchecked.py), except the reader and screening units at the end.
"""

from __future__ import annotations

import collections
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_whatsapp.bulk.recipients import iter_recipients
from airflow_provider_whatsapp.bulk.record import DeliveryRecord
from airflow_provider_whatsapp.bulk.sender import Job, preview
from airflow_provider_whatsapp.messages import TextMessage
from tests.helpers import connections_to, run_task_again, task_states, xcom_of
from tests.operators.test_bulk import (
    NOTICE,
    bulk_dag,
    delivery_record,
    emu_dag_test,
    unthrottled,
)

TEMPLATES = "/message_templates"


def posts(emu: Any) -> list[Any]:
    """Every POST the emulator received (message sends, accepted or not)."""
    return [r for r in emu.requests if r.method == "POST"]


def template_gets(emu: Any) -> list[Any]:
    return [r for r in emu.requests if r.method == "GET" and r.path.endswith(TEMPLATES)]


def dag_test(dag: Any, conf: dict[str, Any], when: datetime | None = None) -> Any:
    when = when or datetime.now(timezone.utc)
    return dag.test(logical_date=when, run_after=when, run_conf=conf)


def numbers(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i:04d}" for i in range(n)]


def by_status(result: dict[str, Any], phones: list[str]) -> dict[str, set[str]]:
    """Status -> the numbers that got it: a row names its recipient by position."""
    out: dict[str, set[str]] = collections.defaultdict(set)
    for row in result["results"]:
        out[row["status"]].add(phones[row["index"]])
    return out


# -- the template pre-flight ----------------------------------------------------------
@pytest.mark.dag
def test_misspelled_template_fails_before_any_message_and_the_fixed_run_sends_each_once(
    airflow_db, whatsapp_emulator_connection, monkeypatch, capfd: pytest.CaptureFixture[str]
) -> None:
    emu = whatsapp_emulator_connection
    emu.rate_limit = None
    unthrottled(emu, monkeypatch)
    emu.add_template("notice", components=NOTICE)
    phones = numbers("1650561", 20)
    conf = {"recipients": phones, "parameters": ["Ann", "R1"], "template": "notcie"}
    when = datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone.utc)

    dr = emu_dag_test(conf, when)
    assert dr.state == "failed"
    [ti] = dr.get_task_instances()
    assert ti.try_number == 1, "a missing template is not retried"
    assert posts(emu) == [] and emu.messages == [], "no message may leave"
    assert len(template_gets(emu)) >= 1
    log = capfd.readouterr().out
    assert "template 'notcie' does not exist in language 'en_US'" in log
    # The pre-flight wrote nothing: the record of this task instance does not exist.
    assert delivery_record(dr) == {}

    # The name fixed, the same task instance sends to everyone, once.
    dr = emu_dag_test({**conf, "template": "notice"}, when)
    assert dr.state == "success"
    assert xcom_of(dr, "bulk")["summary"]["accepted"] == 20
    assert sorted(m.to for m in emu.messages) == phones
    # The pre-flight's (sync) and the sends' (async) connections were closed at the end.
    assert connections_to(emu.port) == 0

    # Cleared after it completed, with the template paused meanwhile: there is nobody
    # left to send, so the pre-flight does not stand in the way of the record's marker.
    emu.set_template_status("notice", "PAUSED")
    before = len(emu.messages)
    assert run_task_again(bulk_dag(), dr.run_id, "bulk", monkeypatch) == "success"
    assert {r["status"] for r in xcom_of(dr, "bulk")["results"]} == {"skipped"}
    assert len(emu.messages) == before


@pytest.mark.dag
def test_paused_template_fails_before_any_message(
    airflow_db, whatsapp_emulator_connection, monkeypatch, capfd: pytest.CaptureFixture[str]
) -> None:
    emu = whatsapp_emulator_connection
    emu.rate_limit = None
    unthrottled(emu, monkeypatch)
    emu.add_template("notice", components=NOTICE)
    emu.set_template_status("notice", "PAUSED")
    dr = emu_dag_test({"recipients": numbers("1650562", 5), "parameters": ["Ann", "R1"]})
    assert dr.state == "failed"
    assert posts(emu) == []
    assert "template 'notice' (en_US) is PAUSED" in capfd.readouterr().out


@pytest.mark.dag
def test_recipient_whose_parameters_do_not_fit_is_invalid_and_the_others_are_sent(
    airflow_db, whatsapp_emulator_connection, monkeypatch
) -> None:
    emu = whatsapp_emulator_connection
    emu.rate_limit = None
    unthrottled(emu, monkeypatch)
    emu.add_template("notice", components=NOTICE)
    phones = numbers("1650563", 6)
    recipients: list[Any] = [
        {"to": p, "parameters": ["Ann", f"R{i}"]} for i, p in enumerate(phones)
    ]
    recipients[3]["parameters"] = ["only one"]
    dr = emu_dag_test({"recipients": recipients})
    assert dr.state == "success", "1 invalid of 6 is within max_failure_ratio 20%"
    result = xcom_of(dr, "bulk")
    [bad] = [r for r in result["results"] if r["status"] == "invalid"]
    assert bad["index"] == 3
    assert bad["where"] == "recipients item 3"
    assert "expects body parameters {{1}}, {{2}} (2), got 1" in bad["reason"]
    # Checked here, not by the API: no request for it at all, one for each of the others.
    sent_to = [r.json["to"] for r in posts(emu)]
    assert sorted(sent_to) == sorted(phones[:3] + phones[4:])
    assert len(template_gets(emu)) == 1, "the template is fetched once for the task"


@pytest.mark.dag
def test_a_template_message_gets_the_same_pre_flight(
    airflow_db, whatsapp_emulator_connection, monkeypatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """``message={"type": "template", ...}``: the same check as ``template_name``."""
    from tests.dags.bulk_send_message import dag

    emu = whatsapp_emulator_connection
    unthrottled(emu, monkeypatch)
    emu.add_template("notice", components=NOTICE)
    emu.add_template("notice", language="pt_BR", components=NOTICE)
    body = {"type": "body", "parameters": [{"type": "text", "text": "Ann"}]}
    message = {
        "type": "template",
        "template": {"name": "notice", "language": {"code": "fr"}, "components": [body]},
    }
    dr = dag_test(dag, {"recipients": numbers("1650569", 3), "message": message})
    assert dr.state == "failed"
    assert posts(emu) == []
    assert "template 'notice' does not exist in language 'fr' (it exists in: en_US, pt_BR)" in (
        capfd.readouterr().out
    )

    message["template"]["language"] = {"code": "en_US"}  # one parameter of two: all invalid
    dr = dag_test(dag, {"recipients": numbers("1650569", 3), "message": message})
    assert dr.state == "failed"
    assert posts(emu) == []
    assert (
        "Not accepted: 3 x invalid: template 'notice' (en_US) expects body parameters "
        "{{1}}, {{2}} (2), got 1" in capfd.readouterr().out
    )


@pytest.mark.dag
def test_one_message_for_everyone_is_checked_without_a_made_up_recipient(
    airflow_db, whatsapp_emulator_connection, monkeypatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """``message=`` is checked before any send by every rule but its recipient (each
    recipient's number is its own): no stand-in number is judged in their place."""
    from tests.dags.bulk_send_message import dag

    emu = whatsapp_emulator_connection
    unthrottled(emu, monkeypatch)
    to = numbers("1650570", 3)
    emu.open_window(*to)
    text = {"type": "text", "text": {"body": "The depot closes at 6 today"}}
    dr = dag_test(dag, {"recipients": to, "message": text})
    assert dr.state == "success"
    assert sorted(m.to for m in emu.messages) == to

    emu.reset()
    bad = {"type": "text", "text": {"body": ""}, "to": "n/a"}  # its "to" is replaced anyway
    dr = dag_test(dag, {"recipients": to, "message": bad})
    assert dr.state == "failed"
    assert posts(emu) == []
    log = capfd.readouterr().out
    assert "1 validation error for TextMessage\ntext.body\n  String should have at least 1" in log


# -- failure reasons in the task log --------------------------------------------------
@pytest.mark.dag
def test_partly_failing_send_logs_each_reason_with_its_count(
    airflow_db, whatsapp_emulator_connection, monkeypatch, capfd: pytest.CaptureFixture[str]
) -> None:
    emu = whatsapp_emulator_connection
    emu.rate_limit = None
    unthrottled(emu, monkeypatch)
    emu.add_template("notice", components=NOTICE)
    phones = numbers("1650564", 10)
    emu.allowed_recipients = set(phones[3:])  # the first 3 get 131030
    dr = emu_dag_test({"recipients": phones, "parameters": ["Ann", "R1"]})
    assert dr.state == "failed"
    log = capfd.readouterr().out
    line = "3 x 131030 Recipient phone number not in allowed list"
    assert f"Not accepted: {line}" in log
    # The failure itself names it too, not only XCom.
    assert (
        f"3 failed and 0 invalid of 10 recipients (30.0% > max_failure_ratio 20.0%): {line}" in log
    )
    assert by_status(xcom_of(dr, "bulk"), phones)["failed"] == set(phones[:3])


@pytest.mark.dag
def test_without_the_pre_flight_the_api_answers_are_counted_in_the_log(
    airflow_db, whatsapp_emulator_connection, monkeypatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """``validate_template=False``: every request goes out; the log says why they failed."""
    from tests.dags.bulk_send_unchecked import dag

    emu = whatsapp_emulator_connection
    emu.rate_limit = None
    unthrottled(emu, monkeypatch)
    emu.add_template("notice", components=NOTICE)
    conf = {"recipients": numbers("1650565", 20), "parameters": ["Ann", "R1"], "template": "notcie"}
    dr = dag_test(dag, conf)
    assert dr.state == "failed"
    assert len(posts(emu)) == 20 and template_gets(emu) == []
    log = capfd.readouterr().out
    assert "Not accepted: 20 x 132001 Template name does not exist in the translation" in log
    assert "20 failed and 0 invalid of 20 recipients" in log


# -- one bad row never aborts the send ------------------------------------------------
CSV_WITH_BAD_ROWS = """to,1,2
16505660001,Ann,R1
16505660002,Bo,R2
,,
16505660003,Cy,R3
,Dee,R4
16505660004,Ed,R5
16505660002,Bo,R2
16505660005,Flo,R6
16505660006,Gus,R7
16505660007,Hal,R8
16505660008,Ivy,R9
"""


@pytest.mark.dag
def test_empty_and_phoneless_csv_rows_are_invalid_and_everyone_else_is_sent(
    airflow_db,
    whatsapp_emulator_connection,
    monkeypatch,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    emu = whatsapp_emulator_connection
    emu.rate_limit = None
    unthrottled(emu, monkeypatch)
    emu.add_template("notice", components=NOTICE)
    source = tmp_path / "r.csv"
    source.write_text(CSV_WITH_BAD_ROWS)
    dr = emu_dag_test({"recipients": str(source)})
    assert dr.state == "success", "2 invalid of 11 is within max_failure_ratio 20%"
    result = xcom_of(dr, "bulk")
    invalid = {(r["where"], r["reason"]) for r in result["results"] if r["status"] == "invalid"}
    assert invalid == {
        ("r.csv line 4", "empty row"),
        ("r.csv line 6", "no 'to' (or 'phone') value"),
    }
    expected = {f"1650566000{n}" for n in range(1, 9)}
    counts = collections.Counter(m.to for m in emu.messages)
    assert set(counts) == expected and set(counts.values()) == {1}
    [duplicate] = [r for r in result["results"] if r["status"] == "duplicate"]
    assert (duplicate["where"], duplicate["index"]) == ("r.csv line 8", 6)
    log = capfd.readouterr().out
    assert "Read 11 recipient(s) before sending: 8 to send, 2 invalid, 1 duplicate" in log
    assert "Will not be sent: 1 x invalid: empty row (r.csv line 4)" in log
    assert "Will not be sent: 1 x invalid: no 'to' (or 'phone') value (r.csv line 6)" in log
    assert "Not accepted: 1 x invalid: empty row (r.csv line 4)" in log
    assert (
        "Finished: 11/11 done: 8 accepted, 0 failed, 2 invalid, 1 duplicate, 0 skipped, "
        "0 ambiguous, 0 not sent" in log
    )


@pytest.mark.dag
def test_malformed_json_entries_are_invalid_at_their_position(
    airflow_db, whatsapp_emulator_connection, monkeypatch, tmp_path: Path
) -> None:
    emu = whatsapp_emulator_connection
    emu.rate_limit = None
    unthrottled(emu, monkeypatch)
    emu.add_template("notice", components=NOTICE)
    phones = numbers("1650567", 12)
    entries: list[Any] = [{"to": p, "parameters": ["Ann", "R1"]} for p in phones]
    entries[2:2] = [{"parameters": ["Ann", "R1"]}, 3.5, ["16505670099"]]
    source = tmp_path / "r.json"
    source.write_text(json.dumps({"recipients": entries}))
    dr = emu_dag_test({"recipients": str(source)})
    assert dr.state == "success", "3 invalid of 15 is within max_failure_ratio 20%"
    result = xcom_of(dr, "bulk")
    invalid = {r["where"]: r["reason"] for r in result["results"] if r["status"] == "invalid"}
    assert invalid == {
        "r.json item 2": "no 'to' (or 'phone') value",
        "r.json item 3": "expected a phone number or a dict with 'to', got float",
        "r.json item 4": "expected a phone number or a dict with 'to', got list",
    }
    assert sorted(m.to for m in emu.messages) == phones


@pytest.mark.dag
@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(
            b"16505680000,Ann,R1\n16505680001,Bo,R2\n",
            "'r.csv' line 1 must be a header naming a 'to' (or 'phone') column",
            id="no-header",
        ),
        pytest.param(b"", "'r.csv' is empty", id="empty"),
        pytest.param(
            b"to,1,2\n"
            + b"".join(b"165056%05d,Ann,R1\n" % n for n in range(2000))
            + b"\xff\xfe,broken,row\n",
            "'r.csv' is not UTF-8 text (after line",
            id="not-utf8-after-2000-rows",
        ),
    ],
)
def test_unreadable_file_stops_before_any_message(
    airflow_db,
    whatsapp_emulator_connection,
    monkeypatch,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    content: bytes,
    expected: str,
) -> None:
    emu = whatsapp_emulator_connection
    emu.rate_limit = None
    unthrottled(emu, monkeypatch)
    emu.add_template("notice", components=NOTICE)
    source = tmp_path / "r.csv"
    source.write_bytes(content)
    dr = emu_dag_test({"recipients": str(source)})
    assert dr.state == "failed"
    assert task_states(dr) == {"bulk": "failed"}
    [ti] = dr.get_task_instances()
    assert ti.try_number == 1, "a retry would read the same file"
    assert posts(emu) == [], "nothing may leave before the whole file is read"
    assert expected in capfd.readouterr().out


# -- units: the reader and the screening ----------------------------------------------
def test_jsonl_broken_lines_are_invalid_with_their_line_numbers(tmp_path: Path) -> None:
    source = tmp_path / "r.jsonl"
    source.write_text('"16505550001"\n{"to": \n\n{"phone": ""}\n{"to": "16505550002"}\nnull\n')
    found = [(r.to, r.where, r.problem) for r in iter_recipients(source)]
    assert found[0] == ("16505550001", "r.jsonl line 1", None)
    assert found[1][1] == "r.jsonl line 2" and found[1][2].startswith("not valid JSON")
    assert found[2] == ("", "r.jsonl line 4", "no 'to' (or 'phone') value")
    assert found[3] == ("16505550002", "r.jsonl line 5", None)
    assert found[4] == (
        "",
        "r.jsonl line 6",
        "expected a phone number or a dict with 'to', got NoneType",
    )


def test_csv_row_with_more_values_than_columns_is_invalid(tmp_path: Path) -> None:
    source = tmp_path / "r.csv"
    source.write_text("to,1\n16505550001,Ann\n16505550002,Bo,extra\n")
    found = [(r.to, r.where, r.problem) for r in iter_recipients(source)]
    assert found == [
        ("16505550001", "r.csv line 2", None),
        ("", "r.csv line 3", "3 values, the header has 2 columns"),
    ]


def test_a_recipient_accepted_earlier_stays_skipped_whatever_the_check_says_now() -> None:
    """The per-recipient check runs after the record: a retry never turns a recipient
    accepted by an earlier try into an invalid one (and a failure of the task)."""
    record = DeliveryRecord()
    record.accepted.add(record.digest("16505550001"))

    def refuse(message: Any) -> None:
        raise ValueError("does not fit")

    jobs = [
        Job(n, to, (lambda to=to: TextMessage.create(to, "hi")), f"item {n}")
        for n, to in enumerate(["16505550001", "16505550002"])
    ]
    report = preview(jobs, record, check=refuse)
    assert report.counts["skipped"] == 1 and report.counts["invalid"] == 1
    assert report.reason_lines() == ["1 x invalid: does not fit (item 1)"]
    assert report.results == [], "a preview keeps counts, not per-recipient rows"
