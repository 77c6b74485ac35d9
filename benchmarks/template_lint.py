"""Template lint: how long ``whatsapp-templates lint`` takes on 100 template files.

100 generated files (YAML and JSON, one to three templates each, every component kind,
one file in ten with a problem) in a temporary folder. Measured in this run:

* in process, median of ``--rounds``: ``lint(folder)`` (the sync's loader and rules), and
  the baseline of only reading and parsing the same files (``yaml.safe_load_all`` /
  ``json.loads``): what the rules add on top of the parse;
* fresh processes, median of ``--processes``: the CLI as pre-commit runs it
  (``python -m airflow_provider_whatsapp.message_templates.cli lint FOLDER``), against a process
  that only imports PyYAML and parses the files: what a user waits for. Target < 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from benchmarks._common import banner, save, table, verdict

TARGET_S = 1.0

# The baseline: read and parse every file, nothing else (run in process and with -c).
PARSE_ONLY = """
import json, yaml
from pathlib import Path

def parse(folder):
    for path in sorted(Path(folder).iterdir()):
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            json.loads(text)
        else:
            list(yaml.load_all(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
"""


def template(n: int, *, bad: bool = False) -> dict[str, Any]:
    """The n-th template: text header, body with examples, footer, buttons (bad: a gap)."""
    body = "Hi {{1}}, your order {{2}} ships on {{3}}." if not bad else "Hi {{1}}, order {{3}}."
    return {
        "name": f"order_update_{n}",
        "language": ("en_US", "pt_BR", "es")[n % 3],
        "category": ("UTILITY", "MARKETING")[n % 2],
        "components": [
            {
                "type": "HEADER",
                "format": "TEXT",
                "text": "Order {{1}}",
                "example": {"header_text": ["42"]},
            },
            {"type": "BODY", "text": body, "example": {"body_text": [["Ana", "42", "Monday"]]}},
            {"type": "FOOTER", "text": "Reply STOP to opt out"},
            {
                "type": "BUTTONS",
                "buttons": [
                    {"type": "QUICK_REPLY", "text": "Thanks"},
                    {"type": "QUICK_REPLY", "text": "Stop"},
                    {
                        "type": "URL",
                        "text": "Track",
                        "url": "https://e.com/t/{{1}}",
                        "example": ["42"],
                    },
                    {"type": "PHONE_NUMBER", "text": "Call us", "phone_number": "+15551234567"},
                ],
            },
        ],
    }


def write_files(folder: Path, files: int) -> int:
    """``files`` template files; returns how many templates they hold."""
    count = 0
    for i in range(files):
        templates = [template(i * 3 + k, bad=(i % 10 == 9 and k == 0)) for k in range(1 + i % 3)]
        count += len(templates)
        if i % 4 == 3:
            (folder / f"t{i:03d}.json").write_text(json.dumps(templates, indent=2))
        else:
            (folder / f"t{i:03d}.yaml").write_text(yaml.safe_dump(templates, sort_keys=False))
    return count


def parse_only() -> Any:
    """The baseline's ``parse(folder)``, compiled from the same text the -c process runs."""
    namespace: dict[str, Any] = {}
    exec(PARSE_ONLY, namespace)
    return namespace["parse"]


def timed(call: Any, rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def process_seconds(command: list[str], processes: int) -> tuple[list[float], list[float], int]:
    """Wall and CPU (user + system) seconds of each fresh process, and the last exit status.

    On this shared 2-core machine the wall time of a short process mostly measures the
    wait for a core; its CPU time is what the process itself costs.
    """
    walls, cpus, status = [], [], 0
    for _ in range(processes):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        status = done.returncode
    return walls, cpus, status


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=9, help="in-process rounds")
    parser.add_argument("--processes", type=int, default=7, help="fresh processes per command")
    args = parser.parse_args(argv)
    from airflow_provider_whatsapp.message_templates.cli import lint

    with tempfile.TemporaryDirectory(prefix="lint-bench-") as tmp:
        folder = Path(tmp)
        templates = write_files(folder, args.files)
        banner(f"Template lint: {args.files} files, {templates} templates")
        result, lines = lint([str(folder)])  # warm-up; also checks the bad files are caught
        bad_files = sum(1 for i in range(args.files) if i % 10 == 9)
        assert len(result.files) == args.files and len(lines) == bad_files, lines
        ours = timed(lambda: lint([str(folder)]), args.rounds)
        parse_files = parse_only()
        parse = timed(lambda: parse_files(folder), args.rounds)
        cli = [sys.executable, "-m", "airflow_provider_whatsapp.message_templates.cli", "lint", tmp]
        base = [sys.executable, "-c", PARSE_ONLY + "\nimport sys\nparse(sys.argv[1])", tmp]
        process_seconds(cli, 1)  # bytecode caches
        cli_wall, cli_cpu, status = process_seconds(cli, args.processes)
        base_wall, base_cpu, _ = process_seconds(base, args.processes)
    assert status == 1, "the CLI must exit 1 on the bad files"
    samples = {
        "lint_in_process_s": ours,
        "parse_only_in_process_s": parse,
        "cli_process_wall_s": cli_wall,
        "parse_only_process_wall_s": base_wall,
        "cli_process_cpu_s": cli_cpu,
        "parse_only_process_cpu_s": base_cpu,
    }
    med = {name: statistics.median(values) for name, values in samples.items()}
    rows = []
    for label, name, baseline in [
        ("lint(folder), in process", "lint_in_process_s", "parse_only_in_process_s"),
        ("parse only, in process (baseline)", "parse_only_in_process_s", ""),
        (
            "CLI process, wall (what pre-commit waits)",
            "cli_process_wall_s",
            "parse_only_process_wall_s",
        ),
        ("parse-only process, wall (baseline)", "parse_only_process_wall_s", ""),
        ("CLI process, CPU user+sys", "cli_process_cpu_s", "parse_only_process_cpu_s"),
        ("parse-only process, CPU (baseline)", "parse_only_process_cpu_s", ""),
    ]:
        values = samples[name]
        ratio = f"{med[name] / med[baseline]:.2f}x" if baseline else "1.00x"
        rows.append([label, f"{med[name]:.3f}", f"{min(values):.3f}-{max(values):.3f}", ratio])
    print(table(["measure", "median s", "min-max s", "vs its baseline"], rows))
    load = os.getloadavg()[0]
    met = {
        "cli_wall": med["cli_process_wall_s"] < TARGET_S,
        "cli_cpu": med["cli_process_cpu_s"] < TARGET_S,
    }
    print(f"load average {load:.1f} on {os.cpu_count()} cores")
    print(
        f"CLI on {args.files} files under {TARGET_S:.0f} s: wall {verdict(met['cli_wall'])}, CPU {verdict(met['cli_cpu'])}"
    )
    data = {
        "files": args.files,
        "templates": templates,
        "problems": bad_files,
        "medians": med,
        "samples": samples,
        "loadavg_at_end": load,
        "target_s": TARGET_S,
        "met": met,
    }
    save("template_lint", data)
    return data


if __name__ == "__main__":
    main()
