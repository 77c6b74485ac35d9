"""Bulk template send against the sending number's messaging limit: recipients from
dag_run.conf; what to do over the limit from the Variable ``whatsapp_over_messaging_limit``
(default "fail"), so a test may change it between a run and its retry. Retried once."""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG

from airflow_provider_whatsapp.operators.bulk import WhatsAppBulkSendOperator

with DAG(
    "bulk_send_limits_test",
    schedule=None,
    render_template_as_native_obj=True,
    default_args={"retries": 1, "retry_delay": timedelta(seconds=0)},
) as dag:
    WhatsAppBulkSendOperator(
        task_id="bulk",
        recipients="{{ dag_run.conf['recipients'] }}",
        template_name="notice",
        language="en_US",
        parameters=["Ann", "R1"],
        over_messaging_limit="{{ var.value.get('whatsapp_over_messaging_limit', 'fail') }}",
        concurrency=8,
    )


with DAG("bulk_text_limits_test", schedule=None, render_template_as_native_obj=True) as text_dag:
    WhatsAppBulkSendOperator(
        task_id="bulk",
        recipients="{{ dag_run.conf['recipients'] }}",
        message={"type": "text", "text": {"body": "Your report is ready"}},
        concurrency=8,
    )
