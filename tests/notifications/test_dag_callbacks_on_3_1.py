"""The DAG-level failure message on Airflow 3.1, whose DAG callbacks get the run's last task
*by id* (here ``zz_report``, which succeeded) rather than the one that failed.

3.1 cannot be installed beside 3.3, so its version flag is switched off and the context's TI
is the part of 3.1 that matters: the task SDK's public ``get_task_states``, which the DAG
processor's supervisor answers (and nobody answers under ``dag.test()``). The message goes
through the emulator. The provider never opens a metadata-database session to find out.
"""

from __future__ import annotations

from typing import Any

import pytest

import airflow_provider_whatsapp.notifications.whatsapp as notifier_module
from airflow_provider_whatsapp.notifications.whatsapp import WhatsAppNotifier, failed_task_ids
from airflow_provider_whatsapp.testing import WhatsAppEmulator

PHONE = "15550800001"
direct = pytest.mark.whatsapp_emulator(rate_limit=None)


class LastTaskById:
    """What 3.1 puts in ``context["ti"]`` of a DAG callback, as far as the message uses it."""

    task_id = "zz_report"
    dag_id = "etl"
    run_id = "scheduled__1"
    map_index = -1
    try_number = 1
    state = "success"
    log_url = "http://localhost:8080/dags/etl/runs/scheduled__1/tasks/zz_report"

    def __init__(self, states: dict[str, str] | None = None, error: Exception | None = None):
        self.states = states or {}
        self.error = error
        self.asked: list[tuple[str, list[str]]] = []

    def get_task_states(self, dag_id: str, run_ids: list[str], **_: Any) -> dict[str, Any]:
        self.asked.append((dag_id, run_ids))
        if self.error is not None:
            raise self.error
        return {"scheduled__1": self.states}


def dag_failure(ti: LastTaskById) -> dict[str, Any]:
    return {"ti": ti, "run_id": "scheduled__1", "reason": "task_failure"}


@pytest.fixture
def airflow_3_1(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Airflow 3.1's flag, and a record of any metadata-database session opened."""
    from airflow.utils import session

    opened: list[str] = []

    def create_session(*args: Any, **kwargs: Any) -> Any:
        opened.append("create_session")
        raise AssertionError("the provider opened a metadata-database session")

    monkeypatch.setattr(notifier_module, "AIRFLOW_V_3_2_PLUS", False)
    monkeypatch.setattr(session, "create_session", create_session)
    return opened


def sent_text(emulator: WhatsAppEmulator) -> list[str]:
    (message,) = emulator.messages
    return list(message.payload["text"]["body"].splitlines())


@direct
def test_a_dag_processor_names_the_failed_task_through_the_task_sdk(
    whatsapp_emulator_connection: WhatsAppEmulator, airflow_3_1: list[str]
) -> None:
    whatsapp_emulator_connection.open_window(PHONE)
    ti = LastTaskById({"boom": "failed", "fine": "success", "zz_report": "success"})
    WhatsAppNotifier(to=PHONE)(dag_failure(ti))
    lines = sent_text(whatsapp_emulator_connection)
    assert lines[:4] == [
        "❌ Airflow DAG run failed",
        "DAG: etl",
        "Last task: boom",
        "Run: scheduled__1",
    ]
    assert not any("zz_report" in line for line in lines)  # nor its log link
    assert ti.asked == [("etl", ["scheduled__1"])]
    assert airflow_3_1 == []


@direct
def test_with_nobody_to_ask_no_task_is_named_and_no_database_is_opened(
    whatsapp_emulator_connection: WhatsAppEmulator, airflow_3_1: list[str]
) -> None:
    """``dag.test()`` on 3.1 runs DAG callbacks with no supervisor: the TI's call fails
    (``SUPERVISOR_COMMS`` is not defined). The alert still goes out."""
    whatsapp_emulator_connection.open_window(PHONE)
    ti = LastTaskById(error=NameError("name 'SUPERVISOR_COMMS' is not defined"))
    WhatsAppNotifier(to=PHONE)(dag_failure(ti))
    lines = sent_text(whatsapp_emulator_connection)
    assert lines[:5] == [
        "❌ Airflow DAG run failed",
        "DAG: etl",
        "Failed task(s): not known to this callback",
        "Run: scheduled__1",
        "Reason: task_failure",
    ]
    assert airflow_3_1 == []


def test_the_contexts_task_is_kept_when_it_failed_or_none_did(airflow_3_1: list[str]) -> None:
    failed_last = LastTaskById({"boom": "failed", "zz_report": "failed"})
    assert failed_task_ids(dag_failure(failed_last)) is None
    timed_out = LastTaskById({"boom": "success", "zz_report": "success"})
    assert failed_task_ids(dag_failure(timed_out)) is None
    several = LastTaskById({"load": "failed", "extract": "failed", "zz_report": "upstream_failed"})
    assert failed_task_ids(dag_failure(several)) == ["extract", "load"]
    # Task callbacks and DAG successes are not looked up.
    for context in ({"ti": several}, {**dag_failure(several), "reason": "success"}):
        assert failed_task_ids(context) is None
    assert len(several.asked) == 1


def test_airflow_3_2_and_later_ask_nobody(monkeypatch: pytest.MonkeyPatch) -> None:
    """3.2+ give the DAG callback the task that failed: nothing to look up."""
    monkeypatch.setattr(notifier_module, "AIRFLOW_V_3_2_PLUS", True)
    ti = LastTaskById({"boom": "failed"})
    assert failed_task_ids(dag_failure(ti)) is None
    assert ti.asked == []
