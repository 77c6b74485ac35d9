"""The provider in a real Airflow deployment (``make e2e``): cases a-f of issue 10, g of 13,
h of 18, i of 20.

Every DAG is triggered through the REST API and judged from the emulator's record, the
REST API and the log files; every wait is bounded. The cases run in this order (the scans,
h for phone numbers and f for the key, come last so that they see everything the others
wrote).
"""

from __future__ import annotations

import os
import re
import signal
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from airflow_provider_whatsapp.messages import mask_phone
from demo.run import DEMO_DAGS, example_constant
from e2e.cases import alert_during_bulk, dag_constant, kill_mid_bulk, sends, template_status
from e2e.deployment import Deployment, wait_for
from tests.helpers import digits, number_leaks


# -- a. the example DAGs ------------------------------------------------------------------
def test_a_example_dags_end_as_designed(deployment: Deployment) -> None:
    emulator = deployment.emulator
    assert emulator is not None
    # All at once, triggered as a user does through the REST API: with no logical date
    # (so the examples must not render {{ ds }}).
    runs = {d.dag_id: deployment.trigger(d.dag_id) for d in DEMO_DAGS}
    states = {dag_id: deployment.wait_run(dag_id, run, 300) for dag_id, run in runs.items()}
    deployment.say(f"a. example DAGs: {states}")
    assert states == {d.dag_id: d.expected_state for d in DEMO_DAGS}

    alerts = "whatsapp_failure_alerts"
    assert deployment.task_states(alerts, runs[alerts]) == {
        "load_orders": "failed",
        "export_report": "failed",
        "publish": "upstream_failed",
    }
    assert deployment.task_instance(alerts, runs[alerts], "load_orders")["try_number"] == 2
    recipients = {
        alerts: {
            digits(example_constant(alerts, "ONCALL_PHONE")),
            *map(digits, example_constant(alerts, "ONCALL_TEAM")),
        },
        "whatsapp_pipeline_notifications": {"15550100101", "15550100102", "15550100103"},
        "whatsapp_send_operators": {
            digits(example_constant("whatsapp_send_operators", "CUSTOMER_PHONE"))
        },
        "whatsapp_template_sync": set(),
    }

    # The scheduled examples (@daily) may also get a run of their own from the scheduler
    # once unpaused: every run sends its messages (to each recipient once per run), so the
    # expectation scales with the runs each DAG had, all waited to their end.
    def all_runs(dag_id: str) -> list[str]:
        found = deployment.api("GET", f"/api/v2/dags/{dag_id}/dagRuns")["dag_runs"]
        ids = [r["dag_run_id"] for r in found]
        for run_id in ids:
            deployment.wait_run(dag_id, run_id, 300)
        return ids

    run_counts = {d.dag_id: len(all_runs(d.dag_id)) for d in DEMO_DAGS}
    deployment.say(f"a. runs per example DAG: {run_counts}")
    # The DAG-level alert comes from the dag-processor after the run ends: wait for it.
    expected = {d.dag_id: d.expected_messages * run_counts[d.dag_id] for d in DEMO_DAGS}

    def counted() -> dict[str, int] | None:
        tos = Counter(m["to"] for m in emulator.messages())
        got = {dag_id: sum(tos[t] for t in numbers) for dag_id, numbers in recipients.items()}
        return got if got == expected else None

    try:
        wait_for("every example's messages", counted, 60)
    except TimeoutError:
        tos = Counter(m["to"] for m in emulator.messages())
        pytest.fail(f"messages per recipient {dict(tos)}, expected per DAG {expected}")
    # Four DAGs send at once through one Maton account, each worker pacing itself: the
    # gateway may answer 429, which the client retries (the counts above prove every
    # message arrived once). Any other answer would be a refusal.
    statuses = Counter(r["status"] for r in sends(emulator.requests()))
    deployment.say(f"a. answers to the examples' sends: {dict(statuses)}")
    assert set(statuses) <= {200, 429}, statuses
    # The sync created release_notice once (its scheduled run and ours share the account:
    # when both plan at the same moment both ask, and the API refuses the second, 400
    # "already exists", as Meta does) and the deferred sensors saw it approved.
    creates = [
        r
        for r in emulator.requests()
        if r["method"] == "POST" and r["path"].endswith("/message_templates")
    ]
    refused = sum(1 for r in creates if r["status"] != 200)
    deployment.say(f"a. template creates: {len(creates)} asked, {refused} refused")
    assert [r["json"]["name"] for r in creates if r["status"] == 200] == ["release_notice"]
    status = {t["name"]: t["status"] for t in emulator.templates()}
    assert status["release_notice"] == "APPROVED"


