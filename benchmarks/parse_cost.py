"""DAG-parse cost: what importing our operators adds to a DAG file's parse.

A DAG file imports ``airflow.sdk`` and then the operators it uses, at every parse. In
each fresh process we import ``airflow.sdk`` first (its cost is Airflow's, paid anyway),
then time, inside the process, importing a set of modules. Whole process times swing by
+-150 ms on this machine; the in-process difference does not.

Sets, measured alike and interleaved (one process of each per round, median of rounds):
ours, and the installed Airflow providers of the same shape as baselines. Ours imports
every operator module, the sensor and the notifier (what a DAG file can import: the
issue's target is on these), then the trigger last; each module's own addition is
timed too, so one process gives both "DAG-file set" and "with the trigger" (a DAG file
never imports the trigger: the triggerer does, when the sensor defers). The issue quotes
the HTTP operator + sensor (~65 ms) and Slack operator + notifier (~170 ms) for scale; neither
provider is installed here (no network), so SMTP operator + notifier and the standard
provider's Bash operator + sensor stand in.

Bytecode is set by the probe, not left to the environment: what is imported after
``airflow.sdk`` reads bytecode caches (in a private folder the warm-up writes): what an
installed provider costs, pip having compiled it. Ours is also timed compiled from its
source in every process, as a checkout run with ``PYTHONDONTWRITEBYTECODE`` pays it (this
machine sets that variable, so before the probe set the bytecode, every figure of ours
timed the compiler too). The target is on the first. Times are the process's CPU time (equal to
wall time on an idle machine, and robust when other work shares the cores; wall medians are
saved too).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks._common import banner, check, save, table, verdict

TARGET_MS = 15.0
TRIGGER = "airflow_provider_whatsapp.triggers.template_status"
OURS = "ours + the trigger (every module of ours)"
OURS_SOURCE = "ours + the trigger, compiled from source"
PACKAGE = Path(__file__).resolve().parent.parent / "airflow_provider_whatsapp"

#: Runs in the fresh process: import airflow.sdk, then time the modules given. Bytecode
#: caches are read from (and written to, by the warm-up) the folder given; with "source",
#: our own modules are compiled from their source instead, as without any cache.
PROBE = """
import json, sys, time
t0 = time.perf_counter()
import airflow.sdk
t1 = time.perf_counter()
mode, folder, *names = sys.argv[1:]
sys.pycache_prefix, sys.dont_write_bytecode = folder, False
if mode == "source":
    from importlib.machinery import SourceFileLoader
    cached = SourceFileLoader.get_code

    def get_code(loader, fullname):
        if fullname.split(".")[0] != "airflow_provider_whatsapp":
            return cached(loader, fullname)
        return compile(loader.get_data(loader.path), loader.path, "exec", dont_inherit=True)

    SourceFileLoader.get_code = get_code
before = set(sys.modules)
each = {}
w1, c1 = time.perf_counter(), time.process_time()
for name in names:
    c = time.process_time()
    __import__(name)
    each[name] = (time.process_time() - c) * 1000  # what this one added, in order
