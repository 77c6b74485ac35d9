"""Secret scan: a distinctive Maton key, one run of every operator kind, and a search for
the key everywhere the run left traces.

The DAG (``tests/dags/secret_scan.py``) uploads, sends (text, template, any message,
media by id and from a file), downloads media (through the CDN route), bulk-sends,
creates / syncs / waits for (deferrable sensor) / deletes templates, updates the profile,
and fails one send on purpose with failure notifiers on the task and the DAG.

It runs twice over:

* ``airflow dags test secret_scan`` in a subprocess: its console output is **not**
  masked by Airflow, so finding no key there is a strict check (run in a subprocess
  because, inside pytest, Airflow's cached log streams may write to an earlier test's
  capture instead of this one's);
* then four of its tasks again as a worker runs them (``supervise_task``: a forked task
  process whose log the supervisor writes under ``$AIRFLOW_HOME/logs``; ``dag.test()``
  writes no log files), one of them deferring for real so a trigger row is stored.

The key must appear in none of: that console output, stdlib log records, the task log
files (not even masked as ``***``), XCom values, rendered template fields (not even
masked), trigger kwargs, the metadata database file as a whole, the messages the emulator
received (exception texts reach it through the failure notifiers), nor any request on a
route other than the gateway's and the ctrl host's. And it must appear in the
``Authorization`` header of the gateway requests: the scan looks for a key really in use.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_whatsapp.testing import WhatsAppEmulator
from airflow_provider_whatsapp.version_compat import AIRFLOW_V_3_3_PLUS
from tests.helpers import set_connection, task_states

KEY = f"sk-SECRET-SCAN-{uuid.uuid4().hex}"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 120
MASKED = "***"  # what Airflow's secrets masker (and our error texts) put in a secret's place
GATEWAY = "/whatsapp-business/"
CTRL = "/connections"
EXPECTED_STATES = {
    "upload": "success",
    "send_media_by_id": "success",
    "send_media_local": "success",
    "download": "success",
    "delete_media": "success",
    "send_text": "success",
    "send_template": "success",
    "send_message": "success",
    "bulk": "success",
    "create_template": "success",
    "sync_templates": "success",
    "wait_approved": "success",
    "delete_template": "success",
    "update_profile": "success",
    "send_closed_window": "failed",
}


# Run again after dag.test() as a worker runs them: a supervised subprocess writing the
# task log file (dag.test() writes none), with a real deferral leaving a trigger row.
SUPERVISED = {
    "send_text": "success",
    "upload": "success",
    "wait_approved": "deferred",  # its template is gone by now: it waits in a trigger
    "send_closed_window": "failed",
}


@dataclass(frozen=True)
class Run:
    dag_id: str
    run_id: str
    state: str
    states: dict[str, str]
    supervised: dict[str, str]
    log_files: list[Path]
    exit_code: int
    console: str
    records: list[str]
    requests: list[Any]
    messages: list[Any]


_RUNS: dict[str, Run] = {}


def run_supervised(dag: Any, run_id: str, task_id: str) -> tuple[str, Path]:
    """Queue the task again and run it the way an executor does: ``supervise_task`` forks
    the task process and writes its log to the file an Airflow worker would."""
    from airflow.configuration import conf
    from airflow.executors.workloads import ExecuteTask
    from airflow.models.taskinstance import TaskInstance
    from airflow.sdk.execution_time import supervisor
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState

    # 3.3 renamed supervise() (kept there as a deprecated alias) to supervise_task()
    supervise_task = supervisor.supervise_task if AIRFLOW_V_3_3_PLUS else supervisor.supervise

    with create_session() as session:
        ti = (
            session.query(TaskInstance)
            .filter_by(dag_id=dag.dag_id, run_id=run_id, task_id=task_id)
            .one()
        )
        ti.state = TaskInstanceState.QUEUED
        ti.try_number += 1
        session.flush()
        workload = ExecuteTask.make(ti)
    log_path = Path(conf.get("logging", "base_log_folder")) / workload.log_path
    supervise_task(
        ti=workload.ti,
        bundle_info=workload.bundle_info,
        dag_rel_path=workload.dag_rel_path,
        token=workload.token,
        client=supervisor.InProcessTestSupervisor._api_client(dag),
        log_path=str(log_path),
    )
    with create_session() as session:  # by task, not by id: 3.1 gives a new try a new id
        state = (
            session.query(TaskInstance.state)
            .filter_by(dag_id=dag.dag_id, run_id=run_id, task_id=task_id)
            .scalar()
        )
    return str(state), log_path


def latest_run(dag_id: str) -> Any:
    from airflow.models.dagrun import DagRun

    runs = DagRun.find(dag_id=dag_id)
    assert runs, f"`airflow dags test {dag_id}` left no run"
    return max(runs, key=lambda r: r.id)


def load_dag() -> Any:
    import importlib

    name = "tests.dags.secret_scan"
    module = importlib.reload(sys.modules[name]) if name in sys.modules else None
    return (module or importlib.import_module(name)).dag


@pytest.fixture
def scan_run(
    airflow_db: Path,
    tmp_path_factory: pytest.TempPathFactory,
    capfd: pytest.CaptureFixture[str],
) -> Iterator[Run]:
    """One run of the ``secret_scan`` DAG against an emulator keyed with ``KEY``."""
    if "run" not in _RUNS:
        work = tmp_path_factory.mktemp("secret-scan")
        (work / "chart.png").write_bytes(PNG)
        (work / "templates").mkdir()
        (work / "templates" / "scan_synced.json").write_text(
            json.dumps(
                {
                    "name": "scan_synced",
                    "language": "en_US",
                    "category": "UTILITY",
                    "components": [{"type": "BODY", "text": "Synced without secrets."}],
                }
            )
        )
        template = {"name": "scan_notice", "components": [{"type": "BODY", "text": "Hi {{1}}"}]}
        with (
            WhatsAppEmulator(
                api_key=KEY, rate_limit=None, review_delay=1.0, templates=[template]
            ) as emu,
            pytest.MonkeyPatch.context() as mp,
        ):
            from tests.dags import secret_scan as dag_module

            emu.open_window(dag_module.TO, dag_module.ONCALL, *dag_module.BULK)
            set_connection(mp, emu.airflow_connection())
            mp.setenv("WHATSAPP_SECRET_SCAN_DIR", str(work))
            dag = load_dag()
            # The console output of `airflow dags test` itself (a subprocess: inside pytest
            # Airflow's cached log streams may point at an earlier test's capture).
            cli = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "airflow",
                    "dags",
                    "test",
                    dag.dag_id,
                    "-f",
                    dag_module.__file__,
                ],
                env=os.environ.copy(),
                capture_output=True,
                text=True,
                timeout=180,
            )
            dr = latest_run(dag.dag_id)
            states = task_states(dr)
            records = RecordAll()
            root = logging.getLogger()
            root.addHandler(records)
            # INFO everywhere, DEBUG for the provider (DEBUG everywhere is much slower).
            ours = logging.getLogger("airflow_provider_whatsapp")
            level, root.level = root.level, logging.INFO
            our_level, ours.level = ours.level, logging.DEBUG
            logging.getLogger("secret_scan.probe").warning("capture is on")
            capfd.readouterr()
            try:
                supervised, files = {}, []
                for task_id in SUPERVISED:
                    supervised[task_id], path = run_supervised(dag, dr.run_id, task_id)
                    files.append(path)
            finally:
                root.removeHandler(records)
                root.level, ours.level = level, our_level
            out, err = capfd.readouterr()
            _RUNS["run"] = Run(
                dag_id=dr.dag_id,
                run_id=dr.run_id,
                state=str(dr.state),
                states=states,
                supervised=supervised,
                log_files=files,
                exit_code=cli.returncode,
                console=cli.stdout + cli.stderr + out + err,
                records=records.lines,
                requests=emu.requests,
                messages=emu.messages,
            )
    yield _RUNS["run"]


class RecordAll(logging.Handler):
    """Every stdlib log record of the run, formatted with its arguments and traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def where(text: str, key: str = KEY, width: int = 120) -> str:
    """The first place ``key`` shows in ``text``, with context, for the failure message."""
    i = text.find(key)
    return "" if i < 0 else text[max(0, i - width) : i + len(key) + width]


