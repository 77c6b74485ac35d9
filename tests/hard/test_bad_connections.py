"""Bad connections, as a DAG task meets them: one clear error naming the field to fix, fast.

Each case runs ``WhatsAppSendTextOperator.execute`` (what a task does) with the Airflow
connection ``whatsapp_default`` set through ``AIRFLOW_CONN_WHATSAPP_DEFAULT``, and the
hook's ``test_connection()`` (what the connection form's Test button does). Requests are
counted where they land, so "no retry storm" is measured, not assumed.

Field names a message must contain, so the user knows what to change:
``password`` / ``MATON_API_KEY`` (the key), ``maton_connection`` (the Maton connection
extra), ``host`` (the gateway URL).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import tenacity

from airflow_provider_whatsapp.client.errors import (
    AuthenticationError,
    MissingConnectionError,
    NotFoundError,
    WhatsAppConfigError,
    WhatsAppConnectionError,
    WhatsAppError,
)
from airflow_provider_whatsapp.hooks.whatsapp import WhatsAppHook
from airflow_provider_whatsapp.operators.messages import WhatsAppSendTextOperator
from airflow_provider_whatsapp.testing import WhatsAppEmulator
from airflow_provider_whatsapp.version_compat import AirflowFailException
from tests.helpers import TO, free_port, set_connection

pytestmark = pytest.mark.emu(open_window=[TO])


def send_text() -> Any:
    """What a task does: a fresh operator executing with a minimal context."""
    return WhatsAppSendTextOperator(task_id="send", to=TO, text="hello").execute({})


def failure_of(run: Callable[[], Any]) -> BaseException:
    with pytest.raises(Exception) as caught:
        run()
    return caught.value


def whatsapp_cause(exc: BaseException) -> WhatsAppError:
    """The provider's error behind what the operator raised (itself, or its cause)."""
    if isinstance(exc, WhatsAppError):
        return exc
    assert isinstance(exc.__cause__, WhatsAppError), repr(exc)
    return exc.__cause__


@pytest.fixture
def retry_warnings(caplog: pytest.LogCaptureFixture) -> Callable[[], int]:
    caplog.set_level("WARNING", logger="airflow_provider_whatsapp.client.transport")
    return lambda: sum("retrying" in r.getMessage() for r in caplog.records)


