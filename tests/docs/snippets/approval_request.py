# docs-test: task run=no reason="the task then waits for a person's answer: the test builds the DAG only; tests/notifications/test_hitl.py runs the same notifier in an ApprovalOperator up to the wait, and make e2e (case i) answers it"
# [START approval_request]
from datetime import timedelta

from airflow.providers.standard.operators.hitl import ApprovalOperator
from airflow_provider_whatsapp.notifications.whatsapp import WhatsAppNotifier
from airflow_provider_whatsapp.version_compat import hitl_response_timeout

APPROVERS = ["+1 650 555 1234", "+44 7700 900123"]

ApprovalOperator(
    task_id="approve_release",
    subject="Deploy the nightly build to production?",
    body="Staging passed: 312 tests, 0 failures.",
    # response_timeout=timedelta(hours=4) on standard provider 1.13+; Airflow 3.1's 1.12
    # calls it execution_timeout: this gives the one the installed provider takes.
    **hitl_response_timeout(timedelta(hours=4)),
    defaults="Reject",  # taken when nobody answers in time
    notifiers=[WhatsAppNotifier(to=APPROVERS)],  # default message: the request
)
# [END approval_request]
