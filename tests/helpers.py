"""Reading what a ``dag.test()`` run left behind; a strict stand-in for the supervisor."""

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


class FakeSupervisorComms:
    """Stands in for the triggerer's channel to its supervisor, as strict as Airflow's:
    a blocking ``send`` from the event-loop thread raises ``DeadlockImminentError``
    (the real one does whenever another trigger's ``asend`` is in flight)."""

    def __init__(self) -> None:
        self.async_masks: list[Any] = []

    def send(self, msg: Any) -> Any:
        import asyncio

        from airflow.sdk.execution_time.comms import DeadlockImminentError

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return None
        raise DeadlockImminentError(msg)

    async def asend(self, msg: Any) -> Any:
        self.async_masks.append(getattr(msg, "value", msg))
        return None
