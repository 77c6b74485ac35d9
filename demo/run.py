"""``make demo``: run every example DAG against the emulator and show what WhatsApp received.

No key, no network. In a throwaway Airflow home under ``.demo/`` (SQLite, DAGS_FOLDER =
the repository's ``example_dags/``) it:

1. runs ``airflow db migrate``;
2. starts the emulator (``python -m airflow_provider_whatsapp.testing``) on a free
   loopback port, with the on-call and customer numbers inside their 24-hour window, the
   templates the alerts and notifications send already approved, and a 2-second review
   for any template the sync creates;
3. points ``whatsapp_default`` at it (``AIRFLOW_CONN_WHATSAPP_DEFAULT``) and runs each
   example DAG with ``airflow dags test`` (``whatsapp_failure_alerts`` fails by design:
   exit code 1 is what is expected of it);
4. prints, per DAG, what the emulator received (recipient, type, template or text,
   status) and a one-line summary.

Exit status 0 when every DAG ended as expected and its messages arrived; 1 otherwise.
Each DAG's full Airflow output is in ``.demo/logs/<dag_id>.log``.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airflow_provider_whatsapp.messages.phone import normalize_phone
from airflow_provider_whatsapp.testing.process import EmulatorProcess

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "example_dags"
TEMPLATES = EXAMPLES / "templates"
REVIEW_DELAY = 2.0
MARKER = ".whatsapp-demo"  # the demo only ever deletes a work folder that holds this
#: Templates the examples send, approved before the DAGs run (as after a first sync).
PREAPPROVED = ("airflow_alert", "daily_summary")


@dataclass(frozen=True)
class DemoDag:
    """An example DAG, how ``airflow dags test`` should end, and what must arrive."""

    dag_id: str
    expected_state: str
    expected_messages: int
    story: str
    check_templates: tuple[str, ...] = ()


DEMO_DAGS = (
    DemoDag(
        "whatsapp_template_sync",
        "success",
        0,
        "syncs templates/ (one new template), waits for its approval (deferrable sensor)",
        check_templates=("release_notice",),
    ),
    DemoDag(
        "whatsapp_failure_alerts",
        "failed",
        5,
        "fails on purpose: retry + failure alerts, a template alert, a DAG-level alert",
    ),
    DemoDag(
        "whatsapp_pipeline_notifications",
        "success",
        3,
        "extract -> per-customer totals -> bulk send of a template with per-recipient values",
    ),
    DemoDag(
        "whatsapp_send_operators",
        "success",
        7,
        "one task per send operator, media upload/delete, business profile",
    ),
)


# -- things tests share with the demo -----------------------------------------------------
def example_template_specs(*names: str) -> list[dict[str, Any]]:
    """``WhatsAppEmulator.add_template`` arguments (status APPROVED) for the example
    templates in ``example_dags/templates`` (all of them when no name is given)."""
    from airflow_provider_whatsapp.message_templates.loading import load_template_files

    loaded = load_template_files(TEMPLATES)
    if loaded.errors:
        raise ValueError(f"example templates do not load: {loaded.errors}")
    specs = []
    for definition in loaded.templates:
        if names and definition.name not in names:
            continue
        payload = definition.to_payload()
        specs.append(
            {
                "name": payload["name"],
                "language": payload["language"],
                "category": payload["category"],
                "components": payload["components"],
                "status": "APPROVED",
                "parameter_format": payload.get("parameter_format"),
            }
        )
    missing = set(names) - {s["name"] for s in specs}
    if missing:
        raise ValueError(f"no example template named {', '.join(sorted(missing))}")
    return specs


def example_constant(module: str, name: str, folder: Path = EXAMPLES) -> Any:
    """A literal constant of an example DAG file (or one in ``folder``), read without
    importing it (no Airflow)."""
    tree = ast.parse((folder / f"{module}.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return ast.literal_eval(node.value)
    raise KeyError(f"{module}.{name}")


def windows_to_open() -> list[str]:
    """Numbers the examples send free-form messages to: on-call and the customer."""
    return [
        normalize_phone(example_constant("whatsapp_failure_alerts", "ONCALL_PHONE")),
        normalize_phone(example_constant("whatsapp_send_operators", "CUSTOMER_PHONE")),
    ]


# -- running the DAGs ---------------------------------------------------------------------
@dataclass
class DagOutcome:
    dag: DemoDag
    returncode: int
    state: str
    seconds: float
    requests: list[dict[str, Any]]
    templates: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def sends(self) -> list[dict[str, Any]]:
        """Message sends (not read receipts) the emulator received, in order."""
        return [
            r
            for r in self.requests
            if r["method"] == "POST"
            and r["path"].endswith("/messages")
            and isinstance(r["json"], dict)
            and "status" not in r["json"]
        ]

    @property
    def created_templates(self) -> list[str]:
        """Names of the templates this run submitted for review."""
        return [
            str(r["json"].get("name"))
            for r in self.requests
            if r["method"] == "POST"
            and r["path"].endswith("/message_templates")
            and isinstance(r["json"], dict)
        ]

    @property
    def ok(self) -> bool:
        return not self.problems


_FINISHED = re.compile(r"DagRun Finished: dag_id=(?P<dag_id>[^,]+),.*? state=(?P<state>\w+)")


def run_state(log_path: Path, dag_id: str) -> str:
    """The run's final state as ``airflow dags test`` logged it ("unknown" if it did not)."""
    text = log_path.read_text(encoding="utf-8", errors="replace")
    states = [m["state"] for m in _FINISHED.finditer(text) if m["dag_id"] == dag_id]
    return states[-1] if states else "unknown"


