"""What an alert says, from plain dicts and ``SimpleNamespace`` objects: no Airflow object,
no DAG run, no emulator. ``notifications.formatting`` is pure, so each line is pinned here
with a fixed clock."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from airflow_provider_whatsapp.notifications.formatting import (
    FAILED_TASKS_UNKNOWN,
    deadline_facts,
    deadline_message,
    default_message,
    is_deadline_context,
    one_line,
)

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)


def test_formatting_imports_no_airflow() -> None:
    """Unit-testable without Airflow: importing it loads no ``airflow`` module."""
    code = (
        "import sys\n"
        "import airflow_provider_whatsapp.notifications.formatting\n"
        "print(sorted(m for m in sys.modules if m == 'airflow' or m.startswith('airflow.')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=os.environ
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_a_task_failure_every_line() -> None:
    ti = SimpleNamespace(
        task_id="load",
        dag_id="etl",
        run_id="scheduled__1",
        map_index=-1,
        try_number=3,
        state="failed",
        start_date=NOW - timedelta(seconds=42),
        end_date=NOW,
        log_url="https://airflow.example.com/dags/etl/runs/scheduled__1/tasks/load",
    )
    error = ValueError("no customer_id in row 7\n  File ...")
    assert default_message({"ti": ti, "exception": error}, now=NOW).splitlines() == [
        "❌ Airflow task failed",
        "DAG: etl",
        "Task: load",
        "Run: scheduled__1",
        "Try: 3",
        "Duration: 42.0s",
        "Error: ValueError: no customer_id in row 7",  # only the first line
        "Log: https://airflow.example.com/dags/etl/runs/scheduled__1/tasks/load",
    ]


def test_a_running_retry_counts_up_to_now_and_names_the_map_index() -> None:
    ti = SimpleNamespace(
        task_id="send", map_index=2, state="up_for_retry", start_date=NOW - timedelta(seconds=5)
    )
    assert default_message({"task_instance": ti}, now=NOW).splitlines() == [
        "🔁 Airflow task will retry",
        "DAG: ?",
        "Task: send [2]",
        "Duration: 5.0s",
    ]


def _dag_failure() -> dict[str, object]:
    """A DAG-level context as Airflow 3.1 builds it: the run's last task by id, here a
    task that succeeded, with its own log link."""
    ti = SimpleNamespace(
        task_id="zz_report", try_number=1, state="success", log_url="https://x/zz_report"
    )
    dag_run = SimpleNamespace(
        dag_id="etl", run_id="r1", start_date=NOW - timedelta(minutes=2), end_date=NOW
    )
    return {"ti": ti, "dag_run": dag_run, "run_id": "r1", "reason": "task_failure"}


def test_a_dag_failure_names_the_failed_tasks_it_is_given_not_the_contexts_task() -> None:
    one = default_message(_dag_failure(), failed_tasks=["extract"], now=NOW)
    assert one.splitlines() == [
        "❌ Airflow DAG run failed",
        "DAG: etl",
        "Last task: extract",
        "Run: r1",
        "Duration: 120.0s",
        "Reason: task_failure",  # and no "Log:": the context's TI is another task's
    ]
    two = default_message(_dag_failure(), failed_tasks=["extract", "load"], now=NOW)
    assert two.splitlines()[2] == "Failed tasks: extract, load"


def test_a_dag_failure_whose_failed_tasks_are_unknown_names_no_task() -> None:
    """Airflow 3.1 under ``dag.test()``: nobody to ask which task failed. Naming the
    context's task (one that succeeded) would send the on-call to the wrong log."""
    text = default_message(_dag_failure(), failed_tasks=[], now=NOW)
    assert text.splitlines()[2:] == [
        FAILED_TASKS_UNKNOWN,
        "Run: r1",
        "Duration: 120.0s",
        "Reason: task_failure",
    ]
    assert FAILED_TASKS_UNKNOWN == "Failed task(s): not known to this callback"
    assert "zz_report" not in text


def test_without_failed_tasks_the_dag_message_trusts_the_contexts_task() -> None:
    """Airflow 3.2+: the context's TI is the run's last relevant task."""
    lines = default_message(_dag_failure(), now=NOW).splitlines()
    assert lines[2] == "Last task: zz_report"
    assert lines[-1] == "Log: https://x/zz_report"


def test_a_dag_success_has_no_reason_line() -> None:
    dag_run = SimpleNamespace(dag_id="etl", state="success", start_date=NOW, end_date=NOW)
    assert default_message({"dag_run": dag_run, "reason": "success"}, now=NOW).splitlines() == [
        "✅ Airflow DAG run succeeded",
        "DAG: etl",
        "Duration: 0.0s",
    ]


def test_the_default_message_stops_at_whatsapps_text_limit() -> None:
    text = default_message({"exception": ValueError("x" * 600), "run_id": "r" * 5000}, now=NOW)
    assert len(text) == 4096


def test_deadline_message_links_the_run_only_when_given_the_base_url() -> None:
    context = {
        "dag_run": {"dag_run_id": "manual__a b", "dag_id": "etl", "state": "running"},
        "deadline": {"deadline_time": NOW - timedelta(minutes=3, seconds=7)},
    }
    assert is_deadline_context(context)
    lines = deadline_message(context, NOW, base_url="https://airflow.example.com/").splitlines()
    assert lines == [
        "⏰ Airflow deadline missed",
        "DAG: etl",
        "Run: manual__a b",
        "Deadline: 2026-03-01 11:56:53 UTC",
        "Missed by: 3m 07s",
        "State: running",
        "Link: https://airflow.example.com/dags/etl/runs/manual__a%20b",
    ]
    assert deadline_message(context, NOW).splitlines() == lines[:-1]
    assert deadline_facts(context, NOW) == {
        "dag_id": "etl",
        "run_id": "manual__a b",
        "missed_by": "3m 07s",
        "alert_name": "",
    }


def test_only_a_deadline_context_is_one() -> None:
    assert not is_deadline_context({"dag_run": {}, "deadline": None})
    assert not is_deadline_context({"ti": object()})


def test_one_line_flattens_whitespace_and_leaves_other_values() -> None:
    assert one_line("row 7:\n\tbad     date\r\n") == "row 7: bad date"
    assert one_line("   ") == "   "  # nothing to keep: the model names the empty value
    assert one_line(3) == 3
