# docs-test: task state=success messages=1 conf='{"phone": "+1 650 555 1234"}'
# [START send_text]
from airflow_provider_whatsapp.operators.messages import WhatsAppSendTextOperator

WhatsAppSendTextOperator(
    task_id="tell_analyst",
    to="{{ dag_run.conf['phone'] }}",
    text="Report for {{ ds }} is ready: https://bi.example.com/r/{{ ds_nodash }}",
    preview_url=True,
)
# [END send_text]
