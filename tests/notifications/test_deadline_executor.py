"""``WhatsAppNotifier`` as a deadline alert run by an executor (``SyncCallback``, Airflow 3.2+).

Each test builds the ``SyncCallback`` a DAG author writes and turns it into the workload the
scheduler queues when the deadline is missed (``ExecuteCallback``: the stored ``path`` and
``kwargs``, plus the ``context`` ``Deadline.handle_miss`` adds), then runs that workload
with Airflow's own code: on 3.3, ``execute_callback`` (what the callback subprocess runs)
or the whole ``supervise_callback`` (a forked, supervised subprocess, as every executor
does it); on 3.2, ``execute_callback_workload`` (what the LocalExecutor's worker runs).
Both build the notifier from ``kwargs`` + ``context`` and call it with the context.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from airflow_provider_whatsapp.client.errors import WhatsAppValidationError
from airflow_provider_whatsapp.notifications.deadline import whatsapp_deadline_alert
from airflow_provider_whatsapp.notifications.whatsapp import (
    InvalidRecipientError,
    WhatsAppNotifier,
)
from airflow_provider_whatsapp.testing import WhatsAppEmulator
from airflow_provider_whatsapp.version_compat import AIRFLOW_V_3_2_PLUS, AIRFLOW_V_3_3_PLUS
from tests.notifications.test_deadline import ONE, TWO, assert_missed_alert, missed_context

needs_sync = pytest.mark.skipif(
    not AIRFLOW_V_3_2_PLUS, reason="SyncCallback deadline alerts need Airflow 3.2+"
)
direct = pytest.mark.whatsapp_emulator(rate_limit=None)


def queued_workload(callback: Any, context: dict[str, Any], *, as_json: bool = False) -> Any:
    """The ``ExecuteCallback`` the scheduler hands an executor for a missed deadline:
    what ``Deadline.handle_miss`` stores (the callback's serialized fields, its kwargs with
    ``context``, the deadline and run ids). ``as_json``: as a remote executor (Celery)
    receives it, through JSON (datetimes become ISO text); a LocalExecutor gets it as is."""
    from airflow.executors.workloads import ExecuteCallback
    from airflow.executors.workloads.base import BundleInfo
    from airflow.executors.workloads.callback import CallbackDTO

    data = callback.serialize()
    data["kwargs"] = {**data["kwargs"], "context": context}
    data |= {"deadline_id": context["deadline"]["id"], "dag_run_id": "1", "dag_id": "nightly_etl"}
    workload = ExecuteCallback(
        callback=CallbackDTO(id=str(uuid.uuid4()), fetch_method="import_path", data=data),
        dag_rel_path=Path("nightly_etl.py"),
        token="",
        log_path=None,
        bundle_info=BundleInfo(name="dags-folder"),
    )
    if as_json:
        workload = ExecuteCallback.model_validate_json(workload.model_dump_json())
    return workload


def run_on_executor(workload: Any) -> tuple[bool, str | None]:
    """Airflow's in-process callback runner on the workload: (succeeded, error text)."""
    data = workload.callback.data
    if AIRFLOW_V_3_3_PLUS:
        import structlog
        from airflow.sdk.execution_time.callback_supervisor import execute_callback

        return execute_callback(  # type: ignore[no-any-return]
            callback_path=data["path"],
            callback_kwargs=data["kwargs"],
            dag_rel_path=workload.dag_rel_path,
            bundle_path=None,
            log=structlog.get_logger("callback_runner"),
        )
    from airflow.executors.workloads.callback import (  # type: ignore[attr-defined,unused-ignore]
        execute_callback_workload,
    )

    return execute_callback_workload(workload.callback, logging.getLogger("callback"))  # type: ignore[no-any-return]


def body_lines(emulator: WhatsAppEmulator, n: int = 0) -> list[str]:
    return str(emulator.messages[n].payload["text"]["body"]).splitlines()


