"""Case g: a run misses its deadline; two WhatsApp alerts go out while the task still runs.

The deadline is ``DEADLINE_SECONDS`` after the run is queued; ``slow`` sleeps far longer,
so each alert must reach the emulator while the task still runs (the run then succeeds:
a missed deadline alerts, it does not fail anything). The first alert is an
``AsyncCallback`` (the triggerer sends it, every Airflow 3.1+); the second, on Airflow
3.2+, a named ``SyncCallback`` built by ``whatsapp_deadline_alert`` (an executor sends it;
3.3+ also stores the name).
"""

from __future__ import annotations

import time
from datetime import timedelta

from airflow.sdk import DAG, task
from airflow.sdk.definitions.deadline import AsyncCallback, DeadlineAlert, DeadlineReference

from airflow_provider_whatsapp.notifications.deadline import whatsapp_deadline_alert
from airflow_provider_whatsapp.notifications.whatsapp import WhatsAppNotifier
from airflow_provider_whatsapp.version_compat import HAS_SYNC_DEADLINE_CALLBACK

DEADLINE_PHONE = "15550600001"
EXECUTOR_DEADLINE_PHONE = "15550600002"
EXECUTOR_ALERT_NAME = "e2e run within 10 s"
DEADLINE_SECONDS = 10
SLOW_SECONDS = 45

alerts = [
    DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=timedelta(seconds=DEADLINE_SECONDS),
        callback=AsyncCallback(WhatsAppNotifier, kwargs={"to": DEADLINE_PHONE}),
    )
]
if HAS_SYNC_DEADLINE_CALLBACK:
    alerts.append(
        whatsapp_deadline_alert(
            name=EXECUTOR_ALERT_NAME,
            reference=DeadlineReference.DAGRUN_QUEUED_AT,
            interval=timedelta(seconds=DEADLINE_SECONDS),
            runs_on="executor",
            to=EXECUTOR_DEADLINE_PHONE,
        )
    )

with DAG("e2e_deadline", schedule=None, catchup=False, deadline=alerts) as dag:

    @task
    def slow() -> None:
        time.sleep(SLOW_SECONDS)

    slow()
