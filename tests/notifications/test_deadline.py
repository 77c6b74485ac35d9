"""``WhatsAppNotifier`` as a deadline alert (Airflow 3.1+), run the way the triggerer runs it.

Each test builds the ``AsyncCallback`` a DAG author writes, takes what Airflow stores of it
(its ``path`` and ``kwargs``), and hands that to Airflow's own ``CallbackTrigger`` with the
context the scheduler adds when a deadline is missed: plain dicts (the run as the REST API
dumps it, the deadline's id and time), no DAG, no task instance. A strict stand-in for the
triggerer's supervisor channel fails any blocking call from the event loop.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from airflow.sdk.definitions.deadline import AsyncCallback, DeadlineAlert, DeadlineReference

try:
    from airflow.triggers.callback import CallbackTrigger
except ImportError:  # Airflow 3.1: the same trigger under its first name
    from airflow.triggers.deadline import (  # type: ignore[no-redef]
        DeadlineCallbackTrigger as CallbackTrigger,
    )

from airflow_provider_whatsapp.notifications.whatsapp import (
    WhatsAppNotifier,
    deadline_message,
    send_whatsapp_notification,
)
from airflow_provider_whatsapp.testing import WhatsAppEmulator
from airflow_provider_whatsapp.version_compat import AIRFLOW_V_3_3_PLUS
from tests.dags import notify_failure as nf
from tests.helpers import FakeSupervisorComms

ONE, TWO = "15550300001", "15550300002"
direct = pytest.mark.whatsapp_emulator(rate_limit=None)


def missed_context(
    *, queued_ago: float = 25.0, deadline_after_queued: float = 10.0, run_id: str = "manual__r1"
) -> dict[str, Any]:
    """What ``Deadline.handle_miss`` adds as ``context`` (3.1-3.3): a JSON dump of the run,
    and the deadline's id and time (a datetime; ISO text once it went through JSON)."""
    now = datetime.now(timezone.utc)
    queued = now - timedelta(seconds=queued_ago)
    return {
        "dag_run": {
            "dag_run_id": run_id,
            "dag_id": "nightly_etl",
            "logical_date": None,
            "queued_at": queued.isoformat().replace("+00:00", "Z"),
            "start_date": (queued + timedelta(seconds=2)).isoformat().replace("+00:00", "Z"),
            "end_date": None,
            "state": "running",
            "run_type": "manual",
            "conf": {},
        },
        "deadline": {
            "id": str(uuid.uuid4()),
            "deadline_time": queued + timedelta(seconds=deadline_after_queued),
        },
    }


def assert_missed_alert(lines: list[str], context: dict[str, Any]) -> None:
    """The default deadline alert for :func:`missed_context` (queued 25 s ago, deadline 10 s
    after queuing, run ``manual__2026 01``), sent before now: missed by 15 s and the time
    the send took, which the clock read now bounds."""
    needed_by = context["deadline"]["deadline_time"]
    assert lines[:4] == [
        "⏰ Airflow deadline missed",
        "DAG: nightly_etl",
        "Run: manual__2026 01",
        f"Deadline: {needed_by:%Y-%m-%d %H:%M:%S} UTC (10.0s after queued)",
    ]
    missed = re.fullmatch(r"Missed by: (\d+\.\d)s", lines[4])
    since = (datetime.now(timezone.utc) - needed_by).total_seconds()
    assert missed and 14.0 <= float(missed.group(1)) <= since + 0.1
    assert lines[5] == "State: running"
    assert re.fullmatch(r"Running for: \d+\.\ds", lines[6])
    assert lines[7] == "Link: https://airflow.example.com/dags/nightly_etl/runs/manual__2026%2001"
    assert len(lines) == 8


async def run_as_triggerer(callback: AsyncCallback, context: dict[str, Any]) -> list[Any]:
    """Airflow's ``CallbackTrigger`` on the stored callback: the payloads it yields."""
    stored = callback.serialize()
    trigger = CallbackTrigger(
        callback_path=stored["path"], callback_kwargs={**stored["kwargs"], "context": context}
    )
    return [event.payload async for event in trigger.run()]


@pytest.fixture
def strict_triggerer(monkeypatch: pytest.MonkeyPatch) -> FakeSupervisorComms:
    from airflow.sdk.execution_time import task_runner

    comms = FakeSupervisorComms()
    monkeypatch.setattr(task_runner, "SUPERVISOR_COMMS", comms, raising=False)
    return comms


def states(payloads: list[Any]) -> list[str]:
    return [str(getattr(p["state"], "value", p["state"])) for p in payloads]


