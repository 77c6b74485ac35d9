"""Template-status sensors in ``mode="reschedule"``: each poke is a fresh task process.

``wait_missing`` looks for a template that never exists (``missing_grace=2``: it must fail
on its third poke, not wait for its timeout); ``wait_approved`` sees ``resched_ok`` go
from PENDING to APPROVED across reschedules.
"""

from __future__ import annotations

from airflow.sdk import DAG

from airflow_provider_whatsapp.sensors.template_status import WhatsAppTemplateStatusSensor

with DAG("template_status_reschedule", schedule=None, catchup=False) as dag:
    for task_id, name in (("wait_missing", "never_created"), ("wait_approved", "resched_ok")):
        WhatsAppTemplateStatusSensor(
            task_id=task_id,
            template_name=name,
            language="en_US",
            mode="reschedule",
            deferrable=False,
            poke_interval=0.2,
            timeout=60,
            missing_grace=2,
        )
