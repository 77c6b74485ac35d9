"""The example DAGs users copy: they parse cleanly and each runs end to end on the emulator.

Each run is one ``dag.test()`` with the emulator set up as the DAG's docstring asks (the
on-call and customer windows open, the templates it sends approved), and checks the
final state and exactly what the emulator received.
"""

from __future__ import annotations

import importlib
import json
import re
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from airflow_provider_whatsapp.testing import WhatsAppEmulator
from airflow_provider_whatsapp.version_compat import AIRFLOW_V_3_2_PLUS, AIRFLOW_V_3_3_PLUS
from tests.helpers import digits, task_states, xcom_of

EXAMPLES = Path(__file__).resolve().parents[2] / "example_dags"
EXAMPLE_IDS = {
    "whatsapp_failure_alerts",
    "whatsapp_template_sync",
    "whatsapp_pipeline_notifications",
    "whatsapp_send_operators",
    "whatsapp_approvals",
}
TEMPLATES_PATH = "/whatsapp-business/v21.0/200000000000001/message_templates"

pytestmark = pytest.mark.whatsapp_emulator(rate_limit=None)


def load_example(name: str, monkeypatch: pytest.MonkeyPatch, **env: str) -> ModuleType:
    """Import (or re-import, so parse-time settings from ``env`` apply) an example module."""
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    module_name = f"example_dags.{name}"
    if module_name in sys.modules:
        return importlib.reload(sys.modules[module_name])
    return importlib.import_module(module_name)


def example_template_specs(*names: str) -> list[dict[str, Any]]:
    """``WhatsAppEmulator.add_template`` arguments (APPROVED) for the example templates in
    ``example_dags/templates`` as a sync would create them (all of them without names)."""
    from airflow_provider_whatsapp.message_templates.loading import load_template_files

    loaded = load_template_files(EXAMPLES / "templates")
    assert not loaded.errors, loaded.errors
    specs = []
    for definition in loaded.templates:
        payload = definition.to_payload()
        if names and payload["name"] not in names:
            continue
        keep = ("name", "language", "category", "components", "parameter_format")
        specs.append({key: payload.get(key) for key in keep} | {"status": "APPROVED"})
    assert {s["name"] for s in specs} >= set(names), names
    return specs


def approve(emulator: WhatsAppEmulator, *names: str) -> None:
    for spec in example_template_specs(*names):
        emulator.add_template(**spec)


# -- parsing ------------------------------------------------------------------------------
def test_example_dags_parse_with_tags_docs_and_sdk_imports_only() -> None:
    if AIRFLOW_V_3_2_PLUS:
        from airflow.dag_processing.dagbag import DagBag
    else:  # 3.1: where it lived before 3.2 moved it
        from airflow.models.dagbag import DagBag  # type: ignore[no-redef]

    bag = DagBag(dag_folder=str(EXAMPLES))
    assert bag.import_errors == {}
    assert set(bag.dag_ids) == EXAMPLE_IDS
    for dag_id in EXAMPLE_IDS:
        dag = bag.dags[dag_id]
        assert {"example", "whatsapp"} <= set(dag.tags), dag_id
        assert dag.doc_md and "What it shows" in dag.doc_md, dag_id
    for stat in bag.dagbag_stats:  # parsing must stay cheap: it happens on every loop
        assert stat.duration.total_seconds() < 2.0, stat
    for path in EXAMPLES.glob("*.py"):
        modules = re.findall(r"^(?:from|import) (\S+)", path.read_text(), re.M)
        from_airflow = {m for m in modules if m == "airflow" or m.startswith("airflow.")}
        # The task SDK, and the standard provider's human-in-the-loop operators.
        allowed = ("airflow.sdk.", "airflow.providers.standard.operators.hitl")
        assert all(m == "airflow.sdk" or m.startswith(allowed) for m in from_airflow), path.name


def test_example_templates_are_valid_definitions() -> None:
    specs = {s["name"]: s for s in example_template_specs()}
    assert set(specs) == {"airflow_alert", "daily_summary", "release_notice"}
    assert specs["daily_summary"]["parameter_format"] == "NAMED"
    raw = yaml.safe_load((EXAMPLES / "templates" / "airflow_alert.yaml").read_text())
    assert raw["components"][0]["text"].count("{{") == 3  # task, DAG, try


