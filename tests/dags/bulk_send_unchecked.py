"""Bulk send without the template pre-flight (``validate_template=False``): every
recipient's request goes out and the API's own answer is what the task reports."""

from __future__ import annotations

from airflow.sdk import DAG

from airflow_provider_whatsapp.operators.bulk import WhatsAppBulkSendOperator

with DAG("bulk_send_unchecked_test", schedule=None, render_template_as_native_obj=True) as dag:
    WhatsAppBulkSendOperator(
        task_id="bulk",
        recipients="{{ dag_run.conf['recipients'] }}",
        template_name="{{ dag_run.conf['template'] }}",
        parameters="{{ dag_run.conf.get('parameters') }}",
        validate_template=False,
        concurrency=4,
    )
