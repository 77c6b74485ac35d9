"""One of each send operator, every user-facing argument templated from dag_run.conf / ds.

``message`` is a ``.json`` file (tests/data/messages) rendered through ``template_ext``, and
a dict whose strings end in ".json" (text, not file paths).
"""

from __future__ import annotations

from pathlib import Path

from airflow.sdk import DAG

from airflow_provider_whatsapp.operators.messages import (
    WhatsAppSendMediaOperator,
    WhatsAppSendMessageOperator,
    WhatsAppSendTemplateOperator,
    WhatsAppSendTextOperator,
)

MESSAGES = Path(__file__).resolve().parents[1] / "data" / "messages"

with DAG(
    "send_operators_test",
    schedule=None,
    render_template_as_native_obj=True,
    template_searchpath=[str(MESSAGES)],
) as dag:
    WhatsAppSendTextOperator(
        task_id="text",
        to="{{ dag_run.conf['to'] }}",
        text="Hello {{ dag_run.conf['name'] }}, the {{ ds }} report is ready",
    )
    WhatsAppSendTemplateOperator(
        task_id="template",
        to="{{ dag_run.conf['to'] }}",
        template_name="{{ dag_run.conf['template'] }}",
        language="en_US",
        parameters="{{ [dag_run.conf['name'], ds] }}",
    )
    WhatsAppSendMediaOperator(
        task_id="media",
        to="{{ dag_run.conf['to'] }}",
        media_type="image",
        media="{{ dag_run.conf['image'] }}",
        caption="Chart for {{ ds }}",
    )
    WhatsAppSendMessageOperator(task_id="message", message="depot_location.json")
    # A dict message: its strings are Jinja text, even those ending in ".json".
    WhatsAppSendMessageOperator(
        task_id="message_dict",
        message={
            "to": "{{ dag_run.conf['to'] }}",
            "type": "interactive",
            "interactive": {
                "type": "cta_url",
                "body": {"text": "Rows for {{ ds }} saved to out.json"},
                "action": {
                    "name": "cta_url",
                    "parameters": {
                        "display_text": "Open",
                        "url": "https://example.com/{{ ds }}/status.json",
                    },
                },
            },
        },
    )
