# docs-test: task state=success messages=1 templates=order_update:2
# [START send_template]
from airflow_provider_whatsapp.operators.messages import WhatsAppSendTemplateOperator

WhatsAppSendTemplateOperator(
    task_id="order_ready",
    to="16505551234",
    template_name="order_update",
    language="en_US",
    parameters=["{{ params.order_id }}", "Friday"],      # list: {{1}}, {{2}}; dict: named
    params={"order_id": "A-1042"},
)
# [END send_template]