# -- the run did what the scan needs ------------------------------------------------------
@pytest.mark.dag
def test_every_operator_kind_ran(scan_run: Run) -> None:
    assert scan_run.states == EXPECTED_STATES
    assert scan_run.state == "failed"  # the closed-window send, on purpose
    assert scan_run.exit_code == 1
    types = sorted(m.type for m in scan_run.messages)
    # dag.test(): media x2, text, template, location, bulk x3, failure notifiers (task x2,
    # DAG x1); then supervised: the text again and the task's two failure notifiers.
    assert types.count("image") == 2 and types.count("location") == 1
    assert types.count("template") == 4
    assert types.count("text") == (1 + 3) + (1 + 2)
    routes = {(r.method, r.path.split("/")[-1]) for r in scan_run.requests}
    assert ("POST", "media") in routes and ("POST", "message_templates") in routes
    assert ("POST", "whatsapp_business_profile") in routes
    assert any(r.path.startswith("/_lookaside/") for r in scan_run.requests)


@pytest.mark.dag
def test_the_key_was_in_use_on_gateway_routes(scan_run: Run) -> None:
    """Guards the scan itself: a run that never used the key would pass every check."""
    gateway = [r for r in scan_run.requests if r.path.startswith(GATEWAY)]
    assert len(gateway) > 15
    assert {r.headers.get("authorization") for r in gateway} == {f"Bearer {KEY}"}
    assert all(r.status == 200 or r.status == 400 for r in gateway)


