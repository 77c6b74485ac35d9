"""``WhatsAppNotifier`` in task and DAG callbacks under ``dag.test()``, and called directly.

Most tests read one ``dag.test()`` run of ``tests/dags/notify_failure.py`` (a task failing
after two retries, a task that succeeds, DAG-level failure callbacks): it is run once and
shared (``failure_run``), since a DAG run costs seconds and every test only reads it.
What counts is what the emulator received and what the task log says.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import pytest

from airflow_provider_whatsapp.notifications.whatsapp import (
    WhatsAppNotifier,
    default_message,
    send_whatsapp_notification,
)
from airflow_provider_whatsapp.testing import WhatsAppEmulator
from airflow_provider_whatsapp.version_compat import AIRFLOW_V_3_2_PLUS, AIRFLOW_V_3_3_PLUS
from tests.dags import notify_failure as nf
from tests.helpers import RecordedRun as Run
from tests.helpers import digits, set_connection, task_states

# dag.test() before 3.3 puts no ``exception`` into task callback contexts (a real worker
# does): there the default message has no "Error:" line.
ERROR_LINE = ["Error: ValueError: disk full on /data"] if AIRFLOW_V_3_3_PLUS else []


_RUNS: dict[str, Run] = {}


@pytest.fixture
def failure_run(
    airflow_db: Any, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Run:
    """The ``notify_failure`` DAG run against an emulator (once per session)."""
    if "notify_failure" not in _RUNS:
        template = {"name": nf.TEMPLATE, "components": [{"type": "BODY", "text": nf.TEMPLATE_BODY}]}
        with WhatsAppEmulator(rate_limit=None, templates=[template]) as emulator:
            # CLOSED and TEAM stay outside the 24-hour window.
            emulator.open_window(
                *map(digits, (nf.ONCALL, nf.RETRY, nf.FALLBACK, nf.SUCCESS, nf.DAG_PHONE))
            )
            set_connection(monkeypatch, emulator.airflow_connection())
            capfd.readouterr()
            dr = nf.dag.test()
            _RUNS["notify_failure"] = Run(
                state=str(dr.state),
                states=task_states(dr),
                run_id=dr.run_id,
                messages=emulator.messages,
                requests=emulator.requests,
                log=capfd.readouterr().out,
            )
    return _RUNS["notify_failure"]


# -- task callbacks -----------------------------------------------------------------------
@pytest.mark.dag
def test_failure_alert_carries_dag_task_run_try_error_and_log_url(failure_run: Run) -> None:
    *retries, failure = failure_run.texts_to(nf.ONCALL)
    assert len(retries) == 2
    lines = failure.splitlines()
    assert lines[:5] == [
        "❌ Airflow task failed",
        "DAG: notify_failure",
        "Task: boom",
        f"Run: {failure_run.run_id}",
        "Try: 3",
    ]
    assert re.fullmatch(r"Duration: \d+\.\ds", lines[5])
    assert lines[6:] == [
        *ERROR_LINE,  # only the exception's first line
        f"Log: http://localhost:8080/dags/notify_failure/runs/{quote(failure_run.run_id)}"
        "/tasks/boom?try_number=3",
    ]
    assert "second line" not in failure


@pytest.mark.dag
def test_retry_alerts_say_which_try_and_jinja_renders_afresh_each_time(failure_run: Run) -> None:
    first, second, _ = failure_run.texts_to(nf.ONCALL)
    for text, try_number in ((first, 1), (second, 2)):
        assert text.startswith("🔁 Airflow task will retry\nDAG: notify_failure\nTask: boom\n")
        assert f"\nTry: {try_number}\n" in text
        assert all(f"\n{line}\n" in text for line in ERROR_LINE)
    # One notifier instance serves both retries: each call renders its own copy.
    assert failure_run.texts_to(nf.RETRY) == [
        "boom failed on try 1, retrying",
        "boom failed on try 2, retrying",
    ]


@pytest.mark.dag
def test_the_task_failure_stays_what_airflow_reports(failure_run: Run) -> None:
    assert failure_run.state == "failed"
    assert failure_run.states == {"boom": "failed", "fine": "success"}
    log = failure_run.log
    assert log.count("Task failed with exception") == 3  # one per try
    assert log.count("ValueError: disk full on /data") >= 3
    # The notifier never raised into Airflow's callback runner.
    assert "Failed to run task callback" not in log
    assert "Callback failed" not in log


@pytest.mark.dag
def test_a_refused_send_is_logged_and_the_other_callbacks_still_send(failure_run: Run) -> None:
    to_closed = [
        r for r in failure_run.requests if r.json and r.json.get("to") == digits(nf.CLOSED)
    ]
    assert [r.status for r in to_closed] == [400]
    assert not failure_run.texts_to(nf.CLOSED)
    assert "WhatsApp notification to +1••••••0009 failed:" in failure_run.log  # masked
    assert digits(nf.CLOSED) not in failure_run.log
    assert "131047" in failure_run.log and "Send a template" in failure_run.log
    # Callbacks listed after the refused one ran and delivered.
    assert failure_run.texts_to(nf.ONCALL)[-1].startswith("❌ Airflow task failed")
    assert {m.to for m in failure_run.messages if m.type == "template"} == set(map(digits, nf.TEAM))
    assert failure_run.states["boom"] == "failed"


@pytest.mark.dag
def test_template_alert_exact_payload_with_rendered_parameters(failure_run: Run) -> None:
    templates = [m for m in failure_run.messages if m.type == "template"]
    assert [m.payload for m in templates] == [
        {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": digits(to),
            "type": "template",
            "template": {
                "name": nf.TEMPLATE,
                "language": {"code": "en_US"},
                "components": [
                    {
                        "type": "body",
                        "parameters": [
                            {"type": "text", "text": "boom"},
                            {"type": "text", "text": "notify_failure"},
                            {"type": "text", "text": "3"},
                        ],
                    }
                ],
            },
        }
        for to in nf.TEAM
    ]


@pytest.mark.dag
def test_text_that_cannot_render_falls_back_to_the_default_message(failure_run: Run) -> None:
    (text,) = failure_run.texts_to(nf.FALLBACK)
    assert text.startswith("❌ Airflow task failed\nDAG: notify_failure\nTask: boom\n")
    assert all(f"\n{line}\n" in text for line in ERROR_LINE)
    assert text.splitlines()[-1].startswith(
        "(The notifier's text could not be rendered: UndefinedError:"
    )
    assert "no_such_param" in text
    assert "could not render 'text'" in failure_run.log


@pytest.mark.dag
def test_success_callback_renders_its_jinja_text(failure_run: Run) -> None:
    assert failure_run.texts_to(nf.SUCCESS) == [
        f"fine done in {failure_run.run_id} for data-platform"
    ]


@pytest.mark.dag
def test_dag_level_failure_callbacks_under_dag_test(failure_run: Run) -> None:
    """The context holds a serialized DAG without ``get_template_env``: no crash. 3.2+
    name the failed task. 3.1's context holds the last task by id (``fine``), and under
    ``dag.test()`` no supervisor answers which task failed (the provider opens no
    database session to find out): no task is named rather than the wrong one
    (``test_dag_callbacks_on_3_1.py``: a DAG processor's answer names it)."""
    default, jinja = failure_run.texts_to(nf.DAG_PHONE)
    lines = default.splitlines()
    assert lines[:4] == [
        "❌ Airflow DAG run failed",
        "DAG: notify_failure",
        "Last task: boom" if AIRFLOW_V_3_2_PLUS else "Failed task(s): not known to this callback",
        f"Run: {failure_run.run_id}",
    ]
    assert "Reason: task_failure" in lines
    if AIRFLOW_V_3_2_PLUS:  # 3.1's context holds another task's TI: no link to its log
        assert lines[-1].startswith("Log: http://localhost:8080/dags/notify_failure/runs/")
    else:
        assert not any(line.startswith("Log:") for line in lines)
    assert jinja == f"DAG notify_failure run {failure_run.run_id} failed: task_failure"
    assert "get_template_env" not in failure_run.log
    # DAG callbacks come last: after every task's alerts.
    assert [m.to for m in failure_run.messages[-2:]] == [digits(nf.DAG_PHONE)] * 2


# -- called directly ----------------------------------------------------------------------
ONE, TWO = "+1 555 010 0001", "15550100004"
THREE = "15550100005"
direct = pytest.mark.whatsapp_emulator(rate_limit=None)


async def _awaited(notifier: WhatsAppNotifier) -> None:
    await notifier


@direct
def test_async_notify_sends_to_every_recipient(
    whatsapp_emulator_connection: WhatsAppEmulator,
) -> None:
    whatsapp_emulator_connection.open_window(digits(ONE), TWO)
    notifier = WhatsAppNotifier(to=[ONE, TWO], text="async hello")
    asyncio.run(notifier.async_notify({"run_id": "manual_1"}))
    assert sorted(
        (m.to, m.payload["text"]["body"]) for m in whatsapp_emulator_connection.messages
    ) == [
        (digits(ONE), "async hello"),
        (TWO, "async hello"),
    ]


@direct
def test_awaiting_the_notifier_renders_its_context(
    whatsapp_emulator_connection: WhatsAppEmulator,
) -> None:
    """How Airflow runs it for deadline alerts (3.1+): ``await Notifier(..., context=)``."""
    whatsapp_emulator_connection.open_window(TWO)
    whatsapp_emulator_connection.add_template(
        nf.TEMPLATE, components=[{"type": "BODY", "text": nf.TEMPLATE_BODY}]
    )
    notifier = WhatsAppNotifier(
        to=TWO,
        template_name=nf.TEMPLATE,
        parameters=["{{ task_id }}", "{{ dag_id }}", "{{ try_number }}"],
        context={"task_id": "load", "dag_id": "etl", "try_number": 2},
    )
    asyncio.run(_awaited(notifier))
    (message,) = whatsapp_emulator_connection.messages
    params = message.payload["template"]["components"][0]["parameters"]
    assert [p["text"] for p in params] == ["load", "etl", "2"]
    assert notifier.parameters == ["{{ task_id }}", "{{ dag_id }}", "{{ try_number }}"]


@direct
def test_template_parameters_are_sent_on_one_line(
    whatsapp_emulator_connection: WhatsAppEmulator,
) -> None:
    """An exception's text often spans lines; WhatsApp refuses newlines, tabs and long
    space runs in template parameters, so an alert would be lost to formatting."""
    whatsapp_emulator_connection.add_template(
        nf.TEMPLATE, components=[{"type": "BODY", "text": nf.TEMPLATE_BODY}]
    )
    notifier = WhatsAppNotifier(
        to=TWO,
        template_name=nf.TEMPLATE,
        parameters=["{{ task_id }}", "{{ exception }}", "{{ try_number }}"],
    )
    error = ValueError("row 7:\n\tbad     date\r\n")
    notifier({"task_id": "load", "exception": error, "try_number": 1})
    (message,) = whatsapp_emulator_connection.messages
    params = message.payload["template"]["components"][0]["parameters"]
    assert [p["text"] for p in params] == ["load", "row 7: bad date", "1"]


@direct
def test_one_instance_renders_each_call_from_its_own_context(
    whatsapp_emulator_connection: WhatsAppEmulator,
) -> None:
    whatsapp_emulator_connection.open_window(TWO)
    notifier = send_whatsapp_notification(to=TWO, text="{{ ti.task_id }} failed: {{ exception }}")
    for task_id in ("extract", "load"):
        notifier({"ti": SimpleNamespace(task_id=task_id), "exception": KeyError("id")})
    assert [m.payload["text"]["body"] for m in whatsapp_emulator_connection.messages] == [
        "extract failed: 'id'",
        "load failed: 'id'",
    ]
    assert notifier.text == "{{ ti.task_id }} failed: {{ exception }}"


@direct
def test_thin_contexts_give_a_default_message_without_errors(
    whatsapp_emulator_connection: WhatsAppEmulator, capfd: pytest.CaptureFixture[str]
) -> None:
    whatsapp_emulator_connection.open_window(TWO)
    notifier = WhatsAppNotifier(to=TWO)
    notifier({})
    started = datetime.now() - timedelta(seconds=90)  # naive: taken as UTC
    notifier({"dag_run": SimpleNamespace(dag_id="etl", run_id="manual_7", start_date=started)})
    empty, run_only = (m.payload["text"]["body"] for m in whatsapp_emulator_connection.messages)
    assert empty == "Airflow notification\nDAG: ?"
    lines = run_only.splitlines()
    assert lines[:3] == ["Airflow notification", "DAG: etl", "Run: manual_7"]
    assert re.fullmatch(r"Duration: \d+\.\ds", lines[3])
    assert "Traceback" not in capfd.readouterr().out


def test_default_message_for_thin_and_dag_level_contexts() -> None:
    assert default_message({"exception": ValueError("bad row\nat line 2")}) == (
        "❌ Airflow failure\nDAG: ?\nError: ValueError: bad row"
    )
    # A DAG-level context: ``reason`` set, a detached DAG run, no task instance.
    dag_run = SimpleNamespace(
        dag_id="etl", run_id="r1", state="success", start_date=datetime.now(timezone.utc)
    )
    text = default_message({"reason": "success", "dag_run": dag_run, "run_id": "r1"})
    assert text.splitlines()[:3] == ["✅ Airflow DAG run succeeded", "DAG: etl", "Run: r1"]
    assert "Reason" not in text
    # A mapped task instance whose log URL cannot be built.
    ti = SimpleNamespace(task_id="send", map_index=3, try_number=1, state="up_for_retry")
    assert default_message({"ti": ti}).splitlines()[:3] == [
        "🔁 Airflow task will retry",
        "DAG: ?",
        "Task: send [3]",
    ]


@direct
def test_to_accepts_a_rendered_list_and_comma_separated_numbers(
    whatsapp_emulator_connection: WhatsAppEmulator,
) -> None:
    whatsapp_emulator_connection.open_window(digits(ONE), TWO)
    WhatsAppNotifier(to="{{ params.team }}", text="hi")({"params": {"team": [ONE, TWO]}})
    WhatsAppNotifier(to=f"{ONE}, {TWO}", text="hey")({})
    assert [(m.to, m.payload["text"]["body"]) for m in whatsapp_emulator_connection.messages] == [
        (digits(ONE), "hi"),
        (TWO, "hi"),
        (digits(ONE), "hey"),
        (TWO, "hey"),
    ]


@direct
def test_a_send_the_gateway_refuses_is_logged_not_raised(
    whatsapp_emulator_connection: WhatsAppEmulator, capfd: pytest.CaptureFixture[str]
) -> None:
    """(A recipient that is not a phone number raises: ``test_bad_recipients.py``.)"""
    WhatsAppNotifier(to=TWO, text="x")({})  # window closed: refused
    asyncio.run(WhatsAppNotifier(to=TWO, text="x").async_notify({}))
    out = capfd.readouterr().out
    assert out.count("WhatsApp notification to +1••••••0004 failed:") == 2
    assert TWO not in out  # masked, also where the API's error text repeats it
    assert [r.status for r in whatsapp_emulator_connection.requests] == [400, 400]
    assert not whatsapp_emulator_connection.messages


def test_emulator_down_or_connection_missing_is_logged_not_raised(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    conn = {
        "conn_type": "whatsapp",
        "host": f"http://127.0.0.1:{port}",
        "password": "emulator-key",
        "extra": {"phone_number_id": "100000000000001", "max_retries": 0},
    }
    monkeypatch.setenv("AIRFLOW_CONN_WHATSAPP_DOWN", json.dumps(conn))
    # max_retries=0: a refused connection is retryable, and the default budget is 60 s.
    down = WhatsAppNotifier(to=TWO, text="x", whatsapp_conn_id="whatsapp_down", max_retries=0)
    assert down({}) is None
    asyncio.run(down.async_notify({}))
    missing = WhatsAppNotifier(to=TWO, text="x", whatsapp_conn_id="no_such_connection")
    assert missing({}) is None
    asyncio.run(missing.async_notify({}))
    out = capfd.readouterr().out
    assert out.count("WhatsApp notification to +1••••••0004 failed:") == 2
    assert "Connection refused" in out or "ConnectError" in out
    assert out.count("WhatsApp notification not sent: connection unusable:") == 2
    assert "no_such_connection" in out
    assert "emulator-key" not in out


def test_a_gateway_in_trouble_holds_the_callback_briefly(
    whatsapp_emulator_connection: WhatsAppEmulator, capfd: pytest.CaptureFixture[str]
) -> None:
    """A callback runs in the worker or the DAG processor: the notifier's own timeout
    (10 s), retries (10) and retry budget (60 s) bound it, not the connection's 30 s and
    5 retries with no budget."""
    whatsapp_emulator_connection.open_window(TWO)
    whatsapp_emulator_connection.inject_faults(1.0, ["503"])
    default = WhatsAppNotifier(to=TWO, text="x")
    config = default.hook.config
    assert (config.timeout, config.max_retries, config.retry_budget) == (10.0, 10, 60.0)
    notifier = WhatsAppNotifier(to=TWO, text="x", max_retries=2)
    notifier({})
    assert [r.status for r in whatsapp_emulator_connection.requests] == [503, 503, 503]
    assert "WhatsApp notification to +1••••••0004 failed:" in capfd.readouterr().out
    patient = WhatsAppNotifier(to=TWO, text="x", timeout=None, max_retries=None, retry_budget=None)
    config = patient.hook.config
    assert (config.timeout, config.max_retries, config.retry_budget) == (30.0, 5, None)


def retry_waits(caplog: pytest.LogCaptureFixture) -> list[float]:
    """The waits the client announced in its warnings ("... retrying in 1.0 s: ...")."""
    found = (re.search(r"retrying in ([\d.]+) s", r.getMessage()) for r in caplog.records)
    return [float(match.group(1)) for match in found if match]


def test_retry_budget_honours_retry_after_and_bounds_the_total_wait(
    whatsapp_emulator_connection: WhatsAppEmulator,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every answer a 429 with Retry-After 1 s and a 2.5 s budget: the notifier waits
    what the gateway asks (not its 0.5 s backoff), twice, then gives up rather than
    start a wait that would pass the budget: 3 attempts, announced waits <= 2.5 s."""
    caplog.set_level("WARNING", logger="airflow_provider_whatsapp.client.transport")
    whatsapp_emulator_connection.open_window(TWO)
    whatsapp_emulator_connection.inject_faults(1.0, ["429"], retry_after=1.0)
    notifier = WhatsAppNotifier(to=TWO, text="x", retry_budget=2.5)
    notifier.notify({})
    sleeps = retry_waits(caplog)
    # Two waits fit unless this machine is very slow (the budget counts wall time too).
    assert 1 <= len(sleeps) <= 2 and all(1.0 <= s <= 1.1 for s in sleeps), sleeps
    assert sum(sleeps) <= 2.5
    assert [r.status for r in whatsapp_emulator_connection.requests] == [429] * (len(sleeps) + 1)
    assert "No WhatsApp notification could be sent" in capfd.readouterr().out
    # Several recipients share one budget: alone, each could wait twice.
    whatsapp_emulator_connection.reset()
    caplog.clear()
    whatsapp_emulator_connection.open_window(TWO, THREE)
    whatsapp_emulator_connection.inject_faults(1.0, ["429"], retry_after=1.0)
    pair = WhatsAppNotifier(to=[TWO, THREE], text="x", retry_budget=2.5)
    pair.notify({})
    sleeps = retry_waits(caplog)
    assert len(sleeps) <= 2 and sum(sleeps) <= 2.5, sleeps
    assert len(whatsapp_emulator_connection.requests) == len(sleeps) + 2  # one last try each


def test_text_and_template_are_exclusive() -> None:
    with pytest.raises(ValueError, match="either text or template_name"):
        WhatsAppNotifier(to=TWO, text="x", template_name="t")
