"""``WhatsAppTemplateStatusTrigger``: waits for a template's review in the triggerer."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from ..hooks import DEFAULT_CONN_ID
from ..message_templates.status import DEFAULT_MISSING_GRACE, StatusWatch, label


class WhatsAppTemplateStatusTrigger(BaseTrigger):
    """Poll a template's status with the async client until it is decided.

    Fires one event: ``{"status": "success", "template": {...}}``, ``{"status":
    "failure", "message": ...}`` or ``{"status": "timeout", "message": ...}``. The
    connection is looked up asynchronously (the triggerer forbids sync look-ups) and
    nothing secret is serialized: only the connection id. The rules of the wait are the
    sensor's (:class:`~airflow_provider_whatsapp.message_templates.status.StatusWatch`).

    :param template_name: the template's name.
    :param language: its language code; None matches any language.
    :param target_statuses: statuses that end the wait successfully (default APPROVED).
    :param failure_statuses: statuses that fail the wait at once.
    :param whatsapp_conn_id: the sensor's connection.
    :param waba_id: WhatsApp Business account id; overrides the connection's.
    :param poke_interval: seconds between two checks.
    :param missing_grace: checks to tolerate a template that does not exist yet.
    :param missing_pokes: checks that already found it missing (the sensor's first poke),
        so deferring does not grant extra grace.
    :param deadline: wall-clock epoch seconds after which it gives up, or None.
    """

    def __init__(
        self,
        *,
        template_name: str,
        language: str | None = None,
        target_statuses: Sequence[str] | None = None,
        failure_statuses: Sequence[str] | None = None,
        whatsapp_conn_id: str = DEFAULT_CONN_ID,
        waba_id: str | None = None,
        poke_interval: float = 60.0,
        missing_grace: int = DEFAULT_MISSING_GRACE,
        missing_pokes: int = 0,
        deadline: float | None = None,
    ) -> None:
        super().__init__()
        self.watch = StatusWatch(
            template_name,
            language,
            target_statuses=target_statuses,
            failure_statuses=failure_statuses,
            missing_grace=missing_grace,
            missing_pokes=missing_pokes,
        )
        self.whatsapp_conn_id = whatsapp_conn_id
        self.waba_id = waba_id
        self.poke_interval = poke_interval
        self.deadline = deadline

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                **self.watch.to_kwargs(),
                "whatsapp_conn_id": self.whatsapp_conn_id,
                "waba_id": self.waba_id,
                "poke_interval": self.poke_interval,
                "deadline": self.deadline,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from ..client.errors import WhatsAppError
        from ..hooks.whatsapp import WhatsAppHook

        watch = self.watch
        async with WhatsAppHook(self.whatsapp_conn_id, waba_id=self.waba_id) as hook:
            try:
                client = await hook.get_async_conn(concurrency=1)
            except WhatsAppError as exc:
                yield TriggerEvent({"status": "failure", "message": str(exc)})
                return
            while True:
                try:
                    template = await client.get_template(watch.template_name, watch.language)
                except WhatsAppError as exc:
                    if not exc.retryable:
                        yield TriggerEvent({"status": "failure", "message": str(exc)})
                        return
                    # Retries inside the client ran out; look again at the next poke.
                    self.log.warning("Template status check failed, will retry: %s", exc)
                else:
                    check = watch.look(template)
                    self.log.info(check.message)
                    if check.done:
                        yield TriggerEvent({"status": "success", "template": check.template})
                        return
                    if check.failed:
                        event = {"status": "failure", "message": check.message}
                        yield TriggerEvent({**event, "template": check.template})
                        return
                wait = self.poke_interval
                if self.deadline is not None:
                    left = self.deadline - time.time()
                    if left <= 0:
                        what = label(watch.template_name, watch.language)
                        message = f"{what} was not decided in time"
                        yield TriggerEvent({"status": "timeout", "message": message})
                        return
                    wait = min(wait, left)
                await asyncio.sleep(wait)
