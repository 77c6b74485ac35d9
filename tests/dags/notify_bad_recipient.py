"""Alerts whose recipient lists hold a typo, known only at send time (a Variable, params).

``tests/notifications/test_bad_recipients.py`` sets the Variable ``whatsapp_oncall`` (a
JSON list with one number that cannot be valid) and reads what the emulator received:
every valid recipient gets each alert, and each callback fails after its sends, naming
the bad one. A literal typo would stop this file from parsing (see
``tests/dags_with_errors/``), so every bad recipient here comes through Jinja.
"""

from __future__ import annotations

from airflow.sdk import DAG, task

from airflow_provider_whatsapp.notifications.whatsapp import (
    WhatsAppNotifier,
    send_whatsapp_notification,
)

ONCALL_1 = "+1 555 080 0001"
ONCALL_2 = "15550800002"
SUCCESS = "15550800003"
DAG_PHONE = "15550800004"
#: The Variable's value: a letter typo first, so it is what a naive send would trip on.
ONCALL_VARIABLE = f'["12ab34cd56ef", "{ONCALL_1}", "{ONCALL_2}"]'
NO_COUNTRY = "999999999999"  # passes the parse-time check; no country has code 9, 99, 999

with DAG(
    "notify_bad_recipient",
    schedule=None,
    catchup=False,
    params={"no_country": NO_COUNTRY},
    on_failure_callback=WhatsAppNotifier(
        to=["{{ params.no_country }}", DAG_PHONE], text="DAG {{ dag.dag_id }} failed"
    ),
) as dag:

    @task(
        on_failure_callback=send_whatsapp_notification(
            to="{{ var.value.whatsapp_oncall }}", text="{{ ti.task_id }} failed"
        ),
    )
    def boom() -> None:
        raise ValueError("disk full")

    @task(
        on_success_callback=WhatsAppNotifier(
            to="{{ params.no_country }}, " + SUCCESS, text="{{ ti.task_id }} done"
        ),
    )
    def fine() -> int:
        return 1

    boom()
    fine()
