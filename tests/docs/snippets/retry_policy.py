# docs-test: task state=success messages=1 templates=spring_offer:1 airflow=3.3 reason="retry_policy= arrived in Airflow 3.3: on 3.1 and 3.2 whatsapp_retry_policy() raises WhatsAppConfigError saying so"
# [START retry_policy]
from datetime import timedelta

from airflow_provider_whatsapp.operators.messages import WhatsAppSendTemplateOperator
from airflow_provider_whatsapp.retry_policy import whatsapp_retry_policy

WhatsAppSendTemplateOperator(
    task_id="spring_offer",
    to="+1 650 555 1234",
    template_name="spring_offer",
    language="en_US",
    parameters=["Ann"],
    retries=3,                              # the policy picks when, retries how many times
    retry_delay=timedelta(minutes=5),       # for what the policy leaves to the task
    retry_policy=whatsapp_retry_policy(),   # or marketing_limit_delay=None: no retry on 131049
)
# [END retry_policy]
