"""Deferrable template-status sensors, one per outcome, in one DAG run (one ``dag.test()``).

The test seeds the emulator (``paused_tpl`` PAUSED, ``stuck_tpl`` IN_APPEAL, which no
review changes, a ``review_delay``, ``deferred_bad`` in ``reject_templates``). Templates
that must still be PENDING when their sensor first looks are created by the task just
before it; the tasks run in one chain (``all_done``) so nothing runs in between.
"""

from __future__ import annotations

from airflow.sdk import DAG, chain

from airflow_provider_whatsapp.operators.templates import WhatsAppCreateTemplateOperator
from airflow_provider_whatsapp.sensors.template_status import WhatsAppTemplateStatusSensor


def _create(task_id: str, name: str) -> WhatsAppCreateTemplateOperator:
    definition = {
        "name": name,
        "language": "en_US",
        "category": "UTILITY",
        "components": [{"type": "BODY", "text": "Your code is ready."}],
    }
    return WhatsAppCreateTemplateOperator(
        task_id=task_id, definition=definition, trigger_rule="all_done"
    )


def _sensor(task_id: str, template_name: str, **kwargs: object) -> WhatsAppTemplateStatusSensor:
    settings: dict[str, object] = {"poke_interval": 0.2, "timeout": 20, "missing_grace": 1}
    settings.update(kwargs)
    return WhatsAppTemplateStatusSensor(
        task_id=task_id,
        template_name=template_name,
        language="en_US",
        deferrable=True,
        trigger_rule="all_done",
        **settings,  # type: ignore[arg-type]
    )


with DAG("template_status_deferred", schedule=None, catchup=False) as dag:
    chain(
        _sensor("wait_paused", "paused_tpl"),
        _sensor("wait_missing", "never_created"),
        _sensor("wait_timeout", "stuck_tpl", timeout=1),
        _sensor("wait_soft_fail", "stuck_tpl", timeout=1, soft_fail=True),
        _create("create_ok", "deferred_ok"),
        _sensor("wait_approved", "deferred_ok"),
        _create("create_bad", "deferred_bad"),
        _sensor("wait_rejected", "deferred_bad"),
    )
