"""Case c: deferrable template-status sensors in the triggerer, one approved, one rejected.

The test stores both templates PENDING, waits until the REST API shows both sensors
``deferred``, then approves one and rejects the other.
"""

from __future__ import annotations

from airflow.sdk import DAG

from airflow_provider_whatsapp.sensors.template_status import WhatsAppTemplateStatusSensor

APPROVED = "e2e_review_ok"
REJECTED = "e2e_review_bad"
TIMEOUT = 600  # seconds: the rejected one must fail long before this

with DAG("e2e_template_status", schedule=None, catchup=False) as dag:
    for task_id, name in (("wait_approved", APPROVED), ("wait_rejected", REJECTED)):
        WhatsAppTemplateStatusSensor(
            task_id=task_id,
            template_name=name,
            language="en_US",
            deferrable=True,
            poke_interval=1,
            timeout=TIMEOUT,
            retries=0,
        )
