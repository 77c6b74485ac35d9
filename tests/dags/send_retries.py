"""Two sends with retries=1: one to a closed 24-hour window (must not be retried), one
through ``whatsapp_flaky`` (a 503 first: must be retried)."""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG

from airflow_provider_whatsapp.operators.messages import WhatsAppSendTextOperator

with DAG(
    "send_retries_test",
    schedule=None,
    default_args={"retries": 1, "retry_delay": timedelta(seconds=0)},
) as dag:
    WhatsAppSendTextOperator(
        task_id="closed_window", to="{{ dag_run.conf['to'] }}", text="The window is closed"
    )
    WhatsAppSendTextOperator(
        task_id="transient",
        whatsapp_conn_id="whatsapp_flaky",
        to="{{ dag_run.conf['to'] }}",
        text="Second time lucky",
    )
