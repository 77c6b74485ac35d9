"""``WhatsAppNotifier``: task and DAG callbacks that reach the on-call phone."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timezone
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseNotifier

from ..hooks.whatsapp import WhatsAppHook

if TYPE_CHECKING:
    import jinja2

    from ..messages import Message

_EVENT_TITLES = {
    "failed": "❌ Airflow task failed",
    "up_for_retry": "🔁 Airflow task will retry",
    "success": "✅ Airflow task succeeded",
}
TEXT_LIMIT = 4096


def _first_line(exception: Any) -> str:
    if exception is None:
        return ""
    text = str(exception).strip() or type(exception).__name__
    line = text.splitlines()[0]
    name = type(exception).__name__ if isinstance(exception, BaseException) else ""
    line = f"{name}: {line}" if name and not line.startswith(name) else line
    return line[:500]


def _state(obj: Any) -> str:
    state = getattr(obj, "state", None)
    return str(getattr(state, "value", state) or "")


def default_message(context: Any) -> str:
    """What happened, where, and where to look, from whatever the context holds."""
    ti = context.get("ti") or context.get("task_instance")
    dag_run = context.get("dag_run")
    dag = context.get("dag")
    exception = context.get("exception") or context.get("reason")
    dag_id = (
        getattr(dag, "dag_id", None)
        or getattr(dag_run, "dag_id", None)
        or getattr(ti, "dag_id", "?")
    )
    state = _state(ti) if ti is not None else _state(dag_run)
    if ti is None:
        title = {
            "failed": "❌ Airflow DAG run failed",
            "success": "✅ Airflow DAG run succeeded",
        }.get(state, "Airflow DAG run")
    else:
        title = _EVENT_TITLES.get(state, "❌ Airflow task failed" if exception else "Airflow task")
    lines = [title, f"DAG: {dag_id}"]
    if ti is not None:
        lines.append(f"Task: {getattr(ti, 'task_id', '?')}")
    run_id = (
        context.get("run_id") or getattr(dag_run, "run_id", None) or getattr(ti, "run_id", None)
    )
    if run_id:
        lines.append(f"Run: {run_id}")
    if ti is not None and getattr(ti, "try_number", None) is not None:
        lines.append(f"Try: {ti.try_number}")
    start = getattr(ti, "start_date", None) or getattr(dag_run, "start_date", None)
    if isinstance(start, datetime):
        seconds = (datetime.now(timezone.utc) - start).total_seconds()
        lines.append(f"Duration: {seconds:.1f}s")
    if exception:
        lines.append(f"Error: {_first_line(exception)}")
    log_url = None
    try:
        log_url = getattr(ti, "log_url", None)
    except Exception:  # a thin or detached TI may fail to build its URL
        log_url = None
    if log_url:
        lines.append(f"Log: {log_url}")
    return "\n".join(lines)[:TEXT_LIMIT]


class WhatsAppNotifier(BaseNotifier):
    """Send a WhatsApp message from a task or DAG callback.

    With neither ``text`` nor ``template_name`` it sends a default report of the event
    (DAG, task, run, try, duration, error, log link) as free-form text, which only
    reaches numbers that wrote to the business in the last 24 hours. For alerts to
    people who did not, use an approved template (``template_name``/``language``/
    ``parameters``). A failed send is logged and never masks the task's own outcome.

    :param to: one phone number or several (international format; ``+`` and spaces allowed).
    :param text: Jinja-templated free-form text.
    :param template_name: approved template to send instead of text.
    :param language: template language code, e.g. ``en_US``.
    :param parameters: template body parameters: list = positional, dict = named (templated).
    :param whatsapp_conn_id: connection of type ``whatsapp``.
    :param phone_number_id: overrides the connection's sending number.
    """

    template_fields = (
        "to",
        "text",
        "template_name",
        "language",
        "parameters",
        "whatsapp_conn_id",
        "phone_number_id",
    )

    def __init__(
        self,
        *,
        to: str | Sequence[str],
        text: str | None = None,
        template_name: str | None = None,
        language: str = "en_US",
        parameters: Sequence[Any] | dict[str, Any] | None = None,
        preview_url: bool = False,
        whatsapp_conn_id: str = WhatsAppHook.default_conn_name,
        phone_number_id: str | None = None,
    ) -> None:
        super().__init__()
        if text is not None and template_name is not None:
            raise ValueError("give either text or template_name, not both")
        self.to = to
        self.text = text
        self.template_name = template_name
        self.language = language
        self.parameters = parameters
        self.preview_url = preview_url
        self.whatsapp_conn_id = whatsapp_conn_id
        self.phone_number_id = phone_number_id

    def render_template_fields(
        self, context: Any, jinja_env: jinja2.Environment | None = None
    ) -> None:
        """Render with the DAG's Jinja environment, or a default one when the context
        holds a serialized DAG (DAG-level callbacks) that cannot make one."""
        if jinja_env is None:
            dag = context.get("dag")
            get_env = getattr(dag, "get_template_env", None)
            jinja_env = get_env() if callable(get_env) else self.get_template_env()
        super().render_template_fields(context, jinja_env)

    @cached_property
    def hook(self) -> WhatsAppHook:
        return WhatsAppHook(self.whatsapp_conn_id, phone_number_id=self.phone_number_id or None)

    @property
    def recipients(self) -> list[str]:
        if isinstance(self.to, str):
            return [p.strip() for p in self.to.split(",") if p.strip()]
        return [str(p) for p in self.to]

    def build_messages(self, context: Any) -> list[Message]:
        from ..messages import TemplateMessage, TextMessage

        if self.template_name:
            return [
                TemplateMessage.create(
                    to, self.template_name, self.language, parameters=self.parameters
                )
                for to in self.recipients
            ]
        body = self.text if self.text is not None else default_message(context)
        body = body[:TEXT_LIMIT]
        return [
            TextMessage.create(to, body, preview_url=self.preview_url) for to in self.recipients
        ]

    def _messages_or_log(self, context: Any) -> list[Message]:
        try:
            return self.build_messages(context)
        except ValueError as exc:
            self.log.error("WhatsApp notification not sent: invalid message: %s", exc)
            return []

    def notify(self, context: Any) -> None:
        sent = 0
        messages = self._messages_or_log(context)
        for message in messages:
            try:
                answer = self.hook.send_message(message)
            except Exception as exc:
                self.log.error("WhatsApp notification to %s failed: %s", message.to, exc)
            else:
                sent += 1
                self.log.info(
                    "WhatsApp notification sent to %s: %s", message.to, _message_id(answer)
                )
        if messages and not sent:
            self.log.error(
                "No WhatsApp notification could be sent (%d recipient(s))", len(messages)
            )

    async def async_notify(self, context: Any) -> None:
        messages = self._messages_or_log(context)
        if not messages:
            return
        client = await self.hook.get_async_conn()
        try:
            results = await asyncio.gather(
                *(client.send_message(m) for m in messages), return_exceptions=True
            )
        finally:
            await client.aclose()
        for message, result in zip(messages, results):
            if isinstance(result, BaseException):
                self.log.error("WhatsApp notification to %s failed: %s", message.to, result)
            else:
                self.log.info(
                    "WhatsApp notification sent to %s: %s", message.to, _message_id(result)
                )


def _message_id(answer: Any) -> str:
    try:
        return str(answer["messages"][0]["id"])
    except (KeyError, IndexError, TypeError):
        return "no message id"


send_whatsapp_notification = WhatsAppNotifier
