"""WhatsApp's retry advice on three tasks (Airflow 3.3+: ``retry_policy=``), each with a
``retry_delay`` of 0 so that only the policy can delay a retry:

- ``throttled`` meets the throughput limit (130429) through ``whatsapp_throttled``, once
  (retries=1): retried after the policy's delay, 1 s here (5 s by default);
- ``opted_out`` meets "user stopped marketing messages" (131050) through
  ``whatsapp_opted_out`` with retries=3: never retried (the operator fails with
  ``AirflowFailException``);
- ``rejected_template`` is ``@task`` code sending a REJECTED template through the hook's
  client with retries=3: Graph's 132001 reaches the policy as it is, and it fails the task.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.sdk import DAG, task

from airflow_provider_whatsapp.hooks.whatsapp import WhatsAppHook
from airflow_provider_whatsapp.operators.messages import WhatsAppSendTextOperator
from airflow_provider_whatsapp.retry_policy import whatsapp_retry_policy

POLICY = whatsapp_retry_policy(throughput_delay=timedelta(seconds=1))

with DAG("retry_policy_test", schedule=None, default_args={"retry_delay": timedelta(0)}) as dag:
    WhatsAppSendTextOperator(
        task_id="throttled",
        whatsapp_conn_id="whatsapp_throttled",
        to="{{ dag_run.conf['to'] }}",
        text="Your order ships today",
        retries=1,
        retry_policy=POLICY,
    )
    WhatsAppSendTextOperator(
        task_id="opted_out",
        whatsapp_conn_id="whatsapp_opted_out",
        to="{{ dag_run.conf['to'] }}",
        text="Spring offer",
        retries=3,
        retry_policy=POLICY,
    )

    @task(retries=3, retry_policy=POLICY)
    def rejected_template(**context: Any) -> Any:
        to = context["dag_run"].conf["to"]
        template = {"name": "spring_offer", "language": {"code": "en_US"}}
        message = {"to": to, "type": "template", "template": template}
        return WhatsAppHook().get_conn().send_message(message)

    rejected_template()
