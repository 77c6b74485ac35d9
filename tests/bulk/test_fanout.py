"""``bulk.fanout``: one message to each of a few recipients, every one on its own.

Splitting and checking are plain functions; the sends go through a real client to the
emulator, which records what it received and what it refused.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from airflow_provider_whatsapp.bulk.fanout import (
    Fanout,
    Outcome,
    screen_recipients,
    send_each,
    send_together,
    split_recipients,
    syntax_problems,
)
from airflow_provider_whatsapp.client import AsyncWhatsAppClient, WhatsAppClient
from airflow_provider_whatsapp.messages import TextMessage
from airflow_provider_whatsapp.testing import WhatsAppEmulator
from tests.helpers import client_config

OPEN_1, OPEN_2, CLOSED = "15550700001", "15550700002", "15550700009"
log = logging.getLogger("tests.fanout")


@pytest.mark.parametrize(
    ("to", "items"),
    [
        # What Jinja renders a Python list to, and what ``| tojson`` gives.
        ("['+1 555 070 0001', '15550700002']", ["+1 555 070 0001", "15550700002"]),
        ('["+1 555 070 0001", "15550700002"]', ["+1 555 070 0001", "15550700002"]),
        ("[15550700001, 15550700002]", ["15550700001", "15550700002"]),
        ("[]", []),
        (" +1 555 070 0001 , 15550700002,", ["+1 555 070 0001", "15550700002"]),
        # A list item holding several numbers (a Variable rendered into it) is split too.
        (["15550700001, 15550700002", 15550700009], ["15550700001", "15550700002", 15550700009]),
        (15550700001, [15550700001]),
        (None, []),
        ([True, {"to": "1"}], [True, {"to": "1"}]),  # kept, for the check to name them
    ],
)
def test_split_recipients(to: Any, items: list[Any]) -> None:
    assert split_recipients(to) == items


def test_a_list_rendered_to_text_is_split_without_evaluating_it() -> None:
    """Text is never evaluated as Python: what is not a number stays text to be named."""
    assert split_recipients("[__import__('os').getcwd(), '15550700001']") == [
        "__import__('os').getcwd()",
        "15550700001",
    ]


def test_syntax_problems_names_position_and_value_and_leaves_jinja_to_the_send() -> None:
    items = ["12ab34cd56ef", "{{ var.value.x }}", "+44 20 79", "15550700001", True]
    assert syntax_problems(items) == [
        "recipient 1 of 5, ••••••••56ef, contains letters: only digits, spaces, dashes, "
        "dots, parentheses and one leading + are allowed (a user without a number is "
        "addressed by their business-scoped user id: US.13491208655302741918; a parent "
        "BSUID: US.ENT.506847293015824)",
        "recipient 3 of 5, +44••••, has 6 digits: an international number (country code "
        "included) has 7 to 15",
        "recipient 5 of 5, <bool>, must be a string or an integer, got bool",
    ]


def test_screen_recipients_normalises_the_valid_and_masks_the_invalid() -> None:
    screened = screen_recipients(["+1 555 070 0001", "999999999999", 15550700002])
    assert screened.valid == [OPEN_1, OPEN_2]
    assert screened.invalid == [
        "recipient 2 of 3 (+••••••••9999): has no such country code: it must start with one, "
        "and no country's is 9, 99 or 999"
    ]


def texts(*numbers: str) -> list[TextMessage]:
    return [TextMessage.create(n, "disk full") for n in numbers]


def test_send_each_reports_every_recipient_and_closes_its_client(
    emu: WhatsAppEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    emu.open_window(OPEN_1, OPEN_2)
    closed: list[bool] = []

    class Client(WhatsAppClient):
        def close(self) -> None:
            closed.append(True)
            super().close()

    def connect() -> WhatsAppClient:
        return Client(client_config(emu))

    with caplog.at_level(logging.INFO, logger=log.name):
        fanout = send_each(connect, texts(OPEN_1, CLOSED, OPEN_2), retry_budget=5.0, log=log)

    assert [m.to for m in emu.messages] == [OPEN_1, OPEN_2]  # the refused one stopped nobody
    assert [(o.to, o.accepted) for o in fanout.outcomes] == [
        (OPEN_1, True),
        (CLOSED, False),
        (OPEN_2, True),
    ]
    assert fanout.sent == 2 and not fanout.unusable
    accepted = {m.to: m.message_id for m in emu.messages}
    assert fanout.outcomes[0].message_id == accepted[OPEN_1]
    assert "131047" in (fanout.outcomes[1].error or "")
    # Each recipient reported, the number masked (also in the API's text, which repeats it).
    assert "WhatsApp message to +1••••••0009 failed: [HTTP 400, code 131047]" in caplog.text
    assert f"WhatsApp message sent to +1••••••0002: {accepted[OPEN_2]}" in caplog.text
    assert all(n not in caplog.text for n in (OPEN_1, OPEN_2, CLOSED))
    assert closed == [True]


def test_send_together_sends_at_once_and_reports_every_recipient(emu: WhatsAppEmulator) -> None:
    emu.open_window(OPEN_1, OPEN_2)

    async def connect() -> AsyncWhatsAppClient:
        return AsyncWhatsAppClient(client_config(emu))

    fanout = asyncio.run(
        send_together(connect, texts(OPEN_1, CLOSED, OPEN_2), log=log, what="Alert")
    )
    assert sorted(m.to for m in emu.messages) == [OPEN_1, OPEN_2]
    assert sorted((o.to, o.accepted) for o in fanout.outcomes) == [
        (OPEN_1, True),
        (OPEN_2, True),
        (CLOSED, False),
    ]


def test_a_connection_that_cannot_be_built_is_reported_and_nothing_is_sent(
    emu: WhatsAppEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    def connect() -> WhatsAppClient:
        raise ValueError("connection 'whatsapp_default' has no password")

    async def aconnect() -> AsyncWhatsAppClient:
        connect()
        raise AssertionError

    fanout = send_each(connect, texts(OPEN_1), retry_budget=None, log=log, what="Alert")
    assert fanout == Fanout(
        unusable="connection unusable: connection 'whatsapp_default' has no password"
    )
    assert asyncio.run(send_together(aconnect, texts(OPEN_1), log=log)).unusable == fanout.unusable
    assert "Alert not sent: connection unusable:" in caplog.text
    assert emu.requests == []


def test_no_message_opens_no_connection() -> None:
    def connect() -> WhatsAppClient:
        raise AssertionError("connected for nobody")

    async def aconnect() -> AsyncWhatsAppClient:
        raise AssertionError("connected for nobody")

    assert send_each(connect, [], retry_budget=1.0, log=log) == Fanout()
    assert asyncio.run(send_together(aconnect, [], log=log)) == Fanout()
    assert Outcome("1", message_id="wamid.x").accepted and not Outcome("1", error="x").accepted
