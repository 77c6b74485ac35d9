"""One task per send operator: text, template, media (by URL and from a local file), any
message from a dict (a location, reply buttons, a list), plus media upload/delete and the
business profile.

What it shows:

- ``WhatsAppSendTextOperator``: free-form text with Jinja (``{{ dag_run.run_after | ds }}``, ``{{ run_id }}``: a run triggered from the UI or the REST API has no logical date, so no ``{{ ds }}``).
- ``WhatsAppSendTemplateOperator``: an approved template with named parameters; it is
  checked (exists, APPROVED, parameters fit) before anything is sent.
- ``WhatsAppSendMediaOperator``: an image by https URL, and a local file (uploaded first,
  then sent by its media id) as a document.
- ``WhatsAppSendMessageOperator``: any message as a dict in the API's shape, validated
  before sending: a location, interactive reply buttons and an interactive list.
- ``WhatsAppUploadMediaOperator`` → ``WhatsAppDeleteMediaOperator``: upload once, reuse
  the media id (valid 30 days), delete it when done.
- ``WhatsAppUpdateBusinessProfileOperator``: what customers see about the business.

Every send returns ``{"to", "wa_id", "message_id", "message_status"}`` to XCom.
Free-form messages (everything but the template) reach ``CUSTOMER_PHONE`` only inside
the 24-hour window: that customer must have written to the business in the last 24 hours.

Adapt: ``CUSTOMER_PHONE``, ``SUMMARY_TEMPLATE``, ``IMAGE_URL``, ``ATTACHMENT``; the
connection is ``whatsapp_default``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from airflow.sdk import DAG

from airflow_provider_whatsapp.operators.media import (
    WhatsAppDeleteMediaOperator,
    WhatsAppUploadMediaOperator,
)
from airflow_provider_whatsapp.operators.messages import (
    WhatsAppSendMediaOperator,
    WhatsAppSendMessageOperator,
    WhatsAppSendTemplateOperator,
    WhatsAppSendTextOperator,
)
from airflow_provider_whatsapp.operators.profile import WhatsAppUpdateBusinessProfileOperator

# --- adapt these -----------------------------------------------------------------------
CUSTOMER_PHONE = "+1 555 010 0010"  # wrote to the business in the last 24 hours
SUMMARY_TEMPLATE = "daily_summary"  # approved, named placeholders (templates/)
IMAGE_URL = "https://www.example.com/charts/daily-orders.png"  # public https URL
ATTACHMENT = Path(__file__).parent / "data" / "orders.csv"  # a local file on the worker
# ----------------------------------------------------------------------------------------

with DAG(
    "whatsapp_send_operators",
    schedule=None,
    start_date=datetime(2025, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    tags=["example", "whatsapp", "messages"],
    doc_md=__doc__,
) as dag:
    WhatsAppSendTextOperator(
        task_id="send_text",
        to=CUSTOMER_PHONE,
        text="Hello from Airflow 👋 Your orders for {{ dag_run.run_after | ds }} are being processed.",
    )

    WhatsAppSendTemplateOperator(
        task_id="send_template",
        to=CUSTOMER_PHONE,
        template_name=SUMMARY_TEMPLATE,
        language="en_US",
        parameters={"customer_name": "Ana", "order_count": "3", "total": "$55.40"},
    )

    WhatsAppSendMediaOperator(
        task_id="send_image_by_url",
        to=CUSTOMER_PHONE,
        media_type="image",
        media=IMAGE_URL,
        caption="Orders per day, last 30 days",
    )

    # A local path is uploaded first, then sent by its media id. CSV is not a WhatsApp
    # document type, so it goes as text/plain (keeping its file name).
    WhatsAppSendMediaOperator(
        task_id="send_document_from_file",
        to=CUSTOMER_PHONE,
        media_type="document",
        media=str(ATTACHMENT),
        mime_type="text/plain",
        filename="orders-{{ dag_run.run_after | ds }}.csv",
        caption="Today's orders",
    )

    WhatsAppSendMessageOperator(
        task_id="send_location",
        message={
            "to": CUSTOMER_PHONE,
            "type": "location",
            "location": {
                "latitude": 52.5219,
                "longitude": 13.4132,
                "name": "Pick-up point",
                "address": "Alexanderplatz 1, 10178 Berlin",
            },
        },
    )

    WhatsAppSendMessageOperator(
        task_id="send_reply_buttons",
        message={
            "to": CUSTOMER_PHONE,
            "type": "interactive",
            "interactive": {
                "type": "button",
                "body": {"text": "Your order ships tomorrow. Is the delivery address right?"},
                "action": {
                    "buttons": [
                        {"type": "reply", "reply": {"id": "address_ok", "title": "Yes"}},
                        {"type": "reply", "reply": {"id": "address_change", "title": "Change it"}},
                    ]
                },
            },
        },
    )

    WhatsAppSendMessageOperator(
        task_id="send_list",
        message={
            "to": CUSTOMER_PHONE,
            "type": "interactive",
            "interactive": {
                "type": "list",
                "body": {"text": "When should we deliver?"},
                "action": {
                    "button": "Pick a slot",
                    "sections": [
                        {
                            "title": "Tomorrow",
                            "rows": [
                                {"id": "slot_am", "title": "Morning", "description": "8-12"},
                                {"id": "slot_pm", "title": "Afternoon", "description": "12-18"},
                            ],
                        }
                    ],
                },
            },
        },
    )

    upload = WhatsAppUploadMediaOperator(
        task_id="upload_media",
        path="data/orders.csv",  # relative: beside this DAG file
        mime_type="text/plain",
        media_type="document",
    )
    delete = WhatsAppDeleteMediaOperator(
        task_id="delete_media",
        media_id="{{ ti.xcom_pull(task_ids='upload_media') }}",
    )
    upload >> delete

    WhatsAppUpdateBusinessProfileOperator(
        task_id="update_profile",
        about="Order updates from the data team",
        websites=["https://www.example.com"],
        vertical="RETAIL",
    )
