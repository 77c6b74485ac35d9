# docs-test: dag state=success messages=0 deadline=drop reason="Airflow's dag.test() cannot run a DAG with a DeadlineAlert on 3.1.8 and 3.3.2 (see the note below): the test checks the deadline is there, then runs the DAG without it"
# [START deadline_alert]
from datetime import timedelta

from airflow.sdk import DAG, task
from airflow.sdk.definitions.deadline import AsyncCallback, DeadlineAlert, DeadlineReference
from airflow_provider_whatsapp.notifications.whatsapp import WhatsAppNotifier

ONCALL = ["+1 650 555 1234", "+44 7700 900123"]

with DAG(
    "nightly_report",
    schedule="@daily",
    deadline=DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,  # or DAGRUN_LOGICAL_DATE, FIXED_DATETIME(...)
        interval=timedelta(hours=2),
        callback=AsyncCallback(WhatsAppNotifier, kwargs={"to": ONCALL}),  # default message
    ),
) as dag:

    @task
    def build_report():
        ...  # your work; still running 2 hours after the run was queued: ONCALL hears of it

    build_report()
# [END deadline_alert]
