"""``make bench``: every benchmark, each in its own process, then one summary table.

Each benchmark prints its figures beside the baseline measured in the same run and
writes ``benchmarks/results/<name>.json``; this script collects those files into
``benchmarks/results/summary.json`` and prints figure / baseline / ratio / target / met.
A benchmark that fails is reported and the others still run (exit status 1 at the end).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from typing import Any

from benchmarks._common import RESULTS, banner, machine, save, table

BENCHMARKS = [
    "rate_ceiling",
    "unthrottled",
    "parse_cost",
    "memory",
    "upload_memory",
    "template_sync",
]


def rows_for(name: str, r: dict[str, Any]) -> list[list[str]]:
    """Summary rows: figure, ours, baseline, ratio, target, met."""

    def met(ok: bool) -> str:
        return "yes" if ok else "NO"

    if name == "rate_ceiling":
        o, b = r["ours"], r["sequential"]
        return [
            [
                "1. rate ceiling: sustained msg/s (limit 10/s)",
                f"{o['sustained_msg_s']:.2f}",
                f"{b['sustained_msg_s']:.2f} (sequential loop)",
                f"{r['ratio_ours_to_sequential']:.2f}x",
                ">= 9.5",
                met(r["met"]["sustained_msg_s"]),
            ],
            [
                "1. rate ceiling: 429 answers (per run of ours)",
                "/".join(str(n) for n in r["count_429_per_run"]),
                str(b["count_429"]),
                "-",
                "0",
                met(r["met"]["count_429"]),
            ],
        ]
    if name == "unthrottled":
        best, bare = r["best_msg_s"], r["best_bare"]
        ours = next(v for k, v in best.items() if k.startswith("ours"))
        return [
            [
                f"2. unthrottled msg/s (concurrency {r['concurrency']})",
                f"{ours:.0f}",
                f"{best[bare]:.0f} ({bare.replace('bare ', '')})",
                f"{r['ratio_ours_to_best_bare']:.2f}",
                ">= 250; ratio >= 0.8",
                met(r["met"]["rate"] and r["met"]["ratio"]),
            ]
        ]
    if name == "parse_cost":
        medians = r["median_ms"]
        others = {  # the providers' operator sets (not BaseTrigger alone)
            k: v for k, v in medians.items() if not k.startswith("ours") and "operator" in k
        }
        base_name = max(others, key=lambda k: others[k]) if others else None
        base = f"{others[base_name]:.1f} ({base_name})" if base_name else "-"

        def ratio(ms: float) -> str:
            return f"{ms / others[base_name]:.1f}x" if base_name else "-"

        return [
            [
                "3. DAG-parse ms over airflow.sdk: operators + sensor + notifier",
                f"{r['ours_dag_file_set_ms']:.1f}",
                base,
                ratio(r["ours_dag_file_set_ms"]),
                f"<= {r['target_ms']:.0f}",
                met(r["met"]),
            ],
            [
                "3. DAG-parse ms, the same + the trigger",
                f"{r['ours_with_trigger_ms']:.1f}",
                base,
                ratio(r["ours_with_trigger_ms"]),
                "<= 30",
                met(r["met_with_trigger"]),
            ],
        ]
    if name == "memory":
        return [
            [
                f"4. memory: peak RSS growth MB, {r['large']:,} vs {r['small']:,} recipients",
                f"{r['growth_mb']:.1f}",
                f"{r['runs'][str(r['small'])]['peak_rss_mb']:.0f} MB peak ({r['small']:,})",
                f"{r['runs'][str(r['large'])]['peak_rss_mb'] / r['runs'][str(r['small'])]['peak_rss_mb']:.2f}x peak",
                "<= 100",
                met(r["met"]),
            ]
        ]
    if name == "upload_memory":
        streamed = r["runs"]["path (WhatsAppClient)"]
        return [
            [
                f"4b. upload of a {r['size_bytes'] / 1e6:.0f} MB file: peak RSS growth / file size",
                f"{r['worst_streamed_growth_per_file_size']:.3f}",
                f"{streamed['rss_before_mb']:.0f} MiB RSS before the upload",
                f"{streamed['peak_to_before']:.2f}x peak",
                f"<= {r['target_growth_per_file_size']}",
                met(r["met"]),
            ]
        ]
    if name == "template_sync":
        o, b = r["ours"], r["baseline_get_template_each"]
        return [
            [
                "5. template sync: list requests",
                str(o["requests"]),
                f"{b['requests']} (get_template per file)",
                f"{b['requests'] / o['requests']:.1f}x fewer",
                "<= 11",
                met(r["met"]["requests"]),
            ],
            [
                "5. template sync: load+list+plan s (wall / CPU)",
                f"{o['total_wall_s']:.3f} / {o['total_cpu_s']:.3f}",
                f"{b['wall_s']:.3f} / {b['cpu_s']:.3f}",
                f"{b['wall_s'] / o['total_wall_s']:.1f}x faster",
                "well < 1",
                met(r["met"]["time"]),
            ],
        ]
    return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("only", nargs="*", help=f"some of: {', '.join(BENCHMARKS)} (default: all)")
    args = parser.parse_args(argv)
    unknown = set(args.only) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    chosen = args.only or BENCHMARKS
    started = time.perf_counter()
    print(f"machine: {machine()}", flush=True)
    failed, seconds = [], {}
    for name in chosen:
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", f"benchmarks.{name}"], check=False)
        seconds[name] = round(time.perf_counter() - t0, 1)
        print(f"  ({name}: {seconds[name]:.0f} s)", flush=True)
        if done.returncode:
            failed.append(name)
    rows = []
    for name in BENCHMARKS:
        path = RESULTS / f"{name}.json"
        if path.exists() and name not in failed:
            rows += rows_for(name, json.loads(path.read_text()))
    total = time.perf_counter() - started
    banner(f"Summary ({total:.0f} s in all)")
    print(table(["figure", "ours", "baseline", "ratio", "target", "met"], rows))
    if failed:
        print(f"FAILED: {', '.join(failed)}")
    save("summary", {"rows": rows, "seconds": seconds, "total_s": total, "failed": failed})
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