@direct
async def test_the_triggerer_sends_the_default_deadline_message(
    whatsapp_emulator_connection: WhatsAppEmulator,
    strict_triggerer: FakeSupervisorComms,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "https://airflow.example.com/")
    whatsapp_emulator_connection.open_window(ONE, TWO)
    callback = AsyncCallback(WhatsAppNotifier, kwargs={"to": [ONE, TWO]})
    assert callback.path == "airflow_provider_whatsapp.notifications.whatsapp.WhatsAppNotifier"
    context = missed_context(queued_ago=25, deadline_after_queued=10, run_id="manual__2026 01")

    payloads = await run_as_triggerer(callback, context)

    assert states(payloads) == ["running", "success"], payloads
    assert sorted(m.to for m in whatsapp_emulator_connection.messages) == [ONE, TWO]
    body = whatsapp_emulator_connection.messages[0].payload["text"]["body"]
    assert_missed_alert(body.splitlines(), context)
    # The connection came through the async path only: the key was masked with asend.
    masks = strict_triggerer.async_masks if AIRFLOW_V_3_3_PLUS else strict_triggerer.thread_masks
    assert (
        whatsapp_emulator_connection.api_key in masks
    )  # through the async channel, or a worker thread
    assert strict_triggerer.loop_sends == []  # never a blocking call from the event loop


@direct
async def test_templates_render_from_the_deadline_context(
    whatsapp_emulator_connection: WhatsAppEmulator, strict_triggerer: FakeSupervisorComms
) -> None:
    whatsapp_emulator_connection.open_window(ONE)
    whatsapp_emulator_connection.add_template(
        nf.TEMPLATE, components=[{"type": "BODY", "text": nf.TEMPLATE_BODY}]
    )
    text = AsyncCallback(
        send_whatsapp_notification,
        kwargs={
            "to": ONE,
            "text": "{{ dag_run.dag_id }} / {{ run_id }} late by {{ missed_by }}"
            " (due {{ deadline.deadline_time.strftime('%H:%M:%S') }}, {{ dag_run.state }})",
        },
    )
    template = AsyncCallback(
        send_whatsapp_notification,
        kwargs={
            "to": TWO,
            "template_name": nf.TEMPLATE,
            "parameters": ["{{ dag_id }}", "{{ run_id }}", "{{ missed_by }}"],
        },
    )
    context = missed_context(queued_ago=70, deadline_after_queued=10, run_id="scheduled__x")
    due = context["deadline"]["deadline_time"]

    for callback in (text, template):
        assert states(await run_as_triggerer(callback, context)) == ["running", "success"]

    sent_text, sent_template = whatsapp_emulator_connection.messages
    assert re.fullmatch(
        rf"nightly_etl / scheduled__x late by 1m 0\ds \(due {due:%H:%M:%S}, running\)",
        sent_text.payload["text"]["body"],
    ), sent_text.payload["text"]["body"]
    params = sent_template.payload["template"]["components"][0]["parameters"]
    assert [p["text"] for p in params][:2] == ["nightly_etl", "scheduled__x"]
    assert re.fullmatch(r"1m 0\ds", params[2]["text"])
    # What Airflow stored is untouched: the next missed deadline renders afresh.
    assert template.kwargs["parameters"] == ["{{ dag_id }}", "{{ run_id }}", "{{ missed_by }}"]


@direct
async def test_a_deadline_alert_nobody_got_fails_the_callback(
    whatsapp_emulator_connection: WhatsAppEmulator, strict_triggerer: FakeSupervisorComms
) -> None:
    """A task callback swallows a failed send (the task's failure stays what Airflow
    reports); a deadline callback hides nothing, so Airflow records it as failed."""
    closed = AsyncCallback(WhatsAppNotifier, kwargs={"to": ONE})  # window never opened
    payloads = await run_as_triggerer(closed, missed_context())
    assert states(payloads) == ["running", "failed"]
    assert "every send failed (1 recipient(s))" in payloads[-1]["body"]
    assert [r.status for r in whatsapp_emulator_connection.requests if r.json] == [400]

    nobody = AsyncCallback(WhatsAppNotifier, kwargs={"to": ""})
    payloads = await run_as_triggerer(nobody, missed_context())
    assert states(payloads) == ["running", "failed"]
    assert "WhatsApp deadline alert not sent: no recipient: 'to' is empty" in payloads[-1]["body"]
    assert (
        len([r for r in whatsapp_emulator_connection.requests if r.json]) == 1
    )  # nothing more was sent

    whatsapp_emulator_connection.open_window(
        ONE
    )  # one of two delivered: logged per recipient, success
    half = AsyncCallback(WhatsAppNotifier, kwargs={"to": [ONE, TWO]})
    assert states(await run_as_triggerer(half, missed_context())) == ["running", "success"]
    assert [m.to for m in whatsapp_emulator_connection.messages] == [ONE]
    assert sorted(r.status for r in whatsapp_emulator_connection.requests if r.json) == [
        200,
        400,
        400,
    ]
    assert whatsapp_emulator_connection.api_key not in str(payloads)


