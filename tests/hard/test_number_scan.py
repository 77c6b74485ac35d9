"""Number scan: recipients' phone numbers appear masked, never in full, in what a run writes.

The DAG (``tests/dags/number_scan.py``) sends a text, a template, a bulk send with invalid
numbers among valid ones (it fails, naming them), a send the API refuses (the emulator's
error text repeats the number) with a task-level failure alert, and has a DAG-level
failure alert; both alerts hold a number that fails only at send time. Then the deadline
alert runs twice through Airflow's ``CallbackTrigger``, the way the triggerer runs it:
with valid numbers, and with one that fails the callback.

Everything written is captured: the process's stdout and stderr (``dag.test()`` prints
the task logs there, unmasked, tracebacks included), every stdlib log record with its
traceback, and the deadline callback's event payloads (the exception text Airflow
stores). No number used may appear in any of them: not as written, not as digits, not
spaced or dashed (``+44 7700 900123``, ``447700900123``, ``44-7700-900123``), not its
national part; the masked form (``+44••••••0123``) must appear where each is reported.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from airflow_provider_whatsapp.messages import mask_phone
from airflow_provider_whatsapp.testing import WhatsAppEmulator
from airflow_provider_whatsapp.version_compat import AIRFLOW_V_3_3_PLUS
from tests.dags import number_scan as ns
from tests.helpers import (
    FakeSupervisorComms,
    digits,
    number_leaks,
    set_connection,
    task_states,
)

try:
    from airflow.triggers.callback import CallbackTrigger
except ImportError:  # Airflow 3.1: the same trigger under its first name
    from airflow.triggers.deadline import (  # type: ignore[no-redef]
        DeadlineCallbackTrigger as CallbackTrigger,
    )


def leaks(text: str, numbers: Iterable[str]) -> list[str]:
    """Each number of ``numbers`` that ``text`` shows in full, in any form (see
    ``number_leaks``), in the order given."""
    found = number_leaks(text, numbers)
    return [number for number in numbers if number in found]


def where(text: str, number: str, width: int = 150) -> str:
    """The first place ``number`` (or its digits) shows in ``text``, for a failure message."""
    for needle in (number, digits(number), digits(number)[-7:]):
        i = text.find(needle)
        if i >= 0:
            return text[max(0, i - width) : i + len(needle) + width]
    return "(spaced or dashed)"


def test_the_scan_finds_numbers_in_every_form() -> None:
    """Guards the scan: each form a number could be written in is found; masks are not."""
    number = "+44 7700 900123"
    for text in (
        "to +44 7700 900123: ok",
        "to 447700900123",
        "Sent to 44-7700-900123",
        "(+44) 7700 900 123 failed",
        "national 07700 900123",
        "payload {'to': '447700900123'}",
        "x7700900123y",
    ):
        assert leaks(text, [number]) == [number], text
    for text in ("to +44••••••0123", "took 4477.00900123s", "44 7700 9001 24"):
        assert leaks(text, [number]) == [], text
    assert leaks("phone number +44 7700 9OO125 contains letters", [ns.BULK_LETTERS])


@dataclass(frozen=True)
class Scan:
    state: str
    states: dict[str, str]
    output: str
    records: list[str]
    payloads: list[list[Any]]
    messages: list[Any]


class RecordAll(logging.Handler):
    """Every stdlib log record, formatted with its arguments and traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def missed_context() -> dict[str, Any]:
    """What the scheduler adds as ``context`` when a deadline is missed (see
    ``tests/notifications/test_deadline.py``)."""
    queued = datetime.now(timezone.utc) - timedelta(seconds=30)
    return {
        "dag_run": {
            "dag_run_id": "manual__scan",
            "dag_id": "number_scan",
            "logical_date": None,
            "queued_at": queued.isoformat(),
            "start_date": queued.isoformat(),
            "end_date": None,
            "state": "running",
            "run_type": "manual",
            "conf": {},
        },
        "deadline": {"id": "0199", "deadline_time": queued + timedelta(seconds=10)},
    }


async def run_as_triggerer(callback: Any) -> list[Any]:
    stored = callback.serialize()
    trigger = CallbackTrigger(
        callback_path=stored["path"],
        callback_kwargs={**stored["kwargs"], "context": missed_context()},
    )
    return [event.payload async for event in trigger.run()]


_SCANS: dict[str, Scan] = {}


@pytest.fixture
def scan(
    airflow_db: Any, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Scan]:
    """One run of everything, shared by the tests below."""
    if "scan" not in _SCANS:
        from airflow.sdk.execution_time import task_runner

        template = {"name": ns.TEMPLATE, "components": [{"type": "BODY", "text": "Hello {{1}}"}]}
        records = RecordAll()
        root = logging.getLogger()
        ours = logging.getLogger("airflow_provider_whatsapp")
        with WhatsAppEmulator(rate_limit=None, templates=[template]) as emulator:
            open_to = [n for n in ns.VALID if n != ns.CLOSED]
            emulator.open_window(*map(digits, open_to))
            set_connection(monkeypatch, emulator.airflow_connection())
            level, root.level = root.level, logging.INFO
            our_level, ours.level = ours.level, logging.DEBUG
            root.addHandler(records)
            capfd.readouterr()
            try:
                dr = ns.dag.test()
                with monkeypatch.context() as mp:
                    mp.setattr(
                        task_runner, "SUPERVISOR_COMMS", FakeSupervisorComms(), raising=False
                    )
                    payloads = [
                        asyncio.run(run_as_triggerer(callback))
                        for callback in (ns.DEADLINE_CALLBACK, ns.DEADLINE_CALLBACK_BAD)
                    ]
            finally:
                root.removeHandler(records)
                root.level, ours.level = level, our_level
            out, err = capfd.readouterr()
            _SCANS["scan"] = Scan(
                state=str(dr.state),
                states=task_states(dr),
                output=out + err,
                records=records.lines,
                payloads=payloads,
                messages=list(emulator.messages),
            )
    yield _SCANS["scan"]


