# docs-test: pytest uses=nightly_report_on_worker
# [START testing_deadline_on_worker]
# tests/test_nightly_report_deadline.py
from datetime import datetime, timedelta, timezone

import pytest
from airflow_provider_whatsapp.notifications.whatsapp import WhatsAppNotifier
from airflow_provider_whatsapp.version_compat import HAS_SYNC_DEADLINE_CALLBACK


def test_the_deadline_alert_reaches_oncall(whatsapp_emulator_connection):
    if not HAS_SYNC_DEADLINE_CALLBACK:
        pytest.skip("SyncCallback needs Airflow 3.2+")
    from nightly_report_on_worker import dag

    whatsapp_emulator_connection.open_window("+1 650 555 1234")
    (alert,) = dag.deadline
    now = datetime.now(timezone.utc)
    context = {  # what Airflow gives a deadline callback
        "dag_run": {"dag_id": dag.dag_id, "dag_run_id": "manual__1", "state": "running"},
        "deadline": {"id": "0199", "deadline_time": now - timedelta(minutes=3)},
    }

    WhatsAppNotifier(**alert.callback.kwargs, context=context)(context)

    [message] = whatsapp_emulator_connection.sent_to("16505551234")
    assert message.payload["text"]["body"].splitlines()[:3] == [
        "⏰ Airflow deadline missed: Nightly report by 02:00",
        "DAG: nightly_report_on_worker",
        "Run: manual__1",
    ]
# [END testing_deadline_on_worker]
