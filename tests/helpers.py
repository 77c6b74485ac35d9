"""Reading what a ``dag.test()`` run left behind."""

from __future__ import annotations

from typing import Any


def xcom_of(dr: Any, task_id: str, key: str = "return_value", map_index: int = -1) -> Any:
    """The XCom value a task of run ``dr`` pushed (deserialized), or None."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        stmt = XComModel.get_many(
            run_id=dr.run_id, dag_ids=dr.dag_id, task_ids=task_id, key=key, map_indexes=map_index
        )
        row = session.scalars(stmt).first()
        return None if row is None else XComModel.deserialize_value(row)


def task_states(dr: Any) -> dict[str, str]:
    return {
        ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]": str(ti.state)
        for ti in dr.get_task_instances()
    }


class FakeTI:
    """What operators and sensors use of ``context["ti"]`` outside a run: XCom pushes, recorded."""

    def __init__(self) -> None:
        self.xcoms: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcoms[key] = value
