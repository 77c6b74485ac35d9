"""Celery case c: one account shared by ``PARTITIONS`` mapped bulk tasks at once.

``WhatsAppBulkSendOperator.partial(...).expand(recipients=...)`` over ``PARTITIONS`` blocks
of ``conf["count"] // PARTITIONS`` numbers from ``conf["block"] * 10000``, all through
``whatsapp_default`` at its default settings (the test has the emulator limit the account
at Maton's 10/s). As in ``e2e_bulk.py`` the conf names a block, never a whole number
(Airflow logs a run's conf); each partition is a template rendered in its own task, so no
number goes through XCom either.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG

from airflow_provider_whatsapp.operators.bulk import WhatsAppBulkSendOperator

PARTITIONS = 4
TEMPLATE = "e2e_notice"  # the emulator's --template: "Hello {{1}}"
_FIRST = "dag_run.conf['block'] * 10000"
_SIZE = f"(dag_run.conf['count'] // {PARTITIONS})"
PARTS = [
    f"{{{{ range({_FIRST} + {i} * {_SIZE}, {_FIRST} + {i + 1} * {_SIZE}) | map('string') | list }}}}"
    for i in range(PARTITIONS)
]

with DAG(
    "e2e_bulk_mapped", schedule=None, catchup=False, render_template_as_native_obj=True
) as dag:
    WhatsAppBulkSendOperator.partial(
        task_id="bulk",
        template_name=TEMPLATE,
        language="en_US",
        parameters=["e2e"],
        include_results=False,  # phone numbers stay out of XCom
        progress_every=1.0,
        retries=0,
        retry_delay=timedelta(seconds=0),
    ).expand(recipients=PARTS)
