"""What a bulk send leaves behind for others to read: XCom rows that name each recipient by
position and masked number (the number in clear only on request), and for a large send a
JSON Lines file at a path of the user's choosing, XCom holding the summary and the path.

Through the emulator and ``dag.test()`` (tests/dags/bulk_send_results.py), except the
masking and argument units at the end.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_whatsapp.messages import mask_phone
from airflow_provider_whatsapp.operators.bulk import WhatsAppBulkSendOperator
from airflow_provider_whatsapp.version_compat import AIRFLOW_V_3_3_PLUS
from tests.helpers import task_states, xcom_of
from tests.operators.test_bulk import NOTICE, unthrottled

SHORT = "+1 650 571 99"  # too short for +1


def dag_test(conf: dict[str, Any], *, clear: bool = False, when: datetime | None = None) -> Any:
    from tests.dags.bulk_send_results import clear_dag, dag

    when = when or datetime.now(timezone.utc)
    return (clear_dag if clear else dag).test(logical_date=when, run_after=when, run_conf=conf)


def ready(emu: Any, monkeypatch: Any) -> Any:
    emu.rate_limit = None
    unthrottled(emu, monkeypatch)
    emu.add_template("notice", components=NOTICE)
    return emu


def mixed(prefix: str, n: int = 12) -> tuple[list[str], dict[int, str]]:
    """``n`` entries: accepted, 2 refused by the allow list, one too short (invalid), one
    repeat of the first (duplicate); and the status each position must get."""
    phones = [f"{prefix}{i:04d}" for i in range(n)]
    phones[5] = SHORT
    phones[9] = phones[0]
    expected = {i: "accepted" for i in range(n)}
    expected.update({2: "failed", 7: "failed", 5: "invalid", 9: "duplicate"})
    return phones, expected


def allow_all_but(emu: Any, phones: list[str], *refused: int) -> None:
    emu.allowed_recipients = {p for i, p in enumerate(phones) if i not in refused}


def number_leaks(text: str, phones: list[str]) -> list[str]:
    """The numbers ``text`` shows in clear: whole, or 7 of their digits in a row."""
    leaks = []
    for phone in phones:
        digits = "".join(c for c in phone if c.isdigit())
        if phone in text or digits in text or digits[-7:] in text or digits[:7] in text:
            leaks.append(phone)
    return leaks


# -- XCom -------------------------------------------------------------------------------
@pytest.mark.dag
def test_default_xcom_names_recipients_by_position_and_masked_number_never_in_clear(
    airflow_db, whatsapp_emulator_connection, monkeypatch
) -> None:
    emu = ready(whatsapp_emulator_connection, monkeypatch)
    phones, expected = mixed("1650571")
    allow_all_but(emu, phones, 2, 7)
    dr = dag_test({"recipients": phones})
    assert dr.state == "success", "3 failed or invalid of 12 is within max_failure_ratio 40%"
    result = xcom_of(dr, "bulk")

    assert number_leaks(json.dumps(result), phones) == []
    assert number_leaks(json.dumps(result, ensure_ascii=False), phones) == []
    rows = result["results"]
    assert {r["index"]: r["status"] for r in rows} == expected
    assert all(  # where to look it up: on the rows not accepted
        r.get("where") == (None if r["status"] == "accepted" else f"recipients item {r['index']}")
        for r in rows
    )
    assert all("to" not in r for r in rows)
    masked = {r["index"]: r["to_masked"] for r in rows}
    assert masked[0] == masked[9] == "+1••••••0000"
    assert masked[2] == "+1••••••0002"
    assert masked[5] == "+1••••7199"  # 9 digits, written with separators: the digits masked
    [invalid] = [r for r in rows if r["status"] == "invalid"]
    assert "phone number +1••••7199 is too short for country +1" in invalid["reason"]
    assert {r["code"] for r in rows if r["status"] == "failed"} == {131030}
    assert all(r["message_id"].startswith("wamid.") for r in rows if r["status"] == "accepted")


@pytest.mark.dag
def test_include_recipients_puts_each_number_in_clear(
    airflow_db, whatsapp_emulator_connection, monkeypatch
) -> None:
    emu = ready(whatsapp_emulator_connection, monkeypatch)
    phones, expected = mixed("1650572")
    allow_all_but(emu, phones, 2, 7)
    dr = dag_test({"recipients": phones}, clear=True)
    assert dr.state == "success"
    rows = xcom_of(dr, "bulk")["results"]
    assert {r["index"]: r["status"] for r in rows} == expected
    assert {r["index"]: r["to"] for r in rows if r["status"] != "invalid"} == {
        i: p for i, p in enumerate(phones) if i != 5
    }
    [invalid] = [r for r in rows if r["status"] == "invalid"]
    assert invalid["to"] == SHORT  # in clear as asked; the error text masks it all the same
    assert "+1••••7199 is too short" in invalid["reason"]


@pytest.mark.dag
def test_more_recipients_than_max_xcom_results_leaves_the_summary_and_a_note(
    airflow_db, whatsapp_emulator_connection, monkeypatch, capfd: pytest.CaptureFixture[str]
) -> None:
    from tests.dags.bulk_send_results import XCOM_ROWS_UP_TO

    emu = ready(whatsapp_emulator_connection, monkeypatch)
    phones = [f"1650573{i:04d}" for i in range(XCOM_ROWS_UP_TO + 1)]
    dr = dag_test({"recipients": phones})
    assert dr.state == "success"
    result = xcom_of(dr, "bulk")
    assert set(result) == {"summary", "delivery_record", "results_note"}
    assert result["summary"]["accepted"] == len(phones) == len(emu.messages)
    note = "51 recipients, more than max_xcom_results (50): per-recipient rows are not in XCom"
    assert result["results_note"].startswith(note)
    assert "set results_path to write them to a file" in capfd.readouterr().out


# -- the results file -------------------------------------------------------------------
def read_rows(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def read_store(path: str) -> str:
    """The file at ``path`` through its ``ObjectStoragePath`` (its own ``open``: upath's
    ``read_bytes`` reads a ``file://`` path from this machine's disk, whatever its store)."""
    from airflow.sdk import ObjectStoragePath

    with ObjectStoragePath(path).open("rb") as handle:
        return bytes(handle.read()).decode()


def small_xcom_bound(result: dict[str, Any]) -> int:
    """What XCom may hold besides the rows: the summary, the record's key, the path, the
    row count and JSON's punctuation, whatever the number of recipients."""
    fixed = json.dumps(result["summary"]) + result["delivery_record"] + result["results_path"]
    return len(fixed) + 120


@pytest.mark.dag
@pytest.mark.parametrize("form", ["bare", "file-url"])
def test_results_path_gets_one_row_per_recipient_and_xcom_the_summary_and_the_path(
    airflow_db,
    whatsapp_emulator_connection,
    monkeypatch,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    form: str,
) -> None:
    emu = ready(whatsapp_emulator_connection, monkeypatch)
    phones = [f"1650574{i:04d}" for i in range(300)]
    refused = set(range(0, 300, 2))  # half: over max_failure_ratio, the task fails
    allow_all_but(emu, phones, *refused)
    target = tmp_path / "not" / "yet" / "there.jsonl"  # folders created
    path = str(target) if form == "bare" else f"file://{target}"
    dr = dag_test({"recipients": phones, "results_path": path})
    assert dr.state == "failed"
    [ti] = dr.get_task_instances()
    assert ti.try_number == 1, "131030 is final: no retry"

    rows = read_rows(target.read_text(encoding="utf-8"))
    assert len(rows) == 300
    assert {r["index"]: r["status"] for r in rows} == {
        i: "failed" if i in refused else "accepted" for i in range(300)
    }
    assert number_leaks(target.read_text(encoding="utf-8"), phones) == []
    assert {r["to_masked"] for r in rows} == {mask_phone(p) for p in phones}

    result = xcom_of(dr, "bulk")  # pushed before the failure, as without a file
    assert set(result) == {"summary", "delivery_record", "results_path", "results_rows"}
    assert (result["results_path"], result["results_rows"]) == (path, 300)
    assert len(json.dumps(result)) <= small_xcom_bound(result)
    log = capfd.readouterr().out
    assert f"see {path} for each recipient" in log
    assert f"Wrote 300 per-recipient row(s), {target.stat().st_size} bytes, to {path}" in log


@pytest.mark.dag
def test_results_file_holds_numbers_only_with_include_recipients(
    airflow_db, whatsapp_emulator_connection, monkeypatch, tmp_path: Path
) -> None:
    ready(whatsapp_emulator_connection, monkeypatch)
    phones = [f"1650575{i:04d}" for i in range(20)]
    target = tmp_path / "clear.jsonl"
    dr = dag_test({"recipients": phones, "results_path": str(target)}, clear=True)
    assert dr.state == "success"
    rows = read_rows(target.read_text(encoding="utf-8"))
    assert {r["index"]: r["to"] for r in rows} == dict(enumerate(phones))
    assert "results" not in xcom_of(dr, "bulk"), "the file replaces the rows in XCom"


@pytest.mark.dag
@pytest.mark.parametrize("store", ["file-connection", "memory"])
def test_results_path_goes_through_the_connection_objectstoragepath_names(
    airflow_db, whatsapp_emulator_connection, monkeypatch, tmp_path: Path, store: str
) -> None:
    """``file://results_store@/...``: the file lands where connection ``results_store``'s
    filesystem puts it (here: a folder of its own), not at ``/...`` on this machine; a
    ``memory://`` store works the same way."""
    from airflow.sdk.io import attach
    from fsspec.implementations.dirfs import DirFileSystem
    from fsspec.implementations.local import LocalFileSystem
    from fsspec.implementations.memory import MemoryFileSystem

    monkeypatch.setattr("airflow.sdk.io.store._STORE_CACHE", {})
    ready(whatsapp_emulator_connection, monkeypatch)
    phones = [f"1650576{i:04d}" for i in range(10)]
    if store == "memory":
        attach("memory", fs=MemoryFileSystem())
        path = f"memory://results-{tmp_path.name}/sends/run.jsonl"
    else:
        root = tmp_path / "store"
        root.mkdir()
        attach("file", conn_id="results_store", fs=DirFileSystem(str(root), LocalFileSystem()))
        path = f"file://results_store@/whatsapp-test-{tmp_path.name}/run.jsonl"
    dr = dag_test({"recipients": phones, "results_path": path})
    assert dr.state == "success"
    # 3.1's ObjectStoragePath writes ``memory:///...`` for ``memory://...``: the same place.
    assert xcom_of(dr, "bulk")["results_path"].replace(":///", "://") == path
    rows = read_rows(read_store(path))
    assert sorted(r["index"] for r in rows) == list(range(10))
    if store == "file-connection":
        assert (tmp_path / "store" / f"whatsapp-test-{tmp_path.name}" / "run.jsonl").is_file()
        assert not Path(f"/whatsapp-test-{tmp_path.name}").exists()


@pytest.mark.dag
@pytest.mark.parametrize(
    ("where", "expected", "tries"),
    [
        pytest.param(
            "nosuch://bucket/x.jsonl",
            "results_path 'nosuch://bucket/x.jsonl': Unsupported filesystem: 'nosuch'",
            1,
            id="unknown-scheme",
        ),
        pytest.param(
            "{tmp}/a-file/x.jsonl",
            "results_path '{tmp}/a-file/x.jsonl' cannot be written (",
            2,  # storage refusing may pass: Airflow's retry, again before any message
            id="parent-is-a-file",
        ),
    ],
)
def test_a_results_path_that_cannot_be_written_fails_before_any_message(
    airflow_db,
    whatsapp_emulator_connection,
    monkeypatch,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    where: str,
    expected: str,
    tries: int,
) -> None:
    emu = ready(whatsapp_emulator_connection, monkeypatch)
    (tmp_path / "a-file").write_text("not a folder")
    path = where.format(tmp=tmp_path)
    dr = dag_test({"recipients": ["16505770001", "16505770002"], "results_path": path})
    assert dr.state == "failed"
    [ti] = dr.get_task_instances()
    assert ti.try_number == tries
    assert emu.messages == [] and [r for r in emu.requests if r.method == "POST"] == []
    if AIRFLOW_V_3_3_PLUS:  # earlier dag.test() does not echo every task log line here
        assert expected.format(tmp=tmp_path) in capfd.readouterr().out


@pytest.mark.dag
def test_results_file_lost_after_the_send_fails_the_task_and_the_retry_sends_nobody_twice(
    airflow_db,
    whatsapp_emulator_connection,
    monkeypatch,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """The storage takes the empty probe, then refuses the rows once: the summary still
    reaches XCom, the task fails as retryable, and its retry (every recipient skipped by
    the delivery record) writes the file."""
    from airflow.sdk import ObjectStoragePath
    from airflow.sdk.io import attach
    from fsspec.implementations.memory import MemoryFileSystem

    class RefusesTheSecondWrite(MemoryFileSystem):
        opened = 0

        def _open(self, path: str, mode: str = "rb", **kwargs: Any) -> Any:
            if "w" in mode:
                type(self).opened += 1
                if type(self).opened == 2:
                    raise PermissionError("the bucket's policy changed")
            return super()._open(path, mode, **kwargs)

    monkeypatch.setattr("airflow.sdk.io.store._STORE_CACHE", {})
    attach("memory", conn_id="flaky", fs=RefusesTheSecondWrite())
    emu = ready(whatsapp_emulator_connection, monkeypatch)
    phones = [f"1650578{i:04d}" for i in range(30)]
    path = f"memory://flaky@results-{tmp_path.name}/run.jsonl"
    dr = dag_test({"recipients": phones, "results_path": path})
    assert dr.state == "success"
    [ti] = dr.get_task_instances()
    assert ti.try_number == 2
    shown = str(ObjectStoragePath(path))  # memory:// has no bucket: memory://flaky@/results-...
    assert (
        f"Bulk send done (30 accepted of 30) but its per-recipient results could not be "
        f"written to {shown} (PermissionError: the bucket's policy changed)"
    ) in capfd.readouterr().out
    assert sorted(m.to for m in emu.messages) == phones, "each recipient messaged once"
    rows = read_rows(read_store(path))
    assert {r["status"] for r in rows} == {"skipped"} and len(rows) == 30
    assert task_states(dr) == {"bulk": "success"}


# -- units ------------------------------------------------------------------------------
def test_results_path_arguments_are_checked_when_the_dag_is_built() -> None:
    def build(**kwargs: Any) -> WhatsAppBulkSendOperator:
        return WhatsAppBulkSendOperator(task_id="b", recipients=["1"], template_name="t", **kwargs)

    with pytest.raises(ValueError, match=r"results_path 'out\.jsonl' is relative: a worker's"):
        build(results_path="out.jsonl")
    with pytest.raises(ValueError, match="max_xcom_results must be 0 or more, got -1"):
        build(max_xcom_results=-1)
    templated = build(results_path="s3://aws@bucket/{{ run_id }}.jsonl")
    assert "results_path" in templated.template_fields
    assert "include_recipients" not in templated.template_fields
    assert build().include_recipients is False and build().max_xcom_results == 1000
