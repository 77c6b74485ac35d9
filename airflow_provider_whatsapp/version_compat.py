"""What differs between the Airflow 3 minors this provider supports (3.1, 3.2, 3.3), in one place.

Modules import the names below from here instead of guessing with ``try/except ImportError``
(the way the official providers do it). Cheap on purpose: a DAG file's parse pays for it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING


def get_base_airflow_version_tuple() -> tuple[int, int, int]:
    """The installed Airflow's (major, minor, micro), pre-release tags dropped."""
    from airflow import __version__
    from packaging.version import Version

    version = Version(__version__)
    return version.major, version.minor, version.micro


AIRFLOW_VERSION = get_base_airflow_version_tuple()
AIRFLOW_V_3_2_PLUS = AIRFLOW_VERSION >= (3, 2, 0)
AIRFLOW_V_3_3_PLUS = AIRFLOW_VERSION >= (3, 3, 0)
# 3.3 brought ``amask_secret``; 3.3.2 ``Connection.aextra_dejson`` and an ``aget_connection``
# that masks with it. Before, ``BaseHook.aget_connection`` masks with a blocking supervisor
# call, which raises DeadlockImminentError on a busy event loop.
AIRFLOW_V_3_3_2_PLUS = AIRFLOW_VERSION >= (3, 3, 2)
# 3.3 gives each task instance a state store (``context["task_state_store"]``) kept across
# retries: the bulk delivery record lives there; before, in Variables. Read at run time, so
# a test can take the older path.
HAS_TASK_STATE_STORE = AIRFLOW_V_3_3_PLUS
# 3.3 (task SDK 1.3) gives every operator ``retry_policy=``: retries and their delays chosen
# by the exception (``whatsapp_retry_policy()``); before, only ``retries``/``retry_delay``.
HAS_RETRY_POLICY = AIRFLOW_V_3_3_PLUS
# Deadline alerts: 3.1 runs a DeadlineAlert's callback only in the triggerer
# (``AsyncCallback``; ``DeadlineAlert`` refuses a ``SyncCallback``); 3.2 also on an executor
# (``SyncCallback``); 3.3 gives ``DeadlineAlert`` a ``name`` (and ``VariableInterval``).
HAS_SYNC_DEADLINE_CALLBACK = AIRFLOW_V_3_2_PLUS
HAS_DEADLINE_ALERT_NAME = AIRFLOW_V_3_3_PLUS


def hitl_response_timeout(timeout: timedelta) -> dict[str, timedelta]:
    """The keyword argument that bounds a human-in-the-loop operator's wait for an answer,
    for ``ApprovalOperator(..., **hitl_response_timeout(timedelta(hours=4)))``.

    ``response_timeout`` from ``apache-airflow-providers-standard`` 1.13 on (it warns when
    given ``execution_timeout`` instead); ``execution_timeout`` before (Airflow 3.1's
    constraints ship 1.12, which has no ``response_timeout``). Read when called, so a DAG
    file pays for it only if it has such an operator.
    """
    from airflow.providers.standard import __version__
    from packaging.version import Version

    older = Version(Version(__version__).base_version) < Version("1.13.0")
    return {"execution_timeout" if older else "response_timeout": timeout}


if TYPE_CHECKING or AIRFLOW_V_3_2_PLUS:
    from airflow.sdk import conf
    from airflow.sdk.exceptions import (
        AirflowException,
        AirflowFailException,
        AirflowSensorTimeout,
        AirflowSkipException,
        TaskDeferred,
    )
else:  # 3.1: the task SDK has no exceptions module nor conf yet
    from airflow.configuration import conf
    from airflow.exceptions import (
        AirflowException,
        AirflowFailException,
        AirflowSensorTimeout,
        AirflowSkipException,
        TaskDeferred,
    )

if TYPE_CHECKING or AIRFLOW_V_3_3_PLUS:
    # ``retention=NEVER_EXPIRE`` for ``task_state_store.set`` (compared by identity).
    from airflow.sdk.execution_time.context import NEVER_EXPIRE
else:
    NEVER_EXPIRE = None

if TYPE_CHECKING or HAS_RETRY_POLICY:
    from airflow.sdk.definitions.retry_policy import (
        ExceptionRetryPolicy,
        RetryAction,
        RetryRule,
    )
else:  # 3.1, 3.2: no retry policies (whatsapp_retry_policy() says so)
    ExceptionRetryPolicy = RetryAction = RetryRule = None

__all__ = [
    "AIRFLOW_VERSION",
    "AIRFLOW_V_3_2_PLUS",
    "AIRFLOW_V_3_3_2_PLUS",
    "AIRFLOW_V_3_3_PLUS",
    "HAS_DEADLINE_ALERT_NAME",
    "HAS_RETRY_POLICY",
    "HAS_SYNC_DEADLINE_CALLBACK",
    "HAS_TASK_STATE_STORE",
    "NEVER_EXPIRE",
    "AirflowException",
    "AirflowFailException",
    "AirflowSensorTimeout",
    "AirflowSkipException",
    "ExceptionRetryPolicy",
    "RetryAction",
    "RetryRule",
    "TaskDeferred",
    "conf",
    "hitl_response_timeout",
]
