"""Failure alerts on WhatsApp: the notifier on a task's retries and failure, and on the DAG.

What it shows:

- ``on_retry_callback`` and ``on_failure_callback`` on a task with the **default
  message** (DAG, task, run, try, duration, the error's first line and the log link).
  That is free-form text: WhatsApp delivers it only to numbers inside the 24-hour window
  (they wrote to your business number in the last 24 hours), e.g. an on-call phone that
  messages the business number at the start of each shift.
- the same alert as an **approved template** (``ALERT_TEMPLATE``): business-initiated
  messages must be templates, so this is how to reach a team that never writes in.
  Create the template from ``templates/airflow_alert.yaml`` (``whatsapp_template_sync``
  does it) and wait for Meta's approval before relying on it.
- a DAG-level ``on_failure_callback``: one summary message per failed run.
- a **deadline alert** (Airflow 3.1+): ``DeadlineAlert`` with the notifier as its
  ``AsyncCallback``. If a run is not done ``DEADLINE`` after it was queued, the triggerer
  sends "⏰ Airflow deadline missed" (DAG, run, the deadline, by how much it was missed,
  the run's state and link) while the run is still going. Airflow drops a pending
  deadline only when the run *succeeds* in time: this DAG's failed runs still miss it
  (``DEADLINE`` after they were queued, 30 minutes here). On Airflow 3.0, which has no
  deadline alerts, the DAG parses and runs without it.

**This DAG fails on purpose.** ``load_orders`` raises on every try, so you see the retry
alert and then the failure alert; ``export_report`` fails once and alerts the team with
the template; ``publish`` never runs (upstream failed, no alert of its own). The run ends
FAILED and ``airflow dags test whatsapp_failure_alerts`` exits 1. A failed alert send is
logged and never hides or replaces the task's own failure.

Adapt: ``ONCALL_PHONE``, ``ONCALL_TEAM``, ``ALERT_TEMPLATE`` / ``ALERT_LANGUAGE``; the
connection is ``whatsapp_default``.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from airflow.sdk import DAG, task

from airflow_provider_whatsapp.notifications.whatsapp import send_whatsapp_notification

try:  # deadline alerts: Airflow 3.1+
    from airflow.sdk.definitions.deadline import AsyncCallback, DeadlineAlert, DeadlineReference
except ImportError:  # pragma: no cover - Airflow 3.0: the DAG runs without its deadline
    DeadlineAlert = None  # type: ignore[assignment,misc]

# --- adapt these -----------------------------------------------------------------------
ONCALL_PHONE = "+1 555 010 0001"  # inside the 24-hour window: free-form text reaches it
ONCALL_TEAM = ["+1 555 010 0002", "+1 555 010 0003"]  # anyone: templates only
ALERT_TEMPLATE = "airflow_alert"  # "task {{1}} of DAG {{2}} failed on try {{3}}"
ALERT_LANGUAGE = "en_US"
RETRY_DELAY = timedelta(seconds=1)  # short so the example finishes fast; minutes in real life
DEADLINE = timedelta(minutes=30)  # a run not done this long after it was queued is late
# ----------------------------------------------------------------------------------------

# The default message: what failed, where, which try, the error and the log link.
oncall_default = send_whatsapp_notification(to=ONCALL_PHONE)

# Business-initiated: an approved template, with its placeholders filled by Jinja.
team_template = send_whatsapp_notification(
    to=ONCALL_TEAM,
    template_name=ALERT_TEMPLATE,
    language=ALERT_LANGUAGE,
    parameters=["{{ ti.task_id }}", "{{ dag.dag_id }}", "{{ ti.try_number }}"],
)

# Late, not failed: the triggerer awaits the notifier with the missed deadline's context.
deadline: dict[str, Any] = {}  # DAG(**deadline): Airflow 3.0's DAG takes no deadline
if DeadlineAlert is not None:
    deadline["deadline"] = DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=DEADLINE,
        callback=AsyncCallback(send_whatsapp_notification, kwargs={"to": ONCALL_PHONE}),
    )

with DAG(
    "whatsapp_failure_alerts",
    schedule=None,
    start_date=datetime(2025, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    tags=["example", "whatsapp", "alerts"],
    doc_md=__doc__,
    # One message per failed run (reason, last failed task, log link).
    on_failure_callback=[send_whatsapp_notification(to=ONCALL_PHONE)],
    **deadline,
) as dag:

    @task(
        retries=1,
        retry_delay=RETRY_DELAY,
        on_retry_callback=[oncall_default],
        on_failure_callback=[oncall_default],
    )
    def load_orders() -> None:
        """Stands in for a flaky load whose source is down: fails on every try."""
        raise ConnectionError(
            "warehouse db.internal:5432 refused the connection\n"
            "(only the first line of an error goes into the alert)"
        )

    @task(on_failure_callback=[team_template])
    def export_report() -> None:
        """Fails once; the team hears about it through the approved template."""
        raise RuntimeError("report export quota exceeded for today")

    @task
    def publish() -> None:
        """Never runs: its upstream fails (an upstream failure sends no alert of its own)."""

    load_orders() >> publish()
    export_report()
