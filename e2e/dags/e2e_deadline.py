"""Case g: a run misses its deadline; the triggerer sends the WhatsApp alert meanwhile.

The deadline is ``DEADLINE_SECONDS`` after the run is queued; ``slow`` sleeps far longer,
so the alert must reach the emulator while the task still runs (the run then succeeds:
a missed deadline alerts, it does not fail anything).
"""

from __future__ import annotations

import time
from datetime import timedelta

from airflow.sdk import DAG, task
from airflow.sdk.definitions.deadline import AsyncCallback, DeadlineAlert, DeadlineReference

from airflow_provider_whatsapp.notifications.whatsapp import WhatsAppNotifier

DEADLINE_PHONE = "15550600001"
DEADLINE_SECONDS = 10
SLOW_SECONDS = 45

with DAG(
    "e2e_deadline",
    schedule=None,
    catchup=False,
    deadline=DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=timedelta(seconds=DEADLINE_SECONDS),
        callback=AsyncCallback(WhatsAppNotifier, kwargs={"to": DEADLINE_PHONE}),
    ),
) as dag:

    @task
    def slow() -> None:
        time.sleep(SLOW_SECONDS)

    slow()