def airflow_env(home: Path) -> dict[str, str]:
    """A clean environment: nothing of the caller's Airflow set-up or Maton key leaks in."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AIRFLOW_", "AIRFLOW__")) and k != "MATON_API_KEY"
    }
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(EXAMPLES),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow.db'}",
        AIRFLOW__LOGGING__LOGGING_LEVEL="INFO",
        WHATSAPP_EXAMPLE_POKE_INTERVAL="1",
        PYTHONUNBUFFERED="1",
    )
    return env


def run_logged(cmd: Sequence[str], env: dict[str, str], log_path: Path, timeout: float) -> int:
    """Run ``cmd`` with its output into ``log_path``; returns the exit code (124: timeout)."""
    with log_path.open("w", encoding="utf-8") as log:
        log.write(f"$ {' '.join(cmd)}\n")
        log.flush()
        try:
            return subprocess.run(
                cmd, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=timeout, check=False
            ).returncode
        except subprocess.TimeoutExpired:
            log.write(f"\n[demo] timed out after {timeout:.0f}s\n")
            return 124


def check(outcome: DagOutcome) -> None:
    """What must hold for this DAG's run to count as behaving as designed."""
    dag = outcome.dag
    expected_rc = 0 if dag.expected_state == "success" else 1
    if outcome.state != dag.expected_state:
        outcome.problems.append(f"the run ended {outcome.state}, expected {dag.expected_state}")
    if outcome.returncode != expected_rc:
        outcome.problems.append(
            f"airflow dags test exited {outcome.returncode}, expected {expected_rc}"
        )
    sends = outcome.sends
    accepted = [r for r in sends if r["status"] == 200]
    if len(accepted) != dag.expected_messages:
        outcome.problems.append(
            f"{len(accepted)} messages accepted, expected {dag.expected_messages}"
        )
    if len(accepted) != len(sends):
        outcome.problems.append(f"{len(sends) - len(accepted)} message sends were refused")
    status = {t["name"]: t["status"] for t in outcome.templates}
    for name in dag.check_templates:
        if name not in outcome.created_templates:
            outcome.problems.append(f"template {name} was not created by the sync")
        if status.get(name) != "APPROVED":
            outcome.problems.append(f"template {name} is {status.get(name, 'missing')}")


