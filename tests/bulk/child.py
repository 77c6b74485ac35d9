"""A bulk send in its own process, for tests that SIGKILL it or send an alert beside it.

``python -m tests.bulk.child SPEC_JSON``: SPEC holds the emulator's URL, key and phone
number id, the record's directory, the recipients, concurrency and rate limit.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from airflow_provider_whatsapp.bulk.record import DeliveryRecord, RecordStore
from airflow_provider_whatsapp.bulk.sender import BulkReport, BulkSender, Job
from airflow_provider_whatsapp.client import AsyncWhatsAppClient, ClientConfig
from airflow_provider_whatsapp.messages import TextMessage

KEY = "whatsapp_bulk__test"
REPO = Path(__file__).resolve().parents[2]


def spawn(spec: dict[str, Any], *, stdout: int = subprocess.DEVNULL) -> subprocess.Popen[str]:
    """Start ``send(spec)`` in a new process (stderr piped, for a failure message)."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.bulk.child", json.dumps(spec)],
        cwd=REPO,
        env=os.environ.copy(),
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
    )


class FileStore(RecordStore):
    """One file per key, replaced atomically: what a killed process wrote stays written
    (the page cache survives SIGKILL), like a Variable the api-server has committed."""

    def __init__(self, folder: str | Path) -> None:
        super().__init__()
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.folder / key

    def get(self, key: str) -> str | None:
        path = self._path(key)
        return path.read_text() if path.exists() else None

    def set(self, key: str, value: str) -> None:
        tmp = self._path(key + ".tmp")
        tmp.write_text(value)
        os.replace(tmp, self._path(key))

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def spec_for(
    emu: Any, numbers: list[str], store: Path, *, concurrency: int = 8, **more: Any
) -> dict[str, Any]:
    """The spec of a send from this process or a child to ``emu`` (a ``WhatsAppEmulator``)."""
    return {
        "url": emu.url,
        "api_key": emu.api_key,
        "phone_number_id": emu.phone_number_id,
        "store": str(store),
        "numbers": numbers,
        "concurrency": concurrency,
        "rate_limit": None,
        **more,
    }


def jobs_for(numbers: Iterable[str]) -> list[Job]:
    def builder(to: str) -> Any:
        return lambda: TextMessage.create(to, f"Your order for {to} shipped")

    return [Job(i, to, builder(to)) for i, to in enumerate(numbers)]


def config(spec: dict[str, Any]) -> ClientConfig:
    return ClientConfig(
        api_key=spec["api_key"],
        base_url=spec["url"],
        ctrl_url=spec["url"],
        phone_number_id=spec["phone_number_id"],
        rate_limit=spec.get("rate_limit"),
        backoff_base=0.01,
        backoff_max=0.05,
        timeout=5.0,
    )


def send(spec: dict[str, Any], record: DeliveryRecord) -> BulkReport:
    async def main() -> BulkReport:
        cfg = config(spec)
        if spec.get("bulk"):
            cfg = cfg.for_bulk()
        client = AsyncWhatsAppClient(cfg, concurrency=spec["concurrency"])
        try:
            sender = BulkSender(
                client, concurrency=spec["concurrency"], record=record, progress_every=3600
            )
            return await sender.run(jobs_for(spec["numbers"]))
        finally:
            await client.aclose()

    return asyncio.run(main())


def open_record(spec: dict[str, Any]) -> DeliveryRecord:
    return DeliveryRecord(FileStore(spec["store"]), KEY, spec["api_key"].encode())


if __name__ == "__main__":
    spec = json.loads(sys.argv[1])
    report = send(spec, open_record(spec))
    print(json.dumps(report.summary()))
