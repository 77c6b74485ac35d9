"""Case b: a task fails; its own and the DAG's ``on_failure_callback`` both alert.

The DAG-level callback runs in the dag-processor, the task-level one in the worker.
"""

from __future__ import annotations

from airflow.sdk import DAG, task

from airflow_provider_whatsapp.notifications.whatsapp import send_whatsapp_notification

TASK_PHONE = "15550200001"
DAG_PHONE = "15550200002"
ERROR = "e2e: disk full on /data"

with DAG(
    "e2e_alerts",
    schedule=None,
    catchup=False,
    on_failure_callback=[send_whatsapp_notification(to=DAG_PHONE)],
) as dag:

    @task(retries=0, on_failure_callback=[send_whatsapp_notification(to=TASK_PHONE)])
    def boom() -> None:
        raise ValueError(ERROR)

    boom()
