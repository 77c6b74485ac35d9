"""Smallest DAG: proves the test Airflow home runs dag.test()."""

from __future__ import annotations

from airflow.sdk import DAG, task

with DAG("smoke_dag", schedule=None) as dag:

    @task
    def hello() -> dict[str, int]:
        return {"ok": 1}

    hello()
