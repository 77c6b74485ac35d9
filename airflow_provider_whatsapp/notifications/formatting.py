"""What an alert says: the default texts of task, DAG and deadline alerts, as pure functions.

No Airflow import and no I/O: each function reads only what it is given (a callback's
context, any mapping or object with the same names, a clock) and returns text, so every
line can be tested with plain dicts and ``SimpleNamespace`` objects. What needs Airflow
(which tasks of a run failed, the deployment's base URL) is looked up by the notifier and
passed in.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

from ..limits import HITL_OPTION_LINKS_MAX, HITL_SUBJECT_MAX, TEXT_BODY_MAX

__all__ = [
    "deadline_facts",
    "deadline_message",
    "default_message",
    "hitl_deadline",
    "hitl_links",
    "hitl_message",
    "hitl_page_path",
    "hitl_page_url",
    "is_deadline_context",
    "is_hitl_context",
    "one_line",
]

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
_DEADLINE_TITLE = "⏰ Airflow deadline missed"
#: Said instead of task names when the run's failed tasks could not be asked for.
FAILED_TASKS_UNKNOWN = "Failed task(s): not known to this callback"


def one_line(value: Any) -> Any:
    """A template parameter on one line: WhatsApp refuses parameters holding newlines, tabs
    or more than four spaces in a row, and an alert's values (an exception's text, a
    rendered list) often do. Non-strings pass unchanged (the model validates them)."""
    if not isinstance(value, str):
        return value
    return " ".join(value.split()) or value


def _first_line(exception: Any) -> str:
    text = str(exception).strip() or type(exception).__name__
    line = text.splitlines()[0]
    name = type(exception).__name__ if isinstance(exception, BaseException) else ""
    line = f"{name}: {line}" if name and not line.startswith(name) else line
    return line[:500]


def _state(obj: Any) -> str:
    state = getattr(obj, "state", None)
    return str(getattr(state, "value", state) or "")


def _aware(value: Any) -> datetime | None:
    """``value`` as an aware datetime (naive ones are taken as UTC), else None."""
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def _duration(obj: Any, now: datetime) -> str | None:
    start = _aware(getattr(obj, "start_date", None))
    if start is None:
        return None
    end = _aware(getattr(obj, "end_date", None)) or now
    return f"{max((end - start).total_seconds(), 0.0):.1f}s"


def _log_url(ti: Any) -> str | None:
    try:
        url = getattr(ti, "log_url", None)
    except Exception:  # a thin or detached TI may fail to build its URL
        return None
    return url if isinstance(url, str) and url else None


def _task_label(ti: Any) -> str:
    task_id = str(getattr(ti, "task_id", None) or "?")
    map_index = getattr(ti, "map_index", None)
    if isinstance(map_index, int) and map_index >= 0:
        task_id = f"{task_id} [{map_index}]"
    return task_id


def default_message(
    context: Any, *, failed_tasks: Sequence[str] | None = None, now: datetime | None = None
) -> str:
    """What happened, where, and where to look, from whatever the context holds.

    DAG-level callbacks are told apart by the ``reason`` Airflow puts in their context
    (``task_failure``, ``success``...); their ``ti`` is the run's last relevant task.
    ``failed_tasks``: the run's failed tasks when that ``ti`` is another task (Airflow
    3.1 puts the run's last task *by id* there); empty when they could not be asked for,
    so no task is named rather than the wrong one.
    """
    now = now or datetime.now(timezone.utc)
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
    if dag_level:  # DAG callbacks fire on success ("success") or failure (any other reason)
        state = "success" if reason == "success" else "failed" if reason else _state(dag_run)
        title = _DAG_TITLES.get(state, "Airflow DAG run")
    elif ti is not None:
        state = _state(ti)
        title = _TASK_TITLES.get(state, "❌ Airflow task failed" if exception else "Airflow task")
    else:
        title = "❌ Airflow failure" if exception else "Airflow notification"
    lines = [title, f"DAG: {dag_id}"]
    if failed_tasks is not None:
        label = "Last task" if len(failed_tasks) == 1 else "Failed tasks"
        lines.append(
            f"{label}: {', '.join(failed_tasks)}" if failed_tasks else FAILED_TASKS_UNKNOWN
        )
        ti = None  # the context's TI is another task: its log link would mislead
    elif ti is not None:
        lines.append(f"{'Last task' if dag_level else 'Task'}: {_task_label(ti)}")
    if run_id:
        lines.append(f"Run: {run_id}")
    try_number = getattr(ti, "try_number", None) if ti is not None else None
    if isinstance(try_number, int) and not dag_level:
        lines.append(f"Try: {try_number}")
    duration = _duration(dag_run, now) if dag_level or ti is None else _duration(ti, now)
    if duration:
        lines.append(f"Duration: {duration}")
    if reason and reason != "success":
        lines.append(f"Reason: {reason}")
    if exception:
        lines.append(f"Error: {_first_line(exception)}")
    log_url = _log_url(ti) if ti is not None else None
    if log_url:
        lines.append(f"Log: {log_url}")
    return "\n".join(lines)[:TEXT_BODY_MAX]


# -- human-in-the-loop requests (Airflow 3.1+: a HITL operator's ``notifiers=``) -------------
#: The title line of a human-in-the-loop request's default message.
HITL_TITLE = "✋ Airflow needs your answer"
#: The standard provider's base class of every human-in-the-loop operator.
_HITL_BASE = ("airflow.providers.standard.operators.hitl", "HITLOperator")
_APPROVAL_OPTIONS = {"Approve", "Reject"}


def is_hitl_context(context: Any) -> bool:
    """A task context whose ``task`` is a human-in-the-loop operator (``HITLOperator``,
    ``ApprovalOperator``, ``HITLBranchOperator``, ``HITLEntryOperator`` or a subclass):
    its notifiers run right after the request is written, before the task waits.

    Told by the class's ancestry, so the standard provider is never imported here."""
    task = context.get("task") if isinstance(context, Mapping) else None
    return any((c.__module__, c.__name__) == _HITL_BASE for c in type(task).__mro__)


