# docs-test: task run=no reason="syncs the template files next to your DAG and waits up to three days for Meta's review: the test builds the DAG only"
# [START template_sync]
from airflow_provider_whatsapp.operators.templates import (
    WhatsAppCreateTemplateOperator,
    WhatsAppDeleteTemplateOperator,
    WhatsAppSyncTemplatesOperator,
)
from airflow_provider_whatsapp.sensors.template_status import WhatsAppTemplateStatusSensor

sync = WhatsAppSyncTemplatesOperator(
    task_id="sync_templates",
    source="whatsapp_templates",   # a folder (relative: next to the DAG file) or a list of files
    update=True,      # edit templates whose file changed (when the API allows it)
    prune=False,      # True: delete templates that exist only on the account
    plan_only=False,  # True: only log the plan, apply nothing
)
approved = WhatsAppTemplateStatusSensor(
    task_id="wait_for_approval",
    template_name="pipeline_failed",
    language="en_US",
    deferrable=True,        # waits in the triggerer, not a worker slot
    poke_interval=300,
    timeout=3 * 24 * 3600,
)
sync >> approved

WhatsAppCreateTemplateOperator(task_id="create", definition="templates/promo.yaml")
WhatsAppDeleteTemplateOperator(task_id="delete", template_name="old_promo", language="en_US")
# [END template_sync]
