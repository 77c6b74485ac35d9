"""The delivery record's cost: a bulk send under ``dag.test()`` beside a bare client.

Issue 18: the write-ahead record (a recipient durably recorded in flight just before its
request leaves) must cost at most a tenth of the throughput. The emulator's limit is
off and every answer takes 200 ms; ``WhatsAppBulkSendOperator`` sends the benchmark
template to N recipients at concurrency C in a real ``dag.test()`` run, its record in
Airflow's storage (each write through the in-process supervisor and execution API,
into the metadata database), and a bare aiohttp ``ClientSession`` posts the same JSON
bodies to the same URL at the same concurrency in the same run. Ours / bare is the
figure; target >= 0.9.

``--storage`` picks where the record lives (repeatable):

- ``default``: wherever the operator puts it (Variables before Airflow 3.3's task state
  store is used by the operator; the task state store after);
- ``variables``: forced into Airflow Variables;
- ``task-state``: forced into the task instance's ``task_state_store`` (Airflow 3.3+);
- ``memory``: forced into memory: the same record, reservations and waits, but writes
  that cost nothing (the ceiling any record design can reach on this machine).

Without ``--storage``: Variables and the task state store. Each repeat runs the bare
client then each storage; rates are messages over the time the send took (the
operator's own ``elapsed_s``: from the first request to the last answer, record
closed). ``uptime``'s load is printed beside each repeat: this machine is shared.

Run: ``python -m benchmarks.record_cost`` (``--messages 2000 --concurrency 64
--repeats 3``); about 12 s per send, a minute per repeat. Figures:
``benchmarks/results/record_cost.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

LATENCY = 0.2
CONCURRENCY = 64
MESSAGES = 2000
TARGET_RATIO = 0.9
STORAGES = ("default", "variables", "task-state", "memory")
DAG_FILE = Path(__file__).resolve().parent / "dags" / "record_cost_dag.py"


def airflow_home() -> Path:
    """A fresh Airflow home on SQLite, set before Airflow is imported, migrated."""
    home = Path(tempfile.mkdtemp(prefix="bench-record-home-"))
    os.environ["AIRFLOW_HOME"] = str(home)
    os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{home}/airflow.db"
    os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(DAG_FILE.parent)
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "ERROR")
    if "AIRFLOW__CORE__FERNET_KEY" not in os.environ:
        from cryptography.fernet import Fernet

        os.environ["AIRFLOW__CORE__FERNET_KEY"] = Fernet.generate_key().decode()
    subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"],
        check=True,
        capture_output=True,
        env=os.environ.copy(),
    )
    return home


class TaskStateStorage:
    """A ``RecordStorage`` in the running task instance's ``task_state_store`` (3.3+)."""

    def __init__(self) -> None:
        from airflow.sdk import get_current_context

        self.store = get_current_context()["task_state_store"]  # type: ignore[typeddict-item]

    def get(self, key: str) -> str | None:
        value = self.store.get(key)
        return None if value is None else str(value)

    def put(self, key: str, value: str) -> None:
        self.store.set(key, value)

    def delete(self, key: str) -> None:
        self.store.delete(key)


def force_storage(storage: str) -> None:
    """Make the operator's record use ``storage`` (``default``: leave it be).

    The operator builds ``DeliveryRecord(store, key, secret)`` when it runs: the class
    is swapped for one that ignores ``store`` and uses the forced one.
    """
    from airflow_provider_whatsapp.bulk import record as record_module

    original = getattr(record_module, "_bench_original", record_module.DeliveryRecord)
    record_module._bench_original = original  # type: ignore[attr-defined]
    if storage == "default":
        record_module.DeliveryRecord = original  # type: ignore[misc]
        return

    def make() -> Any:
        if storage == "memory":
            return record_module.RecordStore()
        if storage == "task-state":
            return TaskStateStorage()
        from airflow_provider_whatsapp.operators.bulk import VariableStore

        return VariableStore()

    class Forced(original):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            if "store" in kwargs or not args:
                kwargs["store"] = make()
            else:
                args = (make(), *args[1:])
            super().__init__(*args, **kwargs)

    record_module.DeliveryRecord = Forced  # type: ignore[misc]


