"""What an alert says: the default texts of task, DAG and deadline alerts, as pure functions.

No Airflow import and no I/O: each function reads only what it is given (a callback's
context, any mapping or object with the same names, a clock) and returns text, so every
line can be tested with plain dicts and ``SimpleNamespace`` objects. What needs Airflow
(which tasks of a run failed, the deployment's base URL) is looked up by the notifier and
passed in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

from ..limits import TEXT_BODY_MAX

__all__ = [
    "deadline_facts",
    "deadline_message",
    "default_message",
    "is_deadline_context",
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