@needs_sync
@direct
@pytest.mark.parametrize("as_json", [False, True], ids=["local", "through-json"])
def test_an_executor_sends_the_default_deadline_message(
    whatsapp_emulator_connection: WhatsAppEmulator,
    monkeypatch: pytest.MonkeyPatch,
    as_json: bool,
) -> None:
    """Airflow builds ``WhatsAppNotifier(to=..., context=...)`` and calls it with the
    context: the same message as from the triggerer, sent synchronously on the worker."""
    from airflow.sdk.definitions.deadline import SyncCallback

    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "https://airflow.example.com/")
    whatsapp_emulator_connection.open_window(ONE, TWO)
    callback = SyncCallback(WhatsAppNotifier, kwargs={"to": [ONE, TWO]})
    context = missed_context(queued_ago=25, deadline_after_queued=10, run_id="manual__2026 01")

    assert run_on_executor(queued_workload(callback, context, as_json=as_json)) == (True, None)

    assert sorted(m.to for m in whatsapp_emulator_connection.messages) == [ONE, TWO]
    assert_missed_alert(body_lines(whatsapp_emulator_connection), context)


@needs_sync
@direct
def test_templates_render_from_the_deadline_context_on_an_executor(
    whatsapp_emulator_connection: WhatsAppEmulator,
) -> None:
    """``{{ dag_id }}``, ``{{ run_id }}`` and ``{{ missed_by }}`` are there as in the
    triggerer (they rendered empty on an executor before), and what Airflow stored is
    left as it was."""
    from airflow.sdk.definitions.deadline import SyncCallback

    whatsapp_emulator_connection.open_window(ONE)
    kwargs = {
        "to": ONE,
        "text": "{{ dag_id }} / {{ run_id }} late by {{ missed_by }} ({{ dag_run.state }})",
    }
    callback = SyncCallback(WhatsAppNotifier, kwargs=kwargs)
    context = missed_context(queued_ago=70, deadline_after_queued=10, run_id="scheduled__x")
    workload = queued_workload(callback, context)

    assert run_on_executor(workload) == (True, None)

    body = whatsapp_emulator_connection.messages[0].payload["text"]["body"]
    assert re.fullmatch(r"nightly_etl / scheduled__x late by 1m 0\ds \(running\)", body), body
    assert set(context) == {"dag_run", "deadline"}  # Airflow's context is left as it was
    assert callback.kwargs == kwargs


@needs_sync
@direct
def test_the_alert_name_heads_the_message_and_renders_in_templates_on_an_executor(
    whatsapp_emulator_connection: WhatsAppEmulator,
) -> None:
    from airflow.sdk.definitions.deadline import SyncCallback

    whatsapp_emulator_connection.open_window(ONE, TWO)
    default = SyncCallback(WhatsAppNotifier, kwargs={"to": ONE, "alert_name": "ETL by 06:00"})
    text = SyncCallback(
        WhatsAppNotifier,
        kwargs={"to": TWO, "alert_name": "ETL by 06:00", "text": "{{ alert_name }}: {{ run_id }}"},
    )
    for callback in (default, text):
        assert run_on_executor(queued_workload(callback, missed_context())) == (True, None)

    assert body_lines(whatsapp_emulator_connection)[:2] == [
        "⏰ Airflow deadline missed: ETL by 06:00",
        "DAG: nightly_etl",
    ]
    assert body_lines(whatsapp_emulator_connection, 1) == ["ETL by 06:00: manual__r1"]


@needs_sync
@direct
def test_a_deadline_alert_nobody_got_fails_the_executor_callback(
    whatsapp_emulator_connection: WhatsAppEmulator,
) -> None:
    """As from the triggerer: reaching nobody, or a bad recipient after the others got it,
    fails the callback (Airflow marks it failed with this text), never silently."""
    from airflow.sdk.definitions.deadline import SyncCallback

    closed = SyncCallback(WhatsAppNotifier, kwargs={"to": ONE})  # window never opened
    ok, error = run_on_executor(queued_workload(closed, missed_context()))
    assert not ok
    assert error == (
        "Callback execution failed: RuntimeError: WhatsApp deadline alert not sent: "
        "every send failed (1 recipient(s))"
    )

    whatsapp_emulator_connection.open_window(ONE, TWO)
    typo = SyncCallback(WhatsAppNotifier, kwargs={"to": ["12ab34cd56ef", ONE, TWO]})
    ok, error = run_on_executor(queued_workload(typo, missed_context()))
    assert not ok
    assert str(error).startswith(
        "Callback execution failed: InvalidRecipientError: WhatsApp notification not sent "
        "to 1 of 3 recipient(s) in 'to', fix them (sent to 2 of the 2 others): "
        "recipient 1 of 3 (••••••••56ef): contains letters"
    ), error
    assert sorted(m.to for m in whatsapp_emulator_connection.messages) == [ONE, TWO]
    assert whatsapp_emulator_connection.api_key not in str(error)


