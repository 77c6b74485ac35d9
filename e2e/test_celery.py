"""The provider on CeleryExecutor (``make e2e-celery``): Redis as broker, two workers, the
rest as ``make e2e`` (issue 19).

a. a worker SIGKILLed mid-bulk (with every process below it): the scheduler's heartbeat
   timeout fails try 1, try 2 runs on the other worker, exactly once;
b. the deferrable template-status sensors resume on a worker after the triggerer;
c. four mapped bulk tasks share one account limited at 10/s: every message once;
d. a failure alert while (c) runs still arrives.

Each case prints its figures (``deployment.say``). The cases run in this order; (a)
restarts the worker it killed.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest

from e2e.cases import (
    Alert,
    alert_while_sending,
    bulk_conf,
    dag_constant,
    kill_mid_bulk,
    sends,
    template_status,
    to_monotonic,
)
from e2e.deployment import Deployment

MAPPED_DAG = "e2e_bulk_mapped"
MAPPED_FIRST = 15550810000
MAPPED_COUNT = 240  # PARTITIONS blocks of 60


# -- a. a whole worker killed mid-bulk ------------------------------------------------------
def test_a_worker_killed_mid_bulk_try_2_runs_on_the_other_worker(
    celery_deployment: Deployment,
) -> None:
    dep = celery_deployment
    killed: dict[str, Any] = {}

    def kill(ti: dict[str, Any]) -> str:
        name = ti["hostname"]
        assert name in dep.workers, f"try 1 ran on {name!r}, not on a worker {dep.workers}"
        killed["at"] = time.monotonic()
        pids = dep.kill_worker(name)
        killed["name"] = name
        return (
            f"worker {name} (celery pid {pids[0]} and the {len(pids) - 1} processes below it: "
            "pool, supervisor, task runner) running try 1"
        )

    def restart() -> None:  # the later cases want both workers
        if "name" in killed:
            dep.start_worker(killed["name"])
            dep.say(f"a. {killed['name']} restarted")

    try:
        ti = kill_mid_bulk(dep, 15550800000, kill, "a.")
    except Exception:  # a failed judgement; not Ctrl-C or SIGTERM: those stop everything
        restart()
        raise
    restart()
    path = f"/api/v2/dags/e2e_bulk_kill/dagRuns/{ti['dag_run_id']}/taskInstances/bulk/tries"
    tries = {t["try_number"]: t for t in dep.api("GET", path)["task_instances"]}
    retried_after = to_monotonic(ti["start_date"]) - killed["at"]
    dep.say(
        f"a. try 1 on {tries[1]['hostname']} ({tries[1]['state']}), try 2 on {ti['hostname']}, "
        f"started {retried_after:.1f}s after the kill (heartbeat timeout "
        f"{dep.env['AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT']}s)"
    )
    assert tries[1]["hostname"] == killed["name"]
    assert ti["hostname"] in dep.workers and ti["hostname"] != killed["name"], ti["hostname"]


# -- b. the deferrable sensor resumes on a worker --------------------------------------------
def test_b_deferred_sensor_resumes_on_a_worker(celery_deployment: Deployment) -> None:
    dep = celery_deployment
    run = template_status(dep, "b.")
    hosts = {ti["task_id"]: ti["hostname"] for ti in dep.task_instances("e2e_template_status", run)}
    dep.say(f"b. after their triggers the sensors resumed on {hosts}")
    assert set(hosts.values()) <= set(dep.workers), hosts


# -- c and d. four mapped bulk tasks on one account, an alert meanwhile -----------------------
@dataclass
class SharedSend:
    run: str
    state: str
    numbers: set[str]
    alert: Alert


@pytest.fixture(scope="module")
def shared_send(celery_deployment: Deployment) -> SharedSend:
    """``e2e_bulk_mapped`` on ``whatsapp_default`` (default settings), the emulator at
    Maton's 10/s per account, and the failure alert of ``e2e_alert_during_bulk`` during it."""
    dep = celery_deployment
    assert dep.emulator is not None
    dep.emulator.configure(rate_limit=10)
    numbers = {str(n) for n in range(MAPPED_FIRST, MAPPED_FIRST + MAPPED_COUNT)}
    run = dep.trigger(MAPPED_DAG, bulk_conf(MAPPED_FIRST, MAPPED_COUNT))
    alert = alert_while_sending(dep, numbers)
    state = dep.wait_run(MAPPED_DAG, run, 600)
    return SharedSend(run, state, numbers, alert)


