"""Bulk sends of the ``e2e_notice`` template to ``conf["count"]`` numbers from
``conf["block"] * 10000`` (the conf names a block, never a whole number: Airflow writes a
run's conf into component logs, which case h scans for the numbers the e2e sent to).

- ``e2e_bulk_kill`` (case d): 20/s through ``whatsapp_kill``, 16 in flight, one retry
  at once: the test SIGKILLs the worker half way and judges the retry.
- ``e2e_bulk_default`` (case e): ``whatsapp_default`` at the connection's default settings.
- ``e2e_bulk_bench`` (benchmark): ``whatsapp_fast`` (no client rate limit), 64 in flight.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.sdk import DAG

from airflow_provider_whatsapp.operators.bulk import WhatsAppBulkSendOperator

RECIPIENTS = (
    "{{ range(dag_run.conf['block'] * 10000, dag_run.conf['block'] * 10000"
    " + dag_run.conf['count']) | map('string') | list }}"
)
TEMPLATE = "e2e_notice"  # the emulator's --template: "Hello {{1}}"

VARIANTS: dict[str, dict[str, Any]] = {
    # Per-recipient results in XCom (fake numbers): the test checks who was ambiguous.
    "e2e_bulk_kill": {"conn": "whatsapp_kill", "retries": 1, "concurrency": 16, "results": True},
    "e2e_bulk_default": {"conn": "whatsapp_default", "retries": 0},
    "e2e_bulk_bench": {"conn": "whatsapp_fast", "retries": 0, "concurrency": 64},
}

for dag_id, variant in VARIANTS.items():
    with DAG(dag_id, schedule=None, catchup=False, render_template_as_native_obj=True) as dag:
        WhatsAppBulkSendOperator(
            task_id="bulk",
            whatsapp_conn_id=variant["conn"],
            recipients=RECIPIENTS,
            template_name=TEMPLATE,
            language="en_US",
            parameters=["e2e"],
            include_results=variant.get("results", False),  # phone numbers stay out of XCom
            progress_every=1.0,
            retries=variant["retries"],
            retry_delay=timedelta(seconds=0),
            **({"concurrency": variant["concurrency"]} if "concurrency" in variant else {}),
        )
    globals()[dag_id] = dag
