"""Requests after the bulk breaker tripped, counted at the emulator.

The emulator (its own process, 10 ms latency so the concurrency fills) breaks the account
after 100 accepted messages of 1,000, cycling through its six kinds of account trouble.
Counted per run: requests that reached the emulator after the first final
account-level answer left it (the breaker's trip is no earlier), the recipients that got
that answer, and those reported ``not_sent``. The baseline is what the sender did
before the breaker, one failed request per remaining recipient: every recipient left
when the account broke.

    .venv/bin/python -m benchmarks.breaker [--runs 5] [--concurrency 8 16 64]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from benchmarks._common import banner, emulator, phone, save, table

TOTAL = 1000
AFTER = 100
KINDS = (
    "revoke_key",
    "remove_connection",
    "expire_authorisation",
    "expire_token",
    "lock_account",
    "spam_limit",
)


def one_run(emu: Any, concurrency: int, kind: str) -> dict[str, Any]:
    from airflow_provider_whatsapp.bulk.sender import BulkSender, Job
    from airflow_provider_whatsapp.client import AsyncWhatsAppClient, ClientConfig
    from airflow_provider_whatsapp.messages import TextMessage

    emu.reset()
    emu.configure(enforce_window=False)
    emu.control("account", {"kind": kind, "after_messages": AFTER})
    conn = emu.connection
    config = ClientConfig(
        api_key=conn["password"],
        base_url=emu.url,
        ctrl_url=emu.url,
        phone_number_id=conn["extra"]["phone_number_id"],
        rate_limit=None,
        backoff_base=0.01,
        backoff_max=0.05,
    )
    numbers = [phone(n) for n in range(TOTAL)]
    jobs = [
        Job(i, to, (lambda to=to: TextMessage.create(to, "Your order shipped")))
        for i, to in enumerate(numbers)
    ]

    async def main() -> Any:
        client = AsyncWhatsAppClient(config, concurrency=concurrency)
        try:
            sender = BulkSender(client, concurrency=concurrency, progress_every=3600)
            return await sender.run(jobs)
        finally:
            await client.aclose()

    started = time.perf_counter()
    report = asyncio.run(main())
    elapsed = time.perf_counter() - started
    requests = emu.requests()
    failed = {r.to for r in report.results if r.status == "failed"}
    finals: dict[str, dict[str, Any]] = {}
    for req in requests:
        to = (req.get("json") or {}).get("to")
        if to in failed:
            finals[to] = req
    trip = min(r["answered_at"] for r in finals.values())
    after = sum(r["received_at"] > trip for r in requests)
    return {
        "concurrency": concurrency,
        "kind": kind,
        "requests_after_trip": after,
        "failed": len(failed),
        "not_sent": report.counts["not_sent"],
        "accepted": report.counts["accepted"],
        "baseline_requests_after": TOTAL - AFTER,
        "elapsed_s": round(elapsed, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 16, 64])
    args = parser.parse_args()
    banner(f"bulk breaker: {TOTAL} recipients, account breaks after {AFTER} accepted")
    runs: list[dict[str, Any]] = []
    with emulator(rate_limit=0, latency=0.01, seed_template=False) as emu:
        for c in args.concurrency:
            for n in range(args.runs):
                runs.append(one_run(emu, c, KINDS[n % len(KINDS)]))
    rows = []
    for c in args.concurrency:
        mine = [r for r in runs if r["concurrency"] == c]
        after = [r["requests_after_trip"] for r in mine]
        rows.append(
            [
                c,
                len(mine),
                min(after),
                max(after),
                f"{sum(after) / len(after):.1f}",
                max(r["failed"] for r in mine),
                min(r["not_sent"] for r in mine),
                TOTAL - AFTER,
                f"{(TOTAL - AFTER) / max(max(after), 1):.0f}x",
            ]
        )
    print(
        table(
            [
                "concurrency",
                "runs",
                "after trip min",
                "max",
                "mean",
                "failed max",
                "not_sent min",
                "baseline",
                "fewer",
            ],
            rows,
        )
    )
    for r in runs:
        print(
            f"  c={r['concurrency']:<3} {r['kind']:<21} after trip {r['requests_after_trip']:>3}"
            f"  failed {r['failed']:>3}  not_sent {r['not_sent']:>4}  {r['elapsed_s']} s"
        )
    print(f"saved {save('breaker', {'total': TOTAL, 'after': AFTER, 'runs': runs})}")


if __name__ == "__main__":
    main()
