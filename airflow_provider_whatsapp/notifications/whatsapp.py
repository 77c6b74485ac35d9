"""``WhatsAppNotifier``: task, DAG and deadline callbacks that reach the on-call phone.

What the alert says is :mod:`.formatting` (pure functions); splitting ``to``, checking each
number and sending to every valid one is :mod:`airflow_provider_whatsapp.bulk.fanout`. This
module is the Airflow side: rendering, and what a callback raises.
"""

from __future__ import annotations

import copy
from collections.abc import Generator, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseNotifier

from .._errors import WhatsAppError, WhatsAppValidationError
from ..bulk.recipient_list import is_templated, split_recipients, syntax_problems
from ..hooks import DEFAULT_CONN_ID
from ..version_compat import AIRFLOW_V_3_2_PLUS, conf

if TYPE_CHECKING:
    import jinja2

    from ..bulk.fanout import Fanout
    from ..hooks.whatsapp import WhatsAppHook
    from ..messages import RecipientMessage
    from .formatting import deadline_message, default_message

# What a DAG file imports at every parse is the class and the literal-recipient check;
# formatting (:mod:`.formatting`) and sending (:mod:`..bulk.fanout`) load when a callback
# runs.

__all__ = [
    "HitlRequestNotSentError",
    "InvalidRecipientError",
    "WhatsAppNotifier",
    "deadline_message",
    "default_message",
    "failed_task_ids",
    "send_whatsapp_notification",
]


