"""Template sync: planning against a big account must stay a handful of requests.

The account holds 1,000 templates (listed 100 per page); 50 local files describe 40 of
them unchanged, 5 changed and 5 new. Ours is what ``WhatsAppSyncTemplatesOperator``
does before it applies anything: ``load_template_files`` + ``list_templates`` (every
page) + ``plan_sync``, each stage timed (wall and this process's CPU time, which is the
client's own cost: the emulator runs in another process). The baseline is the obvious
alternative: look each local template up with ``get_template`` (one filtered list
request per file). Both go through the connection's default rate limit (10/s) against
an emulator enforcing the same, as against the real gateway; no added latency (each
request here would add the gateway's round trip on top).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from benchmarks._common import (
    EmulatorProcess,
    FakeTI,
    banner,
    check,
    emulator,
    save,
    table,
    verdict,
)

REMOTE, LOCAL, CHANGED, NEW = 1_000, 50, 5, 5
TARGET_REQUESTS = 11
TARGET_CLIENT_S = 1.0
T = TypeVar("T")


def body(text: str = "Hello {{1}}, thanks for waiting.") -> list[dict[str, Any]]:
    return [{"type": "BODY", "text": text, "example": {"body_text": [["World"]]}}]


def seed_remote(emu: EmulatorProcess, count: int) -> None:
    """``count`` APPROVED templates, in a few languages, through the control route."""
    for n in range(count):
        emu.add_template(f"bench_tpl_{n:04d}", ("en_US", "pt_BR", "es")[n % 3], components=body())


def write_local(folder: Path) -> list[str]:
    """50 files: the first 40 match remote templates, 5 differ, 5 are new."""
    names = []
    for n in range(LOCAL):
        same = n < LOCAL - CHANGED - NEW
        new = n >= LOCAL - NEW
        name = f"bench_new_{n:04d}" if new else f"bench_tpl_{n:04d}"
        text = "Hello {{1}}, thanks for waiting." if same or new else "Hello {{1}}, it is ready."
        definition = {
            "name": name,
            "language": ("en_US", "pt_BR", "es")[n % 3],
            "category": "UTILITY",
            "components": body(text),
        }
        (folder / f"{name}.json").write_text(json.dumps(definition))
        names.append(name)
    return names


def timed(fn: Callable[[], T]) -> tuple[T, float, float]:
    """(result, wall s, CPU s of this process)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def list_requests(emu: EmulatorProcess) -> int:
    return sum(
        r["method"] == "GET" and r["path"].endswith("/message_templates") for r in emu.requests()
    )


def run_ours(emu: EmulatorProcess, folder: Path) -> dict[str, Any]:
    from airflow_provider_whatsapp.hooks.whatsapp import WhatsAppHook
    from airflow_provider_whatsapp.message_templates.loading import load_template_files
    from airflow_provider_whatsapp.message_templates.sync import plan_sync

    before = list_requests(emu)
    hook = WhatsAppHook()
    loaded, load_wall, load_cpu = timed(lambda: load_template_files(folder))
    remote, list_wall, list_cpu = timed(hook.list_templates)
    plan, plan_wall, plan_cpu = timed(lambda: plan_sync(loaded.templates, remote))
    hook.client.close()
    return {
        "requests": list_requests(emu) - before,
        "remote_listed": len(remote),
        "local_loaded": len(loaded.templates),
        "plan_counts": plan.counts(),
        "wall_s": {"load": load_wall, "list": list_wall, "plan": plan_wall},
        "cpu_s": {"load": load_cpu, "list": list_cpu, "plan": plan_cpu},
        "total_wall_s": load_wall + list_wall + plan_wall,
        "total_cpu_s": load_cpu + list_cpu + plan_cpu,
    }


def run_operator_dry(emu: EmulatorProcess, folder: Path) -> dict[str, Any]:
    """The operator itself, ``plan_only=True``: the same requests, plus its own reporting."""
    from airflow_provider_whatsapp.operators.templates import WhatsAppSyncTemplatesOperator

    before, before_all = list_requests(emu), len(emu.requests())
    op = WhatsAppSyncTemplatesOperator(task_id="sync", source=str(folder), plan_only=True)
    result, wall, cpu = timed(lambda: op.execute({"ti": FakeTI(), "run_id": FakeTI.run_id}))
    return {
        "requests": len(emu.requests()) - before_all,
        "list_requests": list_requests(emu) - before,
        "counts": result["counts"],
        "wall_s": wall,
        "cpu_s": cpu,
    }


