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
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

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


class EmulatorProcess:
    """``python -m airflow_provider_whatsapp.testing`` in a child process.

    Settings changed with :meth:`configure` are lost on :meth:`reset` (the emulator
    restores its start-up settings), so :meth:`reset` takes the settings to re-apply.
    """

    def __init__(
        self, *, rate_limit: float = 0, latency: float = 0.0, seed_template: bool = True
    ) -> None:
        args = [
            sys.executable,
            "-m",
            "airflow_provider_whatsapp.testing",
            "--rate-limit",
            str(rate_limit),
            "--latency",
            str(latency),
        ]
        if seed_template:
            args += ["--template", TEMPLATE]
        self.proc = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        found: dict[str, str] = {}
        assert self.proc.stdout is not None
        while "AIRFLOW_CONN_WHATSAPP_DEFAULT" not in found:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("the emulator process exited before printing its URL")
            name, _, value = line.strip().partition("=")
            found[name] = value
        self.url = found["WHATSAPP_EMULATOR_URL"]
        self.connection: dict[str, Any] = json.loads(found["AIRFLOW_CONN_WHATSAPP_DEFAULT"])
        self.http = httpx.Client(base_url=self.url, timeout=60)

    # -- control -------------------------------------------------------------------
    def _post(self, route: str, body: dict[str, Any] | None = None) -> Any:
        answer = self.http.post(f"/_emulator/{route}", json=body or {})
        answer.raise_for_status()
        return answer.json()

    def _get(self, route: str) -> Any:
        answer = self.http.get(f"/_emulator/{route}")
        answer.raise_for_status()
        return answer.json()

    def configure(self, **settings: Any) -> None:
        self._post("config", settings)

    def reset(self, **settings: Any) -> None:
        """Forget traffic, then apply ``settings`` (rate_limit, latency...)."""
        self._post("reset")
        if settings:
            self.configure(**settings)

    def add_template(self, name: str, language: str = "en_US", **spec: Any) -> str:
        answer = self._post("templates", {"name": name, "language": language, **spec})
        return str(answer["id"])

    def messages(self) -> list[dict[str, Any]]:
        """Accepted messages, with the emulator's ``received_at`` (time.monotonic)."""
        return list(self._get("messages"))

    def requests(self) -> list[dict[str, Any]]:
        return list(self._get("requests"))

    # -- Airflow connection ----------------------------------------------------------
    def connection_env(self, **extra: Any) -> dict[str, str]:
        """``AIRFLOW_CONN_WHATSAPP_DEFAULT`` for this emulator, with extra fields added."""
        conn = {**self.connection, "extra": {**self.connection["extra"], **extra}}
        return {f"AIRFLOW_CONN_{CONN_ID.upper()}": json.dumps(conn)}

    def use_connection(self, **extra: Any) -> None:
        """Point ``whatsapp_default`` at this emulator in this process (and children)."""
        os.environ.update(self.connection_env(**extra))

    def close(self) -> None:
        self.http.close()
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@contextmanager
def emulator(
    *, rate_limit: float = 0, latency: float = 0.0, seed_template: bool = True
) -> Iterator[EmulatorProcess]:
    emu = EmulatorProcess(rate_limit=rate_limit, latency=latency, seed_template=seed_template)
    try:
        yield emu
    finally:
        emu.close()


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
    """Keep the operator's delivery record in memory instead of an Airflow Variable.

    ``VariableDeliveryRecord.load`` is monkeypatched to return the base
    :class:`~airflow_provider_whatsapp.bulk.DeliveryRecord` (no metadata database here);
    everything else the operator does runs unchanged.
    """
    from airflow_provider_whatsapp.bulk import DeliveryRecord
    from airflow_provider_whatsapp.operators.bulk import VariableDeliveryRecord

    VariableDeliveryRecord.load = staticmethod(lambda key: DeliveryRecord())  # type: ignore[method-assign]


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
    cells = [[str(c) for c in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def banner(title: str) -> None:
    print(f"\n=== {title} ===", flush=True)
