"""Where a bulk task instance keeps its delivery record: Airflow's task state store (3.3+)
or Variables (3.1, 3.2), and how a record moves from Variables to the state store when a
deployment is upgraded between two tries.

Cheap to import (a DAG file imports it through the bulk operator's module): the standard
library only at module level; Airflow is imported when a record is opened.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .record import RecordStorage


class _Log(Protocol):
    """The operator's logger, as far as this module logs."""

    def info(self, event: Any, *args: Any, **kw: Any) -> Any: ...


#: Start of every delivery-record Variable's key.
RECORD_PREFIX = "whatsapp_bulk__"
#: The record's key in its task instance's state store. The store is scoped to the task
#: instance (DAG, run, task, map index), so one name serves them all.
STATE_KEY = "whatsapp_bulk_record"
_PART = 48  # characters of each id kept readable in a record's key


def _part(value: str) -> str:
    """``value`` if short, else a readable start and a digest of the whole."""
    if len(value) <= _PART:
        return value
    return f"{value[: _PART - 13]}~{hashlib.sha256(value.encode()).hexdigest()[:12]}"


def record_key(dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> str:
    """The Variable key of one task instance's delivery record (Airflow 3.1 and 3.2, and
    records an upgraded deployment left in Variables).

    At most ~190 characters whatever the ids (Airflow's key column holds 250, and
    segments add ``.sN``): long ids keep a readable start and a digest; the last part
    digests all four coordinates, so two task instances never share a key.
    """
    whole = hashlib.sha256(f"{dag_id}\0{run_id}\0{task_id}\0{map_index}".encode()).hexdigest()
    return (
        f"{RECORD_PREFIX}{_part(dag_id)}__{_part(task_id)}__{_part(run_id)}"
        f"__{map_index}__{whole[:16]}"
    )


class RecordStorageError(RuntimeError):
    """The delivery record could not be read or written: no request leaves after it."""


@contextmanager
def _reaching(action: str, where: str) -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        raise RecordStorageError(
            f"Could not {action} the bulk send's delivery record ({where}): {exc}. No "
            "request leaves without its recipient recorded, so the send stops here; a "
            "retry continues from what was recorded"
        ) from exc


class VariableStore:
    """Delivery-record storage (a ``RecordStorage``) in Airflow Variables: a retry may run
    on another worker, and Variables are shared by all (in a worker each call goes to the
    api-server). Variables never expire: ``expiring`` changes nothing."""

    def get(self, key: str) -> str | None:
        from airflow.sdk import Variable

        with _reaching("read", f"Variable {key!r}"):
            value = Variable.get(key, default=None)
        return None if value is None else str(value)

    def put(self, key: str, value: str, *, expiring: bool = False) -> None:
        from airflow.sdk import Variable

        with _reaching("write", f"Variable {key!r}"):
            Variable.set(key, value, description="airflow-provider-whatsapp bulk delivery record")

    def delete(self, key: str) -> None:
        from airflow.sdk import Variable

        with _reaching("delete", f"Variable {key!r}"):
            Variable.delete(key)


class TaskStateStorage:
    """Delivery-record storage in the running task instance's state store (Airflow 3.3+,
    ``context["task_state_store"]``): kept across retries, seen by a cleared re-run, not
    listed with everyone's Variables, gone with its DAG run. Each call goes through the
    supervisor to the api-server, like a Variable's, and is safe from the record's
    writer thread (the channel to the supervisor is locked)."""

    def __init__(self, task_state_store: Any) -> None:
        self._store = task_state_store

    def get(self, key: str) -> str | None:
        with _reaching("read", f"task state store key {key!r}"):
            value = self._store.get(key)
        return None if value is None else str(value)

    def put(self, key: str, value: str, *, expiring: bool = False) -> None:
        from ..version_compat import NEVER_EXPIRE

        # While a send is unfinished its record never expires: one that expired between
        # two tries ([state_store] default_retention_days passed during a long retry
        # delay, a task cleared weeks after it failed) would resend every recipient it
        # recorded as accepted. It goes with its DAG run (``airflow db clean``) instead.
        # Only the completion marker of a successful send takes the deployment's
        # retention: once it expires, a cleared re-run sends everyone again, as it does
        # at once with [state_store] clear_on_success (docs: the delivery record).
        with _reaching("write", f"task state store key {key!r}"):
            self._store.set(key, value, retention=None if expiring else NEVER_EXPIRE)

    def delete(self, key: str) -> None:
        with _reaching("delete", f"task state store key {key!r}"):
            self._store.delete(key)


def open_record_storage(
    context: Any, log: _Log, variables: Callable[[], RecordStorage] = VariableStore
) -> tuple[RecordStorage, str]:
    """The storage and key of the running task instance's delivery record.

    Airflow 3.3+: its task state store; a record an earlier try left in Variables (the
    deployment was upgraded from 3.1 or 3.2 between two tries) is moved there first, so
    the send continues from it. Before 3.3, or with no state store in ``context`` (an
    ``execute`` called by hand): Variables, through ``variables``.
    """
    from .. import version_compat

    ti = context["ti"]
    map_index = getattr(ti, "map_index", -1)
    legacy = record_key(
        ti.dag_id,
        context.get("run_id") or ti.run_id,
        ti.task_id,
        -1 if map_index is None else map_index,
    )
    task_state_store = context.get("task_state_store")
    if not version_compat.HAS_TASK_STATE_STORE or task_state_store is None:
        log.info("Delivery record: Variable %r", legacy)
        return variables(), legacy
    store = TaskStateStorage(task_state_store)
    if store.get(STATE_KEY) is None and move_record(variables(), legacy, store, STATE_KEY):
        log.info(
            "Delivery record: continuing from the record an earlier try kept in Variable %r "
            "(before Airflow 3.3), now moved to this task's state store",
            legacy,
        )
    log.info("Delivery record: task state store key %r", STATE_KEY)
    if version_compat.conf.getboolean("state_store", "clear_on_success", fallback=False):
        log.info(
            "[state_store] clear_on_success is set: once this send succeeds Airflow drops its "
            "record, and clearing the task later sends to everyone again"
        )
    return store, STATE_KEY


def _segments(head: str) -> int:
    try:
        return int(json.loads(head).get("segments", 0))
    except (ValueError, AttributeError, TypeError):
        return 0


def _done(head: str) -> bool:
    try:
        return bool(json.loads(head).get("done"))
    except (ValueError, AttributeError):
        return False


def move_record(
    source: RecordStorage, source_key: str, target: RecordStorage, target_key: str
) -> int:
    """Copy the record under ``source_key`` to ``target`` (segments first, the head that
    counts them last), then delete it from ``source``; returns the values removed (0: no
    record). A try killed half way leaves the source whole or a stale copy behind: the
    next try moves it again, or reads the target's and leaves the stale one to the
    cleanup operator."""
    head = source.get(source_key)
    if head is None:
        return 0
    for n in range(_segments(head)):
        value = source.get(f"{source_key}.s{n}")
        if value is not None:
            target.put(f"{target_key}.s{n}", value)
    target.put(target_key, head, expiring=_done(head))
    return _delete_record(source, source_key, head)


def _delete_record(store: RecordStorage, key: str, head: str) -> int:
    removed = 1
    for n in range(_segments(head) + 1):  # +1: a segment a crash may have left uncounted
        segment = f"{key}.s{n}"
        if store.get(segment) is not None:
            store.delete(segment)
            removed += 1
    store.delete(key)
    return removed


def delete_delivery_record(
    dag_id: str,
    run_id: str,
    task_id: str,
    map_index: int = -1,
    *,
    store: RecordStorage | None = None,
) -> int:
    """Delete one task instance's delivery record from Variables (head and segments);
    returns the number of Variables removed. Run it from a task (or with Variables
    reachable). A record in a task state store (Airflow 3.3+) belongs to its own task
    instance, which no other task can reach: see the docs, the delivery record."""
    store = store if store is not None else VariableStore()
    key = record_key(dag_id, run_id, task_id, map_index)
    head = store.get(key)
    if head is None:
        return 0
    return _delete_record(store, key, head)
