"""One send with retries=1 (no delay), through a connection the test points at a plain-http
gateway: the task must fail on its first try, naming the connection field, with nothing
sent. ``FAILURES`` collects the failure callback's exception texts for the test to read."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.sdk import DAG

from airflow_provider_whatsapp.operators.messages import WhatsAppSendTextOperator

FAILURES: list[str] = []


def record_failure(context: Any) -> None:
    FAILURES.append(str(context.get("exception")))


with DAG(
    "plain_http_test",
    schedule=None,
    default_args={"retries": 1, "retry_delay": timedelta(seconds=0)},
) as dag:
    WhatsAppSendTextOperator(
        task_id="send",
        to="{{ dag_run.conf['to'] }}",
        text="Over plain http?",
        on_failure_callback=record_failure,
    )
