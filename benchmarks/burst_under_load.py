"""Bursts under CPU load: does the limiter keep a busy machine's bursts free of 429s?

Each burst is 50 messages at once through ``AsyncWhatsAppClient`` (``max_retries=0``, so
every 429 is a lost send) at the default ``rate_limit`` 10, in a fresh process as a task
would be, while ``--busy`` processes spin on the CPUs. The emulator (its own process)
counts a sliding one-second window of 10 requests, as the gateway does.

Ours counts each rate-limit slot from the moment the request's headers are written
(``SlidingWindowLimiter.restamp``). The baseline, interleaved with it in the same
period, is the same client with that step removed: slots counted from when they were
granted, before the request is built and given a connection.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from benchmarks._common import banner, emulator, phone, save, table

BURST = 50
LIMIT = 10
VARIANTS = {
    "ours: slot from departure": "departure",
    "baseline: slot from grant": "grant",
}


def child(variant: str) -> None:
    """One burst, sent from this process; the parent counts the 429s at the emulator."""
    from airflow_provider_whatsapp.client import AsyncWhatsAppClient, ClientConfig
    from airflow_provider_whatsapp.client.ratelimit import SlidingWindowLimiter

    if variant == "grant":
        SlidingWindowLimiter.restamp = lambda self, stamp: stamp  # type: ignore[method-assign]
    conn = json.loads(os.environ["BURST_CONNECTION"])
    config = ClientConfig(
        api_key=conn["password"],
        base_url=conn["host"],
        phone_number_id=conn["extra"]["phone_number_id"],
        rate_limit=LIMIT,
        max_retries=0,
    )
    body = {"messaging_product": "whatsapp", "type": "text", "text": {"body": "load"}}

    async def burst() -> None:
        async with AsyncWhatsAppClient(config, concurrency=BURST) as client:
            sends = (client.send_message({**body, "to": phone(n)}) for n in range(BURST))
            await asyncio.gather(*sends, return_exceptions=True)

    asyncio.run(burst())


@contextmanager
def busy_loops(count: int) -> Iterator[None]:
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bursts", type=int, default=8, help="bursts per variant")
    parser.add_argument("--busy", type=int, default=6, help="busy-loop processes beside")
    parser.add_argument("--child", choices=sorted(set(VARIANTS.values())), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child)
        return {}
    banner(
        f"Bursts under load: {args.bursts} x {BURST} messages per variant at {LIMIT}/s, "
        f"{args.busy} busy loops on {os.cpu_count()} CPUs"
    )
    per_burst: dict[str, list[int]] = {name: [] for name in VARIANTS}
    with emulator(rate_limit=LIMIT) as emu:
        env = {**os.environ, "BURST_CONNECTION": json.dumps(emu.connection)}
        with busy_loops(args.busy):
            for n in range(args.bursts):
                order = list(VARIANTS.items())
                for name, variant in order if n % 2 == 0 else order[::-1]:
                    emu.reset(rate_limit=LIMIT, enforce_window=False)
                    cmd = [sys.executable, "-m", "benchmarks.burst_under_load", "--child", variant]
                    subprocess.run(cmd, env=env, check=True)
                    count = sum(1 for r in emu.requests() if r["status"] == 429)
                    per_burst[name].append(count)
                    print(f"  burst {n + 1}, {name}: {count} x 429", flush=True)
    rows = [
        [name, " ".join(map(str, counts)), sum(counts), sum(1 for c in counts if c)]
        for name, counts in per_burst.items()
    ]
    print(table(["variant", "429s per burst", "total 429s", "bursts with a 429"], rows))
    ours, base = (sum(per_burst[name]) for name in VARIANTS)
    print(f"  429s: ours {ours}, baseline {base} (of {args.bursts * BURST} sends each)")
    result = {"bursts": args.bursts, "busy": args.busy, "burst": BURST, "per_burst": per_burst}
    save("burst_under_load", result)
    return result


if __name__ == "__main__":
    main()
