"""An API error that repeats the recipient's number shows it masked.

Graph's own texts rarely do; the emulator's do on purpose ("Recipient phone number
447700900123 is not in the allowed list", "the customer (447700900123) last replied"),
and the error's text reaches the task log and the failure alert. Sync and async clients
share the error parsing, so both mask it.
"""

from __future__ import annotations

import asyncio

import pytest

from airflow_provider_whatsapp.client import AsyncWhatsAppClient, WhatsAppClient
from airflow_provider_whatsapp.client.errors import RecipientError, WhatsAppError
from airflow_provider_whatsapp.messages import TextMessage, mask_phone
from airflow_provider_whatsapp.testing import WhatsAppEmulator
from tests.helpers import client_config

ALLOWED = "447700900161"
OTHER = "447700900162"
MASKED = mask_phone(OTHER)  # +44••••••0162


def send_sync(emu: WhatsAppEmulator) -> WhatsAppError:
    with (
        WhatsAppClient(client_config(emu, max_retries=0)) as client,
        pytest.raises(WhatsAppError) as caught,
    ):
        client.send_message(TextMessage.create(OTHER, "hi"))
    return caught.value


def send_async(emu: WhatsAppEmulator) -> WhatsAppError:
    async def send() -> None:
        async with AsyncWhatsAppClient(client_config(emu, max_retries=0)) as client:
            await client.send_message({"to": OTHER, "type": "text", "text": {"body": "hi"}})

    with pytest.raises(WhatsAppError) as caught:
        asyncio.run(send())
    return caught.value


@pytest.mark.emu(allowed_recipients=[ALLOWED], enforce_window=False)
@pytest.mark.parametrize("send", [send_sync, send_async])
def test_a_number_outside_the_allowed_list(emu: WhatsAppEmulator, send: object) -> None:
    error = send(emu)  # type: ignore[operator]
    answer = emu.requests[-1]
    assert answer.status == 400 and OTHER in str(answer.json)  # it was sent, and refused
    text = str(error)
    assert f"Recipient phone number {MASKED} is not in the allowed list" in text, text
    assert OTHER not in text and OTHER not in repr(error.args)
    assert OTHER not in str(error.to_dict())


@pytest.mark.emu(open_window=[ALLOWED])
def test_a_closed_window(emu: WhatsAppEmulator) -> None:
    error = send_sync(emu)
    assert isinstance(error, RecipientError)
    assert error.code == 131047
    assert f"the customer ({MASKED}) last replied" in str(error)
    assert OTHER not in str(error) and OTHER not in (error.details or "")
