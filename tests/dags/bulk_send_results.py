"""Bulk sends whose results the tests read back: the default (no number in clear, rows in
XCom up to 50 recipients), the same with ``include_recipients=True``, and both with an
optional ``results_path`` from dag_run.conf. Retried once."""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG

from airflow_provider_whatsapp.operators.bulk import WhatsAppBulkSendOperator

XCOM_ROWS_UP_TO = 50


def bulk(**kwargs: object) -> WhatsAppBulkSendOperator:
    return WhatsAppBulkSendOperator(
        task_id="bulk",
        recipients="{{ dag_run.conf['recipients'] }}",
        template_name="notice",
        parameters=["Ann", "R1"],
        results_path="{{ dag_run.conf.get('results_path') }}",
        max_xcom_results=XCOM_ROWS_UP_TO,
        max_failure_ratio=0.4,
        concurrency=8,
        **kwargs,
    )


_retried = {"retries": 1, "retry_delay": timedelta(seconds=0)}

with DAG(
    "bulk_results_test",
    schedule=None,
    render_template_as_native_obj=True,
    default_args=_retried,
) as dag:
    bulk()

with DAG(
    "bulk_results_clear_test",
    schedule=None,
    render_template_as_native_obj=True,
    default_args=_retried,
) as clear_dag:
    bulk(include_recipients=True)
