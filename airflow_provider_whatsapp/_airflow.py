"""Airflow glue shared by the operators, the sensor and the notifier.

How a WhatsApp failure becomes an Airflow outcome, and where a relative file named in a
DAG is found. Cheap to import: a DAG file reaches it at parse time.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

from .version_compat import AirflowException, AirflowFailException


@contextmanager
def airflow_failure_semantics() -> Iterator[None]:
    """Fail fast on what no retry can fix; let Airflow retry the rest.

    A bad recipient, a closed 24-hour window, a missing or paused template, a wrong key
    or an invalid payload raise ``AirflowFailException`` (the task's retries would only
    repeat the failure). Rate limits, server faults and lost connections are re-raised
    as they are, so the task's normal ``retries`` apply.
    """
    from .client.errors import WhatsAppError

    try:
        yield
    except WhatsAppError as exc:
        if exc.retryable:
            raise
        raise AirflowFailException(str(exc)) from exc
    except ValueError as exc:  # pydantic.ValidationError and our own validation errors
        raise AirflowFailException(f"invalid input: {exc}") from exc


def fail_with_result(context: Any, result: Any, message: str, *, retry_may_help: bool) -> NoReturn:
    """Partial failure, the same in every operator: the result goes to ``return_value``
    XCom first (raising would lose it; the UI and a retry read it there), then the task
    fails with ``message``: ``AirflowException`` when a retry may help (its retries
    apply), ``AirflowFailException`` when it cannot."""
    context["ti"].xcom_push(key="return_value", value=result)
    if retry_may_help:
        raise AirflowException(message)
    raise AirflowFailException(message)


def resolve_local_path(path: str | os.PathLike[str], context: Any) -> Path:
    """``path`` as given when it exists (or is absolute), else beside the DAG file.

    A worker's working directory is arbitrary, while files shipped with a DAG sit next to
    it: ``"templates/"`` in a DAG file means the folder beside that file.
    """
    candidate = Path(path).expanduser()
    if candidate.is_absolute() or candidate.exists():
        return candidate
    dag = context.get("dag") if hasattr(context, "get") else None
    fileloc = getattr(dag, "fileloc", None)
    if fileloc:
        beside = Path(fileloc).parent / candidate
        if beside.exists():
            return beside
    return candidate
