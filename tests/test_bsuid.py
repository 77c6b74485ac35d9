"""Recipients without a phone number: business-scoped user ids (BSUIDs, WhatsApp 2026).

A user who hides their number behind a username is addressed by a BSUID
(``US.13491208655302741918``; a parent one ``US.ENT.506847293015824``), sent in the
request's ``recipient`` field instead of ``to``; the answer carries ``contacts[].user_id``
instead of ``wa_id``; one-tap, zero-tap and copy-code authentication templates cannot go to
one (Graph error 131062). Every place that takes a recipient takes a BSUID: the send
operators, the notifier's ``to``, bulk lists and files, the delivery record. Through the
emulator, which reads BSUIDs its own way.
"""

from __future__ import annotations

import csv
import json
import signal
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_whatsapp.bulk.recipients import iter_recipients
from airflow_provider_whatsapp.bulk.record import DeliveryRecord
from airflow_provider_whatsapp.client.errors import RecipientError
from airflow_provider_whatsapp.messages import TextMessage, parse_message
from airflow_provider_whatsapp.messages.phone import (
    BusinessScopedUserIdError,
    mask_phone,
    mask_phone_in,
    normalize_recipient,
)
from airflow_provider_whatsapp.notifications.whatsapp import (
    InvalidRecipientError,
    WhatsAppNotifier,
)
from airflow_provider_whatsapp.operators.messages import (
    WhatsAppSendMessageOperator,
    WhatsAppSendTemplateOperator,
    WhatsAppSendTextOperator,
)
from airflow_provider_whatsapp.testing import WhatsAppEmulator
from airflow_provider_whatsapp.version_compat import AirflowFailException
from tests.helpers import TO, run_task_again, xcom_of

pytestmark = pytest.mark.emu(connection={"rate_limit": 0, "max_retries": 0})

BSUID = "US.13491208655302741918"
PARENT = "US.ENT.506847293015824"
OTHER = "BR.8812Ab30Xk"
MASKED = "US.••••••••••••••••1918"
AUTH = [
    {
        "type": "BODY",
        "text": "*{{1}}* is your verification code.",
        "add_security_recommendation": True,
    },
    {"type": "FOOTER", "text": "This code expires in 5 minutes."},
    {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE", "text": "Copy"}]},
]
CODE = [
    {"type": "body", "parameters": [{"type": "text", "text": "123456"}]},
    {
        "type": "button",
        "sub_type": "url",
        "index": 0,
        "parameters": [{"type": "text", "text": "123456"}],
    },
]


def message_posts(emu: WhatsAppEmulator) -> list[Any]:
    return [r for r in emu.requests if r.method == "POST" and r.path.endswith("/messages")]


# -- one message ---------------------------------------------------------------------------
@pytest.mark.parametrize("user", [BSUID, PARENT, OTHER])
def test_text_to_a_bsuid_is_sent_as_recipient_and_answered_with_user_id(
    emu: WhatsAppEmulator, user: str
) -> None:
    emu.open_window(user)
    result = WhatsAppSendTextOperator(task_id="t", to=user, text="Your order shipped").execute({})
    [post] = message_posts(emu)
    assert "to" not in post.json
    assert post.json == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "recipient": user,
        "type": "text",
        "text": {"body": "Your order shipped", "preview_url": False},
    }
    [sent] = emu.sent_to(user)
    assert sent.user_id == user
    assert result == {
        "to": user,
        "wa_id": None,
        "user_id": user,
        "message_id": sent.message_id,
        "message_status": "accepted",
    }


def test_to_wins_over_recipient_in_a_message_dict(emu: WhatsAppEmulator) -> None:
    """As in the API: a dict with both goes to the number (the BSUID is checked, then
    left out); with ``recipient`` alone it goes to the BSUID."""
    emu.open_window(TO, BSUID)
    body = {"messaging_product": "whatsapp", "type": "text", "text": {"body": "Hi"}}
    both = WhatsAppSendMessageOperator(
        task_id="both", message={**body, "to": "+1 650 555 1234", "recipient": BSUID}
    ).execute({})
    alone = WhatsAppSendMessageOperator(
        task_id="alone", message={**body, "recipient": BSUID}
    ).execute({})
    first, second = message_posts(emu)
    assert first.json["to"] == TO and "recipient" not in first.json
    assert second.json["recipient"] == BSUID and "to" not in second.json
    assert both["wa_id"] == TO and "user_id" not in both
    assert alone["user_id"] == BSUID
    with pytest.raises(ValueError, match="recipient must be a business-scoped user id"):
        parse_message({**body, "recipient": TO})


