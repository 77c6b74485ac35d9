"""``WhatsAppTemplateStatusTrigger``: waits for a template's review in the triggerer."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from ..hooks import DEFAULT_CONN_ID
from ..message_templates.status import StatusWatch, label


class WhatsAppTemplateStatusTrigger(BaseTrigger):
    """Poll a template's status with the async client until it is decided.

    Fires one event: ``{"status": "success", "template": {...}}``, ``{"status":
    "failure", "message": ...}`` or ``{"status": "timeout", "message": ...}``. The
    connection is looked up asynchronously (the triggerer forbids sync look-ups) and
    nothing secret is serialized: only the connection id. The rules of the wait are the
    sensor's (:class:`~airflow_provider_whatsapp.message_templates.status.StatusWatch`).

    :param watch: the wait's rules and state, as the sensor hands them over: a
        :class:`~airflow_provider_whatsapp.message_templates.status.StatusWatch` or its
        :meth:`~airflow_provider_whatsapp.message_templates.status.StatusWatch.to_kwargs`
        (the name and language, the statuses, and the looks that already found the template
        missing, so deferring grants no extra grace).
    :param whatsapp_conn_id: the sensor's connection.
    :param waba_id: WhatsApp Business account id; overrides the connection's.
    :param poke_interval: seconds between two checks.
    :param deadline: wall-clock epoch seconds after which it gives up, or None.
    """

    def __init__(
        self,
        *,
        watch: StatusWatch | Mapping[str, Any],
        whatsapp_conn_id: str = DEFAULT_CONN_ID,
        waba_id: str | None = None,
        poke_interval: float = 60.0,
        deadline: float | None = None,
    ) -> None:
        super().__init__()
        self.watch = watch if isinstance(watch, StatusWatch) else StatusWatch(**watch)
        self.whatsapp_conn_id = whatsapp_conn_id
        self.waba_id = waba_id
        self.poke_interval = poke_interval
        self.deadline = deadline

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "watch": self.watch.to_kwargs(),
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
