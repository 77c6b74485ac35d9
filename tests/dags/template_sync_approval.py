"""Issue 4's done-when DAG: sync a folder of template files, then wait for their approval.

Parametrised by env vars read at parse time (tests set them with monkeypatch):
``WHATSAPP_TEST_SYNC_SOURCE`` (folder), ``WHATSAPP_TEST_POKE_INTERVAL`` (seconds).
The sensors are mapped over what the sync created or found, and deferrable: the wait
runs in the trigger (inline under ``dag.test()``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, task

from airflow_provider_whatsapp.operators.templates import WhatsAppSyncTemplatesOperator
from airflow_provider_whatsapp.sensors.template_status import WhatsAppTemplateStatusSensor

DEFAULT_SOURCE = Path(__file__).parent.parent / "data" / "template_sync" / "approval"
SOURCE = os.environ.get("WHATSAPP_TEST_SYNC_SOURCE", str(DEFAULT_SOURCE))
POKE_INTERVAL = float(os.environ.get("WHATSAPP_TEST_POKE_INTERVAL", "0.2"))

with DAG("template_sync_approval", schedule=None, catchup=False) as dag:
    sync = WhatsAppSyncTemplatesOperator(task_id="sync_templates", source=SOURCE)

    @task
    def to_wait_for(result: dict[str, Any]) -> list[dict[str, str]]:
        """The templates the sync created or found unchanged: those must get approved."""
        return [
            {"template_name": r["name"], "language": r["language"]}
            for r in result["results"]
            if r["outcome"] in ("created", "updated", "unchanged")
        ]

    WhatsAppTemplateStatusSensor.partial(
        task_id="wait_for_approval",
        deferrable=True,
        poke_interval=POKE_INTERVAL,
        timeout=60,
    ).expand_kwargs(to_wait_for(sync.output))