@pytest.mark.parametrize(
    ("value", "shown", "problem"),
    [
        ("us.13491208655302741918", "us.••••••••••••••••1918", "country code in upper case"),
        ("US.1349-1208-6553", "US.••••••••6553", "contains '-'"),
        ("US.ent.506847293015824", "US.ent.•••••••••••5824", "parent mark in upper case"),
        ("US.", "US.", "has no id"),
        ("US." + "7" * 129, "US." + "•" * 32 + "…7777", "an id of 129 characters, more than 128"),
    ],
)
def test_a_bad_bsuid_is_refused_before_any_request_naming_it_masked(
    emu: WhatsAppEmulator, value: str, shown: str, problem: str
) -> None:
    with pytest.raises(BusinessScopedUserIdError) as caught:
        normalize_recipient(value)
    assert caught.value.shown == shown and problem in caught.value.problem
    with pytest.raises(ValueError) as model_error:  # the models' error: field and text
        TextMessage.create(value, "Hi")
    error = str(model_error.value)
    assert f"to\n  Value error, business-scoped user id {shown} " in error and problem in error
    assert value not in error or value == "US."
    with pytest.raises(AirflowFailException, match=f"business-scoped user id {shown} "):
        WhatsAppSendTextOperator(task_id="t", to=value, text="Hi").execute({})
    assert emu.requests == []


# -- authentication templates ----------------------------------------------------------------
def test_an_authentication_template_to_a_bsuid_is_refused_locally(emu: WhatsAppEmulator) -> None:
    emu.add_template("login_code", category="AUTHENTICATION", components=AUTH)
    op = WhatsAppSendTemplateOperator(
        task_id="t", to=BSUID, template_name="login_code", components=CODE
    )
    with pytest.raises(AirflowFailException) as caught:
        op.execute({})
    assert str(caught.value) == (
        "template 'login_code' (en_US) is an AUTHENTICATION template with a COPY_CODE "
        f"button: WhatsApp sends it only to a phone number, and {MASKED} is a "
        "business-scoped user id (error 131062): send it to the user's phone number, or "
        "send another template to this user"
    )
    assert message_posts(emu) == []
    # The same code to a phone number goes.
    WhatsAppSendTemplateOperator(
        task_id="t", to=TO, template_name="login_code", components=CODE
    ).execute({})
    assert len(emu.sent_to(TO)) == 1


def test_the_emulator_answers_131062_when_the_local_check_is_skipped(
    emu: WhatsAppEmulator,
) -> None:
    emu.add_template("login_code", category="AUTHENTICATION", components=AUTH)
    op = WhatsAppSendTemplateOperator(
        task_id="t",
        to=BSUID,
        template_name="login_code",
        components=CODE,
        validate_template=False,
    )
    with pytest.raises(AirflowFailException) as caught:  # not retried: it cannot pass
        op.execute({})
    error = caught.value.__cause__
    assert isinstance(error, RecipientError)
    assert error.code == 131062 and error.retryable is False
    assert "phone number" in str(error.hint)
    assert BSUID not in str(error) and MASKED in str(error)  # the echo is masked
    assert [p.json["recipient"] for p in message_posts(emu)] == [BSUID]
    assert emu.messages == []


def test_a_utility_template_goes_to_a_bsuid(emu: WhatsAppEmulator) -> None:
    emu.add_template("notice")
    WhatsAppSendTemplateOperator(
        task_id="t", to=PARENT, template_name="notice", parameters=["Ann"]
    ).execute({})
    [sent] = emu.sent_to(PARENT)
    assert sent.payload["recipient"] == PARENT and sent.payload["template"]["name"] == "notice"


