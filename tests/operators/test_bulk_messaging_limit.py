"""The messaging limit pre-flight of WhatsAppBulkSendOperator: before its first message a
bulk send reads the sending number's messaging limit, quality rating and throughput; a
template send of more recipients than the limit stops with 0 messages (or, with
``over_messaging_limit="send_up_to_limit"``, sends up to it and reports the rest); a
retry counts only those not yet accepted; a YELLOW or RED number is a warning; limits
that cannot be read are logged and not checked.

Through the emulator (which serves those fields and enforces the limit on its own) and
``dag.test()`` (tests/dags/bulk_send_limits.py).
"""

from __future__ import annotations

import collections
from datetime import datetime, timezone
from typing import Any

import pytest

from airflow_provider_whatsapp.client.errors import WhatsAppValidationError
from airflow_provider_whatsapp.operators.bulk import WhatsAppBulkSendOperator
from tests.helpers import run_task_again, xcom_of
from tests.operators.test_bulk import NOTICE, unthrottled

DAY = 24 * 3600
FIELDS = "whatsapp_business_manager_messaging_limit,quality_rating,throughput"


def limits_dag() -> Any:
    from tests.dags.bulk_send_limits import dag

    return dag


def numbers(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i:04d}" for i in range(n)]


def setup(emu: Any, monkeypatch: pytest.MonkeyPatch, **settings: Any) -> None:
    """Unthrottled emulator with the "notice" template and these settings."""
    emu.configure(rate_limit=None, **settings)
    unthrottled(emu, monkeypatch)
    emu.add_template("notice", components=NOTICE)


def run(recipients: list[str], when: datetime | None = None) -> Any:
    when = when or datetime.now(timezone.utc)
    return limits_dag().test(logical_date=when, run_after=when, run_conf={"recipients": recipients})


def posts(emu: Any) -> list[Any]:
    return [r for r in emu.requests if r.method == "POST"]


def limit_reads(emu: Any) -> list[Any]:
    return [
        r for r in emu.requests if r.method == "GET" and r.path.endswith(f"/{emu.phone_number_id}")
    ]


