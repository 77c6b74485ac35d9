# docs-test: task state=success messages=1 templates=order_update:2
# [START send_to_bsuid]
from airflow_provider_whatsapp.operators.messages import WhatsAppSendTemplateOperator

WhatsAppSendTemplateOperator(
    task_id="order_ready_for_username_user",
    to="US.13491208655302741918",                       # a BSUID: sent as "recipient"
    template_name="order_update",
    parameters=["A-1042", "Friday"],
)
# [END send_to_bsuid]