@pytest.mark.skipif(not AIRFLOW_V_3_3_PLUS, reason="3.3's callback supervisor")
@direct
def test_a_supervised_callback_subprocess_sends_with_the_connection_from_the_api_server(
    whatsapp_emulator: WhatsAppEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole executor path of 3.3 (``BaseExecutor.run_workload``'s call): a forked
    callback subprocess, supervised, whose only way to Airflow is the supervisor. The
    connection is not in the environment: the subprocess asks the supervisor, which asks
    the execution API (here a stand-in answering as the API server does)."""
    from airflow.sdk import SyncCallback
    from airflow.sdk.api.client import Client
    from airflow.sdk.execution_time.callback_supervisor import supervise_callback

    monkeypatch.delenv("AIRFLOW_CONN_WHATSAPP_DEFAULT", raising=False)
    conn = whatsapp_emulator.airflow_connection()
    asked: list[str] = []

    def execution_api(request: httpx.Request) -> httpx.Response:
        asked.append(f"{request.method} {request.url.path}")
        if request.url.path.endswith("/connections/whatsapp_default"):
            answer = {
                "conn_id": "whatsapp_default",
                "conn_type": conn["conn_type"],
                "host": conn["host"],
                "schema": None,
                "login": None,
                "password": conn["password"],
                "port": None,
                "extra": json.dumps(conn["extra"]),
            }
            return httpx.Response(200, json=answer)
        return httpx.Response(404, json={"detail": {"reason": "not_found"}})

    client = Client(
        base_url="http://execution-api.test/execution/",
        token="workload-token",
        transport=httpx.MockTransport(execution_api),
    )
    whatsapp_emulator.open_window(ONE)
    workload = queued_workload(
        SyncCallback(WhatsAppNotifier, kwargs={"to": ONE, "alert_name": "ETL by 06:00"}),
        missed_context(),
    )

    def supervise(workload: Any) -> int:
        return supervise_callback(  # type: ignore[no-any-return]
            id=workload.callback.id,
            callback_path=workload.callback.data.get("path", ""),
            callback_kwargs=workload.callback.data.get("kwargs", {}),
            dag_rel_path=workload.dag_rel_path,
            bundle_info=None,
            client=client,
        )

    assert supervise(workload) == 0
    assert [m.to for m in whatsapp_emulator.messages] == [ONE]
    assert body_lines(whatsapp_emulator)[0] == "⏰ Airflow deadline missed: ETL by 06:00"
    assert "GET /execution/connections/whatsapp_default" in asked

    nobody = queued_workload(SyncCallback(WhatsAppNotifier, kwargs={"to": TWO}), missed_context())
    with pytest.raises(RuntimeError, match="Callback subprocess exited with code 1"):
        supervise(nobody)  # TWO's window is closed: every send failed
    assert len(whatsapp_emulator.messages) == 1


# -- the alert's name (Airflow 3.3: DeadlineAlert(name=...)) ---------------------------------
@direct
async def test_the_alert_name_heads_the_message_from_the_triggerer_too(
    whatsapp_emulator_connection: WhatsAppEmulator,
) -> None:
    from airflow.sdk.definitions.deadline import AsyncCallback

    from tests.notifications.test_deadline import run_as_triggerer, states

    whatsapp_emulator_connection.open_window(ONE)
    callback = AsyncCallback(WhatsAppNotifier, kwargs={"to": ONE, "alert_name": "ETL\nby 06:00"})
    assert states(await run_as_triggerer(callback, missed_context())) == ["running", "success"]
    lines = body_lines(whatsapp_emulator_connection)
    assert lines[:2] == ["⏰ Airflow deadline missed: ETL by 06:00", "DAG: nightly_etl"]


def test_whatsapp_deadline_alert_names_the_alert_once_for_airflow_and_the_message() -> None:
    from airflow.sdk.definitions.deadline import (
        AsyncCallback,
        DeadlineAlert,
        DeadlineReference,
        SyncCallback,
    )

    alert = whatsapp_deadline_alert(
        name="ETL by 06:00",
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=timedelta(hours=6),
        to=[ONE, TWO],
        runs_on="executor" if AIRFLOW_V_3_2_PLUS else "triggerer",
        whatsapp_conn_id="oncall",
    )
    assert isinstance(alert, DeadlineAlert)
    assert isinstance(alert.callback, SyncCallback if AIRFLOW_V_3_2_PLUS else AsyncCallback)
    assert (
        alert.callback.path == "airflow_provider_whatsapp.notifications.whatsapp.WhatsAppNotifier"
    )
    assert alert.callback.kwargs == {
        "to": [ONE, TWO],
        "whatsapp_conn_id": "oncall",
        "alert_name": "ETL by 06:00",
    }
    assert getattr(alert, "name", None) == ("ETL by 06:00" if AIRFLOW_V_3_3_PLUS else None)

    plain = whatsapp_deadline_alert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT, interval=timedelta(hours=1), to=ONE
    )
    assert isinstance(plain.callback, AsyncCallback)
    assert plain.callback.kwargs == {"to": ONE}


def test_whatsapp_deadline_alert_refuses_at_parse_time_what_would_fail_at_the_miss() -> None:
    """A hand-written ``SyncCallback(WhatsAppNotifier, kwargs=...)`` is only built when the
    deadline is missed; the helper builds it when the DAG file is parsed."""
    from airflow.sdk.definitions.deadline import DeadlineReference, SyncCallback

    common: dict[str, Any] = {
        "reference": DeadlineReference.DAGRUN_QUEUED_AT,
        "interval": timedelta(hours=1),
    }
    SyncCallback(WhatsAppNotifier, kwargs={"to": "12ab34"})  # Airflow takes it as it is
    with pytest.raises(InvalidRecipientError, match="contains letters"):
        whatsapp_deadline_alert(to="12ab34", **common)
    with pytest.raises(WhatsAppValidationError, match="either text or template_name"):
        whatsapp_deadline_alert(to=ONE, text="late", template_name="late", **common)
    with pytest.raises(TypeError, match="'txt'"):
        whatsapp_deadline_alert(to=ONE, txt="late", **common)
    with pytest.raises(WhatsAppValidationError, match="runs_on must be 'triggerer' or 'executor'"):
        whatsapp_deadline_alert(to=ONE, runs_on="worker", **common)  # type: ignore[arg-type]
    with pytest.raises(WhatsAppValidationError, match="executor= is for runs_on='executor'"):
        whatsapp_deadline_alert(to=ONE, executor="CeleryExecutor", **common)
    if not AIRFLOW_V_3_2_PLUS:
        with pytest.raises(WhatsAppValidationError, match=r"needs Airflow 3\.2\+ \(SyncCallback\)"):
            whatsapp_deadline_alert(to=ONE, runs_on="executor", **common)


@pytest.mark.skipif(not AIRFLOW_V_3_3_PLUS, reason="VariableInterval is Airflow 3.3+")
def test_a_variable_interval_alert_serializes_with_the_notifier_and_its_name() -> None:
    """``VariableInterval`` changes only when the scheduler computes the deadline: the
    callback Airflow stores (path, kwargs with the name) is the same."""
    from airflow.sdk import DAG
    from airflow.sdk.definitions.deadline import DeadlineReference, VariableInterval
    from airflow.serialization.serialized_objects import DagSerialization

    alert = whatsapp_deadline_alert(
        name="ETL by 06:00",
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=VariableInterval("etl_deadline_seconds"),
        to=ONE,
    )
    with DAG("variable_deadline", schedule=None, deadline=alert) as dag:
        pass
    text = str(DagSerialization.to_dict(dag))
    assert "etl_deadline_seconds" in text
    assert "airflow_provider_whatsapp.notifications.whatsapp.WhatsAppNotifier" in text
    assert "'alert_name': 'ETL by 06:00'" in text
    assert "'name': 'ETL by 06:00'" in text


def test_the_name_comes_from_the_notifier_or_from_a_context_that_carries_one() -> None:
    """Airflow 3.3.2 sends only the deadline's id and time; should a later one add the
    alert's name to ``context["deadline"]``, it is used when the notifier was given none."""
    from airflow_provider_whatsapp.notifications.formatting import deadline_facts, deadline_message

    context = missed_context()
    assert deadline_message(context).splitlines()[0] == "⏰ Airflow deadline missed"
    given = deadline_message(context, alert_name="  ETL   by\t06:00 ")
    assert given.splitlines()[0] == "⏰ Airflow deadline missed: ETL by 06:00"
    context["deadline"]["alert_name"] = "From Airflow"
    assert deadline_facts(context)["alert_name"] == "From Airflow"
    assert deadline_facts(context, alert_name="Ours")["alert_name"] == "Ours"