def test_a_good_connection_sends(emu: WhatsAppEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """The baseline the bad cases differ from by one field."""
    set_connection(monkeypatch, emu.airflow_connection())
    assert send_text()["to"] == TO
    assert len(emu.requests) == 1 and len(emu.messages) == 1


def test_the_issue_uri_connection_sends_to_its_port(
    emu: WhatsAppEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``whatsapp://:KEY@127.0.0.1:PORT/?phone_number_id=...``: Airflow puts the port in
    its own field; the task's request must still go to that port (it went to
    ``https://127.0.0.1/``, failing after every retry)."""
    monkeypatch.setenv(
        "AIRFLOW_CONN_WHATSAPP_DEFAULT",
        f"whatsapp://:{emu.api_key}@127.0.0.1:{emu.port}/?phone_number_id={emu.phone_number_id}",
    )
    assert send_text()["to"] == TO
    assert len(emu.requests) == 1 and [m.to for m in emu.messages] == [TO]


def test_a_connection_of_another_type_fails_the_task_before_any_request(
    emu: WhatsAppEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An ``http`` connection that would reach the emulator: the task fails, naming the
    connection, its type and the type it needs, and sends nothing."""
    set_connection(monkeypatch, {**emu.airflow_connection(), "conn_type": "http"})

    exc = failure_of(send_text)

    assert isinstance(exc, AirflowFailException), "no task retry can fix the type"
    assert isinstance(whatsapp_cause(exc), WhatsAppConfigError)
    assert "'whatsapp_default'" in str(exc)
    assert "of type 'http'" in str(exc) and "type 'whatsapp'" in str(exc)
    assert emu.api_key not in str(exc)
    assert emu.requests == [] and emu.messages == []


# -- the key --------------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["json", "text", "html"])
def test_wrong_key_fails_once_naming_the_password(
    emu: WhatsAppEmulator,
    monkeypatch: pytest.MonkeyPatch,
    retry_warnings: Callable[[], int],
    style: str,
) -> None:
    emu.maton_error_style = style
    conn = emu.airflow_connection()
    conn["password"] = wrong = f"sk-wrong-{uuid.uuid4().hex}"
    set_connection(monkeypatch, conn)

    exc = failure_of(send_text)

    assert isinstance(exc, AirflowFailException), "no task retry can fix a wrong key"
    cause = whatsapp_cause(exc)
    assert isinstance(cause, AuthenticationError) and cause.status == 401
    assert "password" in str(exc) and "MATON_API_KEY" in str(exc)
    assert wrong not in str(exc)
    assert len(emu.requests) == 1, "a wrong key is not retried"
    assert retry_warnings() == 0
    assert emu.messages == []

    ok, message = WhatsAppHook().test_connection()
    assert ok is False and "password" in message and wrong not in message
    assert len(emu.requests) == 2


def test_missing_key_fails_before_any_request_naming_both_places(
    emu: WhatsAppEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = emu.airflow_connection()
    del conn["password"]
    set_connection(monkeypatch, conn)

    exc = failure_of(send_text)

    assert isinstance(exc, AirflowFailException)
    assert isinstance(whatsapp_cause(exc), WhatsAppConfigError)
    assert "password" in str(exc) and "MATON_API_KEY" in str(exc)
    assert "whatsapp_default" in str(exc)  # which connection
    assert emu.requests == []

    ok, message = WhatsAppHook().test_connection()
    assert ok is False and "MATON_API_KEY" in message
    assert emu.requests == []

    # The documented fallback: the same connection works once MATON_API_KEY is set.
    monkeypatch.setenv("MATON_API_KEY", emu.api_key)
    assert send_text()["to"] == TO


# -- the Maton connection -----------------------------------------------------------------


@pytest.mark.parametrize("style", ["json", "text", "html"])
def test_unknown_maton_connection_fails_once_naming_the_extra(
    emu: WhatsAppEmulator,
    monkeypatch: pytest.MonkeyPatch,
    retry_warnings: Callable[[], int],
    style: str,
) -> None:
    emu.maton_error_style = style
    unknown = str(uuid.uuid4())
    set_connection(monkeypatch, emu.airflow_connection(maton_connection=unknown))

    exc = failure_of(send_text)

    assert isinstance(exc, AirflowFailException)
    assert isinstance(whatsapp_cause(exc), MissingConnectionError), str(exc)
    assert "maton_connection" in str(exc)
    assert len(emu.requests) == 1 and retry_warnings() == 0
    assert emu.requests[0].headers["maton-connection"] == unknown


def test_no_active_maton_connection_names_the_extra_too(
    emu: WhatsAppEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No ``maton_connection`` extra and the account's only connection is inactive."""
    set_connection(monkeypatch, emu.airflow_connection())
    emu.set_connection_status(emu.connection_id, "PENDING")
    try:
        exc = failure_of(send_text)
    finally:
        emu.set_connection_status(emu.connection_id, "ACTIVE")
    assert isinstance(whatsapp_cause(exc), MissingConnectionError)
    assert "maton_connection" in str(exc) and "ACTIVE" in str(exc)
    assert len(emu.requests) == 1


# -- the host -------------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["json", "text", "html"])
def test_host_with_a_wrong_path_gets_invalid_app_name_naming_the_host(
    emu: WhatsAppEmulator,
    monkeypatch: pytest.MonkeyPatch,
    retry_warnings: Callable[[], int],
    style: str,
) -> None:
    """``https://gateway.maton.ai/whatsapp``: the gateway reads ``whatsapp`` as the app."""
    emu.maton_error_style = style
    conn = emu.airflow_connection()
    conn["host"] = f"{emu.url}/whatsapp"
    set_connection(monkeypatch, conn)

    exc = failure_of(send_text)

    assert isinstance(exc, AirflowFailException)
    assert isinstance(whatsapp_cause(exc), WhatsAppConfigError), str(exc)
    assert "host" in str(exc)
    assert len(emu.requests) == 1 and retry_warnings() == 0
    assert emu.requests[0].path.startswith("/whatsapp/whatsapp-business/")


def test_host_ending_in_the_app_name_is_refused_naming_the_host(
    emu: WhatsAppEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``https://gateway.maton.ai/whatsapp-business``: the app name twice in the path."""
    conn = emu.airflow_connection()
    conn["host"] = f"{emu.url}/whatsapp-business"
    set_connection(monkeypatch, conn)

    exc = failure_of(send_text)

    assert isinstance(exc, AirflowFailException)
    assert "host" in str(exc), str(exc)
    assert len(emu.requests) <= 1
    assert emu.messages == []


class NotTheGateway(BaseHTTPRequestHandler):
    """Some unrelated web server: 404 with an HTML page for everything."""

    hits: list[str] = []

    def _answer(self) -> None:
        self.hits.append(f"{self.command} {self.path}")
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        body = b"<html><head><title>404 Not Found</title></head><body>nginx</body></html>"
        self.send_response(404)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_DELETE = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def unrelated_server() -> Iterator[tuple[str, list[str]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), NotTheGateway)
    NotTheGateway.hits = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", NotTheGateway.hits
    finally:
        server.shutdown()
        server.server_close()


def test_host_that_is_not_the_gateway_404_html_names_the_host(
    monkeypatch: pytest.MonkeyPatch,
    unrelated_server: tuple[str, list[str]],
    retry_warnings: Callable[[], int],
) -> None:
    url, hits = unrelated_server
    set_connection(
        monkeypatch,
        {
            "conn_type": "whatsapp",
            "host": url,
            "password": "sk-not-the-gateway",
            "extra": {"phone_number_id": "100000000000001", "ctrl_host": url},
        },
    )

    exc = failure_of(send_text)

    assert isinstance(exc, AirflowFailException)
    cause = whatsapp_cause(exc)
    assert isinstance(cause, NotFoundError) and cause.status == 404
    assert "host" in str(exc), str(exc)
    assert "<html" not in str(exc)  # the page's title, not its markup
    assert len(hits) == 1 and retry_warnings() == 0

    ok, message = WhatsAppHook().test_connection()
    assert ok is False and "host" in message
    assert len(hits) == 2


# -- an unreachable host --------------------------------------------------------------------


def unreachable(monkeypatch: pytest.MonkeyPatch, **extra: Any) -> str:
    url = f"http://127.0.0.1:{free_port()}"
    set_connection(
        monkeypatch,
        {
            "conn_type": "whatsapp",
            "host": url,
            "password": "sk-unreachable",
            "extra": {"phone_number_id": "100000000000001", "ctrl_host": url, **extra},
        },
    )
    return url


class RecordedSleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)


def test_unreachable_host_with_the_defaults_is_bounded_by_the_backoff(
    monkeypatch: pytest.MonkeyPatch, retry_warnings: Callable[[], int]
) -> None:
    """Nothing listening: the request never left, so it is retried (max_retries 5 by
    default) with exponential backoff, then one error naming the host.

    The bound with the defaults: backoff 0.5 s doubling, each wait drawn in [b/2, b]:
    waits of at most 0.5 + 1 + 2 + 4 + 8 = 15.5 s (at least half that, 7.75 s), plus the
    attempts themselves, each refused within milliseconds on loopback. The sleeps are
    recorded instead of slept, so the test checks the bound without paying it. Every
    attempt but the last logs a "retrying" warning: 5 warnings are 6 attempts.
    """
    url = unreachable(monkeypatch)
    sleeps = RecordedSleeps()
    monkeypatch.setattr(tenacity.nap, "time", sleeps)
    operator = WhatsAppSendTextOperator(task_id="send", to=TO, text="hello")

    exc = failure_of(lambda: operator.execute({}))

    # Retryable: raised as is, so the task's own retries (Airflow's) apply.
    assert isinstance(exc, WhatsAppConnectionError)
    assert url in str(exc) and "host" in str(exc) and "sk-unreachable" not in str(exc)
    assert retry_warnings() == 5  # 1 + max_retries (5) attempts
    assert len(sleeps.waits) == 5
    assert 7.75 <= sum(sleeps.waits) <= 15.5, sleeps.waits
    assert all(b / 2 <= w <= b for w, b in zip(sleeps.waits, [0.5, 1, 2, 4, 8], strict=True))


def test_unreachable_host_real_time(
    monkeypatch: pytest.MonkeyPatch, retry_warnings: Callable[[], int]
) -> None:
    """Real clock: ``max_retries=2`` from the connection's extra means 3 attempts (0.5 +
    1 s of backoff at most); ``test_connection()`` never retries."""
    url = unreachable(monkeypatch, max_retries=2)
    operator = WhatsAppSendTextOperator(task_id="send", to=TO, text="hello")
    exc = failure_of(lambda: operator.execute({}))
    assert isinstance(exc, WhatsAppConnectionError) and url in str(exc)
    assert retry_warnings() == 2, "the connection's max_retries was not applied"

    sleeps = RecordedSleeps()
    monkeypatch.setattr(tenacity.nap, "time", sleeps)
    ok, message = WhatsAppHook().test_connection()
    assert ok is False and url in message and "host" in message
    assert sleeps.waits == []  # one attempt, no backoff