# -- the notifier ----------------------------------------------------------------------------
def test_the_notifier_sends_to_numbers_and_bsuids_in_to(
    emu: WhatsAppEmulator, capfd: pytest.CaptureFixture[str]
) -> None:
    emu.open_window(TO, BSUID)
    notifier = WhatsAppNotifier(to=f"+1 650 555 1234, {BSUID}", text="Pipeline done")
    notifier.notify({})
    assert [m.to for m in emu.messages] == [TO, BSUID]
    assert [p.json.get("recipient") for p in message_posts(emu)] == [None, BSUID]
    log = capfd.readouterr().out
    assert BSUID not in log and f"WhatsApp notification sent to {MASKED}: wamid." in log


def test_the_notifier_refuses_a_bad_bsuid_at_parse_time_and_reaches_the_others(
    emu: WhatsAppEmulator,
) -> None:
    with pytest.raises(InvalidRecipientError, match=r"us\.••••••••••••••••1918, must start"):
        WhatsAppNotifier(to=[BSUID, "us.13491208655302741918"], text="x")
    emu.open_window(BSUID)
    rendered = WhatsAppNotifier(to="{{ params.team }}", text="x")
    rendered.to = [BSUID, "US.1349-1208"]  # as Jinja would have rendered it
    with pytest.raises(
        InvalidRecipientError, match=r"recipient 2 of 2 \(US\.••••1208\): contains '-'"
    ):
        rendered.notify({})
    assert [m.to for m in emu.messages] == [BSUID]


# -- bulk ------------------------------------------------------------------------------------
def test_recipient_files_take_bsuids_in_to_or_recipient_columns(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["to", "recipient", "1"])
        writer.writerows([["", BSUID, "Ann"], [TO, PARENT, "Bo"], [OTHER, "", "Cy"]])
    assert [(r.to, r.parameters) for r in iter_recipients(path)] == [
        (BSUID, ["Ann"]),
        (TO, ["Bo"]),  # to wins, as in the API
        (OTHER, ["Cy"]),
    ]
    jsonl = tmp_path / "r.jsonl"
    jsonl.write_text(f'{{"user_id": "{BSUID}"}}\n"{PARENT}"\n')
    assert [r.to for r in iter_recipients(jsonl)] == [BSUID, PARENT]


def test_a_bsuid_and_a_number_have_their_own_digests() -> None:
    record = DeliveryRecord(secret=b"key")
    digits_only = "13491208655302741918"
    assert len({record.digest(BSUID), record.digest(digits_only), record.digest(PARENT)}) == 3


def test_masking_covers_bsuids() -> None:
    assert mask_phone(BSUID) == MASKED
    assert mask_phone(PARENT) == "US.ENT.•••••••••••5824"
    echoed = f"Recipient {BSUID} (id 13491208655302741918) cannot receive this"
    assert mask_phone_in(echoed, BSUID) == f"Recipient {MASKED} (id {MASKED}) cannot receive this"


def users(n: int, country: str = "US") -> list[str]:
    """``n`` business-scoped user ids of ``country``."""
    return [f"{country}.{7_000_000_000_000 + i:020d}" for i in range(n)]


