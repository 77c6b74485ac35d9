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
def airflow_failure_semantics(retry_policy: Any = None) -> Iterator[None]:
    """Fail fast on what no retry can fix; let Airflow retry the rest.

    Only the provider's own verdicts are mapped. A bad recipient, a closed 24-hour
    window, a missing or paused template, a wrong key or input the provider refused
    (``WhatsAppValidationError``, or pydantic's ``ValidationError``, raised by models)
    raise ``AirflowFailException``: the task's retries would only repeat the failure.
    Rate limits, server faults and lost connections are re-raised as they are, and so is
    every other exception, a plain ``ValueError`` or ``TypeError`` included: a bug (in a
    subclass, a callable or the provider) is not a verdict on the input, so the task's
    ``retries`` apply as for any operator. A task's ``retry_policy`` (Airflow 3.3+) sees
    these errors themselves, our classes with their ``code``; ``AirflowFailException``
    never reaches it. So an error that only a much later retry can fix
    (``retry_later``: 131049) is re-raised as it is when ``retry_policy`` has a rule for it
    (the policy schedules the retry); otherwise it fails the task like the others.
    """
    from ._errors import WhatsAppError, WhatsAppValidationError

    try:
        yield
    except WhatsAppError as exc:
        if exc.retryable or (exc.retry_later and has_rule_for(retry_policy, exc)):
            raise
        invalid = "invalid input: " if isinstance(exc, WhatsAppValidationError) else ""
        raise AirflowFailException(f"{invalid}{exc}") from exc
    except ValueError as exc:
        from pydantic import ValidationError

        if not isinstance(exc, ValidationError):
            raise
        raise AirflowFailException(f"invalid input: {exc}") from exc


def has_rule_for(retry_policy: Any, exc: BaseException) -> bool:
    """Whether ``retry_policy`` names ``exc`` in a rule: an ``ExceptionRetryPolicy``
    (``rules``), or a chain of policies (``policies``) holding one. Any other policy is
    code we cannot read ahead, so it does not count."""
    rules = getattr(retry_policy, "rules", None) or ()
    if any(rule.matches(exc) for rule in rules):
        return True
    return any(has_rule_for(policy, exc) for policy in getattr(retry_policy, "policies", ()) or ())


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
