"""A template send mapped over three recipients (``.partial().expand(to=[...])``)."""

from __future__ import annotations

from airflow.sdk import DAG

from airflow_provider_whatsapp.operators.messages import WhatsAppSendTemplateOperator

with DAG("send_mapped_test", schedule=None) as dag:
    WhatsAppSendTemplateOperator.partial(
        task_id="send",
        template_name="reminder",
        language="en_US",
        parameters=["{{ dag_run.conf['name'] }}", "{{ ds }}"],
    ).expand(to=["16505550101", "16505550102", "16505550103"])
