"""One bad recipient never silences an alert.

A literal number that can never be valid fails when the DAG file is parsed (an import
error naming ``to`` and the value); one known only at send time (Jinja, a Variable) is
named in the log and fails the callback, after every valid recipient was sent to. Each
place the notifier runs is checked: task and DAG callbacks under ``dag.test()``, called
directly (sync and async). Deadline alerts: ``test_deadline.py``.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_whatsapp.notifications.whatsapp import (
    InvalidRecipientError,
    WhatsAppNotifier,
    send_whatsapp_notification,
)
from airflow_provider_whatsapp.testing import WhatsAppEmulator
from airflow_provider_whatsapp.version_compat import AIRFLOW_V_3_2_PLUS
from tests.dags import notify_bad_recipient as nb
from tests.helpers import digits, set_connection, task_states

BROKEN_DAGS = Path(__file__).resolve().parents[1] / "dags_with_errors"
GOOD_1, GOOD_2 = "+1 555 090 0001", "15550900002"
LETTERS = "12ab34cd56ef"
direct = pytest.mark.whatsapp_emulator(rate_limit=None)


# -- at parse time ------------------------------------------------------------------------
def test_a_literal_typo_is_a_dag_import_error_naming_to_and_the_value() -> None:
    if AIRFLOW_V_3_2_PLUS:
        from airflow.dag_processing.dagbag import DagBag
    else:  # 3.1: where it lived before 3.2 moved it
        from airflow.models.dagbag import DagBag  # type: ignore[no-redef]

    bag = DagBag(dag_folder=str(BROKEN_DAGS))
    assert bag.dag_ids == []
    ((path, error),) = bag.import_errors.items()
    assert path.endswith("notify_recipient_typo.py")
    assert (
        "InvalidRecipientError: WhatsAppNotifier argument 'to' holds a number no message can "
        "reach: recipient 1 of 3, ••••••••56ef, contains letters" in error
    ), error


@pytest.mark.parametrize(
    ("to", "named"),
    [
        ([LETTERS, GOOD_1, GOOD_2], "recipient 1 of 3, ••••••••56ef, contains letters"),
        (f"{GOOD_1}, +44 20 79", "recipient 2 of 2, +44••••, has 6 digits"),
        ([GOOD_1, "0044 20 7946 0958"], "0044••••••0958, starts with the international"),
        (["{{ params.team }}", "155501"], "recipient 2 of 2, +1••••1, has 6 digits"),
        ("", "has no recipient: ''"),
        ([], "has no recipient: []"),
    ],
)
def test_the_constructor_refuses_what_can_never_be_a_number(to: Any, named: str) -> None:
    with pytest.raises(InvalidRecipientError, match="WhatsAppNotifier argument 'to'") as caught:
        send_whatsapp_notification(to=to)
    assert named in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_jinja_and_numbers_that_need_country_data_wait_for_the_send() -> None:
    """What the cheap check cannot judge is left to send time: Jinja, and numbers whose
    fault is their country code or their length in that country."""
    for to in (
        "{{ var.value.oncall }}",
        ["{{ params.a }}", GOOD_1],
        "999999999999",  # no such country code
        [GOOD_1, "+44 20 7946"],  # too short for +44
        15550900003,
    ):
        WhatsAppNotifier(to=to)


def test_building_notifiers_in_a_dag_file_stays_cheap() -> None:
    """The parse-time check imports neither ``phonenumbers`` nor the pydantic models,
    the hook or the client (a DAG file pays for what its notifiers' constructors load)."""
    code = (
        "import sys, airflow.sdk\n"
        "before = set(sys.modules)\n"
        "from airflow_provider_whatsapp.notifications.whatsapp import WhatsAppNotifier\n"
        f"WhatsAppNotifier(to=[{GOOD_1!r}, {GOOD_2!r}, '{{{{ var.value.x }}}}'])\n"
        f"WhatsAppNotifier(to='{GOOD_1}, {GOOD_2}')\n"
        "try:\n"
        f"    WhatsAppNotifier(to=[{LETTERS!r}])\n"
        "except ValueError:\n"
        "    pass\n"
        "heavy = ['phonenumbers', 'airflow_provider_whatsapp.messages.base',"
        " 'airflow_provider_whatsapp.hooks.whatsapp', 'airflow_provider_whatsapp.client']\n"
        "print(sorted(m for m in heavy if m in sys.modules and m not in before))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=os.environ
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


# -- at send time, called directly --------------------------------------------------------
async def awaited(notifier: WhatsAppNotifier) -> None:
    await notifier


TEAM = [LETTERS, GOOD_1, "999999999999", GOOD_2, "+44 20 7946"]
NAMED = [
    "recipient 1 of 5 (••••••••56ef): contains letters",
    "recipient 3 of 5 (+••••••••9999): has no such country code",
    "recipient 5 of 5 (+44••••46): is too short for country +44 (GB)",
]


def check_the_valid_got_it_then_it_raised(
    emulator: WhatsAppEmulator, caught: pytest.ExceptionInfo[InvalidRecipientError], out: str
) -> None:
    assert sorted((m.to, m.payload["text"]["body"]) for m in emulator.messages) == [
        (digits(GOOD_1), "etl failed"),
        (GOOD_2, "etl failed"),
    ]
    error = str(caught.value)
    assert error.startswith(
        "WhatsApp notification not sent to 3 of 5 recipient(s) in 'to', fix them "
        "(sent to 2 of the 2 others): "
    ), error
    for line in NAMED:
        assert line in error
        assert f"WhatsApp notification not sent to {line}" in out
    assert "9999999" not in out + error and "2079" not in out + error  # masked
    assert all(n not in out + error for n in (LETTERS, digits(GOOD_1), GOOD_2))
    assert out.count("WhatsApp notification sent to") == 2


@direct
def test_a_call_sends_to_every_valid_recipient_then_raises_naming_the_others(
    whatsapp_emulator_connection: WhatsAppEmulator, capfd: pytest.CaptureFixture[str]
) -> None:
    emulator = whatsapp_emulator_connection
    emulator.open_window(digits(GOOD_1), GOOD_2)
    notifier = WhatsAppNotifier(to="{{ params.team }}", text="{{ params.job }} failed")
    with pytest.raises(InvalidRecipientError) as caught:
        notifier({"params": {"team": TEAM, "job": "etl"}})
    # Raised after the sends: the two valid ones were received, nothing else was asked.
    assert len(emulator.requests) == 2
    check_the_valid_got_it_then_it_raised(emulator, caught, capfd.readouterr().out)


@direct
def test_async_notify_sends_to_every_valid_recipient_then_raises(
    whatsapp_emulator_connection: WhatsAppEmulator, capfd: pytest.CaptureFixture[str]
) -> None:
    emulator = whatsapp_emulator_connection
    emulator.open_window(digits(GOOD_1), GOOD_2)
    context = {"params": {"team": ", ".join(TEAM)}}
    notifier = WhatsAppNotifier(to=["{{ params.team }}"], text="etl failed", context=context)
    with pytest.raises(InvalidRecipientError) as caught:
        asyncio.run(awaited(notifier))  # as Airflow runs it (deadline alerts)
    assert len(emulator.requests) == 2
    check_the_valid_got_it_then_it_raised(emulator, caught, capfd.readouterr().out)


@direct
def test_templates_too_and_a_list_of_only_bad_numbers(
    whatsapp_emulator_connection: WhatsAppEmulator,
) -> None:
    emulator = whatsapp_emulator_connection
    emulator.add_template("etl_alert", components=[{"type": "BODY", "text": "{{1}} failed"}])
    notifier = WhatsAppNotifier(
        to="{{ params.team }}", template_name="etl_alert", parameters=["{{ params.job }}"]
    )
    with pytest.raises(InvalidRecipientError, match="3 of 5 recipient"):
        notifier({"params": {"team": TEAM, "job": "etl"}})
    assert sorted(m.to for m in emulator.messages) == sorted([digits(GOOD_1), GOOD_2])
    assert {m.type for m in emulator.messages} == {"template"}

    nobody = WhatsAppNotifier(to="{{ params.team }}", text="x")
    with pytest.raises(InvalidRecipientError, match=r"2 of 2 recipient\(s\) in 'to', fix them"):
        nobody({"params": {"team": [LETTERS, "999999999999"]}})
    assert len(emulator.requests) == 2  # nothing more was sent


@direct
def test_to_that_renders_to_nothing_or_fails_to_render_raises(
    whatsapp_emulator_connection: WhatsAppEmulator,
) -> None:
    with pytest.raises(InvalidRecipientError, match="no recipient: 'to' is empty"):
        WhatsAppNotifier(to="{{ params.team }}")({"params": {"team": []}})
    with pytest.raises(InvalidRecipientError, match="'to' could not be rendered"):
        WhatsAppNotifier(to="{{ no_such.team }}")({"params": {}})
    assert whatsapp_emulator_connection.requests == []


# -- at send time, in a DAG run -----------------------------------------------------------
@pytest.mark.dag
def test_task_and_dag_callbacks_send_to_the_valid_and_fail_naming_the_bad(
    airflow_db: Any, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Variable with a typo (on_failure_callback), params (on_success_callback, the
    DAG's on_failure_callback): every valid number gets its alert, the run's states are
    the tasks' own, and each callback fails, as Airflow logs, naming the bad recipient."""
    monkeypatch.setenv("AIRFLOW_VAR_WHATSAPP_ONCALL", nb.ONCALL_VARIABLE)
    with WhatsAppEmulator(rate_limit=None) as emulator:
        emulator.open_window(*map(digits, (nb.ONCALL_1, nb.ONCALL_2, nb.SUCCESS, nb.DAG_PHONE)))
        set_connection(monkeypatch, emulator.airflow_connection())
        capfd.readouterr()
        dr = nb.dag.test()
        received = sorted((m.to, m.payload["text"]["body"]) for m in emulator.messages)
        log = capfd.readouterr().out
    assert str(dr.state) == "failed"
    assert task_states(dr) == {"boom": "failed", "fine": "success"}
    assert received == sorted(
        [
            (digits(nb.ONCALL_1), "boom failed"),
            (nb.ONCALL_2, "boom failed"),
            (nb.SUCCESS, "fine done"),
            (nb.DAG_PHONE, "DAG notify_bad_recipient failed"),
        ]
    )
    assert (
        "WhatsApp notification not sent to 1 of 3 recipient(s) in 'to', fix them (sent to 2 "
        "of the 2 others): recipient 1 of 3 (••••••••56ef): contains letters" in log
    )
    bad_country = "recipient 1 of 2 (+••••••••9999): has no such country code"
    assert log.count(f"WhatsApp notification not sent to {bad_country}") == 2  # fine's, the DAG's
    assert f"(sent to 1 of the 1 others): {bad_country}" in log
    # Airflow recorded each failed callback: two task callbacks, one DAG callback.
    assert log.count("Failed to run task callback") == 2
    assert "Callback failed for notify_bad_recipient" in log
