"""Bulk send driven by dag_run.conf (recipients, parameters), retried once; and a DAG
that deletes a bulk task's delivery record."""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG

from airflow_provider_whatsapp.operators.bulk import (
    WhatsAppBulkSendOperator,
    WhatsAppDeleteDeliveryRecordOperator,
)

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


with DAG("bulk_record_cleanup_test", schedule=None) as cleanup:
    WhatsAppDeleteDeliveryRecordOperator(
        task_id="delete_record",
        bulk_task_ids="bulk",
        bulk_dag_id="{{ dag_run.conf['dag_id'] }}",
        bulk_run_id="{{ dag_run.conf['run_id'] }}",
    )
