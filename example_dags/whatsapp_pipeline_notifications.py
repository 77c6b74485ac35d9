"""Pipeline notifications: extract orders, compute each customer's results, and send every
customer their own summary through an approved template, in one bulk task.

What it shows:

- a plain pipeline (``extract_orders`` → ``customer_summaries``) whose last step returns
  the recipients as XCom: a list of ``{"to": phone, "parameters": {...}}``, one per
  customer, the parameters filling the template's named placeholders.
- ``WhatsAppBulkSendOperator(recipients=<XCom>, template_name=...)``: concurrent sends
  under the connection's rate limit, progress in the log, a per-recipient result in XCom,
  and exactly-once delivery across retries (a retried task skips recipients already
  accepted). ``max_failure_ratio`` decides how many failed recipients fail the task.
- ``report``: reads the bulk result (sent / failed counts) from XCom.

In a deployment the bulk task runs in the Airflow pool named like its connection
(``whatsapp_default``): create it once, with one slot (docs: Connection set-up), or
Airflow will not schedule the task. ``dag.test()`` ignores pools.

The orders come from ``data/orders.csv`` beside this file (a stand-in for your
warehouse query); customers without a phone number are skipped. The template
``daily_summary`` (``templates/daily_summary.yaml``) must be approved first.

Adapt: ``ORDERS_CSV`` (or ``extract_orders``), ``SUMMARY_TEMPLATE`` / ``LANGUAGE``;
the connection is ``whatsapp_default``.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, task

from airflow_provider_whatsapp.operators.bulk import WhatsAppBulkSendOperator

# --- adapt these -----------------------------------------------------------------------
ORDERS_CSV = Path(__file__).parent / "data" / "orders.csv"
SUMMARY_TEMPLATE = "daily_summary"  # "Hi {{customer_name}}, you placed {{order_count}} ..."
LANGUAGE = "en_US"
# ----------------------------------------------------------------------------------------

with DAG(
    "whatsapp_pipeline_notifications",
    schedule="@daily",
    start_date=datetime(2025, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    tags=["example", "whatsapp", "bulk"],
    doc_md=__doc__,
) as dag:
    # The customers' numbers are personal data: Airflow logs a task's return value unless
    # told not to, so these two tasks, which return rows holding numbers, tell it not to.
    @task(show_return_value_in_logs=False)
    def extract_orders() -> list[dict[str, str]]:
        """Today's orders (here: a CSV file; in real life, a warehouse query)."""
        with ORDERS_CSV.open(newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    @task(show_return_value_in_logs=False)
    def customer_summaries(orders: list[dict[str, str]]) -> list[dict[str, Any]]:
        """One recipient per customer, with the values of the template's placeholders."""
        totals: dict[str, dict[str, Any]] = defaultdict(lambda: {"count": 0, "total": 0.0})
        for order in orders:
            customer = totals[order["customer_id"]]
            customer.update(name=order["customer_name"], phone=order["phone"].strip())
            customer["count"] += 1
            customer["total"] += float(order["amount"])
        recipients = []
        for customer_id, customer in sorted(totals.items()):
            if not customer["phone"]:
                print(f"Customer {customer_id} has no phone number: not notified")
                continue
            recipients.append(
                {
                    "to": customer["phone"],
                    "parameters": {
                        "customer_name": customer["name"],
                        "order_count": str(customer["count"]),
                        "total": f"${customer['total']:,.2f}",
                    },
                }
            )
        return recipients

    # A @task called with another task's output gets an XComArg, resolved to the value when
    # it runs; type checkers only see the XComArg (hence the ignores).
    recipients = customer_summaries(extract_orders())  # type: ignore[arg-type]

    notify_customers = WhatsAppBulkSendOperator(
        task_id="notify_customers",
        recipients=recipients,
        template_name=SUMMARY_TEMPLATE,
        language=LANGUAGE,
        max_failure_ratio=0.1,  # more than 10 % failed recipients fails the task
        concurrency=8,
    )

    @task
    def report(result: dict[str, Any]) -> dict[str, Any]:
        """What the bulk send did, e.g. for a dashboard or a follow-up alert."""
        summary: dict[str, Any] = result["summary"]
        print(f"Customer notifications: {summary}")
        return summary

    report(notify_customers.output)  # type: ignore[arg-type]
