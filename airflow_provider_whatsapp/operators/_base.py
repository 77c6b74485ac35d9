"""What every WhatsApp operator shares: the hook, and how failures reach Airflow."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from ..hooks import DEFAULT_CONN_ID
from ..version_compat import AirflowFailException

if TYPE_CHECKING:  # imported on first use: a DAG file that only builds tasks skips them
    from ..hooks.whatsapp import WhatsAppHook


@contextmanager
def airflow_failure_semantics() -> Iterator[None]:
    """Fail fast on what no retry can fix; let Airflow retry the rest.

    A bad recipient, a closed 24-hour window, a missing or paused template, a wrong key
    or an invalid payload raise ``AirflowFailException`` (the task's retries would only
    repeat the failure). Rate limits, server faults and lost connections are re-raised
    as they are, so the task's normal ``retries`` apply.
    """
    from ..client.errors import WhatsAppError

    try:
        yield
    except WhatsAppError as exc:
        if exc.retryable:
            raise
        raise AirflowFailException(str(exc)) from exc
    except ValueError as exc:  # pydantic.ValidationError and our own validation errors
        raise AirflowFailException(f"invalid input: {exc}") from exc


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

    def execute(self, context: Any) -> Any:
        with airflow_failure_semantics():
            return self.run(context)

    def run(self, context: Any) -> Any:
        """Do the operator's work; errors are mapped by :meth:`execute`."""
        raise NotImplementedError