@direct
async def test_a_bad_recipient_fails_the_deadline_callback_after_the_others_got_it(
    whatsapp_emulator_connection: WhatsAppEmulator, strict_triggerer: FakeSupervisorComms
) -> None:
    """Stored kwargs are only turned into a notifier by the triggerer, when the deadline is
    missed: a typo there must not stop the valid recipients, and the callback then fails
    (Airflow records it) naming the bad ones, masked (a typo too)."""
    whatsapp_emulator_connection.open_window(ONE, TWO)
    team = ["12ab34cd56ef", ONE, "999999999999", TWO]
    for to in (team, ", ".join(team), "{{ dag_run.conf.team }}"):
        whatsapp_emulator_connection.reset()
        whatsapp_emulator_connection.open_window(ONE, TWO)
        callback = AsyncCallback(WhatsAppNotifier, kwargs={"to": to})
        context = missed_context()
        context["dag_run"]["conf"] = {"team": team}
        payloads = await run_as_triggerer(callback, context)
        assert states(payloads) == ["running", "failed"], to
        assert sorted(m.to for m in whatsapp_emulator_connection.messages) == [ONE, TWO]
        assert (
            whatsapp_emulator_connection.messages[0]
            .payload["text"]["body"]
            .startswith("⏰ Airflow deadline missed")
        )
        body = payloads[-1]["body"]
        assert (
            "InvalidRecipientError: WhatsApp notification not sent to 2 of 4 recipient(s) in "
            "'to', fix them (sent to 2 of the 2 others): recipient 1 of 4 (••••••••56ef): "
            "contains letters" in body
        ), body
        assert "recipient 3 of 4 (+••••••••9999): has no such country code" in body
    assert strict_triggerer.loop_sends == []


def test_deadline_message_from_iso_text_hours_and_thin_contexts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AIRFLOW__API__BASE_URL", raising=False)
    now = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
    context = {
        "dag_run": {
            "dag_run_id": "scheduled__2026-03-01",
            "dag_id": "reports",
            "queued_at": "2026-03-01T06:00:00Z",
            "start_date": "2026-03-01T06:00:05+00:00",
            "end_date": "2026-03-01T11:30:00Z",
            "state": "failed",
        },
        "deadline": {"id": "0199", "deadline_time": "2026-03-01T08:00:00+00:00"},
    }
    assert deadline_message(context, now).splitlines() == [
        "⏰ Airflow deadline missed",
        "DAG: reports",
        "Run: scheduled__2026-03-01",
        "Deadline: 2026-03-01 08:00:00 UTC (2h 00m after queued)",
        "Missed by: 4h 00m",
        "State: failed",
        "Took: 5h 29m",  # no Link: [api] base_url is not set
    ]
    assert deadline_message({"deadline": {}}, now) == "⏰ Airflow deadline missed\nDAG: ?"
    weeks = {"dag_run": {}, "deadline": {"deadline_time": now - timedelta(days=9, hours=5)}}
    assert "Missed by: 9d 05h" in deadline_message(weeks, now)
    naive = {"dag_run": {"dag_id": "d"}, "deadline": {"deadline_time": datetime(2026, 3, 1, 11)}}
    assert deadline_message(naive, now).splitlines()[2:] == [
        "Deadline: 2026-03-01 11:00:00 UTC",
        "Missed by: 1h 00m",
    ]


def test_a_dag_with_a_whatsapp_deadline_alert_serializes_with_an_importable_path() -> None:
    """What the dag-processor stores: the callback's path (importable on the triggerer)
    and its kwargs, which must hold no secret (only the connection id)."""
    from airflow.sdk import DAG
    from airflow.serialization import serialized_objects

    # DagSerialization from 3.2 on, SerializedDAG before.
    names = ("DagSerialization", "SerializedDAG")
    serializer = next(
        getattr(serialized_objects, n) for n in names if hasattr(serialized_objects, n)
    )

    alert = DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=timedelta(minutes=30),
        callback=AsyncCallback(
            send_whatsapp_notification, kwargs={"to": ONE, "whatsapp_conn_id": "oncall"}
        ),
    )
    with DAG("with_deadline", schedule=None, deadline=alert) as dag:
        pass
    text = str(serializer.to_dict(dag))
    assert "airflow_provider_whatsapp.notifications.whatsapp.WhatsAppNotifier" in text
    assert "'whatsapp_conn_id': 'oncall'" in text
