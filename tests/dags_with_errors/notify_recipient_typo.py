"""A DAG whose alert lists a number with a typo: it must not parse.

Outside the suite's DAGs folder (``.airflowignore`` reads only ``tests/dags`` and
``example_dags``): ``tests/notifications/test_bad_recipients.py`` parses this folder on
its own and expects the import error to name the argument and the value.
"""

from __future__ import annotations

from airflow.sdk import DAG, task

from airflow_provider_whatsapp.notifications.whatsapp import WhatsAppNotifier

with DAG("notify_recipient_typo", schedule=None, catchup=False) as dag:

    @task(on_failure_callback=WhatsAppNotifier(to=["12ab34cd56ef", "15550900001", "15550900002"]))
    def boom() -> None:
        raise ValueError("disk full")

    boom()