# -- b. task- and DAG-level alerts ---------------------------------------------------------
def test_b_task_and_dag_level_alerts_arrive(deployment: Deployment) -> None:
    emulator = deployment.emulator
    assert emulator is not None
    task_phone = dag_constant("e2e_alerts", "TASK_PHONE")
    dag_phone = dag_constant("e2e_alerts", "DAG_PHONE")
    emulator.control("windows", {"phones": [task_phone, dag_phone]})
    run = deployment.trigger("e2e_alerts")
    assert deployment.wait_run("e2e_alerts", run) == "failed"

    def both() -> dict[str, str] | None:
        texts = {
            m["to"]: m["payload"]["text"]["body"]
            for m in emulator.messages()
            if m["type"] == "text" and m["to"] in {task_phone, dag_phone}
        }
        return texts if {task_phone, dag_phone} <= set(texts) else None

    texts = wait_for("both alerts at the emulator", both, 60)
    task_alert, dag_alert = texts[task_phone], texts[dag_phone]
    deployment.say(f"b. task alert:\n{task_alert}\n   DAG alert:\n{dag_alert}")
    error = dag_constant("e2e_alerts", "ERROR")
    assert task_alert.startswith("❌ Airflow task failed")
    assert "\nDAG: e2e_alerts\n" in task_alert and "\nTask: boom\n" in task_alert
    assert f"\nError: ValueError: {error}" in task_alert
    assert dag_alert.startswith("❌ Airflow DAG run failed")
    assert "\nDAG: e2e_alerts\n" in dag_alert and "\nLast task: boom\n" in dag_alert
    assert f"\nRun: {run}\n" in dag_alert and "\nReason: task_failure" in dag_alert

    # The DAG-level callback ran in the dag-processor: its log there names the send (the
    # line may land a moment after the message did: wait for it, bounded).
    def processor_log() -> str:
        logs = (deployment.home / "logs" / "dag_processor").rglob("e2e_alerts.py.log")
        return "\n".join(p.read_text(errors="replace") for p in logs)

    try:
        wait_for("the send in the dag-processor's log", lambda: "WhatsApp" in processor_log(), 30)
    except TimeoutError:
        pytest.fail(f"no WhatsApp line in the dag-processor log:\n{processor_log()[-2000:]}")


# -- c. the deferrable sensor in the triggerer -------------------------------------------------
def test_c_deferred_sensor_succeeds_on_approval_and_fails_fast_on_rejection(
    deployment: Deployment,
) -> None:
    template_status(deployment, "c.")


# -- d. kill mid-bulk ---------------------------------------------------------------------
def _kill_mid_bulk(deployment: Deployment, first: int, victims: tuple[str, ...]) -> None:
    """Run e2e_bulk_kill, SIGKILL ``victims`` of try 1 after ~KILL_AFTER answers, judge."""

    def kill(ti: dict[str, Any]) -> str:
        pids = deployment.worker_pids(ti["id"])
        assert set(victims) <= set(pids), f"processes of try 1: {pids}"
        for victim in victims:
            os.kill(pids[victim], signal.SIGKILL)
        return f"{'+'.join(victims)} of try 1"

    kill_mid_bulk(deployment, first, kill, "d.")


def test_d1_kill_task_runner_mid_bulk(deployment: Deployment) -> None:
    _kill_mid_bulk(deployment, 15550400000, ("runner",))


