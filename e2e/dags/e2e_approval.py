"""Case i: an ``ApprovalOperator`` whose WhatsApp notifier sends the request; the test
opens the link it carries on the api-server, answers through the REST API
(``PATCH .../hitlDetails``), and the run goes on to ``publish``.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.providers.standard.operators.hitl import ApprovalOperator
from airflow.sdk import DAG, task

from airflow_provider_whatsapp.notifications.whatsapp import WhatsAppNotifier
from airflow_provider_whatsapp.version_compat import hitl_response_timeout

APPROVER_PHONE = "15550200301"
SUBJECT = "Publish the e2e report?"
BODY = "Staging passed; publishing emails 240 customers."

with DAG("e2e_approval", schedule=None, catchup=False) as dag:
    approve = ApprovalOperator(
        task_id="approve",
        subject=SUBJECT,
        body=BODY,
        **hitl_response_timeout(timedelta(hours=1)),
        defaults="Reject",
        notifiers=[WhatsAppNotifier(to=APPROVER_PHONE)],
    )

    @task
    def publish() -> str:
        return "published"

    approve >> publish()
