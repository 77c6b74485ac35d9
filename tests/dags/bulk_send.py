"""Bulk send driven by dag_run.conf (recipients, parameters), retried once."""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG

from airflow_provider_whatsapp.operators.bulk import WhatsAppBulkSendOperator

with DAG(
    "bulk_send_test",
    schedule=None,
    render_template_as_native_obj=True,
    default_args={"retries": 1, "retry_delay": timedelta(seconds=0)},
) as dag:
    WhatsAppBulkSendOperator(
        task_id="bulk",
        recipients="{{ dag_run.conf['recipients'] }}",
        template_name="{{ dag_run.conf.get('template', 'notice') }}",
        language="en_US",
        parameters="{{ dag_run.conf.get('parameters') }}",
        max_failure_ratio=0.2,
        concurrency=8,
        progress_every=1.0,
    )
