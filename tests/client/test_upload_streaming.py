"""``upload_media`` streams a file from disk: never read whole into memory, and rewound
intact for a retry. Checked at the emulator (what it stored) and in a fresh process (peak
memory against the file's size)."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_whatsapp.client import WhatsAppClient
from airflow_provider_whatsapp.client.request import ApiRequest
from tests.helpers import client_config

CHUNK = 64 * 1024  # what httpx reads a file object in


def pdf(path: Path, size: int) -> Path:
    """A ``size``-byte file that reads as a PDF (varied bytes, so a mix-up shows)."""
    with path.open("wb") as handle:
        handle.write(b"%PDF-1.4\n")
        block = bytes(range(256)) * 4096  # 1 MiB
        left = size - 9
        while left > 0:
            handle.write(block[: min(left, len(block))])
            left -= len(block)
    return path


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(2**20), b""):
            digest.update(block)
    return digest.hexdigest()


class ReadSizes(io.FileIO):
    """A real file that records how much each ``read`` asked for."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, "rb")
        self.sizes: list[int] = []

    def read(self, size: int = -1) -> bytes:
        self.sizes.append(size)
        return super().read(size)


def fail_first_attempt(emu: Any) -> tuple[list[ApiRequest], Any]:
    """A 503 for the first attempt only: a ``before_send`` hook lifts the fault once the
    second attempt is about to leave."""
    emu.inject_faults(1.0, ("503",), paths="all")
    attempts: list[ApiRequest] = []

    def hook(request: ApiRequest) -> None:
        attempts.append(request)
        if len(attempts) == 2:
            emu.clear_faults()

    return attempts, hook


def test_a_file_object_is_read_in_chunks_and_rewound_for_a_retry(whatsapp_emulator, tmp_path):
    path = pdf(tmp_path / "report.pdf", 3 * 2**20 + 5)
    attempts, hook = fail_first_attempt(whatsapp_emulator)
    config = client_config(whatsapp_emulator, max_retries=1)
    with ReadSizes(path) as handle, WhatsAppClient(config, before_send=[hook]) as client:
        media_id = client.upload_media(handle)
    assert len(attempts) == 2
    assert all(0 < size <= CHUNK for size in handle.sizes), sorted(set(handle.sizes))
    stored = whatsapp_emulator.media[media_id]
    assert stored["file_size"] == path.stat().st_size
    assert stored["sha256"] == sha256(path)  # the retry sent the whole file, not its rest
    assert stored["mime_type"] == "application/pdf"  # told by the name
    uploads = [r for r in whatsapp_emulator.requests if r.path.endswith("/media")]
    assert [r.status for r in uploads] == [503, 200]


def test_a_path_is_reopened_for_a_retry(whatsapp_emulator, tmp_path):
    path = pdf(tmp_path / "no_extension", 2 * 2**20)
    attempts, hook = fail_first_attempt(whatsapp_emulator)
    config = client_config(whatsapp_emulator, max_retries=1)
    with WhatsAppClient(config, before_send=[hook]) as client:
        media_id = client.upload_media(path)
    stored = whatsapp_emulator.media[media_id]
    assert (stored["sha256"], stored["mime_type"]) == (sha256(path), "application/pdf")
    assert stored["filename"] == "no_extension"
    assert len(attempts) == 2


def test_a_file_object_past_its_start_uploads_from_where_it_is(whatsapp_emulator, tmp_path):
    """As before streaming: the rest of the file from its position (read into memory,
    since httpx would rewind it to 0)."""
    data = b"header to skip|" + b"%PDF-1.4\n" + b"x" * 1000
    with WhatsAppClient(client_config(whatsapp_emulator)) as client:
        handle = io.BytesIO(data)
        handle.seek(len(b"header to skip|"))
        media_id = client.upload_media(handle, "application/pdf")
    assert whatsapp_emulator.media[media_id]["file_size"] == len(data) - 15


def test_a_missing_file_fails_before_any_request(whatsapp_emulator, tmp_path):
    with WhatsAppClient(client_config(whatsapp_emulator)) as client:
        with pytest.raises(FileNotFoundError):
            client.upload_media(tmp_path / "gone.pdf")
    assert whatsapp_emulator.requests == []


#: Runs in a fresh process: one small upload to load every module, then the big one;
#: prints this process's memory before it and its peak (VmHWM) after, in MiB.
CHILD = """
import json, sys
from airflow_provider_whatsapp.client import ClientConfig, WhatsAppClient

def status_mib(field):
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise LookupError(field)

url, key, phone, small, big = sys.argv[1:6]
config = ClientConfig(api_key=key, base_url=url, ctrl_url=url, phone_number_id=phone,
                      timeout=120, rate_limit=None, max_retries=0)
with WhatsAppClient(config) as client:
    client.upload_media(small)
    before = status_mib("VmHWM")
    media_id = client.upload_media(big)
print(json.dumps({"before": before, "peak": status_mib("VmHWM"), "media_id": media_id}))
"""


def test_uploading_a_large_file_does_not_hold_it_in_memory(whatsapp_emulator, tmp_path):
    """48 MiB uploaded from a path: the uploading process's peak memory grows by a few
    MiB at most (it grew by twice the file's size when the file was read whole)."""
    size = 48 * 2**20
    small, big = pdf(tmp_path / "small.pdf", 2**16), pdf(tmp_path / "big.pdf", size)
    emu = whatsapp_emulator
    args = [emu.url, emu.api_key, emu.phone_number_id, str(small), str(big)]
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *args], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert emu.media[figures["media_id"]]["sha256"] == sha256(big)
    growth_mib = figures["peak"] - figures["before"]
    assert growth_mib < 8, figures  # the file is 48 MiB