@pytest.mark.dag
def test_a_bulk_send_to_numbers_and_bsuids_delivers_each_once(
    airflow_db: Any,
    whatsapp_emulator_connection: WhatsAppEmulator,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """A file with numbers in ``to`` and BSUIDs in ``recipient`` (one BSUID twice, one
    malformed): each valid one gets one message, the right field carries it, the rows
    and the log show BSUIDs masked; run again, nobody is sent twice."""
    from tests.operators.test_bulk import NOTICE, bulk_dag, emu_dag_test, unthrottled

    emu = whatsapp_emulator_connection
    emu.rate_limit = None
    unthrottled(emu, monkeypatch)
    emu.add_template("notice", components=NOTICE)
    numbers = [f"1650558{n:04d}" for n in range(3)]
    ids = [*users(2), "GB.ENT.99112233445566"]
    source = tmp_path / "r.csv"
    with source.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["to", "recipient"])
        writer.writerows([[numbers[0], ""], ["", ids[0]], [numbers[1], ""], ["", ids[1]]])
        writer.writerows([[ids[2], ""], [numbers[2], ""], ["", ids[0]], ["", "us.123456789"]])

    dr = emu_dag_test({"recipients": str(source), "parameters": ["Ann", "R1"]})
    assert dr.state == "success"
    result = xcom_of(dr, "bulk")
    summary = result["summary"]
    assert (summary["accepted"], summary["duplicate"], summary["invalid"]) == (6, 1, 1)
    assert sorted(m.to for m in emu.messages) == sorted(numbers + ids), "each one once"
    for message in emu.messages:
        field = "recipient" if message.to in ids else "to"
        assert message.payload[field] == message.to
        assert ({"to", "recipient"} - {field}).isdisjoint(message.payload)
    rows = {row["index"]: row for row in result["results"]}
    assert rows[1]["to_masked"] == mask_phone(ids[0]) == "US.••••••••••••••••0000"
    assert rows[7]["status"] == "invalid" and "upper case" in rows[7]["reason"]
    shown = json.dumps(result, ensure_ascii=False)
    assert [user for user in ids if user in shown] == [], shown

    # Cleared and run again: nobody is messaged twice.
    assert run_task_again(bulk_dag(), dr.run_id, "bulk", monkeypatch) == "success"
    assert len(emu.messages) == 6


@pytest.mark.dag
def test_a_bulk_authentication_template_skips_bsuids_and_reaches_the_numbers(
    airflow_db: Any,
    whatsapp_emulator_connection: WhatsAppEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One recipient that cannot get the template never stops the others: the BSUID is
    ``invalid`` with the reason, before any request; the numbers get their code."""
    from tests.dags.bulk_send_auth_code import dag
    from tests.operators.test_bulk import unthrottled

    emu = whatsapp_emulator_connection
    unthrottled(emu, monkeypatch)
    emu.add_template("login_code", category="AUTHENTICATION", components=AUTH)
    recipients = ["16505580101", BSUID, "16505580102"]
    when = datetime.now(timezone.utc)
    dr = dag.test(logical_date=when, run_after=when, run_conf={"recipients": recipients})
    assert dr.state == "success"
    assert sorted(m.to for m in emu.messages) == ["16505580101", "16505580102"]
    assert not any(p.json.get("recipient") for p in message_posts(emu)), "no request to it"
    rows = xcom_of(dr, "bulk")["results"]
    [refused] = [row for row in rows if row["status"] == "invalid"]
    assert refused["to_masked"] == MASKED
    assert "is an AUTHENTICATION template with a COPY_CODE button" in refused["reason"]
    assert f"and {MASKED} is a business-scoped user id (error 131062)" in refused["reason"]


def test_a_killed_bulk_send_to_numbers_and_bsuids_resumes_exactly_once(tmp_path: Path) -> None:
    """The exactly-once test of ``tests/bulk/test_exactly_once.py`` with half the
    recipients BSUIDs: SIGKILLed mid-send, the retry with the same record sends nobody
    twice and everybody never sent; the record holds no BSUID in clear."""
    from tests.bulk.child import FileStore, open_record, send, spawn, spec_for
    from tests.bulk.test_exactly_once import judge

    recipients = [r for pair in zip(phones(120), users(120, "BR")) for r in pair]
    with WhatsAppEmulator(rate_limit=None, latency=0.01, enforce_window=False) as emu:
        spec = spec_for(emu, recipients, tmp_path / "record")
        child = spawn(spec)
        deadline = time.monotonic() + 60
        while len(emu.messages) < 60 and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        child.send_signal(signal.SIGKILL)
        _, err = child.communicate()
        assert child.returncode == -signal.SIGKILL, f"ended before the kill: {err[-2000:]!r}"
        assert 60 <= len(emu.messages) < len(recipients), "the kill must land mid-send"
        stored = "".join(
            v for k in FileStore(spec["store"]).folder.iterdir() for v in k.read_text()
        )
        assert not any(r in stored or r[3:] in stored for r in recipients[1::2])
        retry = send(spec, open_record(spec))
        judge(emu, recipients, retry)
        assert {m.to for m in emu.messages if m.user_id} <= set(recipients[1::2])


def phones(n: int) -> list[str]:
    return [f"1650559{i:04d}" for i in range(n)]
