"""Where the bulk delivery record lives, through ``dag.test()`` and the emulator.

Airflow 3.3+: the task instance's own state store (kept across retries, not listed with
the Variables). Before 3.3: Variables. A deployment upgraded between two tries continues
from the record the older one left in Variables. Whatever the storage, exactly once holds
across retries, a storage outage stops the send before another request leaves, and a
cleared re-run of a successful send does what README's "Cleanup" says.

The DAGs are tests/dags/bulk_send.py's (one retry at once, concurrency 8). A try fails
mid-send by a task-state-store outage (:mod:`tests.bulk.state_backend`, a backend
configured as a deployment configures one) or by the emulator locking the account; the
next try runs in the same DAG run (a retry of ``dag.test()``, or :func:`run_task_again`).
"""

from __future__ import annotations

import asyncio
import collections
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_whatsapp import version_compat
from airflow_provider_whatsapp.bulk.record import DeliveryRecord, RecordStore
from airflow_provider_whatsapp.bulk.storage import move_record
from airflow_provider_whatsapp.operators.bulk import record_key
from tests.bulk.state_backend import FlakyStateBackend, flaky_state_store  # noqa: F401
from tests.bulk.test_exactly_once import DyingStore
from tests.helpers import run_task_again, xcom_of
from tests.operators.test_bulk import emu_dag_test, notice_send, stored_variables

pytestmark = pytest.mark.dag
needs_state_store = pytest.mark.skipif(
    not version_compat.AIRFLOW_V_3_3_PLUS, reason="Airflow 3.3+ has a task state store"
)

STATE_KEY = "whatsapp_bulk_record"  # the record's key in its task's state store (README)
CONCURRENCY = 8  # tests/dags/bulk_send.py


def task_state(dr: Any, task_id: str = "bulk") -> dict[str, tuple[Any, datetime | None]]:
    """The task instance's state store as the metadata database holds it: key -> (value,
    expires_at)."""
    from airflow.models.task_state_store import TaskStateStoreModel
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = session.query(TaskStateStoreModel).filter_by(
            dag_id=dr.dag_id, run_id=dr.run_id, task_id=task_id, map_index=-1
        )
        return {r.key: (json.loads(r.value), r.expires_at) for r in rows}


def record_variables(dr: Any, task_id: str = "bulk") -> dict[str, str]:
    key = record_key(dr.dag_id, dr.run_id, task_id)
    return {k: v for k, v in stored_variables().items() if k.startswith(key)}


def statuses(result: dict[str, Any], numbers: list[str]) -> dict[str, str]:
    """Each recipient's status; XCom names recipients by position, not number."""
    return {numbers[r["index"]]: r["status"] for r in result["results"]}


def exactly_once(emu: Any, numbers: list[str], result: dict[str, Any]) -> collections.Counter[str]:
    """The verdict at the emulator: nobody messaged twice, everyone messaged once or
    reported ambiguous (no more than could be in flight); returns the status counts."""
    counts = collections.Counter(m.to for m in emu.messages)
    status = statuses(result, numbers)
    assert sorted(status) == sorted(numbers)
    assert [to for to in numbers if counts[to] > 1] == [], "a recipient was messaged twice"
    ambiguous = {to for to, s in status.items() if s == "ambiguous"}
    assert {to for to in numbers if counts[to] == 0} <= ambiguous, "a recipient was never sent"
    assert len(ambiguous) <= CONCURRENCY
    assert set(status.values()) <= {"accepted", "skipped", "ambiguous"}
    return collections.Counter(status.values())


def the_try(dr: Any) -> int:
    [ti] = [t for t in dr.get_task_instances() if t.task_id == "bulk"]
    return int(ti.try_number)