def test_d2_kill_runner_and_supervisor_mid_bulk(deployment: Deployment) -> None:
    _kill_mid_bulk(deployment, 15550410000, ("runner", "supervisor"))


# -- e. an alert during a bulk send ------------------------------------------------------------
def test_e_alert_during_bulk_is_delivered(deployment: Deployment) -> None:
    delay = alert_during_bulk(deployment, 15550500000)
    deployment.say(
        "e. alert during bulk: "
        + ("LOST" if delay is None else f"delivered {delay:.1f}s after the task failed")
    )
    assert delay is not None, "the failure alert never reached the emulator"


# -- g. deadline alerts from the triggerer and (3.2+) an executor ------------------------------
def test_g_missed_deadline_alerts_from_the_triggerer_while_the_task_runs(
    deployment: Deployment,
) -> None:
    from airflow_provider_whatsapp.version_compat import HAS_SYNC_DEADLINE_CALLBACK

    emulator = deployment.emulator
    assert emulator is not None
    dag_id = "e2e_deadline"
    phone = dag_constant(dag_id, "DEADLINE_PHONE")
    worker_phone = dag_constant(dag_id, "EXECUTOR_DEADLINE_PHONE")
    emulator.control("windows", {"phones": [phone, worker_phone]})
    run = deployment.trigger(dag_id)
    slow = dag_constant(dag_id, "SLOW_SECONDS")

    def alert(to: str = phone) -> dict[str, Any] | None:
        return next((m for m in emulator.messages() if m["to"] == to), None)

    message = wait_for("the deadline alert at the emulator", alert, slow)
    # Still running when it arrived: the alert came on time from the triggerer, not
    # from a callback at the run's end.
    assert deployment.task_states(dag_id, run) == {"slow": "running"}
    assert deployment.run(dag_id, run)["state"] == "running"
    text = message["payload"]["text"]["body"]
    deployment.say(f"g. deadline alert while the task runs:\n{text}")
    lines = text.splitlines()
    assert lines[:3] == ["⏰ Airflow deadline missed", f"DAG: {dag_id}", f"Run: {run}"]
    deadline = dag_constant(dag_id, "DEADLINE_SECONDS")
    assert re.fullmatch(
        rf"Deadline: \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d UTC \({deadline}\.0s after queued\)",
        lines[3],
    ), lines[3]
    assert re.fullmatch(r"Missed by: \d+\.\ds", lines[4]), lines[4]
    assert "State: running" in lines
    assert lines[-1] == f"Link: {deployment.api_url}/dags/{dag_id}/runs/{quote(run)}"
    # The triggerer sent it: its output logs the send.
    log = (deployment.outputs / "triggerer.log").read_text(errors="replace")
    assert f"WhatsApp notification sent to {mask_phone(phone)}" in log, log[-3000:]
    if HAS_SYNC_DEADLINE_CALLBACK:  # the SyncCallback: an executor sends it, named
        on_worker = wait_for(
            "the executor's deadline alert at the emulator", lambda: alert(worker_phone), slow
        )
        assert deployment.task_states(dag_id, run) == {"slow": "running"}
        worker_text = on_worker["payload"]["text"]["body"]
        deployment.say(f"g. deadline alert from the executor:\n{worker_text}")
        name = dag_constant(dag_id, "EXECUTOR_ALERT_NAME")
        assert worker_text.splitlines()[:3] == [
            f"⏰ Airflow deadline missed: {name}",
            f"DAG: {dag_id}",
            f"Run: {run}",
        ]
        sent = f"WhatsApp notification sent to {mask_phone(worker_phone)}"
        triggerer = (deployment.outputs / "triggerer.log").read_text(errors="replace")
        assert sent not in triggerer  # not the triggerer's: the executor's
        executor = (deployment.outputs / "scheduler.log").read_text(errors="replace")
        assert sent in executor, executor[-3000:]
    # One alert per missed deadline; the run itself still succeeds.
    assert deployment.wait_run(dag_id, run, 120) == "success"
    assert [m["to"] for m in emulator.messages()].count(phone) == 1
    if HAS_SYNC_DEADLINE_CALLBACK:
        assert [m["to"] for m in emulator.messages()].count(worker_phone) == 1


