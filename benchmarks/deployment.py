"""The real deployment (``e2e/deployment.py``, as ``make e2e`` builds it) against ``dag.test()``.

1. The same bulk send (``e2e_bulk_bench``: 5,000 recipients, concurrency 64, no client
   rate limit; the emulator at 200 ms per answer, its limit off) triggered through the
   REST API and run by a LocalExecutor worker, then through ``airflow dags test``
   (``dag.test()``) with the same settings and emulator (its own SQLite home). Throughput is read from the
   emulator's own receive times (first to last message); target: deployment >= 0.9 of
   ``dag.test()``.
2. The alert-during-bulk case of ``make e2e`` (e), 5 times: delivered k of 5, and each
   alert's delay from the task's failure to the emulator.

Run: ``.venv/bin/python -m benchmarks.deployment`` (root or a working PostgreSQL; about
5 minutes on 2 cores). Figures: ``benchmarks/results/deployment.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from typing import Any

from benchmarks._common import ROOT, banner, check, save, table, verdict
from e2e.cases import alert_during_bulk, bulk_conf
from e2e.deployment import Deployment, e2e_deployment

DAG_ID = "e2e_bulk_bench"


def throughput(deployment: Deployment, first: int, count: int) -> dict[str, float]:
    """msg/s between the first and the last accepted message of this range."""
    assert deployment.emulator is not None
    numbers = {str(n) for n in range(first, first + count)}
    times = sorted(m["received_at"] for m in deployment.emulator.messages() if m["to"] in numbers)
    if len(times) != count:
        raise RuntimeError(f"{len(times)} of {count} messages arrived")
    span = times[-1] - times[0]
    return {"messages": len(times), "span_s": round(span, 3), "msg_s": round(count / span, 1)}


def through_deployment(deployment: Deployment, first: int, count: int) -> dict[str, float]:
    run = deployment.trigger(DAG_ID, bulk_conf(first, count))
    state = deployment.wait_run(DAG_ID, run, 600)
    if state != "success":
        raise RuntimeError(f"{DAG_ID} run ended {state}")
    return throughput(deployment, first, count)


def through_dag_test(deployment: Deployment, first: int, count: int) -> dict[str, float]:
    """``airflow dags test`` (``dag.test()``, as ``make test`` runs DAGs): the deployment's
    settings, connections and emulator, but its own SQLite home (a live scheduler would
    pick up a run created in the deployment's database)."""
    home = deployment.workdir / "dag-test-home"
    home.mkdir(exist_ok=True)
    env = {
        **deployment.env,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
    }
    log = deployment.outputs / "dags-test.log"
    conf = json.dumps(bulk_conf(first, count))
    with log.open("wb") as out:
        for args in (["db", "migrate"], ["dags", "test", DAG_ID, "-c", conf]):
            rc = subprocess.run(
                [sys.executable, "-m", "airflow", *args],
                env=env, stdout=out, stderr=subprocess.STDOUT, timeout=600, check=False,
            ).returncode  # fmt: skip
            if rc != 0:
                raise RuntimeError(f"airflow {' '.join(args[:2])} exited {rc}; see {log}")
    return throughput(deployment, first, count)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.deployment")
    parser.add_argument("--recipients", type=int, default=5000)
    parser.add_argument("--alerts", type=int, default=5)
    args = parser.parse_args(argv)
    banner("Real deployment against dag.test(), and alerts during a bulk send")
    deployment = e2e_deployment(ROOT.parent / ".e2e-bench")
    results: dict[str, Any] = {}
    with deployment:
        assert deployment.emulator is not None
        results["database"] = deployment.database
        deployment.emulator.configure(latency=0.2, rate_limit=None)
        n = args.recipients
        t0 = time.monotonic()
        results["deployment"] = through_deployment(deployment, 16_501_000_000, n)
        results["dag_test"] = through_dag_test(deployment, 16_502_000_000, n)
        results["bulk_wall_s"] = round(time.monotonic() - t0, 1)
        ratio = results["deployment"]["msg_s"] / results["dag_test"]["msg_s"]
        results["ratio"] = round(ratio, 3)
        deployment.emulator.configure(latency=0.0)
        delays = [
            alert_during_bulk(deployment, 16_503_000_000 + 10_000 * i) for i in range(args.alerts)
        ]
        results["alert_delays_s"] = [None if d is None else round(d, 2) for d in delays]
    delivered = [d for d in delays if d is not None]
    results["alerts_delivered"] = f"{len(delivered)} of {len(delays)}"
    results["met"] = {"ratio": check(ratio, 0.9), "alerts": len(delivered) == len(delays)}
    print(
        table(
            ["run", "messages", "span s", "msg/s"],
            [
                [name, r["messages"], r["span_s"], r["msg_s"]]
                for name, r in (
                    ("deployment (REST trigger, LocalExecutor)", results["deployment"]),
                    ("dag.test() (airflow dags test)", results["dag_test"]),
                )
            ],
        )
    )
    print(
        f"ratio deployment / dag.test(): {ratio:.2f} (target >= 0.9) {verdict(results['met']['ratio'])}"
    )
    print(
        f"alert during bulk: delivered {results['alerts_delivered']}; delay from the task's "
        f"failure to the emulator (s): {results['alert_delays_s']} "
        f"{verdict(results['met']['alerts'])}"
    )
    print(f"database: {results['database']}")
    save("deployment", results)
    return 0 if all(results["met"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
