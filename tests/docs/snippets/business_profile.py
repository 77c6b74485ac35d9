# docs-test: task state=success messages=0
# [START business_profile]
from airflow_provider_whatsapp.operators.profile import WhatsAppUpdateBusinessProfileOperator

WhatsAppUpdateBusinessProfileOperator(
    task_id="profile", about="Alerts from the data platform", websites=["https://example.com"]
)
# [END business_profile]
