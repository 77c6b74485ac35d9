"""Three sends with retries=1 (no delay): a bug in a user's operator subclass (a plain
``ValueError`` of its own code) must be retried by Airflow; input the provider refuses (a
number too short, a text too long) must fail at once, with nothing sent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.sdk import DAG

from airflow_provider_whatsapp.operators.messages import WhatsAppSendTextOperator


class ShiftReminderOperator(WhatsAppSendTextOperator):
    """A user's subclass that works out the text itself, with a bug in that code."""

    def build_message(self, context: Any) -> Any:
        hours = int(self.text.split()[0])  # the bug: "eight hours" -> ValueError
        self.text = f"Your shift starts in {hours} hours"
        return super().build_message(context)


with DAG(
    "error_retries_test",
    schedule=None,
    default_args={"retries": 1, "retry_delay": timedelta(seconds=0)},
) as dag:
    ShiftReminderOperator(task_id="user_bug", to="{{ dag_run.conf['to'] }}", text="eight hours")
    WhatsAppSendTextOperator(task_id="short_number", to="{{ dag_run.conf['short'] }}", text="Hi")
    WhatsAppSendTextOperator(
        task_id="long_text", to="{{ dag_run.conf['to'] }}", text="{{ dag_run.conf['long'] }}"
    )
