"""Several bulk tasks on one account at once (``python -m benchmarks.shared_account``):
``conf["tasks"]`` mapped bulk tasks of ``conf["per_task"]`` recipients each, numbers from
``conf["block"] * 10000`` (the conf never holds a whole number: Airflow logs it). As
README advises, the partitions are handed over as files (one CSV each, written by
``partitions``), so XCom holds their paths, not the numbers.

- ``e2e_shared_account``: the provider's default, each bulk task in the pool named like
  its connection (one slot: they take turns);
- ``e2e_shared_account_unpooled``: ``pool="default_pool"``, every task at once, each
  limiting only itself (the behaviour before account pools: the benchmark's baseline).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, task

from airflow_provider_whatsapp.operators.bulk import WhatsAppBulkSendOperator

TEMPLATE = "e2e_notice"  # the emulator's --template: "Hello {{1}}"

for dag_id, pool in (
    ("e2e_shared_account", {}),
    ("e2e_shared_account_unpooled", {"pool": "default_pool"}),
):
    with DAG(dag_id, schedule=None, catchup=False) as dag:

        @task
        def partitions(dag_run: Any = None) -> list[str]:
            """One CSV of recipients per bulk task, under AIRFLOW_HOME (the deployment's
            workers share this machine's disk; the folder goes with the deployment's)."""
            conf = dag_run.conf
            first, size = conf["block"] * 10000, conf["per_task"]
            home = Path(os.environ.get("AIRFLOW_HOME", tempfile.gettempdir()))
            folder = Path(tempfile.mkdtemp(prefix="shared-account-", dir=home))
            paths = []
            for t in range(conf["tasks"]):
                path = folder / f"part-{t}.csv"
                numbers = range(first + t * size, first + (t + 1) * size)
                path.write_text("to\n" + "".join(f"{n}\n" for n in numbers), encoding="utf-8")
                paths.append(str(path))
            return paths

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