# -- i. an approval asked on WhatsApp, answered through the REST API ----------------------------
def test_i_approval_request_arrives_with_a_working_link_and_the_answer_resumes_the_run(
    deployment: Deployment,
) -> None:
    emulator = deployment.emulator
    assert emulator is not None
    dag_id = "e2e_approval"
    phone = dag_constant(dag_id, "APPROVER_PHONE")
    emulator.control("windows", {"phones": [phone]})
    run = deployment.trigger(dag_id)

    def request() -> dict[str, Any] | None:
        return next((m for m in emulator.messages() if m["to"] == phone), None)

    message = wait_for("the approval request at the emulator", request, 120)
    interactive = message["payload"]["interactive"]
    text = interactive["body"]["text"]
    link = interactive["action"]["parameters"]["url"]
    deployment.say(f"i. approval request as received:\n{text}\n   button: {link}")
    assert interactive["type"] == "cta_url"
    assert interactive["action"]["parameters"]["display_text"] == "Answer in Airflow"
    lines = text.splitlines()
    assert lines[:3] == [
        "✋ Airflow needs your answer",
        f"*{dag_constant(dag_id, 'SUBJECT')}*",
        dag_constant(dag_id, "BODY"),
    ]
    assert "Options: Approve, Reject" in lines and f"Run: {run}" in lines
    assert any(
        re.fullmatch(r"Answer by: .* UTC \((in 59m \d\ds|in 1h 00m)\); unanswered: Reject", x)
        for x in lines
    )
    assert link == (
        f"{deployment.api_url}/dags/{dag_id}/runs/{quote(run, safe='')}"
        "/tasks/approve/required_actions"
    )
    # The link works: the api-server serves the UI's page there.
    page = httpx.get(link, timeout=60, follow_redirects=True)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"], page
    # The task waits for the answer (3.3+: awaiting_input; before: deferred to the triggerer).
    waiting = {"awaiting_input", "deferred"}

    def parked() -> bool:
        return deployment.task_states(dag_id, run).get("approve") in waiting

    wait_for("the approval task waiting for its answer", parked, 120)
    # Answer only once the scheduler has the executor's report of the try that parked:
    # an answer before it makes the scheduler fail the task ("executor reported ...
    # finished with state success, but the task instance's state attribute is queued"),
    # the Airflow race case c waits out too; a person never answers that fast.
    scheduler_log = deployment.outputs / "scheduler.log"

    def parking_reported() -> bool:
        return any(
            "Received executor event" in line and run in line and "task_id='approve'" in line
            for line in scheduler_log.read_text(errors="replace").splitlines()
        )

    wait_for("the executor's report of the parked try", parking_reported, 60)
    answer = deployment.api(
        "PATCH",
        f"/api/v2/dags/{dag_id}/dagRuns/{run}/taskInstances/approve/-1/hitlDetails",
        json={"chosen_options": ["Approve"]},
    )
    assert answer["chosen_options"] == ["Approve"], answer
    assert deployment.wait_run(dag_id, run, 180) == "success"
    assert deployment.task_states(dag_id, run) == {"approve": "success", "publish": "success"}
    assert [m["to"] for m in emulator.messages()].count(phone) == 1


# -- h. phone numbers only masked in logs and outputs -------------------------------------------
def _scanned_text(path: Path) -> str:
    return path.read_text(errors="replace")


