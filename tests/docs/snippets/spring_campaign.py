# docs-test: dag id=spring_campaign state=success messages=3 templates=spring_sale:0
# [START spring_campaign]
from airflow.sdk import DAG

from airflow_provider_whatsapp.operators.bulk import WhatsAppBulkSendOperator

with DAG(
    "spring_campaign",
    schedule=None,
    render_template_as_native_obj=True,
    params={"customers": ["+1 650 555 0101", "+1 650 555 0102", "+1 650 555 0103"]},
) as dag:
    WhatsAppBulkSendOperator(
        task_id="announce",
        recipients="{{ params.customers }}",
        template_name="spring_sale",
        language="en_US",
        over_messaging_limit="fail",  # the default; or "send_up_to_limit"
    )
# [END spring_campaign]