# -- the report -------------------------------------------------------------------------------
def shorten(text: str, width: int) -> str:
    """One line (line breaks shown as " | "), cut to ``width`` characters."""
    flat = " | ".join(" ".join(line.split()) for line in str(text).splitlines() if line.strip())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def describe(payload: dict[str, Any]) -> str:
    """The gist of a message: template and its values, text, media, interactive body."""
    kind = payload.get("type", "text")
    body = payload.get(kind)
    if kind == "text":
        return str(body.get("body", "")) if isinstance(body, dict) else ""
    if kind == "template" and isinstance(body, dict):
        values = [
            str(p.get("text", p.get("type")))
            for comp in body.get("components") or []
            for p in comp.get("parameters") or []
        ]
        return f"{body.get('name')} [{', '.join(values)}]" if values else str(body.get("name"))
    if kind == "interactive" and isinstance(body, dict):
        return f"{body.get('type')}: {body.get('body', {}).get('text', '')}"
    if kind == "location" and isinstance(body, dict):
        return f"{body.get('name', '')} ({body.get('latitude')}, {body.get('longitude')})"
    if isinstance(body, dict):  # media
        ref = body.get("link") or f"media id {body.get('id')}"
        caption = body.get("caption") or body.get("filename") or ""
        return f"{caption} <{ref}>" if caption else str(ref)
    return ""


def status_of(request: dict[str, Any]) -> str:
    status = request["status"]
    return "accepted" if status == 200 else f"refused (HTTP {status})"


def table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    from tabulate import tabulate

    return textwrap.indent(str(tabulate(rows, headers=headers, tablefmt="simple")), "  ")


def other_calls(requests: list[dict[str, Any]]) -> str:
    """Requests other than message sends, counted by method and last path segment."""
    counts: Counter[str] = Counter()
    for r in requests:
        if r["method"] == "POST" and r["path"].endswith("/messages"):
            continue
        tail = r["path"].rstrip("/").rsplit("/", 1)[-1]
        tail = "{id}" if tail.isdigit() else tail
        counts[f"{r['method']} {tail}"] += 1
    return ", ".join(f"{k} ×{n}" for k, n in sorted(counts.items())) or "none"


def report(outcome: DagOutcome) -> str:
    dag = outcome.dag
    lines = [f"▶ {dag.dag_id}: {dag.story}"]
    sends = outcome.sends
    if sends:
        rows = [
            (
                str(r["json"].get("to", "?")),
                str(r["json"].get("type", "text")),
                shorten(describe(r["json"]), 72),
                status_of(r),
            )
            for r in sends
        ]
        lines.append(table(rows, ("recipient", "type", "template / text", "status")))
    if dag.check_templates:
        created = outcome.created_templates
        template_rows = [
            (
                str(t["name"]),
                str(t["language"]),
                str(t["category"]),
                str(t["status"]),
                "created by this run, then reviewed" if t["name"] in created else "unchanged",
            )
            for t in outcome.templates
        ]
        headers = ("template", "language", "category", "status", "sync")
        lines.append(table(template_rows, headers))
    lines.append(f"  other API calls: {other_calls(outcome.requests)}")
    alerts = [r["json"] for r in sends if r["json"].get("type") == "text"]
    first = next((a["text"]["body"] for a in alerts if "\n" in a["text"].get("body", "")), None)
    if first:
        lines.append("  the first of these alerts, in full:")
        lines.extend(f"    │ {line}" for line in first.splitlines())
    return "\n".join(lines)


def summary_line(outcome: DagOutcome) -> str:
    dag = outcome.dag
    note = " (by design)" if outcome.state == "failed" == dag.expected_state else ""
    accepted = sum(1 for r in outcome.sends if r["status"] == 200)
    verdict = "OK" if outcome.ok else "UNEXPECTED: " + "; ".join(outcome.problems)
    return (
        f"  {dag.dag_id:<33} {outcome.state + note:<19} exit {outcome.returncode}  "
        f"{accepted:>2} message(s)  {outcome.seconds:5.1f}s  {verdict}"
    )