def by_status(result: dict[str, Any], phones: list[str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = collections.defaultdict(set)
    for row in result["results"]:
        out[row["status"]].add(phones[row["index"]])
    return out


def bulk_try(dr: Any) -> int:
    [ti] = dr.get_task_instances()
    return int(ti.try_number)


@pytest.mark.dag
def test_250_tier_with_300_recipients_fails_before_any_message(
    airflow_db, whatsapp_emulator_connection, monkeypatch, capfd: pytest.CaptureFixture[str]
) -> None:
    emu = whatsapp_emulator_connection
    setup(emu, monkeypatch, messaging_limit="TIER_250")
    unique = numbers("1650570", 300)
    # 300 unique recipients, written 321 times: duplicates and a bad entry are not counted
    recipients = unique + unique[:20] + ["12"]

    dr = run(recipients)

    assert dr.state == "failed"
    assert bulk_try(dr) == 1, "a send over the messaging limit is not retried"
    assert posts(emu) == [] and emu.messages == [], "no message may leave"
    [read] = limit_reads(emu)
    assert read.query == {"fields": FIELDS}
    log = capfd.readouterr().out
    assert (
        "Bulk send refused before any message: 300 recipients to message, more than the "
        "messaging limit of phone number 100000000000001 (TIER_250: 250 unique users per "
        "rolling 24 h, shared by the business portfolio's numbers); 0 messages sent. "
        "Split the recipients across days (the limit counts unique users per rolling 24 h), "
        "or raise the tier in WhatsApp Manager"
    ) in log
    assert "AirflowFailException" in log


@pytest.mark.dag
def test_send_up_to_limit_sends_250_reports_50_and_a_retry_counts_only_the_unsent(
    airflow_db, whatsapp_emulator_connection, monkeypatch, capfd: pytest.CaptureFixture[str]
) -> None:
    emu = whatsapp_emulator_connection
    setup(emu, monkeypatch, messaging_limit="TIER_250")
    phones = numbers("1650571", 300)
    monkeypatch.setenv("AIRFLOW_VAR_WHATSAPP_OVER_MESSAGING_LIMIT", "send_up_to_limit")

    dr = run(phones)

    assert dr.state == "failed"
    assert bulk_try(dr) == 1, "a retry within 24 h meets the same limit: not retried"
    result = xcom_of(dr, "bulk")  # pushed before the failure
    statuses = by_status(result, phones)
    assert len(statuses["accepted"]) == len(emu.messages) == 250
    assert len(statuses["not_sent"]) == 50
    assert statuses["accepted"] | statuses["not_sent"] == set(phones)
    held = [r for r in result["results"] if r["status"] == "not_sent"]
    assert {r["reason"] for r in held} == {
        "held back: over the messaging limit (TIER_250: 250 unique users per rolling 24 h); "
        "clear the task once 24 h have passed or the tier is raised: it sends only those "
        "not accepted"
    }
    assert result["summary"]["held_back"] == 50
    assert result["summary"]["messaging_limit"] == {
        "tier": "TIER_250",
        "limit": 250,
        "quality_rating": "GREEN",
        "throughput": "STANDARD",
    }
    log = capfd.readouterr().out
    assert "Bulk send reached the messaging limit (TIER_250: 250 unique users per rolling " in log
    assert "250 accepted, 50 of 300 recipients held back and not sent" in log

    # A day later, on a number whose limit is now 50, with over_messaging_limit "fail":
    # the retry counts the 50 not yet accepted (not the 300), so it fits and sends them.
    monkeypatch.delenv("AIRFLOW_VAR_WHATSAPP_OVER_MESSAGING_LIMIT")
    emu.messaging_limit = "TIER_50"
    emu.advance_clock(DAY)
    assert run_task_again(limits_dag(), dr.run_id, "bulk", monkeypatch) == "success"
    again = xcom_of(dr, "bulk")
    statuses_again = by_status(again, phones)
    assert statuses_again["skipped"] == statuses["accepted"]
    assert statuses_again["accepted"] == statuses["not_sent"]
    counts = collections.Counter(m.to for m in emu.messages)
    assert set(counts) == set(phones) and set(counts.values()) == {1}, "a duplicate"
    assert (
        "Messaging limit pre-flight: 50 recipient(s) to message, within TIER_50 (50)"
        in capfd.readouterr().out
    )


@pytest.mark.dag
def test_send_all_leaves_the_limit_to_whatsapp_which_stops_the_send(
    airflow_db, whatsapp_emulator_connection, monkeypatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """Bypassing the pre-flight: the emulator itself refuses the 51st unique user (131048)
    and the breaker stops the send there."""
    emu = whatsapp_emulator_connection
    setup(emu, monkeypatch, messaging_limit="TIER_50")
    phones = numbers("1650572", 80)
    monkeypatch.setenv("AIRFLOW_VAR_WHATSAPP_OVER_MESSAGING_LIMIT", "send_all")

    dr = run(phones)

    assert dr.state == "failed"
    result = xcom_of(dr, "bulk")
    assert len(emu.messages) == result["summary"]["accepted"] == 50
    assert result["summary"]["stopped_by"]["code"] == 131048
    assert result["summary"]["not_sent"] + result["summary"]["failed"] == 30
    assert "sending to all (over_messaging_limit='send_all')" in capfd.readouterr().out


@pytest.mark.dag
@pytest.mark.parametrize(("quality", "level"), [("YELLOW", "medium"), ("RED", "low")])
def test_a_yellow_or_red_number_is_a_warning_and_the_send_goes_on(
    airflow_db,
    whatsapp_emulator_connection,
    monkeypatch,
    capfd: pytest.CaptureFixture[str],
    quality: str,
    level: str,
) -> None:
    emu = whatsapp_emulator_connection
    setup(emu, monkeypatch, messaging_limit="TIER_2K", quality_rating=quality)
    phones = numbers("1650573", 3)

    dr = run(phones)

    assert dr.state == "success"
    assert len(emu.messages) == 3
    log = capfd.readouterr().out
    warning = [line for line in log.splitlines() if "Quality rating of the sending number" in line]
    assert len(warning) == 1 and "warning" in warning[0].lower(), warning
    assert f"is {quality} ({level} quality)" in warning[0]
    assert "Sending number: messaging limit TIER_2K (2000 unique users per rolling 24 h), " in log
    assert xcom_of(dr, "bulk")["summary"]["messaging_limit"]["quality_rating"] == quality


@pytest.mark.dag
def test_a_green_number_gives_no_quality_warning(
    airflow_db, whatsapp_emulator_connection, monkeypatch, capfd: pytest.CaptureFixture[str]
) -> None:
    emu = whatsapp_emulator_connection
    setup(emu, monkeypatch)  # TIER_UNLIMITED, GREEN
    dr = run(numbers("1650574", 3))
    assert dr.state == "success" and len(emu.messages) == 3
    log = capfd.readouterr().out
    assert "Quality rating of the sending number" not in log
    assert "messaging limit TIER_UNLIMITED (unlimited), quality rating GREEN" in log


@pytest.mark.dag
def test_limits_that_cannot_be_read_are_logged_and_the_send_goes_on(
    airflow_db, whatsapp_emulator_connection, monkeypatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """A Graph that does not know the field refuses the read (code 100): no stop."""
    emu = whatsapp_emulator_connection
    setup(emu, monkeypatch, messaging_limit=None)
    dr = run(numbers("1650575", 3))
    assert dr.state == "success" and len(emu.messages) == 3
    [read] = limit_reads(emu)
    assert read.status == 400
    log = capfd.readouterr().out
    assert (
        "Messaging limit pre-flight skipped: could not read the sending number's messaging "
        "limit, quality rating and throughput ([HTTP 400, code 100] (#100) Tried accessing "
        "nonexisting field (whatsapp_business_manager_messaging_limit)"
    ) in log


@pytest.mark.dag
def test_free_form_messages_are_not_held_to_the_limit(
    airflow_db, whatsapp_emulator_connection, monkeypatch
) -> None:
    """Free-form messages reach only users inside their 24-hour window, which the limit
    does not count (nor does the emulator)."""
    from tests.dags.bulk_send_limits import text_dag

    emu = whatsapp_emulator_connection
    setup(emu, monkeypatch, messaging_limit="TIER_50")
    phones = numbers("1650576", 60)
    emu.open_window(*phones)
    dr = text_dag.test(run_conf={"recipients": phones})
    assert dr.state == "success" and len(emu.messages) == 60


def test_an_unknown_over_messaging_limit_is_refused_when_the_dag_is_built() -> None:
    with pytest.raises(WhatsAppValidationError, match="over_messaging_limit must be one of"):
        WhatsAppBulkSendOperator(
            task_id="bulk", recipients=["16505551234"], template_name="t", over_messaging_limit="x"
        )