def hitl_page_url(
    base_url: str,
    dag_id: str,
    run_id: str,
    task_id: str,
    map_index: int | None = -1,
    options: Sequence[str] | None = None,
) -> str:
    """The task's *Required actions* page, under ``base_url`` (``[api] base_url``) with
    its path kept: ``https://corp.example/airflow`` gives ``https://corp.example/airflow/
    dags/...`` (Airflow's own ``generate_link_to_ui`` keeps only scheme and host).

    ``options`` preselects them (``_options``: the page reads a JSON list; a ``%`` is
    escaped twice since the page decodes the value once more). A mapped task's page is
    ``.../tasks/<task>/mapped/<index>/required_actions``, as the UI links it."""
    parts = ("dags", dag_id, "runs", run_id, "tasks", task_id)
    page = "/".join(quote(str(part), safe="") for part in parts)
    if isinstance(map_index, int) and map_index >= 0:
        page += f"/mapped/{map_index}"
    url = f"{base_url.rstrip('/')}/{page}/required_actions"
    if options:
        chosen = json.dumps(list(options), ensure_ascii=False).replace("%", "%25")
        url += "?_options=" + quote(chosen, safe="")
    return url


def hitl_links(context: Any, base_url: str | None) -> tuple[str | None, list[tuple[str, str]]]:
    """The request's page, and one link per option that preselects it where that helps:
    a choice among several options, one at a time, not more than ``HITL_OPTION_LINKS_MAX``
    (the page of an approval shows its two buttons anyway, and an entry form has one
    option). ``(None, [])`` without a base URL: Airflow cannot guess its own host."""
    task = context.get("task")
    ti = context.get("ti") or context.get("task_instance")
    if not base_url or ti is None:
        return None, []
    where: tuple[str, str, str, int] = (
        str(getattr(ti, "dag_id", None) or getattr(getattr(task, "dag", None), "dag_id", "?")),
        str(getattr(ti, "run_id", None) or context.get("run_id") or "?"),
        str(getattr(ti, "task_id", None) or getattr(task, "task_id", "?")),
        index if isinstance(index := getattr(ti, "map_index", -1), int) else -1,
    )
    page = hitl_page_url(base_url, *where)
    options = [str(o) for o in getattr(task, "options", None) or []]
    each = (
        1 < len(options) <= HITL_OPTION_LINKS_MAX
        and not getattr(task, "multiple", False)
        and set(options) != _APPROVAL_OPTIONS
    )
    per_option = (
        [(o, hitl_page_url(base_url, *where, options=[o])) for o in options] if each else []
    )
    return page, per_option


def hitl_page_path(url: str, base_url: str) -> str:
    """What follows ``base_url`` in ``url``: the value a template's URL button
    (``https://airflow.example.com/{{1}}``) is sent to open the page."""
    base = base_url.rstrip("/") + "/"
    if not url.startswith(base):
        raise ValueError(f"{url!r} is not under the base URL {base_url!r}")
    return url[len(base) :]


def hitl_deadline(task: Any, now: datetime) -> datetime | None:
    """When the request times out: the ``timeout_datetime`` the operator computed just
    before calling its notifiers, else ``response_timeout`` (``execution_timeout`` before
    standard provider 1.13, which had no ``response_timeout``) from ``now``."""
    summary = getattr(task, "hitl_summary", None)
    if isinstance(summary, Mapping) and "timeout_datetime" in summary:
        return _when(summary["timeout_datetime"])  # None: no timeout
    timeout = getattr(task, "response_timeout", None) or getattr(task, "execution_timeout", None)
    return now + timeout if isinstance(timeout, timedelta) else None


def _who(assigned: Any) -> str:
    names = []
    for user in assigned if isinstance(assigned, (list, tuple)) else [assigned]:
        name = _field(user, "name") or _field(user, "id")
        if name:
            names.append(str(name))
    return ", ".join(names)


