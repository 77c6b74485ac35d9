# docs-test: task state=success messages=1
# [START send_media]
from airflow_provider_whatsapp.operators.messages import WhatsAppSendMediaOperator

WhatsAppSendMediaOperator(
    task_id="send_chart",
    to="16505551234",
    media_type="image",                # image, video, audio, document, sticker
    media="https://bi.example.com/charts/{{ ds }}.png",  # or a media id, or a local file
    caption="Daily revenue {{ ds }}",
)
# [END send_media]
