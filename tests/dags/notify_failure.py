"""Every notifier callback in one run: a task failing after two retries, a task that
succeeds, and the DAG's own failure callbacks.

``tests/notifications/test_notifier.py`` seeds the emulator (windows, template) and reads
what it received; each callback has its own number so each message is easy to find.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG, task

from airflow_provider_whatsapp.notifications.whatsapp import send_whatsapp_notification

ONCALL = "+1 555 010 0001"  # default messages (retries, failure)
RETRY = "15550100004"  # a Jinja text on every retry (one instance, rendered per call)
CLOSED = "15550100009"  # window closed: the free-form send is refused (131047)
TEAM = ["15550100002", "+1 (555) 010-0003"]  # the template alert, to two numbers
FALLBACK = "15550100005"  # a text that cannot render: the default message instead
SUCCESS = "15550100006"  # on_success_callback of `fine`
DAG_PHONE = "15550100007"  # DAG-level failure callbacks
TEMPLATE = "notify_alert"
TEMPLATE_BODY = "Task {{1}} of {{2}} failed on try {{3}}."
ERROR = "disk full on /data\nsecond line that must not reach the alert"

with DAG(
    "notify_failure",
    schedule=None,
    catchup=False,
    params={"owner": "data-platform"},
    on_failure_callback=[
        send_whatsapp_notification(to=DAG_PHONE),
        send_whatsapp_notification(
            to=DAG_PHONE, text="DAG {{ dag.dag_id }} run {{ run_id }} failed: {{ reason }}"
        ),
    ],
) as dag:

    @task(
        retries=2,
        retry_delay=timedelta(seconds=0),
        on_retry_callback=[
            send_whatsapp_notification(to=ONCALL),
            send_whatsapp_notification(
                to=RETRY, text="{{ ti.task_id }} failed on try {{ ti.try_number }}, retrying"
            ),
        ],
        on_failure_callback=[
            # First on purpose: its refused send must not stop the others.
            send_whatsapp_notification(to=CLOSED, text="never delivered"),
            send_whatsapp_notification(to=ONCALL),
            send_whatsapp_notification(
                to=TEAM,
                template_name=TEMPLATE,
                language="en_US",
                parameters=["{{ ti.task_id }}", "{{ dag.dag_id }}", "{{ ti.try_number }}"],
            ),
            send_whatsapp_notification(to=FALLBACK, text="{{ params.no_such_param }}"),
        ],
    )
    def boom() -> None:
        raise ValueError(ERROR)

    @task(
        on_success_callback=send_whatsapp_notification(
            to=SUCCESS, text="{{ ti.task_id }} done in {{ run_id }} for {{ params.owner }}"
        ),
    )
    def fine() -> int:
        return 42

    boom()
    fine()
