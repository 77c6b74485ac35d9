"""Unthrottled throughput: what our bulk path costs over a bare HTTP client.

The emulator's rate limit is off and every answer takes 200 ms, so with C requests in
flight the ceiling is C / 0.2 s. Our figure is ``WhatsAppBulkSendOperator.execute``
(hook -> async client -> ``BulkSender``: model validation, rate limiter check, retries,
delivery record, per-recipient results) sending the template to N recipients. The
baselines post the *same JSON bodies* to the same URL at the same concurrency with no
validation or bookkeeping at all: one ``httpx.AsyncClient``, one aiohttp
``ClientSession``, and (for information) several ``httpx.AsyncClient`` shards like our
transport. Ours / best bare says what the provider's own work costs.

Variants alternate over ``rounds`` rounds and the best round of each counts, so a burst
of load from other users of this shared machine hurts no variant more than another.
Later rounds re-run only ours and the best bare client of round 1 (the two the ratio
compares), to keep ``make bench`` short.

The delivery record here is in memory (no Airflow, so no metadata database): what its
writes cost in Airflow's storage, under ``dag.test()``, is
:mod:`benchmarks.record_cost`.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from typing import Any

from benchmarks._common import (
    EmulatorProcess,
    banner,
    bulk_operator,
    check,
    emulator,
    phone,
    run_operator,
    save,
    table,
    verdict,
)

LATENCY = 0.2
CONCURRENCY = 64
MESSAGES = 5000
TARGET_RATE = 250.0
TARGET_RATIO = 0.8
#: A bare variant that crawls stops starting requests after this many seconds; its
#: rate is then the messages answered over the time taken.
BARE_DEADLINE = 30.0

Body = dict[str, Any]
Runner = Callable[[str, dict[str, str], list[Body], int], Awaitable[tuple[int, float]]]


def bodies_and_target(emu: EmulatorProcess, count: int) -> tuple[str, dict[str, str], list[Body]]:
    """The URL, headers and JSON bodies our operator sends, built by its own builder."""
    from airflow_provider_whatsapp.hooks.whatsapp import WhatsAppHook

    op = bulk_operator([phone(n) for n in range(count)])
    bodies = [job.build().to_payload() for job in op._jobs()]
    config = WhatsAppHook().config
    url = f"{config.gateway_prefix}/{config.phone_number_id}/messages"
    headers = {"Authorization": f"Bearer {config.api_key}", "User-Agent": "bench"}
    return url, headers, bodies


async def _drive(
    post: Callable[[Body], Awaitable[Any]], bodies: list[Body], concurrency: int
) -> tuple[int, float]:
    """Post every body with ``concurrency`` in flight; (answered, seconds)."""
    todo = iter(bodies)
    done = 0
    started = time.perf_counter()
    deadline = started + BARE_DEADLINE

    async def worker() -> None:
        nonlocal done
        for body in todo:
            if time.perf_counter() > deadline:
                return
            await post(body)
            done += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done, time.perf_counter() - started


async def bare_httpx(
    url: str, headers: dict[str, str], bodies: list[Body], concurrency: int
) -> tuple[int, float]:
    """One ``httpx.AsyncClient`` with a pool of ``concurrency`` connections."""
    import httpx

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:

        async def post(body: Body) -> Any:
            answer = await client.post(url, json=body, headers=headers)
            answer.raise_for_status()
            return answer.json()

        return await _drive(post, bodies, concurrency)


async def bare_httpx_shards(
    url: str, headers: dict[str, str], bodies: list[Body], concurrency: int
) -> tuple[int, float]:
    """``concurrency / 8`` ``httpx.AsyncClient`` s of 8 connections, round robin."""
    import httpx

    limits = httpx.Limits(max_connections=8, max_keepalive_connections=8)
    clients = [httpx.AsyncClient(limits=limits, timeout=60) for _ in range(-(-concurrency // 8))]
    rotation = itertools.cycle(clients)

    async def post(body: Body) -> Any:
        answer = await next(rotation).post(url, json=body, headers=headers)
        answer.raise_for_status()
        return answer.json()

    try:
        return await _drive(post, bodies, concurrency)
    finally:
        for client in clients:
            await client.aclose()


async def bare_aiohttp(
    url: str, headers: dict[str, str], bodies: list[Body], concurrency: int
) -> tuple[int, float]:
    """One aiohttp ``ClientSession`` with a connector of ``concurrency`` connections."""
    import aiohttp

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def post(body: Body) -> Any:
            async with session.post(url, json=body, headers=headers) as answer:
                answer.raise_for_status()
                return await answer.json()

        return await _drive(post, bodies, concurrency)


BARE: dict[str, Runner] = {
    "bare httpx.AsyncClient (1 client)": bare_httpx,
    "bare aiohttp.ClientSession": bare_aiohttp,
    "bare httpx.AsyncClient x8 shards (info)": bare_httpx_shards,
}
NAMED = [n for n in BARE if "(info)" not in n]  # the bare clients the issue names
OURS = "ours: WhatsAppBulkSendOperator"


def run_ours(emu: EmulatorProcess, count: int, concurrency: int) -> dict[str, Any]:
    op = bulk_operator([phone(n) for n in range(count)], concurrency=concurrency)
    result, wall = run_operator(op)
    summary = result["summary"]
    accepted = len(emu.messages())
    return {
        "messages": accepted,
        "seconds": wall,
        "rate": accepted / wall,
        "accepted_reported": summary["accepted"],
        "failed": summary["failed"],
        "ambiguous": summary["ambiguous"],
    }


def run_bare(
    emu: EmulatorProcess, runner: Runner, target: tuple[str, dict[str, str], list[Body]], c: int
) -> dict[str, Any]:
    url, headers, bodies = target
    done, seconds = asyncio.run(runner(url, headers, bodies, c))
    accepted = len(emu.messages())
    return {"messages": accepted, "seconds": seconds, "rate": accepted / seconds, "answered": done}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=MESSAGES)
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    banner(
        f"2. Unthrottled: {args.messages} messages, emulator limit off, "
        f"{LATENCY * 1000:.0f} ms latency, concurrency {args.concurrency}"
    )
    runs: dict[str, list[dict[str, Any]]] = {OURS: [], **{name: [] for name in BARE}}
    with emulator(rate_limit=0, latency=LATENCY) as emu:
        emu.use_connection(rate_limit=0)  # the client's limiter off too
        target = bodies_and_target(emu, args.messages)
        emu.reset(latency=0)  # warm-up: connections, imports, the emulator's first requests
        asyncio.run(bare_aiohttp(*target[:2], target[2][:300], args.concurrency))
        for round_no in range(args.rounds):
            names = list(runs)
            if round_no:  # only the two the ratio compares
                names = [OURS, max(NAMED, key=lambda n: runs[n][0]["rate"])]
            for name in names:
                emu.reset(rate_limit=0, latency=LATENCY)
                if name == OURS:
                    run = run_ours(emu, args.messages, args.concurrency)
                else:
                    run = run_bare(emu, BARE[name], target, args.concurrency)
                runs[name].append(run)
                print(
                    f"  round {round_no + 1}: {name:<42} {run['messages']:>5} msgs "
                    f"in {run['seconds']:6.2f} s = {run['rate']:6.1f} msg/s",
                    flush=True,
                )
    best = {name: max(r["rate"] for r in rs) for name, rs in runs.items()}
    ceiling = args.concurrency / LATENCY
    best_bare_name = max(NAMED, key=lambda n: best[n])
    ratio = best[OURS] / best[best_bare_name]
    ours_ok = runs[OURS][-1]["accepted_reported"] == args.messages
    rows = [
        [name, f"{rate:.1f}", f"{rate / ceiling:.0%}", f"{best[OURS] / rate:.2f}"]
        for name, rate in best.items()
    ]
    print(
        table(["variant (best of rounds)", "msg/s", "of ceiling", "ours / this"], rows)
        + f"\n  ceiling {args.concurrency} in flight / {LATENCY} s = {ceiling:.0f} msg/s"
    )
    rate_met = check(best[OURS], TARGET_RATE)
    ratio_met = check(ratio, TARGET_RATIO)
    print(
        f"  ours {best[OURS]:.1f} msg/s (target >= {TARGET_RATE:.0f}): {verdict(rate_met)}\n"
        f"  ours / best bare ({best_bare_name}) = {ratio:.2f} "
        f"(target >= {TARGET_RATIO}): {verdict(ratio_met)}\n"
        f"  every recipient accepted exactly once by ours: {ours_ok}"
    )
    data = {
        "messages": args.messages,
        "concurrency": args.concurrency,
        "latency_s": LATENCY,
        "ceiling_msg_s": ceiling,
        "runs": runs,
        "best_msg_s": best,
        "best_bare": best_bare_name,
        "ratio_ours_to_best_bare": ratio,
        "targets": {"rate": TARGET_RATE, "ratio": TARGET_RATIO},
        "met": {"rate": rate_met, "ratio": ratio_met},
    }
    save("unthrottled", data)
    return data


if __name__ == "__main__":
    main()
