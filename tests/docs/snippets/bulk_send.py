# docs-test: task run=no reason="reads your export /data/exports/<ds>/customers.csv: the test builds the DAG only"
# [START bulk_send]
from airflow_provider_whatsapp.operators.bulk import WhatsAppBulkSendOperator

WhatsAppBulkSendOperator(
    task_id="notify_customers",
    recipients="/data/exports/{{ ds }}/customers.csv",   # or a list, or an XCom value
    template_name="weekly_summary",
    language="en_US",
    max_failure_ratio=0.02,
    concurrency=16,
)  # runs in the pool "whatsapp_default", named like its connection: see below
# [END bulk_send]
