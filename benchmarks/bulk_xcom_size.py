"""XCom size: what a bulk send leaves in Airflow's metadata database, per recipient count.

Real sends: ``WhatsAppBulkSendOperator.execute`` (hook -> async client -> ``BulkSender``,
in-memory delivery record) sends the benchmark template to 1,000 / 10,000 / 100,000
recipients from a CSV file, emulator unthrottled. "XCom bytes" is ``json.dumps`` of what
the operator returns (what Airflow pushes to ``return_value``; JSON's default escapes the
masked numbers' bullets as ``\\u2022``), "file bytes" the results file's size.

- **baseline** (the default before issue 18, ``include_results=True``): every recipient's
  row in XCom with its number in clear, ``{"to", "status", "message_id" | "code",
  "reason"}``. Rebuilt, row for row, from the same send's results (its file rows, the
  number put back from the input by ``index``): the same data in the old row format.
- **default**: the default now, no ``results_path``: masked rows up to
  ``max_xcom_results`` (1,000) recipients, above that the summary and a note.
- **results_path**: the summary and the path in XCom, every row in a JSON Lines file
  (default fields: position, masked number, status, message id). Its own send.

``--sizes 1000,10000`` for a quick run: the 100,000 send takes minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
from pathlib import Path
from typing import Any

from benchmarks._common import (
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

SIZES = (1_000, 10_000, 100_000)
CONCURRENCY = 64
TARGET_XCOM_BYTES = 4096  # "under a few KB" at 100,000 recipients


def write_csv(path: Path, count: int) -> list[str]:
    numbers = [phone(n) for n in range(count)]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["to", "1"])
        writer.writerows([number, f"customer {n}"] for n, number in enumerate(numbers))
    return numbers


def baseline_row(row: dict[str, Any], number: str) -> dict[str, Any]:
    """The row the operator pushed before issue 18 (``RecipientResult.to_dict`` then), for
    the same result: the number in clear, ``where`` only on an invalid row."""
    out: dict[str, Any] = {"to": number, "status": row["status"]}
    for name in ("message_id", "code", "reason"):
        if name in row:
            out[name] = row[name]
    if row["status"] == "invalid" and "where" in row:
        out["where"] = row["where"]
    return out


def ratio(before: int, after: int) -> str:
    """``before / after`` as ``0.73x`` or ``2980x``."""
    value = before / after
    return f"{value:.2f}x" if value < 10 else f"{value:.0f}x"


def xcom_bytes(value: Any) -> int:
    return len(json.dumps(value).encode())


def measure(emu: Any, tmp: Path, count: int) -> dict[str, Any]:
    source = tmp / f"r{count}.csv"
    numbers = write_csv(source, count)
    target = tmp / f"results{count}.jsonl"

    emu.reset(rate_limit=0, latency=0)
    op = bulk_operator(str(source), concurrency=CONCURRENCY, results_path=str(target))
    with_path, wall = run_operator(op)
    rows = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == count == with_path["summary"]["accepted"], with_path["summary"]

    emu.reset(rate_limit=0, latency=0)
    default, _ = run_operator(bulk_operator(str(source), concurrency=CONCURRENCY))

    baseline = {
        "summary": with_path["summary"],
        "delivery_record": with_path["delivery_record"],
        "results": [baseline_row(row, numbers[row["index"]]) for row in rows],
    }
    clear_in_default = sum(number in json.dumps(default) for number in numbers)
    return {
        "recipients": count,
        "send_wall_s": round(wall, 2),
        "baseline_xcom_bytes": xcom_bytes(baseline),
        "default_xcom_bytes": xcom_bytes(default),
        "default_xcom_keys": sorted(default),
        "results_path_xcom_bytes": xcom_bytes(with_path),
        "results_file_bytes": target.stat().st_size,
        "file_bytes_per_recipient": round(target.stat().st_size / count, 1),
        "numbers_in_clear_in_default_xcom": clear_in_default,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default=",".join(str(n) for n in SIZES))
    args = parser.parse_args(argv)
    sizes = [int(n) for n in args.sizes.split(",")]
    banner(f"XCom size of a bulk send: {', '.join(f'{n:,}' for n in sizes)} recipients")
    runs = []
    with tempfile.TemporaryDirectory() as tmp, emulator(rate_limit=0, latency=0.0) as emu:
        emu.use_connection(rate_limit=0)
        for count in sizes:
            run = measure(emu, Path(tmp), count)
            runs.append(run)
            print(
                f"  {count:>7,} recipients sent in {run['send_wall_s']:.1f} s: XCom "
                f"{run['baseline_xcom_bytes']:,} B before, {run['default_xcom_bytes']:,} B "
                f"now, {run['results_path_xcom_bytes']:,} B with results_path "
                f"(file {run['results_file_bytes']:,} B)",
                flush=True,
            )
    rows = [
        [
            f"{r['recipients']:,}",
            f"{r['baseline_xcom_bytes']:,}",
            f"{r['default_xcom_bytes']:,}",
            ratio(r["baseline_xcom_bytes"], r["default_xcom_bytes"]),
            f"{r['results_path_xcom_bytes']:,}",
            ratio(r["baseline_xcom_bytes"], r["results_path_xcom_bytes"]),
            f"{r['results_file_bytes']:,} ({r['file_bytes_per_recipient']:.0f}/recipient)",
            str(r["numbers_in_clear_in_default_xcom"]),
        ]
        for r in runs
    ]
    print(
        table(
            [
                "recipients",
                "baseline XCom B",
                "default XCom B",
                "baseline/default",
                "results_path XCom B",
                "baseline/results_path",
                "results file B",
                "numbers in clear (default)",
            ],
            rows,
        )
    )
    largest = runs[-1]
    met = check(largest["results_path_xcom_bytes"], TARGET_XCOM_BYTES, at_most=True) and not any(
        r["numbers_in_clear_in_default_xcom"] for r in runs
    )
    print(
        f"  {largest['recipients']:,} recipients with results_path: XCom "
        f"{largest['results_path_xcom_bytes']:,} B (target <= {TARGET_XCOM_BYTES:,} B, no "
        f"number in clear by default): {verdict(met)}"
    )
    data = {
        "concurrency": CONCURRENCY,
        "method": "real sends through the operator, emulator unthrottled; baseline rebuilt "
        "from the same send's rows in the pre-issue-18 row format",
        "runs": runs,
        "target_xcom_bytes": TARGET_XCOM_BYTES,
        "met": met,
    }
    save("bulk_xcom_size", data)
    return data


if __name__ == "__main__":
    main()