def test_h_no_full_phone_number_in_any_log_or_output(deployment: Deployment) -> None:
    """Every number the e2e DAGs sent to (the emulator's record of every send: accepted,
    refused, or in flight when a worker was killed) and those ``e2e_numbers`` holds that
    are never sent (invalid), in any form (``+44 7700 900201``, ``447700900201``, spaced,
    dashed, its national part), in no task log, no dag-processor or triggerer log under
    ``AIRFLOW_HOME/logs``, no component's output and not in the emulator's own output."""
    emulator = deployment.emulator
    assert emulator is not None
    dag_id = "e2e_numbers"
    opened = [digits(n) for n in dag_constant(dag_id, "OPEN")]
    emulator.control("windows", {"phones": opened})
    run = deployment.trigger(dag_id)
    assert deployment.wait_run(dag_id, run) == "failed"
    assert deployment.task_states(dag_id, run) == {
        "send_text": "success",
        "send_template": "success",
        "bulk": "failed",
        "send_closed_window": "failed",
    }
    task_alert = digits(dag_constant(dag_id, "TASK_ALERT")[0])
    dag_alert = digits(dag_constant(dag_id, "DAG_ALERT")[0])
    wait_for(  # the DAG-level alert comes from the dag-processor after the run ended
        "both alerts at the emulator",
        lambda: {task_alert, dag_alert} <= {m["to"] for m in emulator.messages()},
        60,
    )
    requests = sends(emulator.requests())
    sent_to = {r["json"]["to"] for r in requests if isinstance(r["json"].get("to"), str)}
    sent_to |= {m["to"] for m in emulator.messages()}
    assert set(opened) | {digits(dag_constant(dag_id, "CLOSED"))} <= sent_to
    invalid = dag_constant(dag_id, "INVALID")
    numbers = sent_to | set(invalid)

    # The provider wrote about them, masked (the scan below reads the real thing).
    def task_log(task_id: str) -> str:
        try_number = deployment.task_instance(dag_id, run, task_id)["try_number"]
        return deployment.task_log(dag_id, run, task_id, try_number)

    log = task_log("bulk")
    assert f"phone number {mask_phone(invalid[1])} is too short for country +44" in log, log
    log = task_log("send_text")
    assert f"Sent text message to {mask_phone(opened[0])}" in log, log

    files = [p for p in (deployment.home / "logs").rglob("*") if p.is_file()]
    files += [*deployment.output_files(), deployment.workdir / "emulator.log"]
    assert any(f"dag_id={dag_id}" in str(p) for p in files)  # the scan sees this run's logs
    leaks: dict[str, list[str]] = {}
    for path in files:
        found = number_leaks(_scanned_text(path), numbers)
        if found:
            leaks[str(path.relative_to(deployment.workdir))] = sorted(found)[:5]
    deployment.say(
        f"h. {len(numbers)} numbers (sent to: {len(sent_to)}) looked for in {len(files)} "
        f"log files and outputs: {leaks or 'none found'}"
    )
    assert not leaks, f"numbers in full: {leaks}"


# -- f. the key stays secret ----------------------------------------------------------------
def test_f_key_in_no_file_output_or_database_row(deployment: Deployment) -> None:
    key = deployment.api_key.encode()
    assert key.startswith(b"e2e-maton-") and len(key) > 30
    home = [p for p in deployment.home_files() if key in p.read_bytes()]
    outputs = [p for p in deployment.output_files() if key in p.read_bytes()]
    files = sum(1 for _ in deployment.home_files())
    assert files > 20 and len(deployment.output_files()) >= 5  # the scan saw real material
    assert not home, f"key found in {home}"
    assert not outputs, f"key found in component output {outputs}"
    if deployment.postgres is None:
        pytest.fail(f"no PostgreSQL to pg_dump ({deployment.database})")
    dump = deployment.postgres.dump()
    assert b"COPY public.task_instance" in dump and len(dump) > 100_000
    rows = [line for line in dump.splitlines() if key in line]
    assert not rows, f"key in {len(rows)} row(s) of the pg_dump"
    deployment.say(
        f"f. key absent from {files} files under AIRFLOW_HOME, "
        f"{len(deployment.output_files())} component outputs, a {len(dump) // 1024} KiB pg_dump"
    )


def test_every_component_still_running(deployment: Deployment) -> None:
    """Nothing crashed along the way (a dead triggerer would only show as a timeout)."""
    dead = [name for name, p in deployment.components.items() if not p.running]
    assert not dead, dead
