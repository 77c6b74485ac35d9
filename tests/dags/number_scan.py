"""Every path that writes about a recipient, for ``tests/test_number_scan.py``.

A text send, a template send, a bulk send with invalid numbers among valid ones, a send
refused by the API (closed window: the emulator's error text repeats the number) with a
task-level failure alert, and a DAG-level failure alert; both alerts also hold a number
that only fails at send time. The deadline alert (``DEADLINE``) is run by the test
through Airflow's ``CallbackTrigger`` (``dag.test()`` cannot run a ``DeadlineAlert``).
The test then looks for every number below, in every form, in everything the run wrote.

Numbers are written as people write them (spaces, ``+``); UK 07700 900xxx and US
555-01xx are ranges reserved for fiction.
"""

from __future__ import annotations

from airflow.sdk import DAG
from airflow.sdk.definitions.deadline import AsyncCallback

from airflow_provider_whatsapp.notifications.whatsapp import WhatsAppNotifier
from airflow_provider_whatsapp.operators.bulk import WhatsAppBulkSendOperator
from airflow_provider_whatsapp.operators.messages import (
    WhatsAppSendTemplateOperator,
    WhatsAppSendTextOperator,
)

TEMPLATE = "scan_numbers"  # the test stores it APPROVED: body "Hello {{1}}"
TEXT_TO = "+44 7700 900123"
TEMPLATE_TO = "+1 555 010 7201"
BULK_OK = ["+44 7700 900131", "+1 555 010 7202"]
BULK_LETTERS = "+44 7700 9OO125"  # letter O for zero: a typo of a real number
BULK_TOO_SHORT = "+44 7700 9071"  # 9 digits after +44, numbers there have 10
BULK_NO_COUNTRY = "+999 1234 5678"  # no country has the code 9, 99 or 999
CLOSED = "+44 7700 900129"  # never wrote in: the API refuses free-form text
TASK_ALERT = ["+44 7700 900141", "+999 8765 4321"]  # the second fails at send time
DAG_ALERT = ["+1 555 010 7203", "+44 7700 9082"]  # the second too short for +44
DEADLINE = ["+44 7700 900151", "+1 555 010 7204"]
DEADLINE_BAD = "+999 5555 0000"

VALID = [TEXT_TO, TEMPLATE_TO, *BULK_OK, CLOSED, TASK_ALERT[0], DAG_ALERT[0], *DEADLINE]
INVALID = [BULK_LETTERS, BULK_TOO_SHORT, BULK_NO_COUNTRY, TASK_ALERT[1], DAG_ALERT[1]]
INVALID += [DEADLINE_BAD]

#: The deadline alert a DAG author would attach with ``DeadlineAlert(callback=...)``; the
#: second one also names a number that fails (the callback then fails, naming it).
DEADLINE_CALLBACK = AsyncCallback(WhatsAppNotifier, kwargs={"to": DEADLINE})
DEADLINE_CALLBACK_BAD = AsyncCallback(WhatsAppNotifier, kwargs={"to": [*DEADLINE, DEADLINE_BAD]})

with DAG(
    "number_scan",
    schedule=None,
    catchup=False,
    on_failure_callback=WhatsAppNotifier(to=DAG_ALERT, text="DAG {{ dag.dag_id }} failed"),
) as dag:
    WhatsAppSendTextOperator(task_id="send_text", to=TEXT_TO, text="Your report is ready")
    WhatsAppSendTemplateOperator(
        task_id="send_template",
        to=TEMPLATE_TO,
        template_name=TEMPLATE,
        language="en_US",
        parameters=["Ada"],
    )
    WhatsAppBulkSendOperator(
        task_id="bulk",
        recipients=[*BULK_OK, BULK_LETTERS, BULK_TOO_SHORT, BULK_NO_COUNTRY],
        template_name=TEMPLATE,
        language="en_US",
        parameters=["customer"],
        max_failure_ratio=0.0,  # the invalid ones fail the task: its error names them
        retries=0,
    )
    WhatsAppSendTextOperator(
        task_id="send_closed_window",
        to=CLOSED,
        text="Nobody wrote in: this one is refused",
        retries=0,
        on_failure_callback=WhatsAppNotifier(to=TASK_ALERT),  # the default message
    )