def _rate(times: list[float]) -> str:
    if len(times) < 2:
        return "-"
    span = times[-1] - times[0]
    return f"{len(times) / span:.1f} msg/s over {span:.1f}s"


def test_c_four_mapped_bulk_tasks_share_one_account_every_message_once(
    celery_deployment: Deployment, shared_send: SharedSend
) -> None:
    dep, send = celery_deployment, shared_send
    emulator = dep.emulator
    assert emulator is not None
    partitions = dag_constant(MAPPED_DAG, "PARTITIONS")
    size = MAPPED_COUNT // partitions
    tis = sorted(
        (ti for ti in dep.task_instances(MAPPED_DAG, send.run) if ti["task_id"] == "bulk"),
        key=lambda ti: ti["map_index"],
    )
    messages = [m for m in emulator.messages() if m["to"] in send.numbers]
    requests = [r for r in sends(emulator.requests()) if r["json"].get("to") in send.numbers]
    for ti in tis:
        i = ti["map_index"]
        part = {str(MAPPED_FIRST + i * size + k) for k in range(size)}
        throttled = sum(1 for r in requests if r["json"]["to"] in part and r["status"] == 429)
        times = sorted(m["received_at"] for m in messages if m["to"] in part)
        summary: dict[str, Any] = {}
        if ti["state"] == "success":
            summary = dep.xcom(MAPPED_DAG, send.run, "bulk", map_index=i)["summary"]
        dep.say(
            f"c. map index {i} on {ti['hostname']} ({ti['state']}): "
            f"{summary.get('accepted', '?')} accepted at {summary.get('rate_per_s', '?')} "
            f"msg/s by its own clock ({summary.get('elapsed_s', '?')}s); at the emulator "
            f"{_rate(times)}, {throttled} answers 429"
        )
    statuses = Counter(r["status"] for r in requests)
    per_number = Counter(m["to"] for m in messages)
    dep.say(
        f"c. whole send: {len(messages)} of {MAPPED_COUNT} delivered, "
        f"{_rate(sorted(m['received_at'] for m in messages))}; answers {dict(statuses)} "
        f"({statuses.get(429, 0)} x 429 over {len(requests)} requests)"
    )
    assert send.state == "success", {ti["map_index"]: ti["state"] for ti in tis}
    assert [ti["map_index"] for ti in tis] == list(range(partitions))
    assert all(ti["hostname"] in dep.workers for ti in tis), [ti["hostname"] for ti in tis]
    duplicates = sorted(n for n, c in per_number.items() if c > 1)
    assert not duplicates, f"{len(duplicates)} recipients got more than one message"
    missing = send.numbers - set(per_number)
    assert not missing, f"{len(missing)} recipients got no message"
    # The four take turns in the account's pool (whatsapp_default, one slot), each spacing
    # its requests: at most 1 % of them meets a 429 (there were 42-54 before the pool).
    assert statuses.get(429, 0) <= 0.01 * len(requests), dict(statuses)


def test_d_alert_during_the_shared_send_arrives(
    celery_deployment: Deployment, shared_send: SharedSend
) -> None:
    alert = shared_send.alert
    celery_deployment.say(
        "d. alert during the mapped send: "
        + ("LOST" if alert.delay is None else f"delivered {alert.delay:.1f}s after the task failed")
        + f"; its own requests met {alert.throttled} answers 429"
    )
    assert alert.delay is not None, "the failure alert never reached the emulator"
    # The bulk tasks keep to 8 of the account's 10 requests/s: the alert finds room.
    assert alert.throttled == 0, f"the alert met {alert.throttled} answers 429 first"


def test_every_component_still_running(celery_deployment: Deployment) -> None:
    """Nothing crashed along the way (the worker killed in (a) was restarted)."""
    dead = [name for name, p in celery_deployment.components.items() if not p.running]
    assert not dead, dead