# -- the run did what the scan needs --------------------------------------------------------
@pytest.mark.dag
def test_every_path_ran(scan: Scan) -> None:
    assert scan.state == "failed"
    assert scan.states == {
        "send_text": "success",
        "send_template": "success",
        "bulk": "failed",
        "send_closed_window": "failed",
    }
    received = sorted(m.to for m in scan.messages)
    sent = [ns.TEXT_TO, ns.TEMPLATE_TO, *ns.BULK_OK, ns.TASK_ALERT[0], ns.DAG_ALERT[0]]
    assert received == sorted(map(digits, [*sent, *ns.DEADLINE, *ns.DEADLINE]))
    states = [[str(getattr(p["state"], "value", p["state"])) for p in run] for run in scan.payloads]
    assert states == [["running", "success"], ["running", "failed"]]


# -- nothing in full ----------------------------------------------------------------------------
NUMBERS = [*ns.VALID, *ns.INVALID]
#: Airflow's ``CallbackTrigger`` logs a failed callback's kwargs ("...; kwargs: {'to':
#: [...]}", and on 3.1 "...deadline callback: ...; kwargs: {'to': [...], 'context': ...}"):
#: the numbers the DAG author wrote in the DAG file, which Airflow also stores as they are.
#: That part of its line is Airflow's, not the provider's: the one thing taken out before
#: the scan (the rest of the line, the provider's exception text, is scanned).
AIRFLOWS_KWARGS = "kwargs: {'to': " + repr([*ns.DEADLINE, ns.DEADLINE_BAD])


def provider_text(text: str) -> str:
    return text.replace(AIRFLOWS_KWARGS, "kwargs: {'to': [...]")


@pytest.mark.dag
def test_no_number_in_the_console_output(scan: Scan) -> None:
    """``dag.test()`` prints every task's log and each failure's traceback, unmasked."""
    out = scan.output
    # The capture saw the run (not an earlier test's stream): each report is there, masked.
    assert f"Sent text message to {mask_phone(ns.TEXT_TO)}" in out
    assert f"Sent template message to {mask_phone(ns.TEMPLATE_TO)}" in out
    assert "Failed to run task callback" in out
    for line in (
        f"WhatsApp notification sent to {mask_phone(ns.TASK_ALERT[0])}",
        f"WhatsApp notification sent to {mask_phone(ns.DAG_ALERT[0])}",
        f"WhatsApp notification sent to {mask_phone(ns.DEADLINE[0])}",
        f"recipient 2 of 2 ({mask_phone(ns.TASK_ALERT[1])}): has no such country code",
        f"recipient 2 of 2 ({mask_phone(ns.DAG_ALERT[1])}): is too short for country +44",
        f"phone number {mask_phone(ns.BULK_LETTERS)} contains letters",
        f"phone number {mask_phone(ns.BULK_TOO_SHORT)} is too short for country +44",
        f"phone number {mask_phone(ns.BULK_NO_COUNTRY)} has no such country code",
        f"the customer ({mask_phone(digits(ns.CLOSED))}) last replied",  # the API's text
    ):
        assert line in out, line
    text = provider_text(out)
    found = leaks(text, NUMBERS)
    assert not found, [where(text, n) for n in found]


@pytest.mark.dag
def test_no_number_in_log_records(scan: Scan) -> None:
    """Every stdlib record with its traceback (the provider's task log lines go through
    Airflow's structlog to the console; what reaches stdlib logging is scanned here)."""
    assert any("[DAG TEST] starting task_id=bulk" in line for line in scan.records)
    failed = [line for line in scan.records if AIRFLOWS_KWARGS in line]
    if AIRFLOW_V_3_3_PLUS:  # earlier triggers log a failed callback without its kwargs
        assert len(failed) == 1
        assert "An error occurred during execution of the callable" in failed[0]
        assert f"recipient 3 of 3 ({mask_phone(ns.DEADLINE_BAD)}): has no such" in failed[0]
    text = provider_text("\n".join(scan.records))
    found = leaks(text, NUMBERS)
    assert not found, [where(text, n) for n in found]


@pytest.mark.dag
def test_no_number_in_the_deadline_callbacks_exception_text(scan: Scan) -> None:
    """What Airflow stores of a failed deadline callback: the exception and its traceback."""
    body = str(scan.payloads[1][-1]["body"])
    assert "InvalidRecipientError" in body
    assert f"recipient 3 of 3 ({mask_phone(ns.DEADLINE_BAD)}): has no such country code" in body
    text = body + str(scan.payloads[0])
    found = leaks(text, NUMBERS)
    assert not found, [where(text, n) for n in found]
