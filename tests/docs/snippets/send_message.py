# docs-test: task state=success messages=1
# [START send_message]
from airflow_provider_whatsapp.operators.messages import WhatsAppSendMessageOperator
from airflow_provider_whatsapp.messages import ReplyButtonsMessage

WhatsAppSendMessageOperator(
    task_id="ask",
    message=ReplyButtonsMessage.create(
        "16505551234", "Deploy release 42?", buttons={"yes": "Deploy", "no": "Hold"}
    ),
)
# or message={...API JSON...}, or message="messages/approval.json" (a Jinja-rendered file)
# [END send_message]
