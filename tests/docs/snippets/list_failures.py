# docs-test: task run=no reason="reads the result of the bulk task above: the test builds the DAG only"
# [START list_failures]
from airflow.sdk import task

@task(trigger_rule="all_done")  # runs after notify_customers, failed or not
def list_failures(ti=None):
    result = ti.xcom_pull(task_ids="notify_customers")   # same place on success and failure
    return [r for r in result["results"] if r["status"] == "failed"]

list_failures()
# [END list_failures]