def test_failure_alerts_example_has_a_whatsapp_deadline_alert(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The deadline the README shows: queued-at plus ``DEADLINE``, the notifier awaited by
    the triggerer (its path importable there), the on-call phone as the recipient."""
    from airflow.sdk.definitions.deadline import AsyncCallback, DeadlineReference

    ex = load_example("whatsapp_failure_alerts", monkeypatch)
    (alert,) = ex.dag.deadline
    assert alert.reference == DeadlineReference.DAGRUN_QUEUED_AT
    assert alert.interval == ex.DEADLINE
    assert isinstance(alert.callback, AsyncCallback)
    assert alert.callback.serialize() == {
        "path": "airflow_provider_whatsapp.notifications.whatsapp.WhatsAppNotifier",
        "kwargs": {"to": ex.ONCALL_PHONE},
    }


# -- running ------------------------------------------------------------------------------
@pytest.mark.dag
def test_failure_alerts_run_fails_by_design_and_alerts_arrive(
    airflow_db: Any, whatsapp_emulator_connection: WhatsAppEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    ex = load_example("whatsapp_failure_alerts", monkeypatch)
    approve(whatsapp_emulator_connection, ex.ALERT_TEMPLATE)
    whatsapp_emulator_connection.open_window(
        digits(ex.ONCALL_PHONE)
    )  # the team's numbers stay closed
    if not AIRFLOW_V_3_2_PLUS:
        # 3.1.8's dag.test() cannot create a run of a DAG with a DeadlineAlert (it reads the
        # run's queued_at before the run is stored); the alerts are what this test checks.
        ex.dag.deadline = None

    dr = ex.dag.test()

    assert dr.state == "failed"
    assert task_states(dr) == {
        "load_orders": "failed",
        "export_report": "failed",
        "publish": "upstream_failed",
    }
    oncall = [
        m.payload["text"]["body"]
        for m in whatsapp_emulator_connection.sent_to(digits(ex.ONCALL_PHONE))
    ]
    assert [text.splitlines()[0] for text in oncall] == [
        "🔁 Airflow task will retry",
        "❌ Airflow task failed",
        "❌ Airflow DAG run failed",
    ]
    error = "Error: ConnectionError: warehouse db.internal:5432 refused the connection"
    for text, try_number in zip(oncall[:2], (1, 2)):
        assert "\nTask: load_orders\n" in text and f"\nTry: {try_number}\n" in text
        # dag.test() before 3.3 puts no exception into callback contexts (a real worker does)
        assert (f"\n{error}\n" in text) is AIRFLOW_V_3_3_PLUS
        assert f"/tasks/load_orders?try_number={try_number}" in text
    assert f"\nRun: {dr.run_id}\n" in oncall[2] and "\nReason: task_failure" in oncall[2]

    templates = [m for m in whatsapp_emulator_connection.messages if m.type == "template"]
    assert sorted(m.to for m in templates) == sorted(map(digits, ex.ONCALL_TEAM))
    for message in templates:
        assert message.payload["template"] == {
            "name": "airflow_alert",
            "language": {"code": "en_US"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "export_report"},
                        {"type": "text", "text": "whatsapp_failure_alerts"},
                        {"type": "text", "text": "1"},
                    ],
                }
            ],
        }
    assert len(whatsapp_emulator_connection.messages) == 5
    assert all(r.status == 200 for r in whatsapp_emulator_connection.requests)


@pytest.mark.dag
@pytest.mark.whatsapp_emulator(rate_limit=None, review_delay=1.0, review_after_reads=1)
def test_template_sync_creates_the_new_template_and_waits_for_its_approval(
    airflow_db: Any, whatsapp_emulator_connection: WhatsAppEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    ex = load_example("whatsapp_template_sync", monkeypatch, WHATSAPP_EXAMPLE_POKE_INTERVAL="0.3")
    approve(
        whatsapp_emulator_connection, "airflow_alert", "daily_summary"
    )  # as after an earlier sync

    dr = ex.dag.test()

    assert dr.state == "success"
    assert task_states(dr) == {
        "sync_templates": "success",
        "templates_to_watch": "success",
        "wait_for_approval[0]": "success",
        "wait_for_approval[1]": "success",
        "wait_for_approval[2]": "success",
    }
    writes = [r for r in whatsapp_emulator_connection.requests if r.method != "GET"]
    (created,) = example_template_specs("release_notice")
    assert [(r.method, r.path) for r in writes] == [("POST", TEMPLATES_PATH)]
    assert writes[0].json == {
        "name": "release_notice",
        "language": "en_US",
        "category": "UTILITY",
        "components": created["components"],
    }
    assert {t["name"]: t["status"] for t in whatsapp_emulator_connection.templates} == {
        "airflow_alert": "APPROVED",
        "daily_summary": "APPROVED",
        "release_notice": "APPROVED",
    }
    counts = xcom_of(dr, "sync_templates")["counts"]
    assert {k: v for k, v in counts.items() if v} == {"created": 1, "unchanged": 2}
    # The new template was PENDING at first (a 1 s review that the first read never
    # sees pass): its sensor deferred and the trigger polled until the review passed.
    polls = Counter(
        r.query.get("name") for r in whatsapp_emulator_connection.requests if r.method == "GET"
    )
    assert polls["release_notice"] >= 2
    assert not whatsapp_emulator_connection.messages


@pytest.mark.dag
def test_pipeline_notifications_bulk_send_each_customer_their_summary(
    airflow_db: Any, whatsapp_emulator_connection: WhatsAppEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    ex = load_example("whatsapp_pipeline_notifications", monkeypatch)
    approve(whatsapp_emulator_connection, ex.SUMMARY_TEMPLATE)

    dr = ex.dag.test()

    assert dr.state == "success"
    assert set(task_states(dr).values()) == {"success"}

    def expected(to: str, name: str, count: str, total: str) -> dict[str, Any]:
        params = {"customer_name": name, "order_count": count, "total": total}
        return {
            "name": "daily_summary",
            "language": {"code": "en_US"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": v, "parameter_name": k} for k, v in params.items()
                    ],
                }
            ],
        }

    sent = {m.to: m.payload["template"] for m in whatsapp_emulator_connection.messages}
    assert sent == {  # from data/orders.csv; Dana has no phone number
        "15550100101": expected("15550100101", "Ana", "3", "$55.40"),
        "15550100102": expected("15550100102", "Bruno", "2", "$132.75"),
        "15550100103": expected("15550100103", "Chen", "1", "$64.25"),
    }
    summary = xcom_of(dr, "report")
    assert (summary["total"], summary["accepted"], summary["failed"]) == (3, 3, 0)
    results = xcom_of(dr, "notify_customers")["results"]
    # Named by position and masked number: no number in clear in XCom by default.
    assert sorted(r["index"] for r in results) == [0, 1, 2]
    assert not any(number in json.dumps(results) for number in sent)


@pytest.mark.dag
def test_send_operators_each_message_type_arrives(
    airflow_db: Any, whatsapp_emulator_connection: WhatsAppEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    ex = load_example("whatsapp_send_operators", monkeypatch)
    approve(whatsapp_emulator_connection, ex.SUMMARY_TEMPLATE)
    customer = digits(ex.CUSTOMER_PHONE)
    whatsapp_emulator_connection.open_window(customer)

    dr = ex.dag.test()

    assert dr.state == "success"
    states = task_states(dr)
    assert len(states) == 10 and set(states.values()) == {"success"}
    messages = whatsapp_emulator_connection.messages
    assert {m.to for m in messages} == {customer}
    by_type = Counter(m.type for m in messages)
    assert by_type == {
        "text": 1,
        "template": 1,
        "image": 1,
        "document": 1,
        "location": 1,
        "interactive": 2,
    }
    payload = {m.type: m.payload for m in messages if m.type != "interactive"}
    ds = dr.run_after.strftime("%Y-%m-%d")
    assert payload["text"]["text"]["body"].endswith(f"Your orders for {ds} are being processed.")
    assert payload["image"]["image"] == {
        "link": ex.IMAGE_URL,
        "caption": "Orders per day, last 30 days",
    }
    assert payload["location"]["location"]["name"] == "Pick-up point"
    assert payload["template"]["template"]["name"] == "daily_summary"
    kinds = sorted(m.payload["interactive"]["type"] for m in messages if m.type == "interactive")
    assert kinds == ["button", "list"]

    # The local file went up first and was sent by id; the separate upload was deleted.
    document = payload["document"]["document"]
    assert document["filename"] == f"orders-{ds}.csv"
    media = whatsapp_emulator_connection.media
    assert list(media) == [document["id"]]
    assert media[document["id"]]["data"] == ex.ATTACHMENT.read_bytes()
    uploads = [
        r
        for r in whatsapp_emulator_connection.requests
        if r.method == "POST" and r.path.endswith("/media")
    ]
    deletes = [r for r in whatsapp_emulator_connection.requests if r.method == "DELETE"]
    assert len(uploads) == 2 and len(deletes) == 1
    assert deletes[0].path.endswith(f"/{xcom_of(dr, 'upload_media')}")

    profile = xcom_of(dr, "update_profile")
    assert profile["about"] == "Order updates from the data team"
    assert profile["vertical"] == "RETAIL"


@pytest.mark.dag
def test_approval_example_fails_before_waiting_when_its_request_cannot_be_delivered(
    airflow_db: Any, whatsapp_emulator_connection: WhatsAppEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run as written, the example waits for a person (``make e2e`` case i answers it).
    With the approver's window closed the request is refused: the task fails at once,
    before waiting, and ``publish`` never runs. The refused request is the request."""
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "https://airflow.example.com/prod")
    ex = load_example("whatsapp_approvals", monkeypatch)

    dr = ex.dag.test()

    assert dr.state == "failed"
    assert task_states(dr) == {"approve_publish": "failed", "publish": "upstream_failed"}
    (refused,) = [r for r in whatsapp_emulator_connection.requests if r.path.endswith("/messages")]
    assert refused.status == 400  # 131047: outside the 24-hour window
    interactive = refused.json["interactive"]
    assert interactive["body"]["text"].splitlines()[:2] == [
        "✋ Airflow needs your answer",
        "*Publish this week's revenue report?*",
    ]
    url = interactive["action"]["parameters"]["url"]
    assert url.startswith("https://airflow.example.com/prod/dags/whatsapp_approvals/runs/")
    assert url.endswith("/tasks/approve_publish/required_actions")
