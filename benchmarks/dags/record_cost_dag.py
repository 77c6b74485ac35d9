"""The bulk send that ``benchmarks/record_cost.py`` runs under ``dag.test()``: the
benchmark template to ``dag_run.conf['recipients']`` at ``WHATSAPP_BENCH_CONCURRENCY`` (64), the
delivery record wherever the operator keeps it (or where the benchmark forces it)."""

from __future__ import annotations

import os

from airflow.sdk import DAG

from airflow_provider_whatsapp.operators.bulk import WhatsAppBulkSendOperator

with DAG("bench_record_cost", schedule=None, render_template_as_native_obj=True) as dag:
    WhatsAppBulkSendOperator(
        task_id="bulk",
        recipients="{{ dag_run.conf['recipients'] }}",
        template_name="bench_notice",
        language="en_US",
        parameters=["there"],
        concurrency=int(os.environ.get("WHATSAPP_BENCH_CONCURRENCY", "64")),
        progress_every=3600.0,
    )
