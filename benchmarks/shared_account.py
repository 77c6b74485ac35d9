"""One Maton account shared by 1, 2, 4, 8 bulk tasks at once, in a real deployment.

``e2e_shared_account`` (e2e/dags) maps ``--per-send`` recipients over N bulk tasks on one
connection, triggered through the REST API and run by a LocalExecutor worker pool of 8,
the emulator limiting the account at Maton's 10/s. ``--alert-after`` seconds into each
send a task of another DAG fails and its WhatsApp alert goes out. Per run and N:

- aggregate msg/s: accepted messages / first to last acceptance (the bulk share is
  8/s: 10/s x ``bulk_rate_share`` 0.8; target >= 0.95 of it, 7.6/s);
- 429s: answers 429 among the bulk requests (target <= 1 %);
- fairness: Jain's index over the tasks' own rates (each task's accepted messages / its
  first to last acceptance; 1.0 = equal);
- the alert: 429s it met before being accepted (target 0) and its delay from the task's
  failure to the emulator;
- hand-offs (ours): each gap between two turns, split into the last task's tail, the
  scheduler, the executor and the next task's start-up.

Ours: each bulk task in the pool named like its connection (one slot: the tasks take
turns). Baseline, same run: ``e2e_shared_account_unpooled`` (``pool="default_pool"``:
every task at once, each limiting only itself, the behaviour before account pools).

Run: ``.venv/bin/python -m benchmarks.shared_account --tasks 1,2,4,8 --runs 10`` (root or
a working PostgreSQL; ~2.5 minutes a run of ours on 2 cores). Figures:
``benchmarks/results/shared_account.json`` (``--results`` names another file);
``--scheduler-idle-sleep 0.1`` measures a scheduler that looks for free pool slots more often.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections import defaultdict
from datetime import datetime
from itertools import pairwise
from typing import Any

from benchmarks._common import ROOT, banner, save, table, verdict
from demo.run import DEMO_DAGS
from e2e.cases import alert_while_sending, dag_constant, sends
from e2e.deployment import Deployment, e2e_deployment, wait_for

LIMIT = 10.0
SHARE = 0.8
TARGET_RATE = 0.95 * LIMIT * SHARE  # 7.6/s
VARIANTS = {"ours": "e2e_shared_account", "baseline": "e2e_shared_account_unpooled"}


def jain(rates: list[float]) -> float:
    """Jain's fairness index: 1.0 when every rate is the same, 1/n when one takes all."""
    return sum(rates) ** 2 / (len(rates) * sum(r * r for r in rates)) if rates else 0.0


def quiet(deployment: Deployment) -> None:
    """Until the examples' scheduled runs (which would share the account) are over, then
    the examples paused (a paused DAG's runs would not progress: pause after)."""
    for dag_id in (*(d.dag_id for d in DEMO_DAGS), *VARIANTS.values(), "e2e_alert_during_bulk"):
        deployment.wait_for_dag(dag_id)
    time.sleep(5)  # the scheduler creates the @daily examples' runs once they are parsed

    def idle() -> bool:
        states = {"state": ["queued", "running"]}
        found = deployment.api("GET", "/api/v2/dags/~/dagRuns", params=states)
        return int(found["total_entries"]) == 0

    wait_for("no DAG run in progress", idle, 600, every=1)
    for demo in DEMO_DAGS:
        deployment.api("PATCH", f"/api/v2/dags/{demo.dag_id}", json={"is_paused": True})


