"""WhatsAppTemplateStatusSensor (poke and deferred) and its trigger, against the emulator.

Poke mode runs ``execute`` with a minimal context; deferred mode runs one DAG
(``tests/dags/template_status_deferred.py``) whose tasks cover every outcome, with the
trigger run inline by ``dag.test()``; the trigger is also run directly with asyncio.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_whatsapp.links.whatsapp_manager import MANAGER_URL
from airflow_provider_whatsapp.message_templates.status import StatusWatch
from airflow_provider_whatsapp.sensors.template_status import WhatsAppTemplateStatusSensor
from airflow_provider_whatsapp.triggers.template_status import WhatsAppTemplateStatusTrigger
from airflow_provider_whatsapp.version_compat import (
    AirflowFailException,
    AirflowSensorTimeout,
    AirflowSkipException,
)
from tests.helpers import WABA, FakeTI, connections_to

pytestmark = pytest.mark.whatsapp_emulator(rate_limit=None)

LINK_KEY = "_link_WhatsAppTemplateLink"


def poke_sensor(name: str, **kwargs: Any) -> WhatsAppTemplateStatusSensor:
    settings: dict[str, Any] = {
        "poke_interval": 0.1,
        "timeout": 5,
        "language": "en_US",
        "deferrable": False,
    }
    settings.update(kwargs)
    return WhatsAppTemplateStatusSensor(task_id="wait", template_name=name, **settings)


def polls(emulator: Any, name: str) -> int:
    return sum(1 for r in emulator.requests if r.method == "GET" and r.query.get("name") == name)


# -- poke mode --------------------------------------------------------------------------------


def test_poke_waits_for_approval(whatsapp_emulator_connection: Any) -> None:
    whatsapp_emulator_connection.configure(
        review_delay=0, review_after_reads=1
    )  # PENDING once, then APPROVED
    template_id = whatsapp_emulator_connection.add_template("order_ready", status="PENDING")
    ti = FakeTI()

    result = poke_sensor("order_ready").execute({"ti": ti})

    assert result == {
        "id": template_id,
        "name": "order_ready",
        "language": "en_US",
        "status": "APPROVED",
        "category": "UTILITY",
        "quality": "GREEN",
    }
    assert polls(whatsapp_emulator_connection, "order_ready") == 2  # PENDING first, then APPROVED
    assert ti.xcoms[LINK_KEY] == f"{MANAGER_URL}?asset_id={WABA}&id={template_id}&name=order_ready"


@pytest.mark.parametrize(
    ("status", "reason", "expected"),
    [
        ("REJECTED", "PROMOTIONAL", "is REJECTED: reason PROMOTIONAL; fix the template"),
        ("PAUSED", None, "is PAUSED; its quality is low"),
        ("DISABLED", None, "is DISABLED; it was disabled"),
    ],
)
def test_poke_fails_at_once_on_a_dead_end_status(
    whatsapp_emulator_connection: Any, status: str, reason: str | None, expected: str
) -> None:
    whatsapp_emulator_connection.add_template("promo", status=status, reason=reason)
    with pytest.raises(AirflowFailException, match=expected):
        poke_sensor("promo").execute({"ti": FakeTI()})
    assert polls(whatsapp_emulator_connection, "promo") == 1


def test_poke_fails_on_a_missing_template_after_the_grace(
    whatsapp_emulator_connection: Any,
) -> None:
    whatsapp_emulator_connection.add_template("promo", language="pt_BR")  # another language only
    with pytest.raises(AirflowFailException, match=r"'promo' \(en_US\) does not exist \(checked 3"):
        poke_sensor("promo", missing_grace=2).execute({"ti": FakeTI()})
    assert polls(whatsapp_emulator_connection, "promo") == 3


def test_poke_timeout_and_soft_fail(whatsapp_emulator_connection: Any) -> None:
    whatsapp_emulator_connection.add_template("stuck", status="IN_APPEAL")
    whatsapp_emulator_connection.add_template("refused", status="REJECTED", reason="SCAM")
    with pytest.raises(AirflowSensorTimeout):
        poke_sensor("stuck", timeout=0.4).execute({"ti": FakeTI()})
    with pytest.raises(AirflowSkipException):
        poke_sensor("stuck", timeout=0.4, soft_fail=True).execute({"ti": FakeTI()})
    with pytest.raises(AirflowSkipException) as skipped:
        poke_sensor("refused", soft_fail=True).execute({"ti": FakeTI()})
    assert "reason SCAM" in str(skipped.value.__cause__)


def test_target_statuses_can_accept_more_than_approved(whatsapp_emulator_connection: Any) -> None:
    whatsapp_emulator_connection.add_template("promo", status="IN_APPEAL")
    sensor = poke_sensor("promo", target_statuses=("APPROVED", "IN_APPEAL"))
    assert sensor.execute({"ti": FakeTI()})["status"] == "IN_APPEAL"


def test_execute_closes_the_hooks_connections_however_it_ends(
    whatsapp_emulator_connection: Any,
) -> None:
    """A worker runs one task after another: the sensor's pooled connection is closed
    when its execute ends, whether it succeeds, fails or defers."""
    from airflow_provider_whatsapp.version_compat import TaskDeferred

    emulator = whatsapp_emulator_connection
    emulator.add_template("ready")
    emulator.add_template("refused", status="REJECTED", reason="SCAM")
    emulator.add_template("pending", status="PENDING")
    assert poke_sensor("ready").execute({"ti": FakeTI()})["status"] == "APPROVED"
    assert connections_to(emulator.port) == 0
    with pytest.raises(AirflowFailException):
        poke_sensor("refused").execute({"ti": FakeTI()})
    assert connections_to(emulator.port) == 0
    with pytest.raises(TaskDeferred):
        poke_sensor("pending", deferrable=True).execute({"ti": FakeTI()})
    assert connections_to(emulator.port) == 0
    assert polls(emulator, "ready") == polls(emulator, "refused") == polls(emulator, "pending") == 1


# -- deferrable: the first look is taken in the worker ----------------------------------


def test_deferrable_sensor_defers_only_while_undecided(whatsapp_emulator_connection: Any) -> None:
    from airflow_provider_whatsapp.version_compat import TaskDeferred

    whatsapp_emulator_connection.add_template("pending", status="PENDING")
    whatsapp_emulator_connection.add_template(
        "refused", status="REJECTED", reason="ABUSIVE_CONTENT"
    )
    approved_id = whatsapp_emulator_connection.add_template("ready")

    sensor = poke_sensor("pending", deferrable=True, timeout=30, missing_grace=4)
    before = time.time()
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute({"ti": FakeTI()})
    trigger = deferred.value.trigger
    assert isinstance(trigger, WhatsAppTemplateStatusTrigger)
    assert deferred.value.method_name == "execute_complete"
    _, kwargs = trigger.serialize()
    watch = kwargs["watch"]
    assert (watch["template_name"], watch["language"], kwargs["poke_interval"]) == (
        "pending",
        "en_US",
        0.1,
    )
    assert (watch["missing_grace"], watch["missing_pokes"]) == (4, 0)
    assert before + 30 <= kwargs["deadline"] <= time.time() + 30

    # Decided at the first look: no deferral at all, same rules as poke mode.
    assert poke_sensor("ready", deferrable=True).execute({"ti": FakeTI()})["id"] == approved_id
    with pytest.raises(AirflowSkipException, match="ABUSIVE_CONTENT"):
        poke_sensor("refused", deferrable=True, soft_fail=True).execute({"ti": FakeTI()})


# -- deferred, through dag.test() ----------------------------------------------------------


@pytest.mark.dag
@pytest.mark.whatsapp_emulator(
    rate_limit=None,
    review_delay=0,
    review_after_reads=1,  # the first poke (in the worker) sees PENDING, the trigger decides
    reject_templates={"deferred_bad": "INCORRECT_CATEGORY"},
)
def test_deferred_sensor_outcomes(
    airflow_db: Path, whatsapp_emulator_connection: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    whatsapp_emulator_connection.add_template("paused_tpl", status="PAUSED")
    whatsapp_emulator_connection.add_template(
        "stuck_tpl", status="IN_APPEAL"
    )  # no review ever decides it
    from tests.dags.template_status_deferred import dag

    dr = dag.test()

    assert dr.state == "failed"
    states = {ti.task_id: ti.state for ti in dr.get_task_instances()}
    assert states == {
        "wait_paused": "failed",
        "wait_missing": "failed",
        "wait_timeout": "failed",
        "wait_soft_fail": "skipped",
        "create_ok": "success",
        "wait_approved": "success",
        "create_bad": "success",
        "wait_rejected": "failed",
    }
    log = capfd.readouterr().out
    assert "template 'paused_tpl' (en_US) is PAUSED" in log
    assert "template 'never_created' (en_US) does not exist (checked 2 times)" in log
    assert "AirflowSensorTimeout: template 'stuck_tpl' (en_US) was not decided in time" in log
    assert (
        "AirflowFailException: template 'deferred_bad' (en_US) is REJECTED: reason INCORRECT_CATEGORY"
        in log
    )
    assert "XCom not found" not in log  # every task pushed its link before Airflow read it
    count = Counter(
        r.query.get("name") for r in whatsapp_emulator_connection.requests if r.method == "GET"
    )
    # Decided in the trigger, after the first poke saw them PENDING.
    assert count["deferred_ok"] == 2 and count["deferred_bad"] == 2
    # The same missing_grace as poke mode: 1 + 1 checks, not more for having deferred.
    assert count["never_created"] == 2


# -- reschedule mode, through dag.test() ----------------------------------------------------


@pytest.mark.dag
@pytest.mark.whatsapp_emulator(rate_limit=None, review_delay=0, review_after_reads=2)
def test_reschedule_mode_keeps_the_missing_grace_across_pokes(
    airflow_db: Path, whatsapp_emulator_connection: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    """Each reschedule is a new process, so the sensor's own counter starts at 0 every
    time: the grace must come from Airflow's reschedule count, or a missing template
    would be polled until the timeout."""
    whatsapp_emulator_connection.add_template(
        "resched_ok", status="PENDING"
    )  # approved at the third poke
    from tests.dags.template_status_reschedule import dag

    dr = dag.test()

    states = {ti.task_id: ti.state for ti in dr.get_task_instances()}
    assert states == {"wait_missing": "failed", "wait_approved": "success"}
    assert "template 'never_created' (en_US) does not exist (checked 3 times)" in (
        capfd.readouterr().out
    )
    count = Counter(
        r.query.get("name") for r in whatsapp_emulator_connection.requests if r.method == "GET"
    )
    assert count["never_created"] == 3  # 1 + missing_grace, one per rescheduled poke
    assert count["resched_ok"] == 3  # PENDING twice, then APPROVED, across reschedules


def test_reschedule_mode_counts_pokes_from_the_context(whatsapp_emulator_connection: Any) -> None:
    sensor = poke_sensor("gone", mode="reschedule", missing_grace=2)
    assert sensor.poke({"ti": FakeTI(), "task_reschedule_count": 1}) is False
    fresh = poke_sensor("gone", mode="reschedule", missing_grace=2)
    with pytest.raises(AirflowFailException, match=r"checked 3 times"):
        fresh.poke({"ti": FakeTI(), "task_reschedule_count": 2})


# -- the trigger ---------------------------------------------------------------------------


def test_trigger_serialize_round_trips_without_the_key() -> None:
    watch = StatusWatch(
        "order_ready",
        "en_US",
        target_statuses=("APPROVED",),
        failure_statuses=("REJECTED", "PAUSED"),
        missing_grace=2,
        missing_pokes=1,
    )
    trigger = WhatsAppTemplateStatusTrigger(
        watch=watch,
        whatsapp_conn_id="whatsapp_prod",
        waba_id="123",
        poke_interval=0.5,
        deadline=1_900_000_000.0,
    )
    classpath, kwargs = trigger.serialize()
    assert (
        classpath
        == "airflow_provider_whatsapp.triggers.template_status.WhatsAppTemplateStatusTrigger"
    )
    module, _, name = classpath.rpartition(".")
    rebuilt = getattr(importlib.import_module(module), name)(**kwargs)  # as the triggerer does
    assert rebuilt.serialize() == (classpath, kwargs)
    assert kwargs == {
        "watch": {
            "template_name": "order_ready",
            "language": "en_US",
            "target_statuses": ["APPROVED"],
            "failure_statuses": ["REJECTED", "PAUSED"],
            "missing_grace": 2,
            "missing_pokes": 1,
        },
        "whatsapp_conn_id": "whatsapp_prod",
        "waba_id": "123",
        "poke_interval": 0.5,
        "deadline": 1_900_000_000.0,
    }
    assert rebuilt.watch == watch
    json.dumps(kwargs)  # what the triggerer stores


async def test_the_trigger_polls_through_the_sensors_connection(
    whatsapp_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sensor on another connection than ``whatsapp_default`` (which does not exist
    here) defers to a trigger that, serialized and rebuilt as the triggerer does, polls
    through that same connection."""
    from airflow_provider_whatsapp.version_compat import TaskDeferred

    for name, value in whatsapp_emulator.connection_env("whatsapp_review").items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AIRFLOW_CONN_WHATSAPP_DEFAULT", raising=False)
    whatsapp_emulator.configure(review_delay=0, review_after_reads=1)
    template_id = whatsapp_emulator.add_template("order_ready", status="PENDING")
    sensor = poke_sensor("order_ready", deferrable=True, whatsapp_conn_id="whatsapp_review")
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute({"ti": FakeTI()})

    classpath, kwargs = deferred.value.trigger.serialize()
    assert kwargs["whatsapp_conn_id"] == "whatsapp_review"
    module, _, name = classpath.rpartition(".")
    rebuilt = getattr(importlib.import_module(module), name)(**json.loads(json.dumps(kwargs)))
    event = await asyncio.wait_for(first_event(rebuilt), 10)
    assert (event["status"], event["template"]["id"]) == ("success", template_id)
    assert polls(whatsapp_emulator, "order_ready") == 2  # the sensor's look, the trigger's


