"""Bulk send of one API-shaped message (``message=``) from dag_run.conf."""

from __future__ import annotations

from airflow.sdk import DAG

from airflow_provider_whatsapp.operators.bulk import WhatsAppBulkSendOperator

with DAG("bulk_send_message_test", schedule=None, render_template_as_native_obj=True) as dag:
    WhatsAppBulkSendOperator(
        task_id="bulk",
        recipients="{{ dag_run.conf['recipients'] }}",
        message="{{ dag_run.conf['message'] }}",
        concurrency=4,
    )
