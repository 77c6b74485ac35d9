"""Shared pieces of the benchmarks: an emulator in its own process, the operator's code
path outside Airflow, result files and side-by-side printing.

The emulator runs in a separate process (``python -m airflow_provider_whatsapp.testing``)
so that on this 2-core machine the client being measured and the server answering it do
not share one GIL; it is steered through its ``/_emulator/`` control routes.
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from airflow_provider_whatsapp.testing.process import EmulatorProcess

# Before Airflow is imported (it reads its settings then): progress lines every few
# seconds would interleave with the figures.
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "ERROR")

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results"
TEMPLATE = "bench_notice"  # an APPROVED template with body "Hello {{1}}"
CONN_ID = "whatsapp_default"


def phone(n: int) -> str:
    """The n-th distinct recipient number (US test range, valid for the models)."""
    return f"1650{n:07d}"


class BenchEmulator(EmulatorProcess):
    """The emulator process with the benchmarks' start-up settings."""

    def __init__(
        self, *, rate_limit: float = 0, latency: float = 0.0, seed_template: bool = True
    ) -> None:
        options = ["--rate-limit", str(rate_limit), "--latency", str(latency)]
        super().__init__(*options, *(["--template", TEMPLATE] if seed_template else []))

    def use_connection(self, **extra: Any) -> None:
        """Point ``whatsapp_default`` at this emulator in this process (and children)."""
        os.environ.update(self.connection_env(CONN_ID, **extra))


@contextmanager
def emulator(
    *, rate_limit: float = 0, latency: float = 0.0, seed_template: bool = True
) -> Iterator[BenchEmulator]:
    with BenchEmulator(rate_limit=rate_limit, latency=latency, seed_template=seed_template) as emu:
        yield emu


# -- the operator's path, outside Airflow -------------------------------------------------
class FakeTI:
    """The little of a TaskInstance that ``WhatsAppBulkSendOperator`` reads."""

    dag_id = "benchmarks"
    task_id = "bulk"
    run_id = "bench"
    map_index = -1

    def xcom_push(self, key: str, value: Any) -> None:
        pass


def in_memory_delivery_record() -> None:
    """Keep the operator's delivery record in memory instead of Airflow Variables.

    ``VariableStore`` is monkeypatched into a fresh in-memory
    :class:`~airflow_provider_whatsapp.bulk.record.RecordStore` per run (no metadata database
    here); everything else the operator does runs unchanged.
    """
    from airflow_provider_whatsapp.bulk.record import RecordStore
    from airflow_provider_whatsapp.operators import bulk

    bulk.VariableStore = RecordStore  # type: ignore[misc]


def bulk_operator(recipients: Any, **kwargs: Any) -> Any:
    """``WhatsAppBulkSendOperator`` sending the benchmark template to ``recipients``."""
    from airflow_provider_whatsapp.operators.bulk import WhatsAppBulkSendOperator

    return WhatsAppBulkSendOperator(
        task_id="bulk",
        recipients=recipients,
        template_name=TEMPLATE,
        language="en_US",
        parameters=["there"],
        **kwargs,
    )


def run_operator(operator: Any) -> tuple[dict[str, Any], float]:
    """``operator.execute`` with an in-memory delivery record; (XCom result, wall seconds)."""
    in_memory_delivery_record()
    started = time.perf_counter()
    result = operator.execute({"ti": FakeTI(), "run_id": FakeTI.run_id})
    return result, time.perf_counter() - started


# -- results --------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadavg_at_start": [round(x, 2) for x in load] if load else None,
    }


def save(name: str, data: dict[str, Any]) -> Path:
    """Write ``benchmarks/results/<name>.json`` (with the machine description)."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {"benchmark": name, "machine": machine(), "when": time.time(), **data}
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    return path


def check(value: float, target: float, *, at_most: bool = False) -> bool:
    return value <= target if at_most else value >= target


def verdict(met: bool) -> str:
    return "MET" if met else "MISSED"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain text table, columns padded."""
    from tabulate import tabulate

    return str(tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True))


def banner(title: str) -> None:
    print(f"\n=== {title} ===", flush=True)
