"""Several bulk tasks on one account at once (``python -m benchmarks.shared_account``):
``conf["tasks"]`` mapped bulk tasks of ``conf["per_task"]`` recipients each, numbers from
``conf["block"] * 10000`` (the conf never holds a whole number: Airflow logs it).

- ``e2e_shared_account``: the provider's default, each bulk task in the pool named like
  its connection (one slot: they take turns);
- ``e2e_shared_account_unpooled``: ``pool="default_pool"``, every task at once, each
  limiting only itself (the behaviour before account pools: the benchmark's baseline).
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import DAG, task

from airflow_provider_whatsapp.operators.bulk import WhatsAppBulkSendOperator

TEMPLATE = "e2e_notice"  # the emulator's --template: "Hello {{1}}"

for dag_id, pool in (
    ("e2e_shared_account", {}),
    ("e2e_shared_account_unpooled", {"pool": "default_pool"}),
):
    with DAG(dag_id, schedule=None, catchup=False) as dag:

        @task(show_return_value_in_logs=False)  # numbers: personal data
        def partitions(dag_run: Any = None) -> list[list[str]]:
            conf = dag_run.conf
            first, size = conf["block"] * 10000, conf["per_task"]
            return [[str(first + t * size + i) for i in range(size)] for t in range(conf["tasks"])]

        WhatsAppBulkSendOperator.partial(
            task_id="bulk",
            template_name=TEMPLATE,
            language="en_US",
            parameters=["e2e"],
            include_results=False,
            progress_every=1.0,
            **pool,
        ).expand(recipients=partitions())
    globals()[dag_id] = dag
