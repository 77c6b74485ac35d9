"""Template sync: keep message templates as files next to this DAG, sync them daily, and
wait (deferrable, no worker slot held) until Meta approves the ones that need review.

What it shows:

- ``WhatsAppSyncTemplatesOperator(source="templates")``: the folder beside this file
  (one template per ``.yaml``/``.json`` file) is the source of truth. Missing templates
  are created (Meta reviews each one), identical ones are left alone, and with
  ``update=True`` / ``prune=True`` differing ones are edited and unknown ones deleted.
  Its XCom result lists one entry per template with its outcome.
- ``WhatsAppTemplateStatusSensor(deferrable=True)``, mapped over the sync result: one
  sensor per created or known template, waiting in the triggerer for APPROVED and failing
  at once with Meta's reason if a template is REJECTED, PAUSED or DISABLED.

Review usually takes minutes, sometimes up to a day: the sensors poke every
``POKE_INTERVAL`` seconds for up to ``APPROVAL_TIMEOUT``. The demo and the tests set
``WHATSAPP_EXAMPLE_POKE_INTERVAL=1`` (the emulator approves in about two seconds).

Adapt: the files in ``templates/``, ``SCHEDULE``; the connection is ``whatsapp_default``
(its ``waba_id`` extra names the WhatsApp Business account).
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Any

from airflow.sdk import DAG, task

from airflow_provider_whatsapp.operators.templates import WhatsAppSyncTemplatesOperator
from airflow_provider_whatsapp.sensors.template_status import WhatsAppTemplateStatusSensor

# --- adapt these -----------------------------------------------------------------------
TEMPLATES_FOLDER = "templates"  # relative: the folder beside this DAG file
SCHEDULE = "@daily"
POKE_INTERVAL = float(os.environ.get("WHATSAPP_EXAMPLE_POKE_INTERVAL", "300"))  # seconds
APPROVAL_TIMEOUT = 24 * 60 * 60  # seconds: Meta reviews within 24 hours
# ----------------------------------------------------------------------------------------

with DAG(
    "whatsapp_template_sync",
    schedule=SCHEDULE,
    start_date=datetime(2025, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    tags=["example", "whatsapp", "templates"],
    doc_md=__doc__,
) as dag:
    sync = WhatsAppSyncTemplatesOperator(
        task_id="sync_templates",
        source=TEMPLATES_FOLDER,
        update=False,  # True: edit templates that differ from their file (re-reviewed)
        prune=False,  # True: delete templates that have no file
    )

    @task
    def templates_to_watch(result: dict[str, Any]) -> list[dict[str, str]]:
        """Created, updated or already known templates: each must be (or become) APPROVED."""
        return [
            {"template_name": entry["name"], "language": entry["language"]}
            for entry in result["results"]
            if entry["outcome"] in ("created", "updated", "unchanged")
        ]

    WhatsAppTemplateStatusSensor.partial(
        task_id="wait_for_approval",
        deferrable=True,
        poke_interval=POKE_INTERVAL,
        timeout=APPROVAL_TIMEOUT,
    ).expand_kwargs(templates_to_watch(sync.output))  # type: ignore[arg-type]  # an XComArg