def load_dag() -> Any:
    spec = importlib.util.spec_from_file_location("record_cost_dag", DAG_FILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.dag


def xcom_of(dr: Any, task_id: str) -> Any:
    """The return value task ``task_id`` of run ``dr`` pushed, read from the database."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        stmt = XComModel.get_many(
            run_id=dr.run_id, dag_ids=dr.dag_id, task_ids=task_id, key="return_value"
        )
        row = session.scalars(stmt).first()
        return None if row is None else XComModel.deserialize_value(row)


def run_ours(emu: Any, dag: Any, numbers: list[str], storage: str) -> dict[str, Any]:
    """One ``dag.test()`` run of the bulk task; msg/s over the operator's send time."""
    force_storage(storage)
    started = time.perf_counter()
    dr = dag.test(run_conf={"recipients": numbers})
    wall = time.perf_counter() - started
    if str(dr.state) != "success":
        raise RuntimeError(f"the bulk run ended {dr.state}")
    summary = xcom_of(dr, "bulk")["summary"]
    accepted = len(emu.messages())
    return {
        "messages": accepted,
        "accepted_reported": summary["accepted"],
        "seconds": summary["elapsed_s"],
        "rate": accepted / summary["elapsed_s"],
        "task_wall_s": round(wall, 3),
    }


def run_bare(emu: Any, target: tuple[str, dict[str, str], list[Any]], c: int) -> dict[str, Any]:
    from benchmarks.unthrottled import bare_aiohttp

    url, headers, bodies = target
    done, seconds = asyncio.run(bare_aiohttp(url, headers, bodies, c))
    accepted = len(emu.messages())
    return {"messages": accepted, "seconds": seconds, "rate": accepted / seconds, "answered": done}


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.record_cost", description=__doc__)
    parser.add_argument("--messages", type=int, default=MESSAGES)
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--storage",
        action="append",
        choices=STORAGES,
        help="repeatable; default: variables and task-state",
    )
    args = parser.parse_args(argv)
    storages: list[str] = args.storage or ["variables", "task-state"]
    airflow_home()
    os.environ["WHATSAPP_BENCH_CONCURRENCY"] = str(args.concurrency)

    from benchmarks._common import banner, emulator, phone, save, table, verdict
    from benchmarks.unthrottled import bare_aiohttp, bodies_and_target

    banner(
        f"The record's cost: {args.messages} messages under dag.test(), emulator limit off, "
        f"{LATENCY * 1000:.0f} ms latency, concurrency {args.concurrency}, "
        f"record in {', '.join(storages)}"
    )
    bare_name = "bare aiohttp.ClientSession"
    names = [bare_name, *(f"ours, record in {s}" for s in storages)]
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    loads: list[str] = []
    with emulator(rate_limit=0, latency=LATENCY) as emu:
        emu.use_connection(rate_limit=0)  # the client's limiter off too
        target = bodies_and_target(emu, args.messages)
        numbers = [phone(n) for n in range(args.messages)]
        dag = load_dag()
        emu.reset(latency=0)  # warm-up: connections, imports, the database, the DAG
        asyncio.run(bare_aiohttp(*target[:2], target[2][:300], args.concurrency))
        run_ours(emu, dag, numbers[:100], "memory")
        for repeat in range(args.repeats):
            loads.append(load())
            for name, storage in zip(names, [None, *storages], strict=True):
                emu.reset(rate_limit=0, latency=LATENCY)
                if storage is None:
                    run = run_bare(emu, target, args.concurrency)
                else:
                    run = run_ours(emu, dag, numbers, storage)
                run["load"] = load()
                runs[name].append(run)
                print(
                    f"  repeat {repeat + 1} (load {run['load']}): {name:<34} "
                    f"{run['messages']:>5} msgs in {run['seconds']:6.2f} s = "
                    f"{run['rate']:6.1f} msg/s",
                    flush=True,
                )
    ratios = {
        name: [o["rate"] / b["rate"] for o, b in zip(runs[name], runs[bare_name], strict=True)]
        for name in names[1:]
    }
    rows = [
        [
            name,
            " / ".join(f"{r['rate']:.1f}" for r in rs),
            f"{max(r['rate'] for r in rs):.1f}",
            " / ".join(f"{x:.2f}" for x in ratios.get(name, [])) or "-",
            f"{statistics.median(ratios[name]):.2f}" if name in ratios else "-",
        ]
        for name, rs in runs.items()
    ]
    print(table(["variant", "msg/s per repeat", "best", "ours / bare per repeat", "median"], rows))
    met = {name: statistics.median(rs) >= TARGET_RATIO for name, rs in ratios.items()}
    for name, ok in met.items():
        print(
            f"  {name}: median ours / bare = {statistics.median(ratios[name]):.2f} "
            f"(target >= {TARGET_RATIO}): {verdict(ok)}"
        )
    every = all(
        r["accepted_reported"] == args.messages == r["messages"]
        for name in names[1:]
        for r in runs[name]
    )
    print(f"  every recipient accepted exactly once by ours: {every}; load per repeat: {loads}")
    data = {
        "messages": args.messages,
        "concurrency": args.concurrency,
        "latency_s": LATENCY,
        "storages": storages,
        "runs": runs,
        "ratios": ratios,
        "loads": loads,
        "target_ratio": TARGET_RATIO,
        "met": met,
        "exactly_once": every,
    }
    save("record_cost", data)
    return data


if __name__ == "__main__":
    main()
