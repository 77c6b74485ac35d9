"""Bulk sends on one Maton account take turns: each runs in the Airflow pool named like its
connection unless told otherwise, mapped or not, as the scheduler reads it (the DAG as the
dag-processor serializes it)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from airflow.sdk import DAG

from airflow_provider_whatsapp.operators.bulk import WhatsAppBulkSendOperator, account_pool

START = datetime(2025, 1, 1, tzinfo=timezone.utc)
ARGS: dict[str, Any] = {"template_name": "notice", "language": "en_US"}


def scheduler_pools(dag: DAG) -> dict[str, str]:
    """Each task's pool in the DAG as the scheduler gets it: serialized, then loaded."""
    from airflow.serialization import serialized_objects

    # DagSerialization from 3.2 on, SerializedDAG before.
    names = ("DagSerialization", "SerializedDAG")
    serializer = next(
        getattr(serialized_objects, n) for n in names if hasattr(serialized_objects, n)
    )
    loaded = serializer.from_dict(serializer.to_dict(dag))
    return {task.task_id: task.pool for task in loaded.tasks}


def test_each_connection_has_its_pool_mapped_or_not() -> None:
    with DAG("pools", schedule=None, start_date=START) as dag:
        WhatsAppBulkSendOperator(task_id="plain", recipients=["+16505551234"], **ARGS)
        WhatsAppBulkSendOperator(
            task_id="other_account", recipients=["+16505551234"], whatsapp_conn_id="shop", **ARGS
        )
        WhatsAppBulkSendOperator.partial(task_id="mapped", **ARGS).expand(
            recipients=[["+16505551234"], ["+16505551235"]]
        )
        WhatsAppBulkSendOperator.partial(
            task_id="mapped_other", whatsapp_conn_id="shop", **ARGS
        ).expand(recipients=[["+16505551234"]])
    assert scheduler_pools(dag) == {
        "plain": "whatsapp_default",
        "other_account": "shop",
        "mapped": "whatsapp_default",
        "mapped_other": "shop",
    }


def test_a_pool_given_or_in_default_args_wins() -> None:
    with DAG("given", schedule=None, start_date=START) as given:
        WhatsAppBulkSendOperator(task_id="own", recipients=["1"], pool="marketing", **ARGS)
        WhatsAppBulkSendOperator(task_id="none", recipients=["1"], pool="default_pool", **ARGS)
        WhatsAppBulkSendOperator.partial(task_id="mapped", pool="marketing", **ARGS).expand(
            recipients=[["1"]]
        )
    assert scheduler_pools(given) == {
        "own": "marketing",
        "none": "default_pool",
        "mapped": "marketing",
    }
    defaults = {"pool": "team_pool"}
    with DAG("defaults", schedule=None, start_date=START, default_args=defaults) as dag:
        WhatsAppBulkSendOperator(task_id="plain", recipients=["1"], **ARGS)
        WhatsAppBulkSendOperator.partial(task_id="mapped", **ARGS).expand(recipients=[["1"]])
    assert scheduler_pools(dag) == {"plain": "team_pool", "mapped": "team_pool"}


@pytest.mark.parametrize(
    ("conn_id", "pool"),
    [("whatsapp_default", "whatsapp_default"), ("{{ params.conn }}", "default_pool")],
)
def test_a_templated_connection_has_no_pool_of_its_own(conn_id: str, pool: str) -> None:
    # The pool is fixed when the DAG is parsed; a templated connection is known at run time.
    op = WhatsAppBulkSendOperator(task_id="t", recipients=["1"], whatsapp_conn_id=conn_id, **ARGS)
    assert op.pool == pool
    assert account_pool(conn_id) == (None if pool == "default_pool" else conn_id)
