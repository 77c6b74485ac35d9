"""``WhatsAppTemplateStatusTrigger``: waits for a template's review in the triggerer."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from ..templates.status import (
    DEFAULT_FAILURE_STATUSES,
    DEFAULT_TARGET_STATUSES,
    check_status,
    label,
)


class WhatsAppTemplateStatusTrigger(BaseTrigger):
    """Poll a template's status with the async client until it is decided.

    Fires one event: ``{"status": "success", "template": {...}}``, ``{"status":
    "failure", "message": ...}`` or ``{"status": "timeout", "message": ...}``. The
    connection is looked up asynchronously (the triggerer forbids sync look-ups) and
    nothing secret is serialized: only the connection id.

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
        target_statuses: Sequence[str] = DEFAULT_TARGET_STATUSES,
        failure_statuses: Sequence[str] = DEFAULT_FAILURE_STATUSES,
        whatsapp_conn_id: str = "whatsapp_default",
        waba_id: str | None = None,
        poke_interval: float = 60.0,
        missing_grace: int = 3,
        missing_pokes: int = 0,
        deadline: float | None = None,
    ) -> None:
        super().__init__()
        self.template_name = template_name
        self.language = language
        self.target_statuses = list(target_statuses)
        self.failure_statuses = list(failure_statuses)
        self.whatsapp_conn_id = whatsapp_conn_id
        self.waba_id = waba_id
        self.poke_interval = poke_interval
        self.missing_grace = missing_grace
        self.missing_pokes = missing_pokes
        self.deadline = deadline

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "template_name": self.template_name,
                "language": self.language,
                "target_statuses": self.target_statuses,
                "failure_statuses": self.failure_statuses,
                "whatsapp_conn_id": self.whatsapp_conn_id,
                "waba_id": self.waba_id,
                "poke_interval": self.poke_interval,
                "missing_grace": self.missing_grace,
                "missing_pokes": self.missing_pokes,
                "deadline": self.deadline,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from ..client.errors import WhatsAppError
        from ..hooks.whatsapp import WhatsAppHook

        hook = WhatsAppHook(self.whatsapp_conn_id, waba_id=self.waba_id)
        missing = self.missing_pokes
        try:
            client = await hook.get_async_conn(concurrency=1)
        except WhatsAppError as exc:
            yield TriggerEvent({"status": "failure", "message": str(exc)})
            return
        try:
            while True:
                try:
                    template = await client.get_template(self.template_name, self.language)
                except WhatsAppError as exc:
                    if exc.retryable:  # retries inside the client ran out; try next poke
                        self.log.warning("Template status check failed, will retry: %s", exc)
                        template, fetched = None, False
                    else:
                        yield TriggerEvent({"status": "failure", "message": str(exc)})
                        return
                else:
                    fetched = True
                if fetched:
                    missing = missing + 1 if template is None else 0
                    check = check_status(
                        template,
                        name=self.template_name,
                        language=self.language,
                        target_statuses=self.target_statuses,
                        failure_statuses=self.failure_statuses,
                        missing_pokes=missing,
                        missing_grace=self.missing_grace,
                    )
                    self.log.info(check.message)
                    if check.done:
                        yield TriggerEvent({"status": "success", "template": check.template})
                        return
                    if check.failed:
                        yield TriggerEvent(
                            {
                                "status": "failure",
                                "message": check.message,
                                "template": check.template,
                            }
                        )
                        return
                wait = self.poke_interval
                if self.deadline is not None:
                    left = self.deadline - time.time()
                    if left <= 0:
                        what = label(self.template_name, self.language)
                        yield TriggerEvent(
                            {"status": "timeout", "message": f"{what} was not decided in time"}
                        )
                        return
                    wait = min(wait, left)
                await asyncio.sleep(wait)
        finally:
            await client.aclose()
