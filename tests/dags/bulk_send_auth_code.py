"""Bulk send of an authentication template (a one-time code in its body and its copy-code
button) to the recipients in dag_run.conf: a business-scoped user id among them cannot
receive it, the numbers can."""

from __future__ import annotations

from airflow.sdk import DAG

from airflow_provider_whatsapp.operators.bulk import WhatsAppBulkSendOperator

CODE = [
    {"type": "body", "parameters": [{"type": "text", "text": "Z4K9Q2"}]},
    {
        "type": "button",
        "sub_type": "url",
        "index": 0,
        "parameters": [{"type": "text", "text": "Z4K9Q2"}],
    },
]

with DAG("bulk_send_auth_code_test", schedule=None, render_template_as_native_obj=True) as dag:
    WhatsAppBulkSendOperator(
        task_id="bulk",
        recipients="{{ dag_run.conf['recipients'] }}",
        template_name="login_code",
        components=CODE,
        max_failure_ratio=0.5,
        concurrency=4,
    )
