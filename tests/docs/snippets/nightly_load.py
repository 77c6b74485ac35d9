# docs-test: dag id=nightly_load state=failed messages=4
# [START nightly_load]
from airflow.sdk import DAG, task
from airflow_provider_whatsapp.notifications.whatsapp import send_whatsapp_notification

ONCALL = ["+1 650 555 1234", "+44 7700 900123"]

with DAG(
    "nightly_load",
    schedule="@daily",
    # Business-initiated: an approved template reaches people outside the 24-hour window.
    on_failure_callback=[
        send_whatsapp_notification(
            to=ONCALL,
            template_name="pipeline_failed",
            language="en_US",
            parameters=["{{ dag.dag_id }}", "{{ run_id }}"],
        )
    ],
) as dag:

    @task(on_failure_callback=[send_whatsapp_notification(to=ONCALL)])  # default message
    def load():
        raise ConnectionError("warehouse db.internal:5432 refused the connection")

    load()
# [END nightly_load]
