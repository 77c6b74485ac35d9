"""Maton's own error bodies, in every shape its docs list, read well through real HTTP.

Each style of the emulator answers the same Maton errors (wrong key, missing connection,
unknown ctrl id, a 500 from the gateway) with a different body; the client's error must
carry Maton's sentence, not the raw JSON, and the hint that says what to do.
"""

from __future__ import annotations

import pytest

from airflow_provider_whatsapp.client import WhatsAppClient, errors
from airflow_provider_whatsapp.client.errors import MATON_500_HINT
from tests.helpers import client_config

STYLES = ["json", "message", "error_object", "detail", "detail_list", "text", "html"]


def readable(error: errors.WhatsAppError, sentence: str) -> str:
    text = str(error)
    assert sentence in error.message, error.message
    assert "{" not in text and '"' not in text, text  # no raw JSON left in the text
    return text


CASES = {
    # name: (config changes, call, error class, Maton's sentence, what the hint names)
    "wrong key": (
        {"api_key": "wrong-key"},
        lambda client: client.get_phone_number(),
        errors.AuthenticationError,
        "Invalid API key",
        "Check the Maton API key",
    ),
    "missing connection": (
        {"maton_connection": "gone"},
        lambda client: client.get_phone_number(),
        errors.MissingConnectionError,
        "Missing app connection",
        "maton_connection",
    ),
    "unknown ctrl id": (
        {},
        lambda client: client.get_maton_connection("no-such-connection"),
        errors.NotFoundError,
        "Connection no-such-connection not found",
        None,  # text/HTML 404s also say to check the host: either hint is fair
    ),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("style", STYLES)
def test_maton_errors_read_well_in_every_style(whatsapp_emulator, style, case) -> None:
    changes, call, cls, sentence, hint = CASES[case]
    whatsapp_emulator.maton_error_style = style
    with WhatsAppClient(client_config(whatsapp_emulator, **changes)) as client:
        with pytest.raises(cls) as info:
            call(client)
    text = readable(info.value, sentence)
    assert text.startswith(f"[HTTP {info.value.status}] ") and info.value.hint in text
    assert hint is None or hint in info.value.hint
    assert "wrong-key" not in text
    assert len(whatsapp_emulator.requests) == 1  # none of these is retried


@pytest.mark.parametrize("style", STYLES)
def test_a_maton_500_says_to_reauthorise_the_connection(whatsapp_emulator, style) -> None:
    whatsapp_emulator.maton_error_style = style
    whatsapp_emulator.inject_faults(1.0, ["500"], paths="all")
    with WhatsAppClient(client_config(whatsapp_emulator, max_retries=1)) as client:
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


@pytest.mark.parametrize("style", STYLES)
def test_a_412_is_the_missing_connection_not_a_bad_payload(whatsapp_emulator, style) -> None:
    """Maton's SDK: a 412 when the gateway cannot resolve the connection an action needs.
    A send gets the missing-connection error and hint (not "fix the payload"), is not
    retried, and is account-level, so a bulk send stops on it."""
    whatsapp_emulator.configure(missing_connection_status=412, maton_error_style=style)
    whatsapp_emulator.open_window("16505551234")
    config = client_config(whatsapp_emulator, maton_connection="gone")
    with WhatsAppClient(config) as client:
        with pytest.raises(errors.MissingConnectionError) as info:
            client.send_message({"type": "text", "to": "16505551234", "text": {"body": "hi"}})
    text = readable(info.value, "Missing app connection")
    assert text.startswith("[HTTP 412] ")
    assert info.value.hint == errors.MissingConnectionError.default_hint
    assert "Maton has no ACTIVE WhatsApp Business connection" in text
    assert "maton_connection extra" in text and "fix the payload" not in text
    assert info.value.account_level and not info.value.retryable
    assert len(whatsapp_emulator.requests) == 1
    assert whatsapp_emulator.messages == []


@pytest.mark.parametrize(
    "body",
    [
        b'{"message": "Precondition Failed"}',
        b'{"error": {"message": "Precondition Failed"}}',
        b'{"detail": "Precondition Failed"}',
        b'{"detail": [{"loc": ["header", "maton-connection"], "msg": "Precondition Failed"}]}',
        b"",
    ],
)
def test_a_412_in_any_of_matons_body_shapes_is_the_missing_connection(body: bytes) -> None:
    """The status decides, whatever the body says (even when it names no connection)."""
    error = errors.error_from_response(412, body)
    assert type(error) is errors.MissingConnectionError and error.account_level
    assert error.hint == errors.MissingConnectionError.default_hint
    assert error.message.endswith("Precondition Failed") or not body