# -- main -----------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo")
    parser.add_argument("--workdir", default=".demo", help="throwaway folder (default .demo)")
    parser.add_argument(
        "--only", action="append", default=[], metavar="DAG_ID", help="run only this DAG"
    )
    parser.add_argument(
        "--timeout", type=float, default=300.0, help="seconds allowed per airflow command"
    )
    args = parser.parse_args(argv)
    dags = [d for d in DEMO_DAGS if not args.only or d.dag_id in args.only]

    workdir = Path(args.workdir).resolve()
    home, logs, marker = workdir / "airflow", workdir / "logs", workdir / MARKER
    if workdir.exists() and any(workdir.iterdir()) and not marker.exists():
        print(f"{workdir} exists and was not made by the demo: not touching it", file=sys.stderr)
        return 2
    shutil.rmtree(workdir, ignore_errors=True)
    home.mkdir(parents=True)
    logs.mkdir()
    marker.write_text("made by python -m demo; safe to delete\n")
    env = airflow_env(home)
    airflow = [sys.executable, "-m", "airflow"]
    started = time.monotonic()

    def say(text: str) -> None:
        print(f"[demo {time.monotonic() - started:5.1f}s] {text}", flush=True)

    say(f"Airflow home {home} (SQLite), DAGs from {EXAMPLES}")
    rc = run_logged([*airflow, "db", "migrate"], env, logs / "db-migrate.log", args.timeout)
    if rc != 0:
        say(f"airflow db migrate failed (exit {rc}); see {logs / 'db-migrate.log'}")
        return 1

    emulator = EmulatorProcess(
        "--port",
        "0",
        "--review-delay",
        str(REVIEW_DELAY),
        "--open-window",
        *windows_to_open(),
        env=env,
        log_path=logs / "emulator.log",
    )
    outcomes: list[DagOutcome] = []
    try:
        emulator.start()
        for spec in example_template_specs(*PREAPPROVED):
            emulator.add_template(**spec)
        say(
            f"emulator at {emulator.url}; open 24-hour windows: {', '.join(windows_to_open())}; "
            f"pre-approved templates: {', '.join(PREAPPROVED)}; review delay {REVIEW_DELAY:g}s"
        )
        env.update(emulator.connection_env())
        for dag in dags:
            say(f"airflow dags test {dag.dag_id} ...")
            before = len(emulator.requests())
            t0 = time.monotonic()
            log_path = logs / f"{dag.dag_id}.log"
            rc = run_logged([*airflow, "dags", "test", dag.dag_id], env, log_path, args.timeout)
            outcome = DagOutcome(
                dag,
                rc,
                run_state(log_path, dag.dag_id),
                time.monotonic() - t0,
                emulator.requests()[before:],
                emulator.templates(),
            )
            check(outcome)
            outcomes.append(outcome)
            say(
                f"  {outcome.state}, exit {rc}, {outcome.seconds:.1f}s"
                + ("" if outcome.ok else " (unexpected: " + "; ".join(outcome.problems) + ")")
            )
    finally:
        emulator.stop()

    print()
    print("What the WhatsApp emulator received, per DAG")
    print("=" * 44)
    for outcome in outcomes:
        print()
        print(report(outcome))
    print()
    print("Summary")
    print("=" * 7)
    for outcome in outcomes:
        print(summary_line(outcome))
    all_ok = all(o.ok for o in outcomes) and len(outcomes) == len(dags)
    print()
    if all_ok:
        print(f"Everything behaved as expected ({time.monotonic() - started:.0f}s).")
    else:
        print("Something did not behave as expected.")
    print(f"Airflow's output of each run: {logs}/<dag_id>.log")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