def __getattr__(name: str) -> Any:
    if name in ("deadline_message", "default_message"):
        from . import formatting

        return getattr(formatting, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_WHAT = "WhatsApp notification"  # how the log lines of a send name it


#: The label of the button that opens a human-in-the-loop request's page (<= 20 characters).
HITL_BUTTON_TEXT = "Answer in Airflow"


class HitlRequestNotSentError(WhatsAppError):
    """A human-in-the-loop request (``notifiers=`` of ``ApprovalOperator``...) did not
    reach every recipient: raised after every one was tried, so the task fails before it
    waits for an answer."""


class InvalidRecipientError(WhatsAppValidationError):
    """A recipient in ``to`` that no message can reach (or none at all).

    Raised by the constructor for a literal number that can never be valid (the DAG file
    fails to import, so the UI shows it before any incident), and at send time after
    every valid recipient was sent to, so Airflow records the callback as failed.
    """


def failed_task_ids(context: Any) -> list[str] | None:
    """The failed tasks a DAG-level failure message names instead of the context's ``ti``.

    Only Airflow 3.1 needs this: its DAG callbacks get the run's last task *by id*
    (3.2+ give the task that failed). It asks through the ``ti``'s public
    ``get_task_states`` (the task SDK's execution API, answered by the DAG processor's
    supervisor), never the metadata database. None: the context's ``ti`` is the one to
    show. ``[]``: nobody could be asked (``dag.test()`` on 3.1 runs DAG callbacks with
    no supervisor), so no task is named rather than the wrong one.
    """
    if AIRFLOW_V_3_2_PLUS or "reason" not in context or context.get("reason") == "success":
        return None
    ti = context.get("ti") or context.get("task_instance")
    run_id = context.get("run_id") or getattr(ti, "run_id", None)
    dag_id = getattr(context.get("dag"), "dag_id", None) or getattr(ti, "dag_id", None)
    try:
        found = ti.get_task_states(dag_id=dag_id, run_ids=[run_id])
        states = dict(found.get(run_id) or {})
    except Exception:  # no supervisor to ask, or it failed: the alert goes out regardless
        return []
    failed = sorted(t for t, s in states.items() if getattr(s, "value", s) == "failed")
    if not failed or getattr(ti, "task_id", None) in failed:
        return None  # none failed (a timeout), or the context's TI is one: keep its details
    return failed


def _base_url() -> str | None:
    """``[api] base_url``, for the run's page in a deadline alert (Airflow cannot guess
    its own host); None when unset or when no configuration can be read here."""
    try:
        return conf.get("api", "base_url", fallback=None) or None
    except Exception:
        return None


def _check_literal_recipients(to: Any) -> None:
    """Fail at DAG parse time on a literal recipient that can never be valid.

    Only what needs no country data (characters, prefixes, 7 to 15 digits), so parsing
    stays cheap: neither ``phonenumbers`` nor the pydantic models are imported. A
    recipient written with Jinja is rendered, and so checked, only when sending.
    """
    if is_templated(to):
        return
    items = split_recipients(to)
    if not items:
        raise InvalidRecipientError(f"WhatsAppNotifier argument 'to' has no recipient: {to!r}")
    problems = syntax_problems(items)
    if problems:
        raise InvalidRecipientError(
            "WhatsAppNotifier argument 'to' holds a number no message can reach: "
            + "; ".join(problems)
        )


class WhatsAppNotifier(BaseNotifier):
    """Send a WhatsApp message from a task or DAG callback.

    With neither ``text`` nor ``template_name`` it sends a default report of the event
    (DAG, task, run, try, duration, error, log link) as free-form text, which only
    reaches numbers that wrote to the business in the last 24 hours. For alerts to
    people who did not, use an approved template (``template_name``/``language``/
    ``parameters``).

    One bad recipient never silences the others. A literal number that can never be
    valid (letters, too few or too many digits) fails the constructor, so the DAG file
    shows as an import error before any incident. At send time (Jinja, Variables) every
    valid recipient is sent to first; then the invalid ones are named (position, and the
    value masked when it looks like a number) and the callback raises
    ``InvalidRecipientError``, which Airflow records as a failed callback: a task's
    state is not changed by it.

    A send the gateway refuses (window closed, gateway down) is logged per recipient and
    not raised, so the task's own failure stays what Airflow reports; when ``text``
    cannot be rendered (an undefined variable, a typo) the default message is sent
    instead, with a note saying so. Each call renders a fresh copy, so one instance can
    serve several tasks, tries and runs (default_args, ``dag.test()``).

    As a deadline alert (Airflow 3.1+), ``AsyncCallback(WhatsAppNotifier, kwargs={...})``
    on a ``DeadlineAlert``: the triggerer awaits it with a plain-dict context, and the
    connection is looked up asynchronously. From 3.2, ``SyncCallback(WhatsAppNotifier,
    kwargs={...})`` runs it on an executor instead: Airflow builds it with the same
    context and calls it, and it sends synchronously. Either way the default message says
    which deadline was missed and by how much, and templates may use ``{{ dag_id }}``,
    ``{{ run_id }}``, ``{{ missed_by }}``, ``{{ alert_name }}``, ``{{ dag_run.* }}`` and
    ``{{ deadline.deadline_time }}``. A deadline alert that reached nobody fails the
    callback.

    :param to: one phone number or several (a list, or comma-separated; international
        format, ``+`` and spaces allowed), or business-scoped user ids
        (``US.13491208655302741918``) for users who hide their number (templated; a list
        rendered to text is split). Literal numbers and ids are checked when the DAG file is parsed; with Jinja
        (``{{ var.value.oncall }}``) when sending.
    :param text: Jinja-templated free-form text.
    :param template_name: approved template to send instead of text (templated).
    :param language: template language code, e.g. ``en_US`` (templated).
    :param parameters: template body parameters: list = positional, dict = named (templated);
        each rendered string is put on one line (whitespace runs become one space).
    :param preview_url: show a preview of the first URL in ``text``.
    :param whatsapp_conn_id: connection of type ``whatsapp``.
    :param phone_number_id: overrides the connection's sending number.
    :param timeout: seconds per request (default 10, not the connection's 30): a callback
        must not hold a worker or the DAG processor for minutes while the gateway is down.
    :param max_retries: client retries per recipient (default 10), within ``retry_budget``.
        ``None`` for either: the connection's.
    :param retry_budget: seconds the whole notification may spend retrying (default 60):
        waits honour ``Retry-After`` (a bulk send filling the account's rate answers 429
        for a moment), and no retry starts whose wait would pass the budget, so a
        callback holds its worker or the DAG processor at most about ``retry_budget`` +
        ``timeout``. Every recipient shares it (the async path sends them at once).
    :param alert_name: the ``DeadlineAlert``'s name, shown in a deadline alert's first line
        (Airflow 3.3 does not pass ``DeadlineAlert(name=...)`` to the callback: repeat it
        here).
    :param link_button: human-in-the-loop requests with ``template_name`` only: the
        position (0-based) of the template's URL button whose URL ends in ``{{1}}``; it is
        sent the *Required actions* page's path under ``[api] base_url``.
    :param context: set by Airflow when it builds the notifier (deadline alerts, 3.1+).

    In a human-in-the-loop operator's ``notifiers=`` (``ApprovalOperator``,
    ``HITLOperator``...; Airflow 3.1+) the default message is the request: subject, body,
    options, who may answer, by when, and a button to the task's *Required actions* page
    (an interactive ``cta_url`` message; plain text when ``[api] base_url`` is unset).
    There a send that reaches not every recipient raises once all were tried: Airflow
    fails the task before it waits for an answer nobody may have seen.
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
        whatsapp_conn_id: str = DEFAULT_CONN_ID,
        phone_number_id: str | None = None,
        timeout: float | None = 10.0,
        max_retries: int | None = 10,
        retry_budget: float | None = 60.0,
        alert_name: str | None = None,
        link_button: int | None = None,
        context: Any = None,
    ) -> None:
        if context is not None:
            super().__init__(context=context)  # Airflow 3.1+
        else:
            super().__init__()
        if text is not None and template_name is not None:
            raise WhatsAppValidationError("give either text or template_name, not both")
        if context is None:  # built in a DAG file; with a context it sends now (deadline)
            _check_literal_recipients(to)
        self.to = to
        self.text = text
        self.template_name = template_name
        self.language = language
        self.parameters = parameters
        self.preview_url = preview_url
        self.whatsapp_conn_id = whatsapp_conn_id
        self.phone_number_id = phone_number_id
        self.timeout = timeout
        self.max_retries = max_retries
        self.retry_budget = retry_budget
        self.alert_name = alert_name
        self.link_button = link_button
        self._render_errors: dict[str, str] = {}

    # -- Airflow entry points: render and send a copy -------------------------------------
    def __call__(self, *args: Any) -> None:
        """Render and send on a copy: rendering is in place, and the same instance is
        called again for the next try, task or run (``dag.test()``, default_args).

        A deadline's ``SyncCallback`` (3.2+) lands here too, on an executor: Airflow builds
        the notifier from the stored kwargs and the context, then calls it with that
        context (its only argument)."""
        if len(args) == 1:
            args = (self._deadline_context(args[0]),)
        BaseNotifier.__call__(self._fresh(), *args)

    def __await__(self) -> Generator[Any, None, None]:
        clone = self._fresh()
        clone.context = self._deadline_context(clone.context)
        return BaseNotifier.__await__(clone)

    def _deadline_context(self, context: Any) -> Any:
        """A deadline alert's context with ``dag_id``, ``run_id``, ``missed_by`` and
        ``alert_name`` added for templates (a new dict: Airflow's stays as it was); any
        other context as it is."""
        from .formatting import deadline_facts, is_deadline_context

        if not is_deadline_context(context):
            return context
        return {**deadline_facts(context, alert_name=self.alert_name), **context}

    def _fresh(self) -> WhatsAppNotifier:
        clone = copy.copy(self)
        clone.__dict__.pop("hook", None)
        clone._render_errors = {}
        return clone

    def render_template_fields(
        self, context: Any, jinja_env: jinja2.Environment | None = None
    ) -> None:
        """Render field by field with Airflow's public ``render_template``, so a field
        that fails (an undefined variable, a typo) is noted and the others still render:
        the alert goes out, with the default message if ``text`` failed. (BaseNotifier's
        own renders every field in one call, which stops at the first error.)

        Uses the DAG's Jinja environment, or a default one when the context holds a
        serialized DAG that cannot make one (DAG-level callbacks under ``dag.test()``).
        """
        if jinja_env is None:
            dag = context.get("dag")
            jinja_env = self.get_template_env(dag if hasattr(dag, "get_template_env") else None)
        for field in self.template_fields:
            value = getattr(self, field)
            if not value:
                continue
            try:
                setattr(self, field, self.render_template(value, context, jinja_env))
            except Exception as exc:
                self._render_errors[field] = f"{type(exc).__name__}: {exc}"
                self.log.error(
                    "%s: could not render %r: %s", _WHAT, field, self._render_errors[field]
                )

    # -- building ---------------------------------------------------------------------------
    @cached_property
    def hook(self) -> WhatsAppHook:
        """The hook for ``whatsapp_conn_id``, with this notifier's timeout and retries."""
        from ..hooks.whatsapp import WhatsAppHook

        return WhatsAppHook(
            self.whatsapp_conn_id,
            phone_number_id=self.phone_number_id or None,
            timeout=self.timeout,
            max_retries=self.max_retries,
            retry_budget=self.retry_budget,
        )

    @property
    def recipients(self) -> list[Any]:
        """The ``to`` numbers as a list (one number or many were given)."""
        return split_recipients(self.to)

    def build_messages(self, context: Any) -> tuple[list[RecipientMessage], list[str]]:
        """One message per valid recipient, and one line per invalid one (logged here).

        Raises ``WhatsAppValidationError`` when no message can be built for anyone (``to`` empty or
        not rendered, a template field not rendered, parameters the template refuses).
        """
        from ..bulk.fanout import screen_recipients
        from .formatting import one_line

        errors = self._render_errors
        if "to" in errors:
            raise InvalidRecipientError(f"'to' could not be rendered ({errors['to']})")
        items = self.recipients
        if not items:
            raise InvalidRecipientError(f"no recipient: 'to' is empty ({self.to!r})")
        screened = screen_recipients(items)
        for line in screened.invalid:
            self.log.error("%s not sent to %s", _WHAT, line)
        if not screened.valid:
            return [], screened.invalid
        if self.template_name:
            from ..messages import TemplateMessage

            broken = [f for f in ("template_name", "language", "parameters") if f in errors]
            if broken:
                raise WhatsAppValidationError(f"{', '.join(broken)} could not be rendered")
            parameters: Any = self.parameters
            if isinstance(parameters, dict):
                parameters = {k: one_line(v) for k, v in parameters.items()}
            elif isinstance(parameters, (list, tuple)):
                parameters = [one_line(v) for v in parameters]
            buttons = None if self.link_button is None else [self._link_button(context)]
            messages: list[RecipientMessage] = [
                TemplateMessage.create(
                    to, self.template_name, self.language, parameters=parameters, buttons=buttons
                )
                for to in screened.valid
            ]
        else:
            from ..messages import TextMessage

            hitl = self._hitl_button(context)
            if hitl is not None:
                return hitl(screened.valid), screened.invalid
            body = self._text(context)
            messages = [
                TextMessage.create(to, body, preview_url=self.preview_url) for to in screened.valid
            ]
        return messages, screened.invalid

    # -- human-in-the-loop requests: a button to the task's Required actions page ------------
    def _hitl_button(self, context: Any) -> Any:
        """For a human-in-the-loop request's default message with a link: a function
        building one ``cta_url`` message per recipient (the request as its body, a
        button to the page); None otherwise (plain text, as for any notification)."""
        from .formatting import hitl_links, hitl_message, is_hitl_context

        if self.text is not None and "text" not in self._render_errors:
            return None
        if not is_hitl_context(context):
            return None
        base_url = _base_url()
        page, _ = hitl_links(context, base_url)
        if page is None:
            return None
        from ..limits import INTERACTIVE_BODY_TEXT_MAX
        from ..messages import CtaUrlMessage

        note = ""
        if "text" in self._render_errors:
            error = self._render_errors["text"][:300]
            note = f"\n(The notifier's text could not be rendered: {error})"
        limit = INTERACTIVE_BODY_TEXT_MAX - len(note)
        body = hitl_message(context, base_url=base_url, page_link=False, limit=limit) + note
        return lambda valid: [
            CtaUrlMessage.create(to, body, HITL_BUTTON_TEXT, page) for to in valid
        ]

    def _link_button(self, context: Any) -> dict[str, Any]:
        """The template's URL button ``link_button``, its suffix the request's page."""
        from .formatting import hitl_links, hitl_page_path, is_hitl_context

        base_url = _base_url()
        page, _ = hitl_links(context, base_url) if is_hitl_context(context) else (None, [])
        if page is None or base_url is None:
            raise WhatsAppValidationError(
                f"link_button={self.link_button!r} needs a human-in-the-loop task and "
                f"[api] base_url set (got base_url {base_url!r})"
            )
        return {
            "type": "button",
            "sub_type": "url",
            "index": str(self.link_button),
            "parameters": [{"type": "text", "text": hitl_page_path(page, base_url)}],
        }

    def _text(self, context: Any) -> str:
        """The rendered ``text``, else the default message (noting a failed rendering)."""
        from ..limits import TEXT_BODY_MAX
        from .formatting import (
            deadline_message,
            default_message,
            hitl_message,
            is_deadline_context,
            is_hitl_context,
        )

        if self.text is not None and "text" not in self._render_errors:
            return str(self.text)[:TEXT_BODY_MAX]
        if is_deadline_context(context):
            body = deadline_message(context, base_url=_base_url(), alert_name=self.alert_name)
        elif is_hitl_context(context):
            body = hitl_message(context, base_url=_base_url())
        else:
            body = default_message(context, failed_tasks=failed_task_ids(context))
        if "text" in self._render_errors:
            body += f"\n(The notifier's text could not be rendered: {self._render_errors['text']})"
        return body[:TEXT_BODY_MAX]

    def _prepare(self, context: Any) -> tuple[list[RecipientMessage], list[str]]:
        """``build_messages``, or the reason nobody can be sent to, logged and raised."""
        from .formatting import is_deadline_context

        try:
            return self.build_messages(context)
        except Exception as exc:
            self.log.error("%s not sent: %s", _WHAT, exc)
            what = "deadline alert" if is_deadline_context(context) else "notification"
            error = (
                InvalidRecipientError
                if isinstance(exc, InvalidRecipientError)
                else WhatsAppValidationError
            )
            raise error(f"WhatsApp {what} not sent: {exc}") from exc

    def _settle(
        self, context: Any, messages: list[RecipientMessage], invalid: list[str], sent: Fanout
    ) -> None:
        """After every send: fail the callback if a recipient in ``to`` was invalid (Airflow
        records it), or if a deadline alert reached nobody (it hides no task failure)."""
        from .formatting import is_deadline_context, is_hitl_context

        if is_hitl_context(context):
            self._settle_request(messages, invalid, sent)
        if messages and not sent.sent:
            self.log.error(
                "No WhatsApp notification could be sent (%d recipient(s))", len(messages)
            )
        if invalid:
            total = len(messages) + len(invalid)
            others = (
                f"sent to {sent.sent} of the {len(messages)} others" if messages else "no other"
            )
            raise InvalidRecipientError(
                f"WhatsApp notification not sent to {len(invalid)} of {total} recipient(s) "
                f"in 'to', fix them ({others}): " + "; ".join(invalid)
            )
        if is_deadline_context(context) and not sent.sent:
            why = sent.unusable or f"every send failed ({len(messages)} recipient(s))"
            raise RuntimeError(f"WhatsApp deadline alert not sent: {why}")

    def _settle_request(
        self, messages: list[RecipientMessage], invalid: list[str], sent: Fanout
    ) -> None:
        """A human-in-the-loop request must reach every recipient: after all were tried,
        raise for any not reached (invalid, refused, no usable connection), so the task
        fails before it waits for an answer (Airflow re-raises a notifier's error)."""
        from ..messages.phone import mask_phone

        missed = list(invalid)
        missed += [f"{mask_phone(o.to)}: {o.error}" for o in sent.outcomes if not o.accepted]
        if sent.unusable:
            missed.append(sent.unusable)
        if missed:
            total = len(messages) + len(invalid)
            raise HitlRequestNotSentError(
                f"WhatsApp request for an answer reached {sent.sent} of {total} recipient(s) "
                "in 'to'; the task fails before waiting: " + "; ".join(missed)
            )

    # -- sending ------------------------------------------------------------------------------
    def notify(self, context: Any) -> None:
        from ..bulk.fanout import send_each

        messages, invalid = self._prepare(context)
        sent = send_each(
            self.hook.get_conn, messages, retry_budget=self.retry_budget, log=self.log, what=_WHAT
        )
        self._settle(context, messages, invalid, sent)

    async def async_notify(self, context: Any) -> None:
        from ..bulk.fanout import send_together

        messages, invalid = self._prepare(context)
        sent = await send_together(self.hook.get_async_conn, messages, log=self.log, what=_WHAT)
        self._settle(context, messages, invalid, sent)


send_whatsapp_notification = WhatsAppNotifier
