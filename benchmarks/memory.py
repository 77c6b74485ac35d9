"""Memory: a bulk send from a file must not hold the whole file in memory.

Two fresh processes of the same kind each run ``WhatsAppBulkSendOperator.execute`` on
a CSV file (``to`` plus one positional parameter), the operator's streaming path: file ->
``iter_recipients`` -> jobs built a chunk at a time -> ``BulkSender``. One file holds
1,000 recipients (the baseline), the other 100,000. Peak RSS of each child is read
after the send; the difference is what 99,000 more recipients cost. The peak is the
kernel's high-water mark of the child's own memory (``VmHWM`` in ``/proc/self/status``),
not ``getrusage``'s ``ru_maxrss``: Linux carries that over from the parent across
fork + exec, so a child of a big parent would report the parent's size.

Emulator limit off and no added latency, so the 100,000 go as fast as two shared cores
allow. What must grow with the count, by the operator's design: the per-recipient
results returned to XCom, and the delivery record's set of accepted numbers.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks._common import banner, check, emulator, phone, save, table, verdict

SMALL, LARGE = 1_000, 100_000
TARGET_MB = 100.0
CONCURRENCY = 64

#: Runs in the child: send, then report peak RSS and what the operator returned.
CHILD = """
import json, sys, time
from benchmarks._common import bulk_operator, run_operator

def status_mb(field):  # this process's own memory: VmRSS now, VmHWM its peak
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise LookupError(field)

path, concurrency, include = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
op = bulk_operator(path, concurrency=concurrency, include_results=include)
ready_mb = status_mb("VmRSS")
result, wall = run_operator(op)
print(json.dumps({
    "ready_rss_mb": ready_mb,
    "peak_rss_mb": status_mb("VmHWM"),
    "wall_s": wall,
    "summary": result["summary"],
    "results_returned": len(result.get("results", [])),
}))
"""


def write_csv(path: Path, count: int) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["to", "1"])
        writer.writerows([phone(n), f"customer {n}"] for n in range(count))
    return path


def measure(path: Path, env_extra: dict[str, str], include_results: bool) -> dict[str, Any]:
    import os

    env = {**os.environ, **env_extra}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(CONCURRENCY), "1" if include_results else "0"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"memory child failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--large", type=int, default=LARGE)
    parser.add_argument(
        "--without-results",
        action="store_true",
        help="also measure include_results=False (summary-only XCom), for information",
    )
    args = parser.parse_args(argv)
    banner(f"4. Memory: bulk send from a CSV file, {SMALL:,} vs {args.large:,} recipients")
    variants = [True, False] if args.without_results else [True]
    runs: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp, emulator(rate_limit=0, latency=0.0) as emu:
        env = emu.connection_env(rate_limit=0)
        files = {n: write_csv(Path(tmp) / f"r{n}.csv", n) for n in (SMALL, args.large)}
        for include in variants:
            for count, path in files.items():
                emu.reset(rate_limit=0, latency=0)
                run = measure(path, env, include)
                run["emulator_accepted"] = len(emu.messages())
                runs[f"{count}{'' if include else ' (no results)'}"] = run
                print(
                    f"  {count:>7,} recipients, include_results={include}: peak RSS "
                    f"{run['peak_rss_mb']:.0f} MB, {run['summary']['accepted']:,} accepted "
                    f"in {run['wall_s']:.1f} s",
                    flush=True,
                )
    small, large = runs[str(SMALL)], runs[str(args.large)]
    growth = large["peak_rss_mb"] - small["peak_rss_mb"]
    rows = [
        [
            name,
            f"{r['ready_rss_mb']:.0f}",
            f"{r['peak_rss_mb']:.0f}",
            f"{r['peak_rss_mb'] - r['ready_rss_mb']:.0f}",
            r["summary"]["accepted"],
            r["emulator_accepted"],
            f"{r['summary']['accepted'] / r['wall_s']:.0f}",
        ]
        for name, r in runs.items()
    ]
    print(
        table(
            [
                "recipients",
                "RSS before MB",
                "peak RSS MB",
                "send adds MB",
                "accepted",
                "at emulator",
                "msg/s",
            ],
            rows,
        )
    )
    met = check(growth, TARGET_MB, at_most=True)
    per = growth * 2**20 / (args.large - SMALL)
    print(
        f"  peak RSS growth {growth:.1f} MB for {args.large - SMALL:,} more recipients "
        f"(~{per:.0f} bytes each; target <= {TARGET_MB:.0f} MB): {verdict(met)}"
    )
    data = {
        "small": SMALL,
        "large": args.large,
        "concurrency": CONCURRENCY,
        "runs": runs,
        "growth_mb": growth,
        "bytes_per_recipient": per,
        "target_mb": TARGET_MB,
        "met": met,
    }
    if str(args.large) + " (no results)" in runs:
        data["growth_mb_without_results"] = (
            runs[f"{args.large} (no results)"]["peak_rss_mb"]
            - runs[f"{SMALL} (no results)"]["peak_rss_mb"]
        )
        print(f"  with include_results=False: growth {data['growth_mb_without_results']:.1f} MB")
    save("memory", data)
    return data


if __name__ == "__main__":
    main()