@needs_state_store
def test_a_retry_continues_from_the_record_in_the_task_state_store(
    emu: Any,
    airflow_db: Path,
    flaky_state_store: FlakyStateBackend,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """Try 1 dies mid-send on a state-store outage; try 2 (Airflow's retry, same DAG run)
    skips whom try 1 got through. The record never expires while the send is unfinished;
    the completion marker takes the deployment's retention; no Variable is written."""
    numbers, conf = notice_send(emu, monkeypatch, tmp_path, [f"1650571{n:04d}" for n in range(200)])
    sent_at_outage: list[int] = []
    flaky_state_store.fail_from, flaky_state_store.once = 12, True
    flaky_state_store.on_failure = lambda: sent_at_outage.append(len(emu.messages))

    dr = emu_dag_test(conf)

    assert dr.state == "success" and the_try(dr) == 2, "try 1 failed on the outage, try 2 ended it"
    assert 0 < sent_at_outage[0] < len(numbers), "the outage came mid-send"
    counts = exactly_once(emu, numbers, xcom_of(dr, "bulk"))
    assert counts["skipped"] >= sent_at_outage[0] - CONCURRENCY, "try 2 read try 1's record"
    log = capfd.readouterr().out
    assert (
        "Could not write the bulk send's delivery record (task state store key "
        "'whatsapp_bulk_record" in log
    )
    assert "the send stops here; a retry continues from what was recorded" in log

    # Unfinished, the record never expired; the marker follows [state_store]
    # default_retention_days (30 by default), counted from its writing.
    *during, (last_key, marker_expiry) = flaky_state_store.writes
    assert during and all(expires is None for _, expires in during)
    assert last_key == STATE_KEY and marker_expiry is not None
    assert abs(marker_expiry - datetime.now(timezone.utc) - timedelta(days=30)) < timedelta(hours=1)
    state = task_state(dr)
    assert list(state) == [STATE_KEY], "the segments went when the send completed"
    marker = json.loads(state[STATE_KEY][0])
    assert marker["done"] is True and marker["tries"] == 2
    assert record_variables(dr) == {}, "nothing in Variables"
    assert not any(to[-7:] in str(state) for to in numbers), "no number in clear"


@needs_state_store
@pytest.mark.parametrize("fail_from", [0, 20])
def test_a_state_store_outage_stops_the_send_before_another_request_leaves(
    emu: Any,
    airflow_db: Path,
    flaky_state_store: FlakyStateBackend,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    fail_from: int,
) -> None:
    """The store stays down: both tries fail; after the first failed write only requests
    already recorded in flight may reach the emulator, and nobody is messaged twice."""
    numbers, conf = notice_send(
        emu, monkeypatch, tmp_path, [f"165057{fail_from:02d}{n:03d}" for n in range(200)]
    )
    sent_at_outage: list[int] = []
    flaky_state_store.fail_from = fail_from
    flaky_state_store.on_failure = lambda: sent_at_outage.append(len(emu.messages))

    dr = emu_dag_test(conf)

    assert dr.state == "failed" and the_try(dr) == 2
    posts = [r for r in emu.requests if r.method == "POST"]
    if fail_from == 0:
        assert posts == [], "no request leaves before its recipient is recorded"
    assert len(posts) - sent_at_outage[0] <= CONCURRENCY
    assert len(emu.messages) < len(numbers)
    counts = collections.Counter(m.to for m in emu.messages)
    assert not [to for to, n in counts.items() if n > 1], "a recipient was messaged twice"
    log = capfd.readouterr().out
    assert log.count("Could not write the bulk send's delivery record") >= 2, "both tries"


def test_before_airflow_3_3_the_record_lives_in_variables_and_the_cleanup_deletes_it(
    emu: Any,
    airflow_db: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """Airflow 3.1 and 3.2 (the flag says so): Variables, as before; the cleanup
    operator deletes the record, on 3.3 too (one an upgraded deployment left behind)."""
    numbers, conf = notice_send(emu, monkeypatch, tmp_path, [f"1650572{n:04d}" for n in range(100)])
    monkeypatch.setattr(version_compat, "HAS_TASK_STATE_STORE", False)

    dr = emu_dag_test(conf)

    assert dr.state == "success"
    assert xcom_of(dr, "bulk")["summary"]["accepted"] == len(numbers)
    if version_compat.AIRFLOW_V_3_3_PLUS:
        assert task_state(dr) == {}, "nothing in the task state store"
    key = record_key(dr.dag_id, dr.run_id, "bulk")
    assert list(record_variables(dr)) == [key]
    assert json.loads(record_variables(dr)[key])["done"] is True
    assert f"Delivery record: Variable '{key}'" in capfd.readouterr().out

    # The flag of the Airflow installed: on 3.3 such a record is a leftover.
    monkeypatch.setattr(version_compat, "HAS_TASK_STATE_STORE", version_compat.AIRFLOW_V_3_3_PLUS)
    from tests.dags.bulk_send import cleanup

    when = datetime.now(timezone.utc)
    done = cleanup.test(
        logical_date=when,
        run_after=when,
        run_conf={"run_id": dr.run_id, "dag_id": dr.dag_id},
    )
    assert done.state == "success"
    assert xcom_of(done, "delete_record") == 1
    assert record_variables(dr) == {}
    note = "Records in a bulk task's own state store (Airflow 3.3+) are out of reach"
    assert (note in capfd.readouterr().out) == version_compat.AIRFLOW_V_3_3_PLUS


@needs_state_store
def test_an_upgrade_to_3_3_between_tries_continues_from_the_variables_record(
    emu: Any,
    airflow_db: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """Try 1 runs on 3.2 (Variables) and stops on a locked account after 100 acceptances;
    the deployment is upgraded; the task, cleared, runs on 3.3: it skips those 100 and
    the record moves from Variables to the task state store."""
    numbers, conf = notice_send(emu, monkeypatch, tmp_path, [f"1650573{n:04d}" for n in range(240)])
    emu.break_account("lock_account", after_messages=100)
    monkeypatch.setattr(version_compat, "HAS_TASK_STATE_STORE", False)
    dr = emu_dag_test(conf)
    assert dr.state == "failed" and the_try(dr) == 1, "a locked account is not retried"
    first = statuses(xcom_of(dr, "bulk"), numbers)
    accepted_first = {to for to, s in first.items() if s == "accepted"}
    assert len(accepted_first) == 100
    assert len(record_variables(dr)) == 2, "a head and its first segment (64 acceptances)"

    emu.restore_account()
    monkeypatch.setattr(version_compat, "HAS_TASK_STATE_STORE", True)  # upgraded
    from tests.dags.bulk_send import dag

    assert run_task_again(dag, dr.run_id, "bulk", monkeypatch) == "success"

    again = statuses(xcom_of(dr, "bulk"), numbers)
    assert {to for to, s in again.items() if s == "skipped"} == accepted_first
    counts = collections.Counter(m.to for m in emu.messages)
    assert set(counts) == set(numbers) and set(counts.values()) == {1}, "a duplicate"
    assert record_variables(dr) == {}, "the Variables copy is gone"
    state = task_state(dr)
    assert list(state) == [STATE_KEY] and json.loads(state[STATE_KEY][0])["done"] is True
    log = capfd.readouterr().out
    key = record_key(dr.dag_id, dr.run_id, "bulk")
    assert (
        f"Delivery record: continuing from the record an earlier try kept in Variable '{key}'"
        in log
    )


@needs_state_store
def test_a_cleared_rerun_of_a_successful_send(
    emu: Any,
    airflow_db: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """The marker of a successful send keeps a cleared re-run from sending anyone; when
    the deployment clears task state on success (``[state_store] clear_on_success``) the
    marker is gone with it and the re-run sends everyone again, as README says."""
    from tests.dags.bulk_send import dag

    numbers, conf = notice_send(emu, monkeypatch, tmp_path, [f"1650574{n:04d}" for n in range(30)])
    dr = emu_dag_test(conf)
    assert dr.state == "success" and list(task_state(dr)) == [STATE_KEY]
    assert run_task_again(dag, dr.run_id, "bulk", monkeypatch) == "success"
    assert len(emu.messages) == len(numbers), "the marker: nobody sent again"
    assert set(statuses(xcom_of(dr, "bulk"), numbers).values()) == {"skipped"}

    emu.reset()
    numbers, conf = notice_send(emu, monkeypatch, tmp_path, numbers)
    monkeypatch.setenv("AIRFLOW__STATE_STORE__CLEAR_ON_SUCCESS", "True")
    dr = emu_dag_test(conf)
    assert dr.state == "success" and task_state(dr) == {}, "Airflow cleared it on success"
    assert "clear_on_success is set: once this send succeeds Airflow drops its record" in (
        capfd.readouterr().out
    )
    assert run_task_again(dag, dr.run_id, "bulk", monkeypatch) == "success"
    counts = collections.Counter(m.to for m in emu.messages)
    assert set(counts) == set(numbers) and set(counts.values()) == {2}


def filled(store: Any, key: str, n: int) -> DeliveryRecord:
    """A record under ``key`` in ``store`` that accepted ``n`` recipients."""
    record = DeliveryRecord(store, key, b"maton-key")

    async def accept_all() -> None:
        for i in range(n):
            digest = record.digest(f"1650575{i:04d}")
            await record.reserve(digest)
            record.accept(digest)
        await record.close()

    asyncio.run(accept_all())
    return record


@pytest.mark.parametrize("dies_after", range(3))
def test_a_move_killed_half_way_loses_nothing(dies_after: int) -> None:
    """Moving a record (two segments and a head) to a storage that dies after N writes:
    the source stays whole until the copy is complete, and moving again gives the same
    record; a finished move empties the source."""
    source = RecordStore()
    accepted = filled(source, "legacy", 150).accepted
    assert len(source.values) == 3, "a head and two segments"
    copied = dict(source.values)

    target = DyingStore(dies_after)
    with pytest.raises(OSError, match="storage is gone"):
        move_record(source, "legacy", target, "whatsapp_bulk_record")
    assert source.values == copied, "the source is untouched until the copy is whole"
    assert DeliveryRecord(source, "legacy", b"maton-key").accepted == accepted

    again = RecordStore()
    again.values = dict(target.values)  # what the dead storage had kept
    assert move_record(source, "legacy", again, "whatsapp_bulk_record") == 3
    assert source.values == {}
    moved = DeliveryRecord(again, "whatsapp_bulk_record", b"maton-key")
    assert moved.accepted == accepted and not moved.unknown
    assert again.expiring == set(), "an unfinished record never expires"


class Undeletable(RecordStore):
    def delete(self, key: str) -> None:
        raise OSError("Variables are read-only now")


def test_a_move_whose_source_cannot_be_emptied_leaves_a_whole_copy() -> None:
    """Killed (or failing) after the copy, before the source is emptied: the copy is
    whole, and the next try reads it (the stale source is the cleanup operator's)."""
    source = Undeletable()
    accepted = filled(source, "legacy", 150).accepted
    target = RecordStore()
    with pytest.raises(OSError, match="read-only"):
        move_record(source, "legacy", target, "whatsapp_bulk_record")
    assert DeliveryRecord(target, "whatsapp_bulk_record", b"maton-key").accepted == accepted


def test_a_moved_completion_marker_may_expire() -> None:
    source = RecordStore()
    filled(source, "legacy", 70).complete()
    target = RecordStore()
    assert move_record(source, "legacy", target, "whatsapp_bulk_record") == 1
    assert target.expiring == {"whatsapp_bulk_record"} and source.values == {}
    assert DeliveryRecord(target, "whatsapp_bulk_record", b"maton-key").completed
