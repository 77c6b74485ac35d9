"""``make demo``'s own logic: reading the emulator's records and judging each DAG's run.

The demo itself (``airflow dags test`` of every example, ~1 minute) is run by hand; these
tests keep its verdicts honest: a wrong state, a missing or refused message, or a template
the sync did not create and get approved each make it exit non-zero.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import demo.run as demo

MESSAGES = "/whatsapp-business/v21.0/100000000000001/messages"


def send(payload: dict[str, Any], status: int = 200) -> dict[str, Any]:
    return {"method": "POST", "path": MESSAGES, "json": payload, "status": status}


def outcome(name: str, rc: int, state: str, requests: list[dict[str, Any]], **kw: Any) -> Any:
    dag = next(d for d in demo.DEMO_DAGS if d.dag_id == name)
    result = demo.DagOutcome(dag, rc, state, 1.0, requests, **kw)
    demo.check(result)
    return result


def test_constants_and_windows_come_from_the_example_files() -> None:
    assert demo.windows_to_open() == ["15550100001", "15550100010"]
    assert demo.example_constant("whatsapp_failure_alerts", "ALERT_TEMPLATE") in demo.PREAPPROVED
    with pytest.raises(KeyError):
        demo.example_constant("whatsapp_failure_alerts", "NO_SUCH_NAME")


def test_describe_gives_the_gist_of_each_message_type() -> None:
    template = {
        "type": "template",
        "template": {
            "name": "daily_summary",
            "components": [{"type": "body", "parameters": [{"type": "text", "text": "Ana"}]}],
        },
    }
    assert demo.describe(template) == "daily_summary [Ana]"
    assert demo.describe({"type": "text", "text": {"body": "a\nb"}}) == "a\nb"
    assert demo.shorten("❌ failed\nDAG: x\n\nTask: y", 80) == "❌ failed | DAG: x | Task: y"
    assert demo.shorten("x" * 10, 5) == "xxxx…"
    image = {"type": "image", "image": {"link": "https://e.com/a.png", "caption": "c"}}
    assert demo.describe(image) == "c <https://e.com/a.png>"
    button = {"type": "interactive", "interactive": {"type": "button", "body": {"text": "ok?"}}}
    assert demo.describe(button) == "button: ok?"


def test_a_run_counts_only_when_state_exit_code_and_messages_are_as_designed() -> None:
    five = [send({"to": "1555", "type": "text", "text": {"body": "x"}})] * 5
    assert outcome("whatsapp_failure_alerts", 1, "failed", five).ok
    wrong_state = outcome("whatsapp_failure_alerts", 0, "success", five)
    assert wrong_state.problems == [
        "the run ended success, expected failed",
        "airflow dags test exited 0, expected 1",
    ]
    refused = outcome("whatsapp_failure_alerts", 1, "failed", [*five[:4], send({}, 400)])
    assert refused.problems == [
        "4 messages accepted, expected 5",
        "1 message sends were refused",
    ]
    read_receipt = send({"messaging_product": "whatsapp", "status": "read", "message_id": "w"})
    assert outcome("whatsapp_failure_alerts", 1, "failed", [*five, read_receipt]).ok


def test_the_sync_run_must_create_the_new_template_and_see_it_approved() -> None:
    create = {
        "method": "POST",
        "path": "/whatsapp-business/v21.0/2/message_templates",
        "json": {"name": "release_notice"},
        "status": 200,
    }
    approved = [{"name": "release_notice", "status": "APPROVED"}]
    assert outcome("whatsapp_template_sync", 0, "success", [create], templates=approved).ok
    pending = [{"name": "release_notice", "status": "PENDING"}]
    assert outcome(
        "whatsapp_template_sync", 0, "success", [create], templates=pending
    ).problems == ["template release_notice is PENDING"]
    assert outcome("whatsapp_template_sync", 0, "success", [], templates=approved).problems == [
        "template release_notice was not created by the sync"
    ]


def test_run_state_reads_the_dag_run_finished_line(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_text(
        "noise\n[info] DagRun Finished: dag_id=whatsapp_failure_alerts, logical_date=2026, "
        "run_id=manual__1, state=failed, run_type=manual\n"
    )
    assert demo.run_state(log, "whatsapp_failure_alerts") == "failed"
    assert demo.run_state(log, "other") == "unknown"


def test_a_foreign_work_folder_is_never_deleted(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    assert demo.main(["--workdir", str(tmp_path)]) == 2
    assert (tmp_path / "precious.txt").read_text() == "keep me"
