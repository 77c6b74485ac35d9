# docs-test: task state=success messages=0
# [START delete_delivery_record]
from airflow_provider_whatsapp.operators.bulk import (
    WhatsAppDeleteDeliveryRecordOperator, delete_delivery_record)

WhatsAppDeleteDeliveryRecordOperator(task_id="forget", bulk_task_ids="notify_customers")
# or from @task code: delete_delivery_record(dag_id, run_id, "notify_customers", map_index=-1)
# [END delete_delivery_record]
