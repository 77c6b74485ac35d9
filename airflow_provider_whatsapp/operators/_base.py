"""What every WhatsApp operator shares: the hook, and how failures reach Airflow."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from .._airflow import airflow_failure_semantics
from ..hooks import DEFAULT_CONN_ID

if TYPE_CHECKING:  # imported on first use: a DAG file that only builds tasks skips them
    from ..hooks.whatsapp import WhatsAppHook


class WhatsAppBaseOperator(BaseOperator):
    """Base of the provider's operators.

    :param whatsapp_conn_id: Airflow connection of type ``whatsapp``.
    :param phone_number_id: sending phone number id; overrides the connection's.
    :param waba_id: WhatsApp Business account id; overrides the connection's.
    """

    template_fields: Sequence[str] = ("whatsapp_conn_id", "phone_number_id", "waba_id")
    ui_color = "#25D366"

    def __init__(
        self,
        *,
        whatsapp_conn_id: str = DEFAULT_CONN_ID,
        phone_number_id: str | None = None,
        waba_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.whatsapp_conn_id = whatsapp_conn_id
        self.phone_number_id = phone_number_id
        self.waba_id = waba_id

    @cached_property
    def hook(self) -> WhatsAppHook:
        from ..hooks.whatsapp import WhatsAppHook

        return WhatsAppHook(
            self.whatsapp_conn_id,
            phone_number_id=self.phone_number_id or None,
            waba_id=self.waba_id or None,
        )

    def template_for_send(self, name: str, language: str | None) -> dict[str, Any] | None:
        """The template as the API has it (``None`` when absent), fetched once per task:
        the pre-flight of every send of a mapped or repeated task reads it once."""
        fetched: dict[tuple[str, str | None], dict[str, Any] | None]
        fetched = self.__dict__.setdefault("_fetched_templates", {})
        if (name, language) not in fetched:
            fetched[name, language] = self.hook.client.get_template(name, language)
        return fetched[name, language]

    def execute(self, context: Any) -> Any:
        try:
            # getattr: Airflow 3.1 and 3.2 have no retry_policy
            with airflow_failure_semantics(getattr(self, "retry_policy", None)):
                return self.run(context)
        finally:
            close_hook(self)

    def run(self, context: Any) -> Any:
        """Do the operator's work; errors are mapped by ``execute()``."""
        raise NotImplementedError


def close_hook(task: Any) -> None:
    """Close the pooled connections of ``task.hook``, if the task made its hook: a worker
    runs many tasks, and each would otherwise leave its pool open."""
    hook = task.__dict__.get("hook")
    if hook is not None:
        hook.close()