def hitl_message(
    context: Any,
    *,
    base_url: str | None = None,
    now: datetime | None = None,
    page_link: bool = True,
    limit: int = TEXT_BODY_MAX,
) -> str:
    """The default text of a human-in-the-loop request: what is asked (subject, body),
    the options, who may answer, by when (and what happens then), where (DAG, task,
    run) and the links to answer. ``page_link=False`` leaves the page's own link out
    (a button carries it); the body is shortened so the whole stays within ``limit``."""
    now = now or datetime.now(timezone.utc)
    task = context.get("task")
    ti = context.get("ti") or context.get("task_instance")
    options = [str(o) for o in getattr(task, "options", None) or []]
    multiple = bool(getattr(task, "multiple", False))
    subject = one_line(str(getattr(task, "subject", "") or "?"))
    if len(subject) > HITL_SUBJECT_MAX:
        subject = subject[: HITL_SUBJECT_MAX - 1].rstrip() + "…"
    head = [HITL_TITLE, f"*{subject}*"]
    tail = []
    if options:
        pick = " (one or more)" if multiple else ""
        tail.append(f"Options{pick}: {', '.join(options)}")
    params = getattr(task, "params", None)
    fields = [str(k) for k in params] if isinstance(params, Mapping) else []
    if fields:
        tail.append(f"Fields to fill: {', '.join(fields)}")
    who = _who(getattr(task, "assigned_users", None) or [])
    if who:
        tail.append(f"Who may answer: {who}")
    deadline = hitl_deadline(task, now)
    defaults = getattr(task, "defaults", None) or []
    if deadline is not None:
        then = ", ".join(map(str, defaults)) if defaults else "the task fails"
        tail.append(
            f"Answer by: {deadline.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC "
            f"(in {_span(deadline - now)}); unanswered: {then}"
        )
    else:
        tail.append("Answer by: no deadline (the task waits for an answer)")
    dag_id = getattr(ti, "dag_id", None) or getattr(getattr(task, "dag", None), "dag_id", "?")
    tail.append(f"DAG: {dag_id} · Task: {_task_label(ti) if ti is not None else '?'}")
    run_id = getattr(ti, "run_id", None) or context.get("run_id")
    if run_id:
        tail.append(f"Run: {run_id}")
    page, per_option = hitl_links(context, base_url)
    if page and page_link:
        ending = [f"Answer: {page}"]
    else:
        ending = [] if page else ["Answer in Airflow: Browse > Required actions"]
    choose = ["Choose:"] + [f"• {option}: {url}" for option, url in per_option]
    if per_option and len("\n".join(head + tail + choose + ending)) <= limit:
        tail += choose  # else the page alone: a cut link would open the wrong page
    tail += ending
    body = str(getattr(task, "body", None) or "").strip()
    room = limit - len("\n".join(head + tail)) - 2
    if body and room > 20:
        head.append(body if len(body) <= room else body[: room - 1].rstrip() + "…")
    return "\n".join(head + tail)[:limit]


# -- deadline alerts (Airflow 3.1+: a DeadlineAlert's AsyncCallback, run in the triggerer;
# 3.2+: also a SyncCallback, run by an executor) --------------------------------------------
def is_deadline_context(context: Any) -> bool:
    """A missed deadline's context: ``{"dag_run": {...}, "deadline": {...}}``, plain dicts."""
    return isinstance(context, Mapping) and isinstance(context.get("deadline"), Mapping)


def _alert_name(context: Any, given: Any = None) -> str:
    """The ``DeadlineAlert``'s name, on one line: ``given`` (the notifier's ``alert_name``),
    else one the context carries. Airflow 3.3 stores ``DeadlineAlert(name=...)`` but hands
    the callback only the deadline's id and time, so the name has to come in the kwargs."""
    deadline = context.get("deadline") or {}
    name = given or _field(deadline, "alert_name") or _field(deadline, "name")
    return str(one_line(str(name)))[:250] if name else ""


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


def deadline_facts(
    context: Any, now: datetime | None = None, *, alert_name: str | None = None
) -> dict[str, Any]:
    """``dag_id``, ``run_id``, ``missed_by`` and ``alert_name`` of a missed deadline's context.

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
        "alert_name": _alert_name(context, alert_name),
    }


def deadline_message(
    context: Any,
    now: datetime | None = None,
    *,
    base_url: str | None = None,
    alert_name: str | None = None,
) -> str:
    """The default text of a deadline alert: which alert (its name, when it has one), DAG,
    run, which deadline, by how much it was missed, the run's state so far and, given the
    deployment's ``base_url`` (Airflow's ``[api] base_url``), its page. The triggerer and
    the executor hand over only plain dicts (the run as the REST API shows it, the
    deadline's id and time), so that is all we use."""
    now = now or datetime.now(timezone.utc)
    dag_run = context.get("dag_run") or {}
    facts = deadline_facts(context, now, alert_name=alert_name)
    title = f"{_DEADLINE_TITLE}: {facts['alert_name']}" if facts["alert_name"] else _DEADLINE_TITLE
    lines = [title, f"DAG: {facts['dag_id']}"]
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
    if base_url and facts["run_id"]:
        page = f"dags/{quote(str(facts['dag_id']))}/runs/{quote(str(facts['run_id']))}"
        lines.append(f"Link: {base_url.rstrip('/')}/{page}")
    return "\n".join(lines)[:TEXT_BODY_MAX]
