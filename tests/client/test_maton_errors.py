"""Maton's own error bodies, in every shape its docs list, read well through real HTTP.

Each style of the emulator answers the same Maton errors (wrong key, missing connection,
unknown ctrl id, a 500 from the gateway) with a different body; the client's error must
carry Maton's sentence, not the raw JSON, and the hint that says what to do.
"""

from __future__ import annotations

import pytest

from airflow_provider_whatsapp.client import WhatsAppClient, errors
from airflow_provider_whatsapp.client.errors import MATON_500_HINT

STYLES = ["json", "message", "error_object", "detail", "detail_list", "text", "html"]


def readable(error: errors.WhatsAppError, sentence: str) -> str:
    text = str(error)
    assert sentence in error.message, error.message
    assert "{" not in text and '"' not in text, text  # no raw JSON left in the text
    return text


@pytest.mark.parametrize("style", STYLES)
def test_wrong_key_reads_well(whatsapp_emulator, config_for, style) -> None:
    whatsapp_emulator.maton_error_style = style
    with WhatsAppClient(config_for(whatsapp_emulator, api_key="wrong-key")) as client:
        with pytest.raises(errors.AuthenticationError) as info:
            client.get_phone_number()
    text = readable(info.value, "Invalid API key")
    assert text.startswith("[HTTP 401] ") and "Check the Maton API key" in text
    assert "wrong-key" not in text


@pytest.mark.parametrize("style", STYLES)
def test_missing_connection_reads_well(whatsapp_emulator, config_for, style) -> None:
    whatsapp_emulator.maton_error_style = style
    with WhatsAppClient(config_for(whatsapp_emulator, maton_connection="gone")) as client:
        with pytest.raises(errors.MissingConnectionError) as info:
            client.get_phone_number()
    text = readable(info.value, "Missing app connection")
    assert "maton_connection" in text  # the hint names the extra to fix
    assert len(whatsapp_emulator.requests) == 1


@pytest.mark.parametrize("style", STYLES)
def test_ctrl_host_not_found_reads_well(whatsapp_emulator, config_for, style) -> None:
    whatsapp_emulator.maton_error_style = style
    with WhatsAppClient(config_for(whatsapp_emulator)) as client:
        with pytest.raises(errors.NotFoundError) as info:
            client.get_maton_connection("no-such-connection")
    readable(info.value, "Connection no-such-connection not found")


@pytest.mark.parametrize("style", STYLES)
def test_a_maton_500_says_to_reauthorise_the_connection(
    whatsapp_emulator, config_for, style
) -> None:
    whatsapp_emulator.maton_error_style = style
    whatsapp_emulator.inject_faults(1.0, ["500"], paths="all")
    with WhatsAppClient(config_for(whatsapp_emulator, max_retries=1)) as client:
        with pytest.raises(errors.ServerError) as info:
            client.get_phone_number()
    text = readable(info.value, "Internal server error")
    assert info.value.hint == MATON_500_HINT and "re-authorise the Maton connection" in text
    assert info.value.retryable  # Maton documents no body for it: it may be a passing fault
    assert len(whatsapp_emulator.requests) == 2  # the first attempt and one retry


def test_detail_list_names_each_location() -> None:
    body = (
        b'{"detail": [{"loc": ["body", "messages", 0, "to"], "msg": "field required"},'
        b' {"loc": ["query", "limit"], "msg": "not an integer"}]}'
    )
    error = errors.error_from_response(422, body)
    assert error.message == "body.messages[0].to: field required; query.limit: not an integer"
    assert type(error) is errors.InvalidRequestError


def test_graph_500_keeps_graphs_own_hint() -> None:
    body = b'{"error": {"message": "(#131000) Something went wrong", "code": 131000}}'
    error = errors.error_from_response(500, body)
    assert error.hint != MATON_500_HINT and error.code == 131000
