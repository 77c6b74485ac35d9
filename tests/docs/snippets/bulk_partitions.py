# docs-test: task run=no reason="reads customers-0.csv ... customers-3.csv beside your DAG file: the test builds the DAG only"
# [START bulk_partitions]
from airflow_provider_whatsapp.operators.bulk import WhatsAppBulkSendOperator

WhatsAppBulkSendOperator.partial(
    task_id="notify_customers",
    template_name="weekly_summary",
    language="en_US",
    max_failure_ratio=0.02,
    retries=2,
).expand(recipients=[f"customers-{i}.csv" for i in range(4)])  # one task per file
# [END bulk_partitions]
