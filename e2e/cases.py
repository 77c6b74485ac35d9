"""Case drivers shared by the e2e tests and the deployment benchmark (one description)."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from demo.run import example_constant
from e2e.deployment import E2E_DAGS, Deployment, wait_for

KILL_RECIPIENTS = 300
KILL_AFTER = 100  # answers seen at the emulator before the SIGKILL
KILL_CONCURRENCY = 16  # e2e_bulk_kill's concurrency: the most that can be ambiguous


def dag_constant(module: str, name: str) -> Any:
    """A literal constant of an ``e2e/dags`` file, read without importing Airflow."""
    return example_constant(module, name, E2E_DAGS)


def bulk_conf(first: int, count: int) -> dict[str, int]:
    """The conf of an ``e2e_bulk_*`` run sending to ``first .. first + count - 1``: the
    block of 10,000 ``first`` opens, never a whole number (Airflow logs a run's conf)."""
    block, offset = divmod(first, 10_000)
    if offset:
        raise ValueError(f"first must open a block of 10,000, got one ending {offset:04d}")
    return {"block": block, "count": count}


def sends(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Message sends (not read receipts) among the emulator's requests."""
    return [
        r
        for r in requests
        if r["method"] == "POST"
        and r["path"].endswith("/messages")
        and isinstance(r["json"], dict)
        and "status" not in r["json"]
    ]


def to_monotonic(iso: str) -> float:
    """An Airflow timestamp on the emulator's clock (``time.monotonic``, machine-wide)."""
    wall = datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    return wall - (time.time() - time.monotonic())


@dataclass
class Alert:
    """The failure alert of ``e2e_alert_during_bulk``, sent while a bulk send runs."""

    delay: float | None
    """Seconds from the task's failure to the emulator; None when it never arrived."""
    throttled: int
    """429 answers the alert's own requests met."""


def alert_while_sending(
    deployment: Deployment, numbers: set[str], alert_after: float = 3.0
) -> Alert:
    """``alert_after`` s after the first of ``numbers`` got its message, fail the task of
    ``e2e_alert_during_bulk``: its ``on_failure_callback`` alerts through the same account."""
    emulator = deployment.emulator
    assert emulator is not None
    alert_phone = dag_constant("e2e_alert_during_bulk", "ALERT_PHONE")
    emulator.control("windows", {"phones": [alert_phone]})

    def to_alert(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [r for r in rows if r["to"] == alert_phone]

    def alert_sends() -> list[dict[str, Any]]:
        return [r for r in sends(emulator.requests()) if r["json"].get("to") == alert_phone]

    before, sent_before = len(to_alert(emulator.messages())), len(alert_sends())
    wait_for(
        "the bulk send's first answer",
        lambda: any(m["to"] in numbers for m in emulator.messages()),
        120,
        every=0.1,
    )
    time.sleep(alert_after)
    alert_run = deployment.trigger("e2e_alert_during_bulk")
    assert deployment.wait_run("e2e_alert_during_bulk", alert_run) == "failed"
    # The callback ran in the task's process before the try ended: the alert has landed
    # (or never will); a short bounded wait covers the answer still on its way.
    try:
        alerts = wait_for(
            "the alert at the emulator", lambda: to_alert(emulator.messages())[before:], 30
        )
    except TimeoutError:
        alerts = []
    throttled = sum(1 for r in alert_sends()[sent_before:] if r["status"] == 429)
    if not alerts:
        return Alert(None, throttled)
    assert len(alerts) == 1, f"{len(alerts)} alerts for one failure"
    # The failure: when the task logged its exception (the callback runs after that, in
    # the same process, before the try's end_date is written).
    events = deployment.task_log_events("e2e_alert_during_bulk", alert_run, "fail_now", 1)
    failed_at = next(
        e["timestamp"] for e in events if "Task failed with exception" in str(e.get("event"))
    )
    return Alert(float(alerts[0]["received_at"]) - to_monotonic(failed_at), throttled)


def alert_during_bulk(
    deployment: Deployment, first: int, count: int = 200, alert_after: float = 3.0
) -> float | None:
    """A bulk send at the default settings, emulator at 10/s; an alert from another DAG
    ``alert_after`` s into it. The alert's delay from the task's failure to the emulator
    (seconds), or None when it never arrived."""
    emulator = deployment.emulator
    assert emulator is not None
    emulator.configure(rate_limit=10)  # Maton's per-account limit
    numbers = {str(n) for n in range(first, first + count)}
    bulk_run = deployment.trigger("e2e_bulk_default", bulk_conf(first, count))
    alert = alert_while_sending(deployment, numbers, alert_after)
    bulk_state = deployment.wait_run("e2e_bulk_default", bulk_run, 180)
    assert bulk_state == "success"
    return alert.delay


# -- a deferrable sensor in the triggerer ----------------------------------------------------
def template_status(deployment: Deployment, label: str) -> str:
    """``e2e_template_status``: both sensors seen deferred through the REST API, then one
    template approved (success) and one rejected (fails fast, the reason in its log). The
    run's id."""
    emulator = deployment.emulator
    assert emulator is not None
    dag_id = "e2e_template_status"
    approved = dag_constant(dag_id, "APPROVED")
    rejected = dag_constant(dag_id, "REJECTED")
    timeout = dag_constant(dag_id, "TIMEOUT")
    emulator.configure(review_delay=None)  # no review by the clock: the test decides
    for name in (approved, rejected):
        emulator.add_template(name, status="PENDING")
    run = deployment.trigger(dag_id)

    def both_deferred() -> bool:
        states = deployment.task_states(dag_id, run)
        return states == {"wait_approved": "deferred", "wait_rejected": "deferred"}

    wait_for("both sensors deferred (REST API)", both_deferred, 120)
    deployment.say(f"{label} both sensors seen deferred through the REST API")
    # Approve only once the scheduler has the executor's report of each deferring try:
    # a trigger that fires before it makes the scheduler fail the task ("executor
    # reported ... finished with state success, but the task instance's state attribute
    # is queued"), an Airflow race a sensor waiting minutes for Meta never meets.
    scheduler_log = deployment.outputs / "scheduler.log"
    sensors = ("wait_approved", "wait_rejected")

    def deferrals_reported() -> bool:
        events = [
            line
            for line in scheduler_log.read_text(errors="replace").splitlines()
            if "Received executor event" in line and run in line
        ]
        return all(any(f"task_id='{t}'" in e for e in events) for t in sensors)

    wait_for("the executor's report of both deferrals", deferrals_reported, 60)
    reason = "INVALID_FORMAT"
    emulator.control("templates/status", {"name": approved, "status": "APPROVED"})
    emulator.control("templates/status", {"name": rejected, "status": "REJECTED", "reason": reason})
    assert deployment.wait_run(dag_id, run, 120) == "failed"
    assert deployment.task_states(dag_id, run) == {
        "wait_approved": "success",
        "wait_rejected": "failed",
    }
    ti = deployment.task_instance(dag_id, run, "wait_rejected")
    took = datetime.fromisoformat(ti["end_date"]) - datetime.fromisoformat(ti["start_date"])
    assert took.total_seconds() < timeout / 4, took
    log = deployment.task_log(dag_id, run, "wait_rejected", ti["try_number"])
    assert "REJECTED" in log and reason in log, log[-3000:]
    # The trigger ran in the triggerer, which wrote its own log next to the task's.
    trigger_logs = list(deployment.home.glob(f"logs/dag_id={dag_id}/**/*.log.trigger.*.log"))
    assert trigger_logs, "no trigger log file"
    return run


# -- a worker killed mid-bulk ---------------------------------------------------------------
def kill_mid_bulk(
    deployment: Deployment, first: int, kill: Callable[[dict[str, Any]], str], label: str
) -> dict[str, Any]:
    """Run ``e2e_bulk_kill``; after ~KILL_AFTER answers ``kill(ti)`` kills try 1 (the task
    instance as the REST API shows it; it says what it killed), then judge the retry: no
    duplicate, every recipient without a message reported ambiguous, at most
    KILL_CONCURRENCY ambiguous. The task instance after try 2."""
    emulator = deployment.emulator
    assert emulator is not None
    emulator.configure(rate_limit=None)  # the connection paces at 20/s itself
    numbers = {str(n) for n in range(first, first + KILL_RECIPIENTS)}
    dag_id = "e2e_bulk_kill"
    run = deployment.trigger(dag_id, bulk_conf(first, KILL_RECIPIENTS))

    def answered() -> int | None:
        n = sum(1 for m in emulator.messages() if m["to"] in numbers)
        return n if n >= KILL_AFTER else None

    wait_for(f"{KILL_AFTER} answers", answered, 120, every=0.1)
    ti = deployment.task_instance(dag_id, run, "bulk")
    assert ti["try_number"] == 1 and ti["state"] == "running", ti
    killed = kill(ti)
    time.sleep(1.0)  # what was on the wire lands
    before_retry = emulator.requests()
    reached = {r["json"]["to"] for r in sends(before_retry) if r["json"]["to"] in numbers}
    accepted_first = sum(1 for m in emulator.messages() if m["to"] in numbers)
    deployment.say(
        f"{label} SIGKILL {killed} after {accepted_first} answers "
        f"({len(reached)} requests had reached the emulator)"
    )

    state = deployment.wait_run(dag_id, run, 180)
    ti = deployment.task_instance(dag_id, run, "bulk")
    assert (state, ti["state"], ti["try_number"]) == ("success", "success", 2), ti
    result = deployment.xcom(dag_id, run, "bulk")
    summary = result["summary"]
    # Rows name recipients by position (XCom holds no numbers): recipient i is first + i.
    ambiguous = {str(first + r["index"]) for r in result["results"] if r["status"] == "ambiguous"}
    per_number = Counter(m["to"] for m in emulator.messages() if m["to"] in numbers)
    duplicates = sorted(n for n, c in per_number.items() if c > 1)
    never = set(numbers - set(per_number))
    # Reserved in the record, then killed before the bytes left: honestly ambiguous.
    reserved_unsent = (numbers - reached) & ambiguous
    deployment.say(
        f"{label} retry: {summary['accepted']} sent, {summary['skipped']} skipped as accepted, "
        f"{summary['ambiguous']} ambiguous (<= {KILL_CONCURRENCY}; {len(ambiguous & reached)}"
        f" had been delivered, {len(reserved_unsent)} never left); "
        f"{len(duplicates)} duplicates; {len(never)} without a message, "
        f"{len(never - ambiguous)} of them not reported ambiguous"
    )
    assert not duplicates, f"{len(duplicates)} recipients got more than one message"
    unsent = sorted((numbers - reached - ambiguous) - set(per_number))
    assert not unsent, (
        f"{len(unsent)} recipients whose request never reached the emulator, and not reported "
        "ambiguous, were not sent by the retry"
    )
    assert not never - ambiguous, f"{len(never - ambiguous)} recipients got no message"
    assert len(ambiguous) == summary["ambiguous"] <= KILL_CONCURRENCY
    assert summary["accepted"] + summary["skipped"] + summary["ambiguous"] == KILL_RECIPIENTS
    if deployment.airflow_version() >= (3, 3):
        # The record try 2 continued from was in the task's state store, which now holds
        # its completion marker (with the deployment's retention); no Variable was written.
        store = deployment.task_state_store(dag_id, run, "bulk")
        assert list(store) == ["whatsapp_bulk_record"], sorted(store)
        marker = json.loads(store["whatsapp_bulk_record"]["value"])
        assert marker["done"] is True and marker["tries"] == 2, marker
        assert store["whatsapp_bulk_record"]["expires_at"] is not None
        assert deployment.variable_keys("whatsapp_bulk__") == []
    return ti
