"""Shared test helpers, one per job: the emulator's account and a recipient, a free port,
a connection, a client config, what a ``dag.test()`` run left behind, Meta's schemas, and
a strict stand-in for the supervisor. (Fixtures live in ``tests/conftest.py``.)"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from airflow_provider_whatsapp.client import ClientConfig

DATA = Path(__file__).resolve().parent / "data"

#: The account of a default ``WhatsAppEmulator()``, written out: tests compare request
#: paths and ids with these literals, never with what the code under test computes.
PHONE_ID = "100000000000001"
WABA = "200000000000001"
#: The recipient of tests that need one valid number (US, country code 1).
TO = "16505551234"
#: Meta's message schemas, extracted from the OpenAPI spec in ``data/meta_openapi/``.
META_SCHEMAS = DATA / "meta_message_schemas.json"


#: Country codes with a length their numbers have (digits after the code), for tests that
#: draw numbers: normalize_phone checks both (the US, the UK, India, Germany, Brazil,
#: France, Australia, Nigeria, China, South Africa, Japan, the UAE; Niue's 7 digits in all
#: are the shortest number, Germany's 15 the longest). A drawn subscriber part starting
#: with 2 to 7 is never read as a national prefix (0, 1, 8).
PHONE_COUNTRIES = [
    ("1", 10),
    ("44", 10),
    ("91", 10),
    ("49", 10),
    ("49", 11),
    ("55", 10),
    ("55", 11),
    ("33", 9),
    ("61", 9),
    ("234", 10),
    ("86", 11),
    ("27", 9),
    ("81", 10),
    ("971", 9),
    ("683", 4),
    ("49", 13),
]


def digits(phone: str) -> str:
    """``"+1 555 010 0001"`` -> ``"15550100001"``: how the API and the emulator write it."""
    return re.sub(r"\D", "", phone)


# A run of digits as a number may be written: spaces, dashes and parentheses between them
# (not dots, which would join a log's timestamps and durations into long runs).
_NUMBER_RUN = re.compile(r"\d(?:[ \t\-()]*\d)*")


def number_leaks(text: str, numbers: Iterable[str]) -> set[str]:
    """The numbers of ``numbers`` that ``text`` shows in full: as written, or their digits
    (or their national part, what follows the country code, when of 7 digits or more)
    inside a run of digits that spaces, dashes or parentheses may separate
    (``+44 7700 900123``, ``44-7700-900123``, ``(07700) 900123``). A masked number
    (``+44••••••0123``) shows neither. One pass over the text for any count of numbers:
    it scans a deployment's logs for every number an e2e sent to. Country codes come from
    ``phonenumbers``, not from the provider's masking (the code under test)."""
    import phonenumbers

    codes = {str(code) for code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE}
    by_digits: dict[str, set[str]] = {}
    found: set[str] = set()
    for number in set(numbers):
        whole = digits(number)
        if number != whole and number in text:  # a written form (spaces, +, letters)
            found.add(number)
        code = next((whole[:n] for n in (1, 2, 3) if whole[:n] in codes), "")
        for part in {whole, whole[len(code) :]}:
            if len(part) >= 7:
                by_digits.setdefault(part, set()).add(number)
    lengths = sorted({len(part) for part in by_digits})
    if not lengths:
        return found
    for match in _NUMBER_RUN.finditer(text):
        if match.end() - match.start() < lengths[0]:
            continue  # too short to hold any of them (most runs: times, counts, ids)
        run = re.sub(r"\D", "", match.group())
        for size in lengths:
            for start in range(len(run) - size + 1):
                hit = by_digits.get(run[start : start + size])
                if hit:
                    found |= hit
    return found


def free_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def set_connection(
    monkeypatch: pytest.MonkeyPatch, conn: dict[str, Any], conn_id: str = "whatsapp_default"
) -> None:
    """Airflow connection ``conn_id`` for this test, through the env var Airflow reads
    (``emulator.airflow_connection()`` gives one that reaches an emulator)."""
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))


def client_config(emu: Any, **changes: Any) -> ClientConfig:
    """A ClientConfig pointed at emulator ``emu``, with fast retries for tests."""
    settings: dict[str, Any] = {
        "api_key": emu.api_key,
        "base_url": emu.url,
        "ctrl_url": emu.url,
        "phone_number_id": emu.phone_number_id,
        "waba_id": emu.waba_id,
        "backoff_base": 0.01,
        "backoff_max": 0.05,
        "timeout": 5.0,
        **changes,
    }
    return ClientConfig(**settings)