async def first_event(trigger: WhatsAppTemplateStatusTrigger) -> dict[str, Any]:
    async for event in trigger.run():
        return dict(event.payload)
    raise AssertionError("the trigger ended without an event")


def trigger_for(
    name: str, deadline: float | None = None, **watch: Any
) -> WhatsAppTemplateStatusTrigger:
    return WhatsAppTemplateStatusTrigger(
        watch=StatusWatch(name, "en_US", **watch), poke_interval=0.1, deadline=deadline
    )


async def test_trigger_reports_approval_after_review(whatsapp_emulator_connection: Any) -> None:
    whatsapp_emulator_connection.configure(review_delay=0, review_after_reads=2)
    template_id = whatsapp_emulator_connection.add_template("order_ready", status="PENDING")
    event = await asyncio.wait_for(first_event(trigger_for("order_ready")), 10)
    assert event == {
        "status": "success",
        "template": {
            "id": template_id,
            "name": "order_ready",
            "language": "en_US",
            "status": "APPROVED",
            "category": "UTILITY",
            "quality": "GREEN",
        },
    }
    assert polls(whatsapp_emulator_connection, "order_ready") == 3  # PENDING twice, then APPROVED
    headers = {r.headers.get("authorization") for r in whatsapp_emulator_connection.requests}
    assert headers == {
        f"Bearer {whatsapp_emulator_connection.api_key}"
    }  # looked the connection up itself