def run_baseline(emu: EmulatorProcess, names: list[str], folder: Path) -> dict[str, Any]:
    """One ``get_template`` per local file (a filtered list request each)."""
    from airflow_provider_whatsapp.hooks.whatsapp import WhatsAppHook
    from airflow_provider_whatsapp.message_templates.loading import load_template_files

    before = list_requests(emu)
    hook = WhatsAppHook()

    def lookup() -> int:
        loaded = load_template_files(folder)
        found = [hook.client.get_template(d.name, d.language) for d in loaded.templates]
        return sum(f is not None for f in found)

    found, wall, cpu = timed(lookup)
    hook.client.close()
    return {"requests": list_requests(emu) - before, "found": found, "wall_s": wall, "cpu_s": cpu}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    argparse.ArgumentParser(description=__doc__).parse_args(argv)
    banner(
        f"5. Template sync plan: {REMOTE:,} remote templates (100 per page), {LOCAL} local files"
    )
    with (
        tempfile.TemporaryDirectory() as tmp,
        emulator(rate_limit=10, latency=0.0, seed_template=False) as emu,
    ):
        emu.use_connection()  # default rate_limit 10/s, like the emulator's
        seed_remote(emu, REMOTE)
        names = write_local(Path(tmp))
        # A pause before each run, so none starts in the previous one's rate window.
        time.sleep(1.1)
        ours = run_ours(emu, Path(tmp))
        time.sleep(1.1)
        operator = run_operator_dry(emu, Path(tmp))
        time.sleep(1.1)
        baseline = run_baseline(emu, names, Path(tmp))
    rows = [
        [
            "ours: load + list all pages + plan",
            ours["requests"],
            f"{ours['total_wall_s']:.3f}",
            f"{ours['total_cpu_s']:.3f}",
        ],
        [
            "ours: WhatsAppSyncTemplatesOperator dry run",
            operator["list_requests"],
            f"{operator['wall_s']:.3f}",
            f"{operator['cpu_s']:.3f}",
        ],
        [
            "baseline: get_template per local file",
            baseline["requests"],
            f"{baseline['wall_s']:.3f}",
            f"{baseline['cpu_s']:.3f}",
        ],
    ]
    print(table(["run", "list requests", "wall s", "client CPU s"], rows))
    stages = ", ".join(
        f"{stage} {ours['wall_s'][stage] * 1000:.0f} ms wall / {ours['cpu_s'][stage] * 1000:.0f} ms CPU"
        for stage in ("load", "list", "plan")
    )
    print(f"  stages: {stages}\n  plan: {ours['plan_counts']}")
    requests_met = check(ours["requests"], TARGET_REQUESTS, at_most=True)
    time_met = check(ours["total_cpu_s"], TARGET_CLIENT_S, at_most=True) and check(
        ours["total_wall_s"], TARGET_CLIENT_S, at_most=True
    )
    print(
        f"  requests: ours {ours['requests']} vs baseline {baseline['requests']} "
        f"({baseline['requests'] / ours['requests']:.1f}x fewer; target <= {TARGET_REQUESTS}): "
        f"{verdict(requests_met)}\n"
        f"  time: {ours['total_wall_s']:.3f} s wall, {ours['total_cpu_s']:.3f} s client CPU vs "
        f"baseline {baseline['wall_s']:.3f} s wall (target well under {TARGET_CLIENT_S:.0f} s): "
        f"{verdict(time_met)}"
    )
    data = {
        "remote": REMOTE,
        "local": LOCAL,
        "ours": ours,
        "operator_dry_run": operator,
        "baseline_get_template_each": baseline,
        "targets": {"requests": TARGET_REQUESTS, "client_s": TARGET_CLIENT_S},
        "met": {"requests": requests_met, "time": time_met},
    }
    save("template_sync", data)
    return data


if __name__ == "__main__":
    main()
