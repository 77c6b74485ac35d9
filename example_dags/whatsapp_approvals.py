"""An approval on WhatsApp: a person answers from the phone before the pipeline goes on.

What it shows:

- ``ApprovalOperator`` (Airflow 3.1+, ``apache-airflow-providers-standard``) with
  ``WhatsAppNotifier`` in its ``notifiers=``: right after the request is written, each
  approver gets the **request itself** (subject, body, the options, the deadline and what
  happens then, DAG, task and run) with a button, *Answer in Airflow*, that opens the
  task's *Required actions* page. The link is built on ``[api] base_url`` (set it: Airflow
  cannot guess its own host), path prefix kept. It is free-form (an interactive
  ``cta_url`` message): it reaches approvers inside the 24-hour window; outside it, send
  an approved template with a URL button instead (``template_name=`` and
  ``link_button=``, README "Approvals on WhatsApp").
- the answer: Approve lets ``publish`` run; Reject skips it; no answer within
  ``RESPONSE_TIMEOUT`` takes ``defaults`` (Reject). Answer in the UI, or through the
  REST API: ``PATCH /api/v2/dags/whatsapp_approvals/dagRuns/{run_id}/taskInstances/
  approve_publish/-1/hitlDetails`` with ``{"chosen_options": ["Approve"]}``.
- a request that reaches not every approver fails the task before it waits (every valid
  approver gets it first), so nobody waits on an answer no one was asked for.

The run waits for a person: ``airflow dags test`` waits too until someone answers in the
UI of an api-server on the same database (or until the timeout, before Airflow 3.3).

Adapt: ``APPROVERS``, ``RESPONSE_TIMEOUT``; the connection is ``whatsapp_default``.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.providers.standard.operators.hitl import ApprovalOperator
from airflow.sdk import DAG, task

from airflow_provider_whatsapp.notifications.whatsapp import WhatsAppNotifier
from airflow_provider_whatsapp.version_compat import hitl_response_timeout

# --- adapt these -----------------------------------------------------------------------
APPROVERS = ["+1 555 010 0301"]  # inside the 24-hour window (they wrote in): free-form
RESPONSE_TIMEOUT = timedelta(hours=8)  # then `defaults` is the answer
# ----------------------------------------------------------------------------------------

with DAG(
    "whatsapp_approvals",
    schedule=None,
    catchup=False,
    tags=["example", "whatsapp"],
    doc_md=__doc__,
) as dag:
    approve = ApprovalOperator(
        task_id="approve_publish",
        subject="Publish this week's revenue report?",
        body="The numbers are in; 3 regions are late. Publishing emails 240 customers.",
        # response_timeout= (standard provider 1.13+), execution_timeout= on 1.12: this
        # gives the one the installed provider takes.
        **hitl_response_timeout(RESPONSE_TIMEOUT),
        defaults="Reject",
        notifiers=[WhatsAppNotifier(to=APPROVERS)],
    )

    @task
    def publish() -> str:
        return "published"

    approve >> publish()
