# docs-test: dag id=nightly_report_on_worker state=success messages=0 airflow=3.2 deadline=drop reason="SyncCallback needs Airflow 3.2+; dag.test() cannot run a DAG with a DeadlineAlert (note below): the next block tests the alert"
# [START deadline_on_worker]
from datetime import timedelta

from airflow.sdk import DAG, task
from airflow.sdk.definitions.deadline import DeadlineReference
from airflow_provider_whatsapp.notifications.deadline import whatsapp_deadline_alert

with DAG(
    "nightly_report_on_worker",
    schedule="@daily",
    deadline=whatsapp_deadline_alert(
        name="Nightly report by 02:00",
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=timedelta(hours=2),  # 3.3+: or VariableInterval("report_deadline_seconds")
        runs_on="executor",  # a SyncCallback (3.2+)
        to=["+1 650 555 1234"],
    ),
) as dag:

    @task
    def build_report():
        ...

    build_report()
# [END deadline_on_worker]
