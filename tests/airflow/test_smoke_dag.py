from __future__ import annotations

import pytest


@pytest.mark.dag
def test_dag_runs(airflow_db):
    from tests.dags.smoke import dag

    dr = dag.test()
    assert dr.state == "success"