w2, c2 = time.perf_counter(), time.process_time()
new = sorted({m.split(".")[0] for m in set(sys.modules) - before})
print(json.dumps({
    "sdk_ms": (t1 - t0) * 1000, "ms": (c2 - c1) * 1000, "wall_ms": (w2 - w1) * 1000,
    "each_ms": each, "packages": new,
}))
"""


def our_modules() -> list[str]:
    """Every operator module, the sensor, the trigger and the notifier (found on disk)."""
    names = [
        f"airflow_provider_whatsapp.operators.{p.stem}"
        for p in sorted((PACKAGE / "operators").glob("*.py"))
        if not p.stem.startswith("_")
    ]
    return [
        *names,
        "airflow_provider_whatsapp.sensors.template_status",
        "airflow_provider_whatsapp.notifications.whatsapp",
        TRIGGER,  # last, so the figures without it are the sum of the others
    ]


def module_sets() -> tuple[dict[str, list[str]], list[str]]:
    """The sets to time, and the baselines the issue names that are not installed."""
    candidates = {
        OURS: our_modules(),
        OURS_SOURCE: our_modules(),
        "HTTP operator + sensor (issue: ~65 ms)": [
            "airflow.providers.http.operators.http",
            "airflow.providers.http.sensors.http",
        ],
        "Slack operator + notifier (issue: ~170 ms)": [
            "airflow.providers.slack.operators.slack",
            "airflow.providers.slack.notifications.slack",
        ],
        "SMTP operator + notifier": [
            "airflow.providers.smtp.operators.smtp",
            "airflow.providers.smtp.notifications.smtp",
        ],
        "standard Bash operator + sensor": [
            "airflow.providers.standard.operators.bash",
            "airflow.providers.standard.sensors.bash",
        ],
        # What any deferrable trigger pays for its base class, ours included.
        "airflow.triggers.base alone (BaseTrigger)": ["airflow.triggers.base"],
    }
    present, missing = {}, []
    for name, modules in candidates.items():
        top = ".".join(modules[0].split(".")[:3])  # the provider package
        if importlib.util.find_spec(top) is None:
            missing.append(name)
        else:
            present[name] = modules
    return present, missing


def probe(modules: list[str], folder: str, *, from_source: bool = False) -> dict[str, Any]:
    mode = "source" if from_source else "cached"
    command = [sys.executable, "-c", PROBE, mode, folder, *modules]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def dag_file_set(run: dict[str, Any]) -> float:
    """What one process spent on the DAG-file set: everything but the trigger."""
    return float(run["ms"] - run["each_ms"][TRIGGER])


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--processes", type=int, default=11, help="fresh processes per set")
    args = parser.parse_args(argv)
    sets, missing = module_sets()
    banner(f"3. DAG-parse cost: median of {args.processes} fresh processes per set")
    for name in missing:
        print(f"  not installed (cannot measure here): {name}")
    samples: dict[str, list[dict[str, Any]]] = {name: [] for name in sets}
    with tempfile.TemporaryDirectory(prefix="parse-cost-pycache-") as folder:
        for modules in sets.values():  # warm-up: write the bytecode caches
            probe(modules, folder)
        for _ in range(args.processes):
            for name, modules in sets.items():
                samples[name].append(probe(modules, folder, from_source=name == OURS_SOURCE))
    medians = {n: statistics.median(s["ms"] for s in runs) for n, runs in samples.items()}
    wall = {n: statistics.median(s["wall_ms"] for s in runs) for n, runs in samples.items()}
    sdk = statistics.median(s["sdk_ms"] for runs in samples.values() for s in runs)
    with_trigger = medians[OURS]
    dag_set = [dag_file_set(s) for s in samples[OURS]]
    ours = statistics.median(dag_set)
    source_set = [dag_file_set(s) for s in samples[OURS_SOURCE]]
    from_source = statistics.median(source_set)
    rows = [
        [
            "ours*: operators + sensor + notifier (DAG-file set)",
            f"{ours:.1f}",
            f"{min(dag_set):.1f}-{max(dag_set):.1f}",
            "1.00",
            "",
        ],
        [
            "ours: the DAG-file set, compiled from source",
            f"{from_source:.1f}",
            f"{min(source_set):.1f}-{max(source_set):.1f}",
            f"{ours / from_source:.2f}" if from_source else "-",
            "",
        ],
    ]
    rows += [
        [
            name,
            f"{ms:.1f}",
            f"{min(s['ms'] for s in samples[name]):.1f}-{max(s['ms'] for s in samples[name]):.1f}",
            f"{ours / ms:.2f}" if ms else "-",  # DAG-file set over this
            ", ".join(samples[name][-1]["packages"]) or "-",
        ]
        for name, ms in medians.items()
    ]
    print(table(["set", "median CPU ms", "range", "ours* / this", "modules loaded from"], rows))
    ours_each = {
        module: statistics.median(s["each_ms"][module] for s in samples[OURS])
        for module in sets[OURS]
    }
    source_each = {
        module: statistics.median(s["each_ms"][module] for s in samples[OURS_SOURCE])
        for module in sets[OURS_SOURCE]
    }
    print("  ours, module by module (median CPU ms added, in import order; from source):")
    for module, ms in ours_each.items():
        print(f"    {ms:5.1f}  {module}  ({source_each[module]:.1f})")
    met = check(ours, TARGET_MS, at_most=True)
    met_with_trigger = check(with_trigger, TARGET_MS, at_most=True)
    met_from_source = check(from_source, TARGET_MS, at_most=True)
    print(
        f"  import airflow.sdk itself: median {sdk:.0f} ms wall (paid by every DAG file anyway)\n"
        f"  * ours, DAG-file set (operators + sensor + notifier): {ours:.1f} ms over airflow.sdk "
        f"(target <= {TARGET_MS:.0f} ms): {verdict(met)}\n"
        f"  ours with the trigger too: {with_trigger:.1f} ms (same target): "
        f"{verdict(met_with_trigger)}\n"
        f"  ours, DAG-file set compiled from source: {from_source:.1f} ms (same target): "
        f"{verdict(met_from_source)}\n"
        f"  wall-time medians (ms): {', '.join(f'{n}: {ms:.1f}' for n, ms in wall.items())}"
    )
    data = {
        "processes": args.processes,
        "modules": sets,
        "not_installed": missing,
        "median_ms": medians,
        "median_wall_ms": wall,
        "ours_dag_file_set_ms": ours,
        "ours_with_trigger_ms": with_trigger,
        "ours_dag_file_set_from_source_ms": from_source,
        "ours_each_median_ms": ours_each,
        "ours_each_from_source_median_ms": source_each,
        "airflow_sdk_median_ms": sdk,
        "samples": samples,
        "target_ms": TARGET_MS,
        "met": met,
        "met_with_trigger": met_with_trigger,
        "met_from_source": met_from_source,
    }
    save("parse_cost", data)
    return data


if __name__ == "__main__":
    main()
