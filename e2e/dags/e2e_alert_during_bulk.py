"""Case e: a task fails while a bulk send holds the account; its alert must still arrive."""

from __future__ import annotations

from airflow.sdk import DAG, task

from airflow_provider_whatsapp.notifications.whatsapp import send_whatsapp_notification

ALERT_PHONE = "15550200009"

with DAG("e2e_alert_during_bulk", schedule=None, catchup=False) as dag:

    @task(retries=0, on_failure_callback=[send_whatsapp_notification(to=ALERT_PHONE)])
    def fail_now() -> None:
        raise RuntimeError("e2e: upstream feed missing")

    fail_now()
