"""Case drivers shared by the e2e tests and the deployment benchmark (one description)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from demo.run import example_constant
from e2e.deployment import E2E_DAGS, Deployment, wait_for


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


def alert_during_bulk(
    deployment: Deployment, first: int, count: int = 200, alert_after: float = 3.0
) -> float | None:
    """A bulk send at the default settings, emulator at 10/s; an alert from another DAG
    ``alert_after`` s into it. The alert's delay from the task's failure to the emulator
    (seconds), or None when it never arrived."""
    emulator = deployment.emulator
    assert emulator is not None
    emulator.configure(rate_limit=10)  # Maton's per-account limit
    alert_phone = dag_constant("e2e_alert_during_bulk", "ALERT_PHONE")
    emulator.control("windows", {"phones": [alert_phone]})
    numbers = {str(n) for n in range(first, first + count)}
    bulk_run = deployment.trigger("e2e_bulk_default", bulk_conf(first, count))
    wait_for(
        "the bulk send's first answer",
        lambda: any(m["to"] in numbers for m in emulator.messages()),
        120,
        every=0.1,
    )
    time.sleep(alert_after)
    alert = alert_now(deployment)
    bulk_state = deployment.wait_run("e2e_bulk_default", bulk_run, 180)
    assert bulk_state == "success"
    return alert["delay_s"]


def alert_now(deployment: Deployment) -> dict[str, Any]:
    """Fail ``e2e_alert_during_bulk``'s task now; its alert's ``delay_s`` from the task's
    failure to the emulator (None when it never arrived) and the ``429s`` it met first.
    The alert phone's window must be open (``alert_during_bulk`` opens it)."""
    emulator = deployment.emulator
    assert emulator is not None
    alert_phone = dag_constant("e2e_alert_during_bulk", "ALERT_PHONE")
    mine = [r for r in sends(emulator.requests()) if r["json"]["to"] == alert_phone]
    alert_run = deployment.trigger("e2e_alert_during_bulk")
    assert deployment.wait_run("e2e_alert_during_bulk", alert_run) == "failed"
    attempts = [r for r in sends(emulator.requests()) if r["json"]["to"] == alert_phone]
    attempts = attempts[len(mine) :]
    accepted = [r for r in attempts if r["status"] == 200]
    met_429 = sum(1 for r in attempts if r["status"] == 429)
    if not accepted:
        return {"delay_s": None, "429s": met_429}
    assert len(accepted) == 1, f"{len(accepted)} alerts for one failure"
    # The failure: when the task logged its exception (the callback runs after that, in
    # the same process, before the try's end_date is written).
    events = deployment.task_log_events("e2e_alert_during_bulk", alert_run, "fail_now", 1)
    failed_at = next(
        e["timestamp"] for e in events if "Task failed with exception" in str(e.get("event"))
    )
    delay = float(accepted[0]["received_at"]) - to_monotonic(failed_at)
    return {"delay_s": delay, "429s": met_429}
