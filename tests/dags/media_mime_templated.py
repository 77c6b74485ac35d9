"""Upload and send a local file whose mime type comes from dag_run.conf (templated in both
operators: a file named without a telling extension needs it)."""

from __future__ import annotations

from airflow.sdk import DAG

from airflow_provider_whatsapp.operators.media import WhatsAppUploadMediaOperator
from airflow_provider_whatsapp.operators.messages import WhatsAppSendMediaOperator

with DAG("media_mime_templated_test", schedule=None) as dag:
    WhatsAppUploadMediaOperator(
        task_id="upload",
        path="{{ dag_run.conf['path'] }}",
        media_type="document",
        mime_type="{{ dag_run.conf['mime'] }}",
    )
    WhatsAppSendMediaOperator(
        task_id="send",
        to="{{ dag_run.conf['to'] }}",
        media_type="document",
        media="{{ dag_run.conf['path'] }}",
        mime_type="{{ dag_run.conf['mime'] }}",
    )