# -- the emulator -------------------------------------------------------------------------
@pytest.mark.dag
def test_no_key_on_any_other_route(scan_run: Run) -> None:
    others = [
        r
        for r in scan_run.requests
        if not r.path.startswith(GATEWAY) and not r.path.startswith(CTRL)
    ]
    assert others, "the CDN download did not happen: nothing to check"
    for r in others:
        seen = json.dumps([r.path, r.query, r.headers, r.json, r.form], default=str)
        assert KEY not in seen, (r.method, r.path, where(seen))
        assert "authorization" not in r.headers


@pytest.mark.dag
def test_no_key_in_any_request_body_or_query(scan_run: Run) -> None:
    """Only the Authorization header carries the key: never a body, form, path or query."""
    for r in scan_run.requests:
        seen = json.dumps([r.path, r.query, r.json, r.form, r.files], default=str)
        assert KEY not in seen, (r.method, r.path, where(seen))
        headers = {k: v for k, v in r.headers.items() if k != "authorization"}
        assert KEY not in json.dumps(headers), (r.method, r.path)


@pytest.mark.dag
def test_no_key_in_messages_sent_exception_texts_included(scan_run: Run) -> None:
    notices = [m for m in scan_run.messages if m.type == "text" and m.to != "15550107001"]
    assert len(notices) == 3 + 2, "the failure notifiers did not send the exception text"
    assert any("131047" in m.payload["text"]["body"] for m in notices)
    for m in scan_run.messages:
        assert KEY not in json.dumps(m.payload), where(json.dumps(m.payload))


# -- what Airflow and the console kept --------------------------------------------------
@pytest.mark.dag
def test_no_key_in_the_unmasked_console_output(scan_run: Run) -> None:
    """``dag.test()`` prints task logs unmasked: the key must never be formatted at all."""
    assert "send_closed_window" in scan_run.console  # the output was captured
    assert KEY not in scan_run.console, where(scan_run.console)
    assert MASKED not in scan_run.console, where(scan_run.console, MASKED)


@pytest.mark.dag
def test_no_key_in_log_records(scan_run: Run) -> None:
    assert "secret_scan.probe WARNING capture is on" in scan_run.records
    for line in scan_run.records:
        assert KEY not in line, where(line)