async def test_trigger_failures(whatsapp_emulator_connection: Any) -> None:
    whatsapp_emulator_connection.add_template(
        "refused", status="REJECTED", reason="TAG_CONTENT_MISMATCH"
    )

    rejected = await first_event(trigger_for("refused"))
    assert rejected["status"] == "failure"
    assert "is REJECTED: reason TAG_CONTENT_MISMATCH" in rejected["message"]
    assert rejected["template"]["status"] == "REJECTED"

    missing = await first_event(trigger_for("nope", missing_grace=2, missing_pokes=1))
    assert missing["status"] == "failure" and "checked 3 times" in missing["message"]
    assert polls(whatsapp_emulator_connection, "nope") == 2


async def test_trigger_gives_up_at_its_deadline_not_before(
    whatsapp_emulator_connection: Any,
) -> None:
    """The review approves after 20 PENDING answers: a trigger that ignored its deadline
    would poll on and report success instead of the timeout."""
    whatsapp_emulator_connection.configure(review_delay=0, review_after_reads=20)
    whatsapp_emulator_connection.add_template("pending", status="PENDING")
    timed_out = {
        "status": "timeout",
        "message": "template 'pending' (en_US) was not decided in time",
    }

    passed = await first_event(trigger_for("pending", deadline=time.time() - 1))
    assert passed == timed_out
    assert polls(whatsapp_emulator_connection, "pending") == 1  # one look, then it gives up

    deadline = time.time() + 0.4
    assert await first_event(trigger_for("pending", deadline=deadline)) == timed_out
    assert time.time() >= deadline  # it waited for its deadline


async def test_trigger_sees_a_pause_while_waiting(whatsapp_emulator_connection: Any) -> None:
    whatsapp_emulator_connection.add_template("promo", status="PENDING")
    waiting = asyncio.create_task(first_event(trigger_for("promo")))
    while polls(whatsapp_emulator_connection, "promo") < 2 and not waiting.done():
        await asyncio.sleep(0.01)
    assert not waiting.done()  # saw PENDING twice: waiting
    whatsapp_emulator_connection.set_template_status("promo", "PAUSED")
    event = await waiting
    assert event["status"] == "failure" and "is PAUSED" in event["message"]
