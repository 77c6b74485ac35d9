"""The emulated number's limits: its messaging limit, quality rating and throughput are
served on the phone-number read (``?fields=`` as Graph selects them), and the messaging
limit is enforced on sends: past the tier's unique users outside their window per
rolling 24 h (the emulator's clock), a new user gets 131048, as Meta answers.

Raw HTTP first (the emulator's own contract), then the provider's client sending
directly, the pre-flight bypassed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from airflow_provider_whatsapp.client import WhatsAppClient
from airflow_provider_whatsapp.client.errors import AccountError
from airflow_provider_whatsapp.testing import WhatsAppEmulator
from tests.helpers import client_config

from .conftest import graph_error, text_message

DAY = 24 * 3600.0


def template_to(to: str) -> dict[str, Any]:
    """The default template ("Hello {{1}}") to ``to``."""
    return {
        "messaging_product": "whatsapp",
        "to": to,
        "type": "template",
        "template": {
            "name": "hello",
            "language": {"code": "en_US"},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": "Ann"}]}],
        },
    }


def users(n: int, prefix: str = "1650580") -> list[str]:
    return [f"{prefix}{i:04d}" for i in range(n)]


@pytest.fixture
def hello(emu: WhatsAppEmulator) -> WhatsAppEmulator:
    emu.add_template("hello")
    return emu


def test_the_phone_number_serves_its_limits_as_configured(
    emu: WhatsAppEmulator, gw: httpx.Client
) -> None:
    whole = gw.get(f"/{emu.phone_number_id}").json()
    assert whole["whatsapp_business_manager_messaging_limit"] == "TIER_UNLIMITED"
    assert (whole["quality_rating"], whole["throughput"]) == ("GREEN", {"level": "STANDARD"})

    emu.configure(messaging_limit="TIER_2K", quality_rating="RED", throughput_level="HIGH")
    fields = "whatsapp_business_manager_messaging_limit,quality_rating,throughput"
    answer = gw.get(f"/{emu.phone_number_id}", params={"fields": fields})
    assert answer.json() == {
        "id": emu.phone_number_id,
        "whatsapp_business_manager_messaging_limit": "TIER_2K",
        "quality_rating": "RED",
        "throughput": {"level": "HIGH"},
    }
    listed = gw.get(f"/{emu.waba_id}/phone_numbers").json()["data"]
    assert listed[0]["whatsapp_business_manager_messaging_limit"] == "TIER_2K"


def test_a_field_the_number_does_not_have_is_refused_as_graph_does(
    emu: WhatsAppEmulator, gw: httpx.Client
) -> None:
    emu.messaging_limit = None  # a Graph that does not know the field
    answer = gw.get(
        f"/{emu.phone_number_id}",
        params={"fields": "whatsapp_business_manager_messaging_limit,quality_rating"},
    )
    error = graph_error(answer, 100)
    assert error["message"] == (
        "(#100) Tried accessing nonexisting field (whatsapp_business_manager_messaging_limit) "
        "on node type (WhatsAppBusinessPhoneNumber)"
    )
    assert (
        "whatsapp_business_manager_messaging_limit" not in gw.get(f"/{emu.phone_number_id}").json()
    )


def test_settings_are_checked_and_reset(emu: WhatsAppEmulator) -> None:
    with pytest.raises(ValueError, match="messaging_limit must be one of"):
        emu.messaging_limit = "TIER_3"
    with pytest.raises(ValueError, match="quality_rating must be one of"):
        emu.quality_rating = "BLUE"
    emu.configure(messaging_limit="TIER_50", quality_rating="YELLOW")
    emu.reset()
    assert (emu.messaging_limit, emu.quality_rating) == ("TIER_UNLIMITED", "GREEN")


def test_the_251st_unique_user_in_24_hours_is_refused_with_131048(
    hello: WhatsAppEmulator, gw: httpx.Client
) -> None:
    emu = hello
    emu.messaging_limit = "TIER_250"
    emu.freeze_clock()
    first = users(250)
    for to in first:
        assert gw.post(f"/{emu.phone_number_id}/messages", json=template_to(to)).status_code == 200
        emu.advance_clock(60)  # 250 minutes in all: well inside 24 h

    refused = gw.post(f"/{emu.phone_number_id}/messages", json=template_to("16505819999"))
    error = graph_error(refused, 131048)
    assert error["message"] == "(#131048) Spam rate limit hit"
    assert (
        "restrictions on how many messages can be sent from this phone number"
        in (error["error_data"]["details"])
    )
    assert len(emu.messages) == 250
    # A user already messaged in these 24 h is not counted again.
    again = gw.post(f"/{emu.phone_number_id}/messages", json=template_to(first[-1]))
    assert again.status_code == 200
    # A user who wrote in (window open) does not count at all: text and template pass.
    emu.open_window("16505819998")
    for payload in (text_message("16505819998"), template_to("16505819998")):
        assert gw.post(f"/{emu.phone_number_id}/messages", json=payload).status_code == 200

    # Rolling 24 h: once the first user's 24 h have passed, one new user fits, not two.
    emu.advance_clock(DAY - 250 * 60)
    ok = gw.post(f"/{emu.phone_number_id}/messages", json=template_to("16505819999"))
    assert ok.status_code == 200, ok.text
    no = gw.post(f"/{emu.phone_number_id}/messages", json=template_to("16505819997"))
    graph_error(no, 131048)


def test_direct_client_sends_bypassing_the_preflight_meet_the_limit(
    hello: WhatsAppEmulator,
) -> None:
    """The provider's client, sending one by one as a user's @task code might: the
    251st new user is an AccountError 131048 (a bulk send's breaker stops on it)."""
    emu = hello
    emu.messaging_limit = "TIER_250"
    with WhatsAppClient(client_config(emu, rate_limit=None)) as client:
        limits = client.get_phone_number(
            fields=["whatsapp_business_manager_messaging_limit", "quality_rating", "throughput"]
        )
        assert limits["whatsapp_business_manager_messaging_limit"] == "TIER_250"
        for to in users(250, "1650582"):
            client.send_message(template_to(to))
        with pytest.raises(AccountError) as caught:
            client.send_message(template_to("16505829999"))
    error = caught.value
    assert (error.code, error.retryable, error.account_level) == (131048, False, True)
    assert "the messaging limit of unique users per 24 h used up" in str(error)
    assert [r.query for r in emu.requests if r.method == "GET"] == [
        {"fields": "whatsapp_business_manager_messaging_limit,quality_rating,throughput"}
    ]