@pytest.mark.dag
def test_no_key_in_task_log_files(scan_run: Run) -> None:
    """The files a worker writes under ``$AIRFLOW_HOME/logs`` (masked, but the key should
    not need masking: it is never formatted into a message)."""
    assert scan_run.supervised == SUPERVISED
    texts = {}
    for path in scan_run.log_files:
        assert path.is_file() and path.stat().st_size > 0, path
        texts[path.parent.name] = text = path.read_text(errors="replace")
        assert KEY not in text, (path, where(text))
        assert MASKED not in text, (path, "the masker had to hide something", where(text, MASKED))
    # The logs hold what they should: the work done, the error, the deferral.
    assert "Sent text message" in texts["task_id=send_text"]
    assert "Uploaded" in texts["task_id=upload"]
    assert "131047" in texts["task_id=send_closed_window"]
    assert "defer" in texts["task_id=wait_approved"].lower()


@pytest.mark.dag
def test_no_key_in_xcom(scan_run: Run) -> None:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = session.query(XComModel).filter_by(dag_id=scan_run.dag_id, run_id=scan_run.run_id)
        values = [(r.task_id, r.key, json.dumps(r.value, default=str)) for r in rows]
    assert len({task for task, _, _ in values}) >= 10, values
    for task_id, key, value in values:
        assert KEY not in value, (task_id, key, where(value))
        assert MASKED not in value, (task_id, key, "the masker had to hide something")


@pytest.mark.dag
def test_no_key_in_rendered_template_fields(scan_run: Run) -> None:
    from airflow.models.renderedtifields import RenderedTaskInstanceFields as RTIF
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = session.query(RTIF).filter_by(dag_id=scan_run.dag_id, run_id=scan_run.run_id)
        rendered = {r.task_id: json.dumps(r.rendered_fields, default=str) for r in rows}
    assert "send_text" in rendered and "Report for" in rendered["send_text"]
    for task_id, fields in rendered.items():
        assert KEY not in fields, (task_id, where(fields))
        # Airflow redacts secrets it knows of before storing: the key must not need it.
        assert MASKED not in fields, (task_id, "the masker had to hide something", fields)


@pytest.mark.dag
def test_no_key_in_trigger_kwargs(scan_run: Run) -> None:
    from airflow.models.trigger import Trigger
    from airflow.utils.session import create_session

    with create_session() as session:
        triggers = [
            (t.classpath, json.dumps(t.kwargs, default=str)) for t in session.query(Trigger)
        ]
    ours = [kw for path, kw in triggers if "WhatsAppTemplateStatusTrigger" in path]
    assert any("scan_created" in kwargs for kwargs in ours), "the sensor's trigger is not stored"
    for kwargs in ours:
        assert KEY not in kwargs, where(kwargs)
        assert "whatsapp_default" in kwargs  # the connection id travels, not its secret


@pytest.mark.dag
def test_no_key_anywhere_in_the_metadata_database(scan_run: Run) -> None:
    """The connection comes from the environment: the key has no business in the DB at
    all (XCom, rendered fields, task notes, logs table, run conf...). Raw bytes of the
    SQLite file and its journal; encrypted columns are covered by the trigger test."""
    from airflow.configuration import conf

    url = conf.get("database", "sql_alchemy_conn")
    assert url.startswith("sqlite:///"), url
    db = Path(url.removeprefix("sqlite:///"))
    files = [p for p in (db, Path(f"{db}-wal"), Path(f"{db}-journal")) if p.exists()]
    assert files and files[0].stat().st_size > 0
    for path in files:
        assert KEY.encode() not in bytes_of(path), path
    assert scan_run.run_id.encode() in bytes_of(db) or os.path.exists(f"{db}-wal")


def bytes_of(database_file: Path) -> bytes:
    """The raw bytes of a file of the SQLite database this process has open, read by
    another process: closing a descriptor of that file here would drop every POSIX lock
    this process holds on it (SQLite's documented way to corrupt a database), and the next
    writer in another process would then checkpoint the WAL under our open connection:
    "database disk image is malformed" a few tests later."""
    read = [
        sys.executable,
        "-c",
        "import sys; sys.stdout.buffer.write(open(sys.argv[1], 'rb').read())",
    ]
    return subprocess.run([*read, str(database_file)], capture_output=True, check=True).stdout
