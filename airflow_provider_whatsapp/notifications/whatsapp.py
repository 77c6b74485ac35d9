"""``WhatsAppNotifier``: task and DAG callbacks that reach the on-call phone."""

from __future__ import annotations

import ast
import asyncio
import copy
import json
import time
from collections.abc import Generator, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from airflow.sdk import BaseNotifier

from .._errors import WhatsAppValidationError
from ..hooks import DEFAULT_CONN_ID
from ..version_compat import AIRFLOW_V_3_2_PLUS

if TYPE_CHECKING:
    import jinja2

    from ..hooks.whatsapp import WhatsAppHook
    from ..messages import RecipientMessage

_TASK_TITLES = {
    "failed": "❌ Airflow task failed",
    "up_for_retry": "🔁 Airflow task will retry",
    "success": "✅ Airflow task succeeded",
    "skipped": "⏭️ Airflow task skipped",
}
_DAG_TITLES = {
    "failed": "❌ Airflow DAG run failed",
    "success": "✅ Airflow DAG run succeeded",
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


def _one_line(value: Any) -> Any:
    """A template parameter on one line: WhatsApp refuses parameters holding newlines, tabs
    or more than four spaces in a row, and an alert's values (an exception's text, a
    rendered list) often do. Non-strings pass unchanged (the model validates them)."""
    if not isinstance(value, str):
        return value
    return " ".join(value.split()) or value


def _state(obj: Any) -> str:
    state = getattr(obj, "state", None)
    return str(getattr(state, "value", state) or "")


def _aware(value: Any) -> datetime | None:
    """``value`` as an aware datetime (naive ones are taken as UTC), else None."""
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def _duration(obj: Any) -> str | None:
    start = _aware(getattr(obj, "start_date", None))
    if start is None:
        return None
    end = _aware(getattr(obj, "end_date", None)) or datetime.now(timezone.utc)
    return f"{max((end - start).total_seconds(), 0.0):.1f}s"


def _log_url(ti: Any) -> str | None:
    try:
        url = getattr(ti, "log_url", None)
    except Exception:  # a thin or detached TI may fail to build its URL
        return None
    return url if isinstance(url, str) and url else None


def _failed_task_ids(dag_id: str, run_id: str) -> list[str] | None:
    """The run's failed tasks, asked of Airflow (3.1's DAG callbacks get no failed TI).

    In a DAG processor through its supervisor; under ``dag.test()`` (no supervisor, the
    callback runs beside the metadata database) from the database. None when neither answers.
    """
    from airflow.sdk.execution_time import task_runner

    try:
        if getattr(task_runner, "SUPERVISOR_COMMS", None) is not None:
            found = task_runner.RuntimeTaskInstance.get_task_states(dag_id=dag_id, run_ids=[run_id])
            states: dict[str, Any] = dict(found.get(run_id, {}))
        else:
            from airflow.models.taskinstance import TaskInstance
            from airflow.utils.session import create_session

            with create_session() as session:
                rows = session.query(TaskInstance.task_id, TaskInstance.state).filter_by(
                    dag_id=dag_id, run_id=run_id
                )
                states = {task_id: state for task_id, state in rows}
    except Exception:  # an alert must go out all the same, with what the context says
        return None
    return sorted({task_id for task_id, state in states.items() if str(state) == "failed"})


def default_message(context: Any) -> str:
    """What happened, where, and where to look, from whatever the context holds.

    DAG-level callbacks are told apart by the ``reason`` Airflow puts in their context
    (``task_failure``, ``success``...); their ``ti`` is the run's last relevant task (3.2+;
    3.1 puts the run's last task *by id* there, so the failed one is looked up).
    """
    ti = context.get("ti") or context.get("task_instance")
    dag_run = context.get("dag_run")
    dag = context.get("dag")
    exception = context.get("exception")
    dag_level = "reason" in context
    reason = context.get("reason")
    dag_id = (
        getattr(dag, "dag_id", None)
        or getattr(dag_run, "dag_id", None)
        or getattr(ti, "dag_id", None)
        or "?"
    )
    run_id = (
        context.get("run_id") or getattr(dag_run, "run_id", None) or getattr(ti, "run_id", None)
    )
    failed_tasks: list[str] | None = None
    if dag_level and reason != "success" and not AIRFLOW_V_3_2_PLUS and run_id:
        failed_tasks = _failed_task_ids(dag_id, run_id)
        if failed_tasks and getattr(ti, "task_id", None) in failed_tasks:
            failed_tasks = None  # the context's TI is a failed one: keep its details
    if dag_level:  # DAG callbacks fire on success ("success") or failure (any other reason)
        state = "success" if reason == "success" else "failed" if reason else _state(dag_run)
        title = _DAG_TITLES.get(state, "Airflow DAG run")
    elif ti is not None:
        state = _state(ti)
        title = _TASK_TITLES.get(state, "❌ Airflow task failed" if exception else "Airflow task")
    else:
        title = "❌ Airflow failure" if exception else "Airflow notification"
    lines = [title, f"DAG: {dag_id}"]
    if failed_tasks:
        label = "Last task" if len(failed_tasks) == 1 else "Failed tasks"
        lines.append(f"{label}: {', '.join(failed_tasks)}")
        ti = None  # its log link is another task's
    elif ti is not None:
        task_id = str(getattr(ti, "task_id", None) or "?")
        map_index = getattr(ti, "map_index", None)
        if isinstance(map_index, int) and map_index >= 0:
            task_id = f"{task_id} [{map_index}]"
        lines.append(f"{'Last task' if dag_level else 'Task'}: {task_id}")
    if run_id:
        lines.append(f"Run: {run_id}")
    try_number = getattr(ti, "try_number", None) if ti is not None else None
    if isinstance(try_number, int) and not dag_level:
        lines.append(f"Try: {try_number}")
    duration = _duration(dag_run) if dag_level or ti is None else _duration(ti)
    if duration:
        lines.append(f"Duration: {duration}")
    if reason and reason != "success":
        lines.append(f"Reason: {reason}")
    if exception:
        lines.append(f"Error: {_first_line(exception)}")
    log_url = _log_url(ti) if ti is not None else None
    if log_url:
        lines.append(f"Log: {log_url}")
    return "\n".join(lines)[:TEXT_LIMIT]


# -- deadline alerts (Airflow 3.1+: a DeadlineAlert's AsyncCallback, run in the triggerer) ---
_DEADLINE_TITLE = "⏰ Airflow deadline missed"


def is_deadline_context(context: Any) -> bool:
    """A missed deadline's context: ``{"dag_run": {...}, "deadline": {...}}``, plain dicts."""
    return isinstance(context, Mapping) and isinstance(context.get("deadline"), Mapping)


def _field(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)


def _when(value: Any) -> datetime | None:
    """A datetime, or the ISO text a JSON dump of one gives, as an aware datetime."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return _aware(value)


def _span(delta: timedelta) -> str:
    """``12.3s``, ``4m 05s``, ``2h 07m``, ``3d 04h``: readable for seconds as for days."""
    total = max(delta.total_seconds(), 0.0)
    if total < 60:
        return f"{total:.1f}s"
    minutes, seconds = divmod(int(total), 60)
    if minutes < 60:
        return f"{minutes}m {seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours:02d}h"


def _run_url(dag_id: str, run_id: str) -> str | None:
    """The run's page, when ``[api] base_url`` is set (Airflow cannot guess its own host)."""
    try:
        from airflow.configuration import conf

        base = conf.get("api", "base_url", fallback=None)
    except Exception:  # no core config where this runs: no link, the alert goes out anyway
        return None
    if not base:
        return None
    return f"{str(base).rstrip('/')}/dags/{quote(dag_id)}/runs/{quote(run_id)}"


def deadline_facts(context: Any, now: datetime | None = None) -> dict[str, Any]:
    """``dag_id``, ``run_id`` and ``missed_by`` of a missed deadline's context.

    Added to the context before rendering, so ``text``/``parameters`` of a deadline alert
    can say ``{{ run_id }}`` as a failure callback's do (``dag``/``ti`` are not there).
    """
    dag_run = context.get("dag_run") or {}
    needed_by = _when(_field(context.get("deadline") or {}, "deadline_time"))
    now = now or datetime.now(timezone.utc)
    return {
        "dag_id": _field(dag_run, "dag_id") or "?",
        "run_id": _field(dag_run, "dag_run_id") or _field(dag_run, "run_id") or "",
        "missed_by": _span(now - needed_by) if needed_by else "",
    }


def deadline_message(context: Any, now: datetime | None = None) -> str:
    """The default text of a deadline alert: DAG, run, which deadline, by how much it was
    missed, the run's state so far and its page. The triggerer hands over only plain dicts
    (the run as the REST API shows it, the deadline's id and time), so that is all we use."""
    now = now or datetime.now(timezone.utc)
    dag_run = context.get("dag_run") or {}
    facts = deadline_facts(context, now)
    lines = [_DEADLINE_TITLE, f"DAG: {facts['dag_id']}"]
    if facts["run_id"]:
        lines.append(f"Run: {facts['run_id']}")
    needed_by = _when(_field(context.get("deadline") or {}, "deadline_time"))
    queued = _when(_field(dag_run, "queued_at"))
    if needed_by is not None:
        line = f"Deadline: {needed_by.astimezone(timezone.utc):%Y-%m-%d %H:%M:%S} UTC"
        if queued is not None and needed_by >= queued:
            line += f" ({_span(needed_by - queued)} after queued)"
        lines += [line, f"Missed by: {facts['missed_by']}"]
    state = _field(dag_run, "state")
    if state:
        lines.append(f"State: {getattr(state, 'value', state)}")
    started = _when(_field(dag_run, "start_date"))
    if started is not None:
        ended = _when(_field(dag_run, "end_date"))
        lines.append(f"{'Took' if ended else 'Running for'}: {_span((ended or now) - started)}")
    url = _run_url(str(facts["dag_id"]), str(facts["run_id"])) if facts["run_id"] else None
    if url:
        lines.append(f"Link: {url}")
    return "\n".join(lines)[:TEXT_LIMIT]


def _phone_list(value: Any) -> list[Any]:
    """One number, a comma-separated string, a list, or a rendered list ("['1', '2']").

    A list's strings are split the same way (a Variable rendered into one item may hold
    several numbers); other items (an int, a wrong type) are kept as they are, so the
    phone check can name them.
    """
    if value is None:
        return []
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        text = str(value).strip()
        if text.startswith("[") and text.endswith("]"):
            try:
                parsed = json.loads(text)
            except ValueError:
                try:
                    parsed = ast.literal_eval(text)
                except (ValueError, SyntaxError):
                    parsed = None
            if isinstance(parsed, list):
                return _phone_list(parsed)
        if isinstance(value, int):
            return [value]
        return [p.strip() for p in text.split(",") if p.strip()]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [p for item in value for p in _phone_list(item)]
    return [value]


def _templated(value: Any) -> bool:
    return isinstance(value, str) and any(mark in value for mark in _JINJA_MARKS)


_JINJA_MARKS = ("{{", "{%")


class InvalidRecipientError(WhatsAppValidationError):
    """A recipient in ``to`` that no message can reach (or none at all).

    Raised by the constructor for a literal number that can never be valid (the DAG file
    fails to import, so the UI shows it before any incident), and at send time after
    every valid recipient was sent to, so Airflow records the callback as failed.
    """


def _check_literal_recipients(to: Any) -> None:
    """Fail at DAG parse time on a literal recipient that can never be valid.

    Only what needs no country data (characters, prefixes, 7 to 15 digits), so parsing
    stays cheap: neither ``phonenumbers`` nor the pydantic models are imported. A
    recipient written with Jinja is rendered, and so checked, only when sending.
    """
    if _templated(to):
        return
    items = _phone_list(to)
    if not items:
        raise InvalidRecipientError(f"WhatsAppNotifier argument 'to' has no recipient: {to!r}")
    from ..messages.phone import PhoneNumberError, check_phone_syntax

    problems = []
    for position, item in enumerate(items, start=1):
        if _templated(item) or not isinstance(item, (str, int)):
            continue  # rendered (or refused) at send time
        try:
            check_phone_syntax(item)
        except PhoneNumberError as exc:
            problems.append(f"recipient {position} of {len(items)}, {exc.shown}, {exc.problem}")
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
    on a ``DeadlineAlert``: the triggerer awaits it with a plain-dict context; the
    connection is looked up asynchronously, the default message says which deadline was
    missed and by how much, and templates may use ``{{ dag_id }}``, ``{{ run_id }}``,
    ``{{ missed_by }}``, ``{{ dag_run.* }}`` and ``{{ deadline.deadline_time }}``.

    :param to: one phone number or several (a list, or comma-separated; international
        format, ``+`` and spaces allowed) (templated). Literal numbers are checked when
        the DAG file is parsed; with Jinja (``{{ var.value.oncall }}``) when sending.
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
    :param context: set by Airflow when it awaits the notifier (deadline alerts, 3.1+).
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
        context: Any = None,
    ) -> None:
        if context is not None:
            super().__init__(context=context)  # Airflow 3.1+
        else:
            super().__init__()
        if text is not None and template_name is not None:
            raise ValueError("give either text or template_name, not both")
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
        self._render_errors: dict[str, str] = {}
        self._no_send_reason = ""

    # -- Airflow entry points: work on a copy ------------------------------------------
    def __call__(self, *args: Any) -> None:
        """Render and send on a copy: rendering is in place, and the same instance is
        called again for the next try, task or run (``dag.test()``, default_args)."""
        BaseNotifier.__call__(self._fresh(), *args)

    def __await__(self) -> Generator[Any, None, None]:
        clone = self._fresh()
        if is_deadline_context(clone.context):  # a deadline alert: name the run in templates
            merged: dict[str, Any] = {**deadline_facts(clone.context), **clone.context}
            clone.context = merged  # type: ignore[assignment]
        return BaseNotifier.__await__(clone)

    def _fresh(self) -> WhatsAppNotifier:
        clone = copy.copy(self)
        clone.__dict__.pop("hook", None)
        clone._render_errors = {}
        clone._no_send_reason = ""
        return clone

    def render_template_fields(
        self, context: Any, jinja_env: jinja2.Environment | None = None
    ) -> None:
        """Render field by field, keeping going past a field that fails (it is noted).

        Uses the DAG's Jinja environment, or a default one when the context holds a
        serialized DAG that cannot make one (DAG-level callbacks under ``dag.test()``).
        """
        if jinja_env is None:
            dag = context.get("dag")
            get_env = getattr(dag, "get_template_env", None)
            jinja_env = get_env() if callable(get_env) else self.get_template_env()
        for field in self.template_fields:
            try:
                self._do_render_template_fields(self, (field,), context, jinja_env, set())
            except Exception as exc:
                self._render_errors[field] = f"{type(exc).__name__}: {exc}"
                self.log.error(
                    "WhatsApp notification: could not render %r: %s",
                    field,
                    self._render_errors[field],
                )

    # -- building ---------------------------------------------------------------------------
    @cached_property
    def hook(self) -> WhatsAppHook:
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
        return _phone_list(self.to)

    def build_messages(self, context: Any) -> tuple[list[RecipientMessage], list[str]]:
        """One message per valid recipient, and one line per invalid one (logged here).

        Raises ``ValueError`` when no message can be built for anyone (``to`` empty or
        not rendered, a template field not rendered, parameters the template refuses).
        """
        from ..messages import TemplateMessage, TextMessage
        from ..messages.phone import PhoneNumberError, normalize_phone

        errors = self._render_errors
        if "to" in errors:
            raise InvalidRecipientError(f"'to' could not be rendered ({errors['to']})")
        items = self.recipients
        if not items:
            raise InvalidRecipientError(f"no recipient: 'to' is empty ({self.to!r})")
        valid: list[str] = []
        invalid: list[str] = []
        for position, item in enumerate(items, start=1):
            try:
                valid.append(normalize_phone(item))
            except PhoneNumberError as exc:
                line = f"recipient {position} of {len(items)} ({exc.shown}): {exc.problem}"
                self.log.error("WhatsApp notification not sent to %s", line)
                invalid.append(line)
        if not valid:
            return [], invalid
        if self.template_name:
            broken = [f for f in ("template_name", "language", "parameters") if f in errors]
            if broken:
                raise ValueError(f"{', '.join(broken)} could not be rendered")
            parameters: Any = self.parameters
            if isinstance(parameters, dict):
                parameters = {k: _one_line(v) for k, v in parameters.items()}
            elif isinstance(parameters, (list, tuple)):
                parameters = [_one_line(v) for v in parameters]
            messages: list[RecipientMessage] = [
                TemplateMessage.create(to, self.template_name, self.language, parameters=parameters)
                for to in valid
            ]
            return messages, invalid
        if self.text is None or "text" in errors:
            body = (deadline_message if is_deadline_context(context) else default_message)(context)
            if "text" in errors:
                body += f"\n(The notifier's text could not be rendered: {errors['text']})"
        else:
            body = str(self.text)
        body = body[:TEXT_LIMIT]
        messages = [TextMessage.create(to, body, preview_url=self.preview_url) for to in valid]
        return messages, invalid

    def _prepare(self, context: Any) -> tuple[list[RecipientMessage], list[str]]:
        """``build_messages``, or the reason nobody can be sent to, logged and raised."""
        try:
            return self.build_messages(context)
        except Exception as exc:  # pydantic's ValidationError is a ValueError
            self.log.error("WhatsApp notification not sent: %s", exc)
            what = "deadline alert" if is_deadline_context(context) else "notification"
            error = InvalidRecipientError if isinstance(exc, InvalidRecipientError) else ValueError
            raise error(f"WhatsApp {what} not sent: {exc}") from exc

    def _settle(
        self, context: Any, messages: list[RecipientMessage], invalid: list[str], sent: int
    ) -> None:
        """After every send: fail the callback if a recipient in ``to`` was invalid (Airflow
        records it), or if a deadline alert reached nobody (it hides no task failure)."""
        if messages and not sent:
            self.log.error(
                "No WhatsApp notification could be sent (%d recipient(s))", len(messages)
            )
        if invalid:
            total = len(messages) + len(invalid)
            others = f"sent to {sent} of the {len(messages)} others" if messages else "no other"
            raise InvalidRecipientError(
                f"WhatsApp notification not sent to {len(invalid)} of {total} recipient(s) "
                f"in 'to', fix them ({others}): " + "; ".join(invalid)
            )
        if is_deadline_context(context) and not sent:
            why = self._no_send_reason or f"every send failed ({len(messages)} recipient(s))"
            raise RuntimeError(f"WhatsApp deadline alert not sent: {why}")

    # -- sending ------------------------------------------------------------------------------
    def notify(self, context: Any) -> None:
        self._no_send_reason = ""
        messages, invalid = self._prepare(context)
        sent = self._send(messages) if messages else 0
        self._settle(context, messages, invalid, sent)

    def _send(self, messages: list[RecipientMessage]) -> int:
        """Send each message in turn; the number accepted (failures are logged)."""
        try:
            client = self.hook.get_conn()
        except Exception as exc:
            self.log.error("WhatsApp notification not sent: connection unusable: %s", exc)
            self._no_send_reason = f"connection unusable: {exc}"
            return 0
        sent = 0
        started = time.monotonic()
        try:
            for message in messages:
                if self.retry_budget is not None:  # one budget for the whole notification
                    left = max(self.retry_budget - (time.monotonic() - started), 0.0)
                    client.transport.set_retry_budget(left)
                try:
                    answer = client.send_message(message)
                except Exception as exc:
                    self.log.error("WhatsApp notification to %s failed: %s", message.to, exc)
                else:
                    sent += 1
                    self.log.info(
                        "WhatsApp notification sent to %s: %s", message.to, _message_id(answer)
                    )
        finally:
            client.close()
        return sent

    async def async_notify(self, context: Any) -> None:
        self._no_send_reason = ""
        messages, invalid = self._prepare(context)
        sent = await self._send_async(messages) if messages else 0
        self._settle(context, messages, invalid, sent)

    async def _send_async(self, messages: list[RecipientMessage]) -> int:
        """Send the messages at once; the number accepted (failures are logged)."""
        try:
            client = await self.hook.get_async_conn()
        except Exception as exc:
            self.log.error("WhatsApp notification not sent: connection unusable: %s", exc)
            self._no_send_reason = f"connection unusable: {exc}"
            return 0
        try:
            results = await asyncio.gather(
                *(client.send_message(m) for m in messages), return_exceptions=True
            )
        finally:
            await client.aclose()
        sent = 0
        for message, result in zip(messages, results):
            if isinstance(result, BaseException):
                self.log.error("WhatsApp notification to %s failed: %s", message.to, result)
            else:
                sent += 1
                self.log.info(
                    "WhatsApp notification sent to %s: %s", message.to, _message_id(result)
                )
        return sent


def _message_id(answer: Any) -> str:
    try:
        return str(answer["messages"][0]["id"])
    except (KeyError, IndexError, TypeError):
        return "no message id"


send_whatsapp_notification = WhatsAppNotifier
