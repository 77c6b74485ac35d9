"""``WhatsAppTemplateStatusSensor``: wait for Meta's review of a template."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue

from .._airflow import airflow_failure_semantics
from ..hooks import DEFAULT_CONN_ID
from ..links.whatsapp_manager import WhatsAppTemplateLink
from ..operators._base import close_hook
from ..version_compat import (
    AirflowFailException,
    AirflowSensorTimeout,
    AirflowSkipException,
    conf,
)

if TYPE_CHECKING:
    from ..hooks.whatsapp import WhatsAppHook
    from ..message_templates.status import StatusWatch


class WhatsAppTemplateStatusSensor(BaseSensorOperator):
    """Wait until a template reaches ``target_statuses`` (default APPROVED).

    Fails at once, with the rejection reason, when the template is REJECTED, PAUSED or
    DISABLED, and when it still does not exist after ``missing_grace`` further checks.
    ``deferrable=True`` (default: Airflow's ``operators.default_deferrable``) waits in the
    triggerer instead of holding a worker slot, with the same timeout, ``soft_fail``
    and fail-fast rules. XCom gets the template's id, status, category and quality.

    :param template_name: the template's name (templated).
    :param language: its language code; None matches any language (templated).
    :param target_statuses: statuses that end the wait successfully (default APPROVED).
    :param failure_statuses: statuses that fail the wait at once (default REJECTED,
        PAUSED, DISABLED).
    :param missing_grace: checks to tolerate a template that does not exist yet (in
        ``mode="reschedule"`` too: counted from Airflow's reschedule count).
    :param whatsapp_conn_id: the Airflow connection of type ``whatsapp`` (templated).
    :param waba_id: WhatsApp Business account id; overrides the connection's (templated).
    :param deferrable: wait in the triggerer, not a worker slot.
    """

    template_fields: Sequence[str] = ("template_name", "language", "whatsapp_conn_id", "waba_id")
    operator_extra_links = (WhatsAppTemplateLink(),)
    ui_color = "#25D366"

    def __init__(
        self,
        *,
        template_name: str,
        language: str | None = None,
        target_statuses: Sequence[str] | None = None,
        failure_statuses: Sequence[str] | None = None,
        missing_grace: int = 3,
        whatsapp_conn_id: str = DEFAULT_CONN_ID,
        waba_id: str | None = None,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("poke_interval", 60)
        super().__init__(**kwargs)
        self.template_name = template_name
        self.language = language
        self.target_statuses = target_statuses
        self.failure_statuses = failure_statuses
        self.missing_grace = missing_grace
        self.whatsapp_conn_id = whatsapp_conn_id
        self.waba_id = waba_id
        self.deferrable = deferrable
        self._watch: StatusWatch | None = None  # made at the first poke, once rendered
        self._link_template_id: str | None = None
        self._link_persisted = False

    @cached_property
    def hook(self) -> WhatsAppHook:
        """The hook for ``whatsapp_conn_id``."""
        from ..hooks.whatsapp import WhatsAppHook

        return WhatsAppHook(self.whatsapp_conn_id, waba_id=self.waba_id or None)

    @property
    def watch(self) -> StatusWatch:
        """The wait's rules and missing count, shared with the trigger it defers to."""
        if self._watch is None:
            from ..message_templates import status

            targets, failures = self.target_statuses, self.failure_statuses
            self._watch = status.StatusWatch(
                self.template_name,
                self.language,
                status.DEFAULT_TARGET_STATUSES if targets is None else targets,
                status.DEFAULT_FAILURE_STATUSES if failures is None else failures,
                missing_grace=self.missing_grace,
            )
        return self._watch

    def poke(self, context: Any) -> PokeReturnValue | bool:
        watch = self.watch
        with airflow_failure_semantics():
            template = self.hook.client.get_template(watch.template_name, watch.language)
        # Each rescheduled poke is a fresh process: count the pokes of this try, which
        # Airflow keeps (a template seen earlier and gone now was deleted: no grace lost).
        earlier = int(context.get("task_reschedule_count") or 0) if self.reschedule else -1
        check = watch.look(template, missing_at_least=earlier + 1)
        self.log.info(check.message)
        self._persist_link(context, template.get("id") if template else None)
        if check.failed:
            raise AirflowFailException(check.message)
        if check.done:
            return PokeReturnValue(is_done=True, xcom_value=check.template)
        return False

    def _persist_link(self, context: Any, template_id: str | None) -> None:
        """Point the UI link at the template (or, while it is missing, at its name).

        Pushed on the first poke, even before the template exists: Airflow reads the link
        whenever the task finishes or defers, and logs an error if it was never pushed.
        """
        if template_id == self._link_template_id and self._link_persisted:
            return
        WhatsAppTemplateLink.persist(
            context,
            waba_id=self.hook.config.waba_id,
            template_id=template_id,
            name=self.template_name,
        )
        self._link_template_id, self._link_persisted = template_id, True

    def execute(self, context: Any) -> Any:
        try:
            return self._execute(context)
        finally:
            close_hook(self)

    def _execute(self, context: Any) -> Any:
        if not self.deferrable:
            return super().execute(context)
        # Already decided? Then there is nothing to defer.
        try:
            first = self.poke(context)
        except AirflowFailException as exc:  # the same skip rules as BaseSensorOperator
            if self.soft_fail or getattr(self, "never_fail", False):
                raise AirflowSkipException(f"Skipping due to soft_fail: {exc}") from exc
            raise
        if first:
            return first.xcom_value if isinstance(first, PokeReturnValue) else None
        from ..triggers.template_status import WhatsAppTemplateStatusTrigger

        self.defer(
            trigger=WhatsAppTemplateStatusTrigger(
                watch=self.watch,
                whatsapp_conn_id=self.whatsapp_conn_id,
                waba_id=self.waba_id or None,
                poke_interval=float(self.poke_interval),
                deadline=time.time() + float(self.timeout),
            ),
            method_name="execute_complete",
            # A backstop only: the trigger reports its own timeout first.
            timeout=timedelta(seconds=float(self.timeout) + 60),
        )

    def execute_complete(self, context: Any, event: dict[str, Any]) -> Any:
        """Resume after the trigger fired: succeed on APPROVED, fail with the reason otherwise."""
        try:
            return self._complete(context, event)
        finally:
            close_hook(self)

    def _complete(self, context: Any, event: dict[str, Any]) -> Any:
        status = event.get("status")
        template = event.get("template") or {}
        if template.get("id"):
            self._persist_link(context, template["id"])
        if status == "success":
            self.log.info("Template %s is %s", self.template_name, event["template"]["status"])
            return event["template"]
        if status == "timeout":
            raise AirflowSensorTimeout(f"{event['message']} (timeout {self.timeout}s)")
        raise AirflowFailException(event.get("message", "template status check failed"))
