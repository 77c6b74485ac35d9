"""Case h: every way the provider writes about a recipient, for the scan of logs and outputs.

A text send, a template send, a bulk send with invalid numbers among valid ones (it fails,
naming them), a send the API refuses (window closed: the emulator's error text repeats the
number) with a task-level failure alert, and a DAG-level failure alert (run by the
dag-processor); both alerts also hold a number that fails only at send time. The test opens
the windows of ``OPEN``, then looks for every number here, and every number the emulator
received during the whole e2e, in the task logs and every component's output.

Numbers are written as people write them; UK 07700 900xxx is a range reserved for fiction.
"""

from __future__ import annotations

from airflow.sdk import DAG

from airflow_provider_whatsapp.notifications.whatsapp import WhatsAppNotifier
from airflow_provider_whatsapp.operators.bulk import WhatsAppBulkSendOperator
from airflow_provider_whatsapp.operators.messages import (
    WhatsAppSendTemplateOperator,
    WhatsAppSendTextOperator,
)

TEMPLATE = "e2e_notice"  # the emulator's --template: "Hello {{1}}"
TEXT_TO = "+44 7700 900201"
TEMPLATE_TO = "+44 7700 900202"
BULK_OK = ["+44 7700 900203", "+44 7700 900204"]
# A letter O for a zero; too short for +44; no country has the code 9, 99 or 999.
BULK_INVALID = ["+44 7700 9OO205", "+44 7700 9206", "+999 1234 0207"]
CLOSED = "+44 7700 900208"  # never wrote in: the API refuses free-form text
TASK_ALERT = ["+44 7700 900209", "+999 1234 0210"]
DAG_ALERT = ["+44 7700 900211", "+44 7700 9212"]
#: Windows the test opens (all valid numbers but CLOSED), and the numbers never sent.
OPEN = [
    "+44 7700 900201",
    "+44 7700 900202",
    "+44 7700 900203",
    "+44 7700 900204",
    "+44 7700 900209",
    "+44 7700 900211",
]
INVALID = ["+44 7700 9OO205", "+44 7700 9206", "+999 1234 0207", "+999 1234 0210", "+44 7700 9212"]

with DAG(
    "e2e_numbers",
    schedule=None,
    catchup=False,
    on_failure_callback=[WhatsAppNotifier(to=DAG_ALERT, text="DAG {{ dag.dag_id }} failed")],
) as dag:
    WhatsAppSendTextOperator(task_id="send_text", to=TEXT_TO, text="Your report is ready")
    WhatsAppSendTemplateOperator(
        task_id="send_template",
        to=TEMPLATE_TO,
        template_name=TEMPLATE,
        language="en_US",
        parameters=["e2e"],
    )
    WhatsAppBulkSendOperator(
        task_id="bulk",
        recipients=[*BULK_OK, *BULK_INVALID],
        template_name=TEMPLATE,
        language="en_US",
        parameters=["e2e"],
        max_failure_ratio=0.0,  # the invalid ones fail the task: its error names them
        include_results=False,
        retries=0,
    )
    WhatsAppSendTextOperator(
        task_id="send_closed_window",
        to=CLOSED,
        text="Nobody wrote in: this one is refused",
        retries=0,
        on_failure_callback=[WhatsAppNotifier(to=TASK_ALERT)],  # the default message
    )