def one_send(
    deployment: Deployment, dag_id: str, block: int, tasks: int, per_send: int, alert_after: float
) -> dict[str, Any]:
    """One send of ``per_send`` recipients over ``tasks`` mapped bulk tasks; its figures."""
    emulator = deployment.emulator
    assert emulator is not None
    # A fresh record per send: the whole history, polled every 0.1 s below, grew to ~9,000
    # requests by the last runs of ten, when single 429s appeared inside lone sends
    # (perhaps the busy emulator stamping arrivals late, in bunches).
    emulator.reset(rate_limit=LIMIT, latency=0.0)
    emulator.control("windows", {"phones": [dag_constant("e2e_alert_during_bulk", "ALERT_PHONE")]})
    per_task = per_send // tasks
    first = block * 10000
    numbers = {str(first + i): i // per_task for i in range(per_task * tasks)}
    run = deployment.trigger(dag_id, {"block": block, "tasks": tasks, "per_task": per_task})
    alert = alert_while_sending(deployment, set(numbers), alert_after)
    state = deployment.wait_run(dag_id, run, 900)
    requests = [r for r in sends(emulator.requests()) if r["json"]["to"] in numbers]
    accepted = sorted(
        (m["received_at"], m["to"]) for m in emulator.messages() if m["to"] in numbers
    )
    per_number: dict[str, int] = defaultdict(int)
    by_task: dict[int, list[float]] = defaultdict(list)
    for at, to in accepted:
        per_number[to] += 1
        by_task[numbers[to]].append(at)
    span = accepted[-1][0] - accepted[0][0] if len(accepted) > 1 else 0.0
    rates = [
        (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
        for times in by_task.values()
    ]
    got_429 = sum(1 for r in requests if r["status"] == 429)
    starts: dict[int, float] = {}
    for r in requests:
        starts.setdefault(numbers[r["json"]["to"]], r["received_at"])
    # Where the 429s fell: (task, seconds after that task's first request).
    where_429 = [
        (numbers[r["json"]["to"]], round(r["received_at"] - starts[numbers[r["json"]["to"]]], 2))
        for r in requests
        if r["status"] == 429
    ]
    others = [
        (
            round(r["received_at"] - min(starts.values()), 2),
            r["method"],
            r["path"][-30:],
            r["status"],
        )
        for r in emulator.requests()
        if r["received_at"] >= min(starts.values())
        and not (isinstance(r["json"], dict) and r["json"].get("to") in numbers)
    ]
    return {
        "state": state,
        "delivered": len(per_number),
        "duplicates": sum(1 for c in per_number.values() if c > 1),
        "msg_s": round(len(accepted) / span, 2) if span else 0.0,
        "requests": len(requests),
        "429s": got_429,
        "429_pct": round(100 * got_429 / max(len(requests), 1), 2),
        "jain": round(jain(rates), 3),
        "task_rates": [round(r, 2) for r in rates],
        "task_starts_s": sorted(round(t - min(starts.values()), 2) for t in starts.values()),
        "where_429": where_429,
        "other_requests": others[:40],
        "handoffs": handoffs(deployment, dag_id, run, by_task)
        if dag_id == VARIANTS["ours"]
        else [],
        "alert_429s": alert.throttled,
        "alert_delay_s": None if alert.delay is None else round(alert.delay, 2),
    }


def handoffs(
    deployment: Deployment, dag_id: str, run: str, by_task: dict[int, list[float]]
) -> list[dict[str, float]]:
    """Where each gap between two turns went, in seconds: the previous task's tail (its
    last acceptance to its end), the scheduler (that end to the next task queued), the
    executor (queued to started) and the next task's start-up (started to its first
    acceptance: DAG file parse, connection, pre-flight reads)."""
    # Airflow stamps wall-clock time; the emulator (a process on this machine) the
    # machine's monotonic clock, which every process shares.
    monotonic_epoch = time.time() - time.monotonic()

    def at(stamp: str | None) -> float:
        if not stamp:
            return float("nan")
        return datetime.fromisoformat(stamp).timestamp() - monotonic_epoch

    bulk = sorted(
        (ti for ti in deployment.task_instances(dag_id, run) if ti["map_index"] >= 0),
        key=lambda ti: at(ti["start_date"]),
    )
    firsts = {min(times): times for times in by_task.values()}
    turns = [firsts[t] for t in sorted(firsts)]
    gaps = []
    for (prev, nxt), (done, started) in zip(pairwise(bulk), pairwise(turns)):
        gaps.append(
            {
                "gap": round(started[0] - done[-1], 2),
                "tail": round(at(prev["end_date"]) - done[-1], 2),
                "scheduler": round(at(nxt["queued_when"]) - at(prev["end_date"]), 2),
                "executor": round(at(nxt["start_date"]) - at(nxt["queued_when"]), 2),
                "start_up": round(started[0] - at(nxt["start_date"]), 2),
            }
        )
    return gaps


def met(r: dict[str, Any], per_send: int) -> dict[str, bool]:
    return {
        "all once": r["state"] == "success" and r["delivered"] == per_send and not r["duplicates"],
        "rate": r["msg_s"] >= TARGET_RATE,
        "429s": r["429_pct"] <= 1.0,
        "alert": r["alert_429s"] == 0 and r["alert_delay_s"] is not None,
    }


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.shared_account")
    parser.add_argument("--tasks", default="1,2,4,8", help="bulk tasks at once, e.g. 1,2,4,8")
    parser.add_argument("--runs", type=int, default=10, help="runs of ours per task count")
    parser.add_argument("--baseline-runs", type=int, default=1, help="baseline runs per count")
    parser.add_argument("--per-send", type=int, default=240, help="recipients per send")
    parser.add_argument("--alert-after", type=float, default=3.0)
    parser.add_argument(
        "--scheduler-idle-sleep",
        type=float,
        default=None,
        help="[scheduler] scheduler_idle_sleep_time (Airflow's default: 1 s)",
    )
    parser.add_argument(
        "--results", default="shared_account", help="benchmarks/results/<this>.json"
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop)  # the deployment stops on kill, as on Ctrl-C
    counts = [int(n) for n in args.tasks.split(",")]
    banner(f"One account, {args.tasks} bulk tasks at once: {args.per_send} recipients a send")
    rows: list[dict[str, Any]] = []
    block = 1_655_100
    env = {}
    if args.scheduler_idle_sleep is not None:
        env["AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME"] = str(args.scheduler_idle_sleep)
    with e2e_deployment(ROOT.parent / ".e2e-shared", env=env) as deployment:
        quiet(deployment)
        plan = [("baseline", n) for n in counts for _ in range(args.baseline_runs)]
        plan += [("ours", n) for _ in range(args.runs) for n in counts]
        for i, (variant, n) in enumerate(plan, 1):
            result = one_send(
                deployment, VARIANTS[variant], block, n, args.per_send, args.alert_after
            )
            block += 1
            result.update(variant=variant, tasks=n)
            result["met"] = met(result, args.per_send)
            rows.append(result)
            print(
                f"[{i}/{len(plan)}] {variant} {n} task(s): {result['msg_s']} msg/s, "
                f"{result['429s']} x 429 of {result['requests']} ({result['429_pct']} %), "
                f"Jain {result['jain']} {result['task_rates']}, alert after "
                f"{result['alert_429s']} x 429 in {result['alert_delay_s']} s, "
                f"{result['delivered']} delivered, {result['duplicates']} duplicates, "
                f"hand-offs {result['handoffs']} "
                f"{verdict(all(result['met'].values()))}",
                flush=True,
            )
        database = deployment.database
    print(
        table(
            [
                "variant",
                "tasks",
                "runs",
                "msg/s min-max",
                "429 % max",
                "Jain min",
                "alert 429s max",
                "all met",
            ],
            [
                [
                    variant,
                    n,
                    len(sel),
                    f"{min(r['msg_s'] for r in sel)}-{max(r['msg_s'] for r in sel)}",
                    max(r["429_pct"] for r in sel),
                    min(r["jain"] for r in sel),
                    max(r["alert_429s"] for r in sel),
                    f"{sum(all(r['met'].values()) for r in sel)}/{len(sel)}",
                ]
                for variant in VARIANTS
                for n in counts
                if (sel := [r for r in rows if r["variant"] == variant and r["tasks"] == n])
            ],
        )
    )
    ours = [r for r in rows if r["variant"] == "ours"]
    ok = all(all(r["met"].values()) for r in ours)
    print(f"targets (>= {TARGET_RATE}/s, <= 1 % 429s, alert at first attempt) in every run "
          f"of ours: {verdict(ok)}; database: {database}")  # fmt: skip
    save(
        args.results,
        {
            "per_send": args.per_send,
            "scheduler_idle_sleep_time": args.scheduler_idle_sleep,
            "database": database,
            "runs": rows,
        },
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
