"""Memory: ``upload_media`` of a 90 MB document streams it from disk.

The emulator runs in its own process; each upload runs in a fresh child process that
first imports the client and uploads a small file (so every module and the connection
pool are loaded), reads its own memory then (the baseline: the interpreter's RSS before
the upload), uploads the 90 MB PDF and reads its peak (``VmHWM`` in
``/proc/self/status``: the kernel's high-water mark of that process alone, which
``getrusage`` is not across fork + exec). Three ways:

* a path, on ``WhatsAppClient`` and on ``AsyncWhatsAppClient``: the transport opens the
  file for each attempt and httpx sends it in 64 KB chunks;
* bytes: the file read whole by the caller and handed over in memory, for comparison:
  the peak grows by the file's size, the floor of any upload that reads it whole. (The
  client used to read a path whole inside its request generator and give httpx the
  bytes, which copied them twice more: measured this way, the peak grew by 2.9 times
  the file's size.)

Target: a streamed upload raises the peak by at most 10 % of the file's size.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks._common import banner, check, emulator, save, table, verdict

SIZE_MB = 90
TARGET_SHARE = 0.10  # of the file's size: what a streamed upload may add to the peak
MODES = {
    "path (WhatsAppClient)": ("sync", "path"),
    "path (AsyncWhatsAppClient)": ("async", "path"),
    "bytes, read whole first": ("sync", "bytes"),
}

#: Runs in the child: argv = connection JSON, client kind, source kind, small, big file.
CHILD = """
import asyncio, json, sys, time
from pathlib import Path
from airflow_provider_whatsapp.client import AsyncWhatsAppClient, ClientConfig, WhatsAppClient

def status_mb(field):  # this process's own memory: VmRSS now, VmHWM its peak
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise LookupError(field)

conn, kind, source, small, big = json.loads(sys.argv[1]), *sys.argv[2:6]
config = ClientConfig(
    api_key=conn["password"], base_url=conn["host"], ctrl_url=conn["host"],
    phone_number_id=conn["extra"]["phone_number_id"], timeout=300, rate_limit=None,
    max_retries=0,
)

def file_to_send():
    return Path(big).read_bytes() if source == "bytes" else Path(big)

if kind == "sync":
    with WhatsAppClient(config) as client:
        client.upload_media(Path(small))  # warm-up: every module, the pool, a connection
        before, started = status_mb("VmRSS"), time.perf_counter()
        media_id = client.upload_media(file_to_send())
else:
    async def main():
        async with AsyncWhatsAppClient(config) as client:
            await client.upload_media(Path(small))
            before, started = status_mb("VmRSS"), time.perf_counter()
            return before, started, await client.upload_media(file_to_send())
    before, started, media_id = asyncio.run(main())
wall = time.perf_counter() - started
print(json.dumps({"rss_before_mb": before, "peak_rss_mb": status_mb("VmHWM"),
                  "upload_s": wall, "media_id": media_id}))
"""


def write_pdf(path: Path, size: int) -> Path:
    """``size`` bytes that read as a PDF (the emulator checks the type and size)."""
    block = bytes(range(256)) * 4096  # 1 MiB of varied bytes
    with path.open("wb") as handle:
        handle.write(b"%PDF-1.4\n")
        left = size - 9
        while left > 0:
            handle.write(block[: min(left, len(block))])
            left -= len(block)
    return path


def measure(conn: dict[str, Any], kind: str, source: str, small: Path, big: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(conn), kind, source, str(small), str(big)],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"upload child failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=int, default=SIZE_MB, help="document size (MB)")
    args = parser.parse_args(argv)
    size = args.size_mb * 10**6
    banner(f"Memory: upload_media of a {args.size_mb} MB document")
    runs: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp, emulator(rate_limit=0, seed_template=False) as emu:
        small = write_pdf(Path(tmp) / "small.pdf", 64 * 1024)
        big = write_pdf(Path(tmp) / "document.pdf", size)
        for name, (kind, source) in MODES.items():
            emu.reset(rate_limit=0)  # forgets the media stored by the run before
            run = measure(emu.connection, kind, source, small, big)
            uploads = [r for r in emu.requests() if r["path"].endswith("/media")]
            run["stored_bytes"] = uploads[-1]["files"][0]["size"]
            run["status"] = uploads[-1]["status"]
            run["growth_mb"] = run["peak_rss_mb"] - run["rss_before_mb"]
            run["growth_per_file_size"] = run["growth_mb"] * 2**20 / size
            run["peak_to_before"] = run["peak_rss_mb"] / run["rss_before_mb"]
            runs[name] = run
            print(f"  {name}: peak RSS {run['peak_rss_mb']:.0f} MiB", flush=True)
    rows = [
        [
            name,
            f"{size / 2**20:.1f}",
            f"{r['rss_before_mb']:.1f}",
            f"{r['peak_rss_mb']:.1f}",
            f"{r['growth_mb']:.1f}",
            f"{r['growth_per_file_size']:.3f}",
            f"{r['peak_to_before']:.2f}x",
            f"{r['upload_s']:.2f}",
            f"{r['status']} ({r['stored_bytes']:,} bytes)",
        ]
        for name, r in runs.items()
    ]
    print(
        table(
            [
                "upload of",
                "file MiB",
                "RSS before MiB",
                "peak RSS MiB",
                "growth MiB",
                "growth / file",
                "peak / before",
                "upload s",
                "emulator stored",
            ],
            rows,
        )
    )
    streamed = [r for name, r in runs.items() if name.startswith("path")]
    worst = max(r["growth_per_file_size"] for r in streamed)
    met = check(worst, TARGET_SHARE, at_most=True) and all(
        r["stored_bytes"] == size and r["status"] == 200 for r in runs.values()
    )
    old = runs["bytes, read whole first"]
    print(
        f"  streamed: the peak grows by at most {worst:.1%} of the file's size "
        f"(target <= {TARGET_SHARE:.0%}); read whole: {old['growth_per_file_size']:.0%}: "
        f"{verdict(met)}"
    )
    data = {
        "size_bytes": size,
        "runs": runs,
        "worst_streamed_growth_per_file_size": worst,
        "target_growth_per_file_size": TARGET_SHARE,
        "met": met,
    }
    save("upload_memory", data)
    return data


if __name__ == "__main__":
    main()
