"""Upload a local file, then delete it by the id the upload returned (templated arguments).

The file comes from ``WHATSAPP_TEST_MEDIA_PATH`` (read at parse time into a param).
"""

from __future__ import annotations

import os

from airflow.sdk import DAG

from airflow_provider_whatsapp.operators.media import (
    WhatsAppDeleteMediaOperator,
    WhatsAppUploadMediaOperator,
)

with DAG(
    "media_upload_delete",
    schedule=None,
    catchup=False,
    params={"path": os.environ.get("WHATSAPP_TEST_MEDIA_PATH", "missing.png")},
) as dag:
    upload = WhatsAppUploadMediaOperator(task_id="upload", path="{{ params.path }}")
    delete = WhatsAppDeleteMediaOperator(
        task_id="delete", media_id="{{ ti.xcom_pull(task_ids='upload') }}"
    )
    upload >> delete
