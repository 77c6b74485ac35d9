"""Human-in-the-loop operators whose ``notifiers=`` send the request by WhatsApp.

``dag.test()`` cannot answer a request (on 3.3 it waits for an answer from outside; before,
its inline trigger polls until the timeout), so each task's last notifier is
``StopBeforeWaiting``: it fails the task right after the WhatsApp notifier sent with the
operator's real context, before the wait. ``tests/notifications/test_hitl.py`` reads
what the emulator received.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.providers.standard.operators.hitl import ApprovalOperator, HITLOperator
from airflow.sdk import DAG, BaseNotifier

from airflow_provider_whatsapp.notifications.whatsapp import WhatsAppNotifier
from airflow_provider_whatsapp.version_compat import hitl_response_timeout

APPROVER = "+1 555 010 0201"  # window open: the default message (cta_url)
CHOOSER = "15550100202"  # window open: several options, one link each
CLOSED = "15550100203"  # window closed: free-form refused (131047), a template reaches it
TEMPLATE = "airflow_approval"  # README.md, "Approvals on WhatsApp"
STOP = "dag.test() cannot wait for an answer: stopped after the notifiers"
#: Tasks whose notifiers all ran (``dag.test()`` runs them in the test's process).
REACHED_THE_WAIT: list[str] = []


class StopBeforeWaiting(BaseNotifier):
    """The last notifier: fail the task where it would start waiting."""

    def notify(self, context: Any) -> None:
        REACHED_THE_WAIT.append(context["task"].task_id)
        raise RuntimeError(STOP)


with DAG("hitl_request", schedule=None, catchup=False) as dag:
    ApprovalOperator(
        task_id="approve_release",
        subject="Deploy {{ dag.dag_id }} to production?",
        body="Release 2026.12 passed staging.\nChangelog: 14 fixes.",
        **hitl_response_timeout(timedelta(hours=2)),
        defaults="Reject",
        notifiers=[WhatsAppNotifier(to=APPROVER), StopBeforeWaiting()],
    )
    HITLOperator(
        task_id="choose_region",
        subject="Which region gets the canary?",
        options=["eu-west", "us-east", "ap-south"],
        assigned_users=[{"id": "7", "name": "Dana Ops"}, {"id": "9", "name": "Lee"}],
        notifiers=[WhatsAppNotifier(to=CHOOSER), StopBeforeWaiting()],
    )
    ApprovalOperator(
        task_id="approve_by_template",
        subject="Refresh the quarter's numbers?",
        notifiers=[
            WhatsAppNotifier(
                to=CLOSED,
                template_name=TEMPLATE,
                parameters=["{{ task.subject }}", "{{ task.options | join(' / ') }}"],
                link_button=0,
            ),
            StopBeforeWaiting(),
        ],
    )
    ApprovalOperator(
        task_id="approve_partly_sent",
        subject="Drop the staging tables?",
        # CLOSED is refused (free-form outside the window), APPROVER still gets it.
        notifiers=[WhatsAppNotifier(to=[CLOSED, APPROVER]), StopBeforeWaiting()],
    )