def xcom_of(dr: Any, task_id: str, key: str = "return_value", map_index: int = -1) -> Any:
    """The XCom value a task of run ``dr`` pushed (deserialized), or None."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        stmt = XComModel.get_many(
            run_id=dr.run_id, dag_ids=dr.dag_id, task_ids=task_id, key=key, map_indexes=map_index
        )
        row = session.scalars(stmt).first()
        return None if row is None else XComModel.deserialize_value(row)


def run_task_again(
    dag: Any, run_id: str, task_id: str, monkeypatch: pytest.MonkeyPatch, map_index: int = -1
) -> str:
    """Run ``task_id`` of ``dag`` again inside its DAG run ``run_id`` (``airflow tasks
    test``, in this process): what a retry, or a person clearing the task, runs. Task
    state and XComs stay where the run keeps them; ``dag.test()`` with the same logical
    date would replace the run, and its task state with it. Returns the task instance's
    state."""
    from airflow.cli import cli_parser
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    monkeypatch.setenv("AIRFLOW_TEST_MODE", "True")  # the command sets it: undone after the test
    args = cli_parser.get_parser().parse_args(
        ["tasks", "test", dag.dag_id, task_id, run_id, "--map-index", str(map_index)]
    )
    args.func(args, dag=dag)
    with create_session() as session:
        ti = session.query(TaskInstance).filter_by(
            dag_id=dag.dag_id, run_id=run_id, task_id=task_id, map_index=map_index
        )
        return str(ti.one().state)


def task_states(dr: Any) -> dict[str, str]:
    return {
        ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]": str(ti.state)
        for ti in dr.get_task_instances()
    }


@dataclass(frozen=True)
class RecordedRun:
    """What one ``dag.test()`` against an emulator left: final states, the emulator's
    records and the console log."""

    state: str
    states: dict[str, str]
    run_id: str
    messages: list[Any]
    requests: list[Any]
    log: str

    def to(self, phone: str) -> list[dict[str, Any]]:
        """The payloads sent to ``phone``."""
        return [m.payload for m in self.messages if m.to == digits(phone)]

    def texts_to(self, phone: str) -> list[str]:
        """The text bodies sent to ``phone`` (all of them texts)."""
        return [payload["text"]["body"] for payload in self.to(phone)]


class FakeTI:
    """What operators and sensors use of ``context["ti"]`` outside a run: XCom pushes, recorded."""

    def __init__(self) -> None:
        self.xcoms: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcoms[key] = value


@cache
def meta_oracle(definition: str = "Message") -> Draft202012Validator:
    """A validator for one of Meta's message schemas (a missing file fails the test)."""
    document = json.loads(META_SCHEMAS.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(document)
    return Draft202012Validator({**document, "$ref": f"#/$defs/{definition}"})


class BlockingCallOnEventLoop(RuntimeError):
    """What Airflow 3.3.2+ raises as ``DeadlockImminentError`` (older SDKs just hang)."""


class FakeSupervisorComms:
    """Stands in for the triggerer's channel to its supervisor, as strict as Airflow's:
    a blocking ``send`` from the event-loop thread raises (the real one does whenever
    another trigger's ``asend`` is in flight). Such sends are recorded too: Airflow's
    ``mask_secret`` swallows the error."""

    def __init__(self) -> None:
        self.async_masks: list[Any] = []
        self.thread_masks: list[Any] = []  # blocking sends from a worker thread (allowed)
        self.loop_sends: list[Any] = []  # blocking sends from the event loop (the bug)

    def send(self, msg: Any) -> Any:
        import asyncio

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            self.thread_masks.append(getattr(msg, "value", msg))
            return None
        self.loop_sends.append(msg)
        raise BlockingCallOnEventLoop(msg)

    async def asend(self, msg: Any) -> Any:
        self.async_masks.append(getattr(msg, "value", msg))
        return None


def connections_to(port: int) -> int:
    """This process's open TCP connections to ``port`` (a loopback emulator's): what a
    client's pool keeps alive until it is closed."""
    import psutil

    return sum(
        1
        for c in psutil.Process().net_connections(kind="tcp")
        if c.raddr and c.raddr.port == port and c.status == psutil.CONN_ESTABLISHED
    )
