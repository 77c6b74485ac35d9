"""Every operator kind in one run, for ``tests/hard/test_secret_scan.py``.

Uploads, sends (text, template, any message, media by id and from a local file), a
media download (the CDN route, which must never see the key), a bulk send, template
create / sync / deferrable status sensor / delete, a profile update, and a send that
fails (closed window) with failure notifiers on the task and the DAG. The test points
``whatsapp_default`` at an emulator whose key is distinctive, then looks for it
everywhere the run left traces.

``WHATSAPP_SECRET_SCAN_DIR`` (read at parse time) holds ``chart.png`` and
``templates/`` (one template definition for the sync).
"""

from __future__ import annotations

import os
from pathlib import Path

from airflow.sdk import DAG, chain, task

from airflow_provider_whatsapp.hooks.whatsapp import WhatsAppHook
from airflow_provider_whatsapp.notifications.whatsapp import (
    WhatsAppNotifier,
    send_whatsapp_notification,
)
from airflow_provider_whatsapp.operators.bulk import WhatsAppBulkSendOperator
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
from airflow_provider_whatsapp.operators.templates import (
    WhatsAppCreateTemplateOperator,
    WhatsAppDeleteTemplateOperator,
    WhatsAppSyncTemplatesOperator,
)
from airflow_provider_whatsapp.sensors.template_status import WhatsAppTemplateStatusSensor

WORK = Path(os.environ.get("WHATSAPP_SECRET_SCAN_DIR", "/nonexistent"))
TO = "15550107001"  # window open
ONCALL = "15550107002"  # window open: failure notifications
CLOSED = "15550107009"  # window closed: the send that fails
BULK = ["15550107101", "15550107102", "15550107103"]
TEMPLATE = "scan_notice"  # approved by the test: body "Hello {{1}}"
CREATED = "scan_created"  # created here, approved after the emulator's review delay

with DAG(
    "secret_scan",
    schedule=None,
    catchup=False,
    render_template_as_native_obj=True,
    on_failure_callback=send_whatsapp_notification(to=ONCALL),
) as dag:
    upload = WhatsAppUploadMediaOperator(task_id="upload", path=str(WORK / "chart.png"))
    send_media_by_id = WhatsAppSendMediaOperator(
        task_id="send_media_by_id",
        to=TO,
        media_type="image",
        media="{{ ti.xcom_pull(task_ids='upload') }}",
        caption="Chart for {{ ds }}",
    )
    send_media_local = WhatsAppSendMediaOperator(
        task_id="send_media_local", to=TO, media_type="image", media=str(WORK / "chart.png")
    )

    @task
    def download(media_id: str) -> int:
        """Fetch the media back: metadata through the gateway, bytes from the CDN URL."""
        return len(WhatsAppHook().get_conn().download_media(media_id))

    delete_media = WhatsAppDeleteMediaOperator(
        task_id="delete_media", media_id="{{ ti.xcom_pull(task_ids='upload') }}"
    )
    send_text = WhatsAppSendTextOperator(task_id="send_text", to=TO, text="Report for {{ ds }}")
    send_template = WhatsAppSendTemplateOperator(
        task_id="send_template",
        to=TO,
        template_name=TEMPLATE,
        language="en_US",
        parameters=["{{ ds }}"],
    )
    send_message = WhatsAppSendMessageOperator(
        task_id="send_message",
        message={
            "to": TO,
            "type": "location",
            "location": {"latitude": 52.52, "longitude": 13.40, "name": "Depot"},
        },
    )
    bulk = WhatsAppBulkSendOperator(
        task_id="bulk",
        recipients=[{"to": to, "parameters": [f"customer {i}"]} for i, to in enumerate(BULK)],
        template_name=TEMPLATE,
        language="en_US",
        concurrency=4,
    )
    create = WhatsAppCreateTemplateOperator(
        task_id="create_template",
        definition={
            "name": CREATED,
            "language": "en_US",
            "category": "UTILITY",
            "components": [{"type": "BODY", "text": "Your export is ready."}],
        },
    )
    sync = WhatsAppSyncTemplatesOperator(task_id="sync_templates", source=str(WORK / "templates"))
    wait = WhatsAppTemplateStatusSensor(
        task_id="wait_approved",
        template_name=CREATED,
        language="en_US",
        deferrable=True,
        poke_interval=0.3,
        timeout=30,
    )
    delete_template = WhatsAppDeleteTemplateOperator(
        task_id="delete_template", template_name=CREATED
    )
    profile = WhatsAppUpdateBusinessProfileOperator(
        task_id="update_profile", about="Alerts from Airflow"
    )
    fails = WhatsAppSendTextOperator(
        task_id="send_closed_window",
        to=CLOSED,
        text="Nobody wrote in: this one is refused",
        on_failure_callback=[
            WhatsAppNotifier(to=ONCALL),
            WhatsAppNotifier(to=ONCALL, text="{{ ti.task_id }} failed: {{ exception }}"),
        ],
    )

    chain(
        upload,
        [send_media_by_id, send_media_local, download(upload.output)],
        delete_media,
        send_text,
        send_template,
        send_message,
        bulk,
        create,
        sync,
        wait,
        delete_template,
        profile,
        fails,
    )
