# docs-test: task run=no reason="uploads your /tmp/report.pdf: the test builds the DAG only"
# [START upload_media]
from airflow_provider_whatsapp.operators.media import (
    WhatsAppDeleteMediaOperator,
    WhatsAppUploadMediaOperator,
)

upload = WhatsAppUploadMediaOperator(task_id="upload", path="/tmp/report.pdf")  # -> media id
delete = WhatsAppDeleteMediaOperator(
    task_id="delete", media_id="{{ ti.xcom_pull(task_ids='upload') }}"
)
upload >> delete
# [END upload_media]
