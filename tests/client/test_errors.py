"""Every error body the gateway or Graph can send becomes a classified WhatsAppError."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_provider_whatsapp.client import errors as e


def graph(code: int, subcode: int | None = None, **extra: object) -> bytes:
    body: dict[str, object] = {
        "message": f"error {code}",
        "type": "OAuthException",
        "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": "the details"},
        "fbtrace_id": "AbCdEf",
        **extra,
    }
    if subcode is not None:
        body["error_subcode"] = subcode
    return json.dumps({"error": body}).encode()


@pytest.mark.parametrize(
    ("code", "cls", "retryable"),
    [
        (0, e.TokenExpiredError, False),
        (190, e.TokenExpiredError, False),
        (10, e.PermissionDeniedError, False),
        (250, e.PermissionDeniedError, False),
        (4, e.RateLimitError, True),
        (80007, e.RateLimitError, True),
        (130429, e.ThroughputLimitError, True),
        (131056, e.PairRateLimitError, True),
        (100, e.InvalidRequestError, False),
        (131000, e.ServerError, True),
        (131016, e.ServerError, True),
        (133004, e.ServerError, True),
        (131026, e.RecipientError, False),
        (131030, e.RecipientError, False),
        (131031, e.AccountError, False),
        (131047, e.WindowClosedError, False),
        (131048, e.AccountError, False),
        (131049, e.MarketingLimitError, False),
        (131050, e.MarketingOptOutError, False),
        (131053, e.MediaError, False),
        (132000, e.TemplateError, False),
        (132001, e.TemplateError, False),
        (132015, e.TemplateError, False),
        (132016, e.TemplateError, False),
        (133010, e.RecipientError, False),
    ],
)
def test_graph_codes_are_classified(code: int, cls: type, retryable: bool) -> None:
    err = e.error_from_response(400, graph(code))
    assert type(err) is cls
    assert err.retryable is retryable
    assert err.code == code
    assert err.fbtrace_id == "AbCdEf"
    assert err.details == "the details"
    assert f"code {code}" in str(err)
    assert err.hint


def test_window_closed_says_send_a_template() -> None:
    err = e.error_from_response(400, graph(131047))
    assert "Send a template" in str(err)


def test_not_found_subcode() -> None:
    err = e.error_from_response(400, graph(100, 33))
    assert isinstance(err, e.NotFoundError)
    assert err.error_subcode == 33


def test_sending_limits_say_how_long_to_wait_and_only_131049_waits_a_day() -> None:
    """The pace errors are told apart (a retry policy picks each one's delay by class),
    and their hints give WhatsApp's waits from the one rule book."""
    from airflow_provider_whatsapp.limits import MARKETING_LIMIT_RETRY_HOURS, PAIR_RATE_SECONDS

    throughput, pair, marketing, opted_out = (
        e.error_from_response(400, graph(code)) for code in (130429, 131056, 131049, 131050)
    )
    assert isinstance(throughput, e.RateLimitError) and isinstance(pair, e.RateLimitError)
    assert f"wait about {PAIR_RATE_SECONDS} s" in str(pair)
    assert f"do not retry within {MARKETING_LIMIT_RETRY_HOURS} h" in str(marketing)
    assert isinstance(marketing, e.RecipientError) and isinstance(opted_out, e.RecipientError)
    assert [err.retry_later for err in (throughput, pair, marketing, opted_out)] == [
        False,
        False,
        True,
        False,
    ]


def test_is_transient_means_retry() -> None:
    err = e.error_from_response(400, graph(100, is_transient=True))
    assert err.retryable


@pytest.mark.parametrize(
    ("status", "body", "cls"),
    [
        (401, b'{"error": "Invalid API key"}', e.AuthenticationError),
        (401, b"Unauthorized", e.AuthenticationError),
        (400, b'{"error": "Missing app connection"}', e.MissingConnectionError),
        (400, b"<html><title>Missing app connection</title></html>", e.MissingConnectionError),
        (400, b'{"error": "invalid app name"}', e.WhatsAppConfigError),
        (429, b"", e.RateLimitError),
        (429, b'{"message": "Too Many Requests"}', e.RateLimitError),
        (500, b"<html><body><h1>Internal Server Error</h1></body></html>", e.ServerError),
        (502, b"", e.ServerError),
        (503, b"not json {", e.ServerError),
        (404, b'{"error": {"message": "gone"}}', e.NotFoundError),
        (400, b"[1, 2, 3]", e.InvalidRequestError),
        (400, b'{"error": null}', e.InvalidRequestError),
        (400, b'{"error": {"code": "abc"}}', e.InvalidRequestError),
    ],
)
def test_maton_and_odd_bodies(status: int, body: bytes, cls: type) -> None:
    err = e.error_from_response(status, body)
    assert isinstance(err, cls)
    assert str(err)


def test_html_body_is_summarised() -> None:
    err = e.error_from_response(
        400, b"<html><head><title>Missing app connection</title></head></html>"
    )
    assert err.message == "Missing app connection"


def test_retry_after_seconds_and_date_and_cap() -> None:
    assert e.error_from_response(429, b"", {"retry-after": "2"}).retry_after == 2.0
    assert (
        e.error_from_response(429, b"", {"retry-after": "9999"}, max_retry_after=30).retry_after
        == 30
    )
    assert e.parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert e.parse_retry_after("soon") is None


def test_key_echoed_by_server_is_redacted() -> None:
    err = e.error_from_response(
        401, b'{"error": "Invalid API key sk-SECRET-123"}', redact="sk-SECRET-123"
    )
    assert "sk-SECRET-123" not in str(err)
    assert "***" in str(err)


@given(status=st.integers(400, 599), body=st.binary(max_size=200))
def test_any_body_yields_a_whatsapp_error(status: int, body: bytes) -> None:
    err = e.error_from_response(status, body)
    assert isinstance(err, e.WhatsAppError)
    str(err)


@given(
    status=st.integers(400, 599),
    payload=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda kids: (
            st.lists(kids, max_size=3)
            | st.dictionaries(
                st.sampled_from(["error", "code", "message", "error_data", "details", "x"]),
                kids,
                max_size=4,
            )
        ),
        max_leaves=10,
    ),
)
def test_any_json_yields_a_whatsapp_error(status: int, payload: object) -> None:
    err = e.error_from_response(status, json.dumps(payload).encode())
    assert isinstance(err, e.WhatsAppError)
    str(err)
    json.dumps(err.to_dict())
