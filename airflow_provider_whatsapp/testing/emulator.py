"""``WhatsAppEmulator``: the Maton gateway, Maton ctrl host and the WhatsApp Cloud API on
one loopback port, for tests that send real HTTP.

Never imports the provider's client or models: it checks payloads by its own rules, so a
passing test means two independent readings of the API agree.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from . import control
from .settings import FIELDS, make_settings
from .state import DEFAULT_CONNECTION_ID, RecordedRequest, SentMessage, State

#: The Graph version in the connection :meth:`WhatsAppEmulator.airflow_connection` hands
#: out: pinned, so the request paths tests compare stay put when the provider's default
#: version moves (the emulator serves any ``vNN.N``). ``airflow_connection(api_version="")``
#: leaves the version to the provider's default.
CONNECTION_API_VERSION = "v21.0"


def _setting(name: str, doc: str) -> Any:
    """A property reading ``State.settings.<name>`` and validating writes."""

    def get(self: WhatsAppEmulator) -> Any:
        value = getattr(self._state.settings, name)
        return set(value) if isinstance(value, frozenset) else copy.copy(value)

    def put(self: WhatsAppEmulator, value: Any) -> None:
        control.configure(self._state, **{name: value})

    return property(get, put, doc=doc)


class WhatsAppEmulator:
    """A started emulator serves ``url`` (gateway and ctrl host alike) until ``stop()``.

    Keyword arguments beyond the account's ids are settings (see :mod:`.settings`:
    ``rate_limit``, ``latency``, ``review_delay``...); each is also a property that may be
    changed while it runs. Inspection properties return copies. ``templates`` seeds
    templates, as dicts of :meth:`add_template` arguments, that also survive :meth:`reset`.
    """

    def __init__(
        self,
        *,
        api_key: str = "emulator-key",
        port: int = 0,
        phone_number_id: str = "100000000000001",
        waba_id: str = "200000000000001",
        connection_id: str = DEFAULT_CONNECTION_ID,
        templates: Iterable[Mapping[str, Any]] = (),
        **settings: Any,
    ) -> None:
        self._state = State(
            api_key=api_key,
            phone_number_id=phone_number_id,
            waba_id=waba_id,
            connection_id=connection_id,
            settings=make_settings(**settings),
        )
        for spec in templates:
            control.add_template(self._state, initial=True, **spec)
        self._port = port
        self._server: Any = None

    # -- lifecycle -----------------------------------------------------------------
    def start(self) -> WhatsAppEmulator:
        """Bind 127.0.0.1 (``port`` 0: a free one), serve, and wait until it accepts."""
        if self._server is not None:
            return self
        from .app import EmulatorApp
        from .server import ServerThread

        server = ServerThread(EmulatorApp(self._state), port=self._port)
        self._state.port = server.port
        server.start()
        self._server = server
        return self

    def stop(self) -> None:
        """Stop serving; returns promptly even with ``slow_after`` requests parked."""
        server, self._server = self._server, None
        if server is not None:
            server.stop()

    def __enter__(self) -> WhatsAppEmulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL of both the gateway and the ctrl host (``http://127.0.0.1:PORT``)."""
        if not self.port:
            raise RuntimeError("the emulator picks its port at start(): call start() first")
        return f"http://127.0.0.1:{self.port}"

    @property
    def port(self) -> int:
        """The bound port (0 before start when a free one was asked for)."""
        return self._state.port or self._port

    @property
    def api_key(self) -> str:
        """The Maton API key it accepts."""
        return self._state.api_key

    @property
    def phone_number_id(self) -> str:
        """The sending phone number id."""
        return self._state.phone_number_id

    @property
    def waba_id(self) -> str:
        """The WhatsApp Business account id."""
        return self._state.waba_id

    @property
    def connection_id(self) -> str:
        """The default ACTIVE Maton connection."""
        return self._state.default_connection_id

    def airflow_connection(self, **extra: object) -> dict[str, Any]:
        """An Airflow connection (JSON form) pointing a ``whatsapp`` hook here: gateway and
        ctrl host both this emulator, ``api_version`` :data:`CONNECTION_API_VERSION`;
        ``extra`` adds or replaces extras (an empty value leaves it to the provider)."""
        return {
            "conn_type": "whatsapp",
            "host": self.url,
            "password": self.api_key,
            "extra": {
                "phone_number_id": self.phone_number_id,
                "waba_id": self.waba_id,
                "ctrl_host": self.url,
                "api_version": CONNECTION_API_VERSION,
                **extra,
            },
        }

    def connection_env(self, conn_id: str = "whatsapp_default", **extra: object) -> dict[str, str]:
        """``{"AIRFLOW_CONN_<ID>": json}`` for ``monkeypatch.setenv`` or a subprocess env."""
        return {f"AIRFLOW_CONN_{conn_id.upper()}": json.dumps(self.airflow_connection(**extra))}

    # -- settings ------------------------------------------------------------------
    def configure(self, **settings: Any) -> None:
        """Change several settings at once (same names as the constructor's)."""
        control.configure(self._state, **settings)

    # -- inspection ----------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received (``/_emulator/`` excluded), in arrival order."""
        with self._state.lock:
            return [dataclasses.replace(r) for r in self._state.requests]

    @property
    def messages(self) -> list[SentMessage]:
        """Accepted message sends, in order."""
        with self._state.lock:
            return [dataclasses.replace(m) for m in self._state.messages]

    def sent_to(self, phone: str) -> list[SentMessage]:
        """Accepted messages to ``phone``: a number's digits, or a business-scoped user id
        (``US.13491208655302741918``) for messages sent by ``recipient``."""
        return [m for m in self.messages if m.to == phone]

    @property
    def media(self) -> dict[str, dict[str, Any]]:
        """Uploaded media: id -> data, mime_type, filename, sha256, file_size."""
        with self._state.lock:
            return {k: dict(v) for k, v in self._state.media.items()}

    @property
    def templates(self) -> list[dict[str, Any]]:
        """Current templates as the API lists them (review verdicts applied first)."""
        with self._state.lock:
            self._state.apply_reviews()
            return [t.to_api() for t in self._state.templates]

    @property
    def connections(self) -> list[dict[str, Any]]:
        """Maton connections as the ctrl host lists them (the id under
        ``connection_id_key``)."""
        with self._state.lock:
            key = self._state.settings.connection_id_key
            return [c.to_api(key) for c in self._state.connections.values()]

    @property
    def stats(self) -> Counter[int | None]:
        """Answers by HTTP status (``None``: connection dropped without an answer)."""
        with self._state.lock:
            return Counter(r.status for r in self._state.requests)

    def count_429(self) -> int:
        """How many requests were answered 429 (rate limit or injected)."""
        return self.stats[429]

    # -- control -------------------------------------------------------------------
    def open_window(self, *phones: str) -> None:
        """These users wrote in just now: free-form messages to them are allowed."""
        control.open_window(self._state, phones)

    def add_template(
        self,
        name: str,
        language: str = "en_US",
        category: str = "UTILITY",
        components: list[Any] | None = None,
        status: str = "APPROVED",
        reason: str | None = None,
        parameter_format: str | None = None,
    ) -> str:
        """Store a template without review; default body "Hello {{1}}". Returns its id."""
        return control.add_template(
            self._state, name, language, category, components, status, reason, parameter_format
        )

    def set_template_status(
        self, name: str, status: str, language: str | None = None, reason: str | None = None
    ) -> None:
        """Move a template (every language unless one is named) to ``status``."""
        control.set_template_status(self._state, name, status, language, reason)

    def add_connection(self, status: str = "ACTIVE") -> str:
        """Add a Maton connection (newer than the default); returns its id."""
        from .maton import new_connection

        with self._state.lock:
            return new_connection(self._state, status).connection_id

    def set_connection_status(self, connection_id: str, status: str) -> None:
        """E.g. make the default connection inactive to provoke "Missing app connection"
        (at ``missing_connection_status``: 400, or 412)."""
        with self._state.lock:
            self._state.connections[connection_id].status = status

    def inject_faults(
        self,
        ratio: float,
        kinds: Sequence[str] = ("429", "500", "503"),
        *,
        retry_after: float = 1.0,
        seed: int | None = 0,
        paths: str = "messages",
        slow_seconds: float = 60.0,
    ) -> None:
        """Fail ``ratio`` of eligible requests with one of ``kinds`` (seeded draw).

        kinds: "429" (with Retry-After), "500", "503" (not processed); "drop_before"
        (connection closed unanswered, not processed); "drop_after" (processed, then
        closed unanswered); "slow_after" (processed, answered after ``slow_seconds``);
        Graph's refusals of a send, by code (HTTP 400 with Graph's error object, not
        processed): "130429" (throughput limit), "131056" (pair rate limit), "131049"
        (per-user marketing limit), "131050" (user stopped marketing), "131026" (not on
        WhatsApp).
        paths: "messages" (POST .../messages only) or "all" (every gateway route).
        """
        control.inject_faults(
            self._state,
            ratio,
            kinds,
            retry_after=retry_after,
            seed=seed,
            paths=paths,
            slow_seconds=slow_seconds,
        )

    def clear_faults(self) -> None:
        """No more injected faults."""
        control.inject_faults(self._state, 0.0)

    def break_account(self, kind: str, *, after_messages: int = 0) -> None:
        """Account-level trouble once ``after_messages`` more messages are accepted:
        "revoke_key" (401 everywhere), "remove_connection" (Maton's connections deleted:
        400 Missing app connection, or 412 with ``missing_connection_status=412``),
        "expire_authorisation" (Maton's Graph-less 500),
        "expire_token" (Graph 190), "lock_account" (131031 on sends), "spam_limit"
        (131048 on sends). Counted at processing, so exactly ``after_messages`` more are
        accepted; refused requests are recorded with ``fault`` set to ``kind``."""
        control.break_account(self._state, kind, after_messages)

    def restore_account(self) -> None:
        """Undo :meth:`break_account`: the key works and the connections are back."""
        control.break_account(self._state, None)

    def freeze_clock(self) -> None:
        """Stop the emulator's clock: requests arrive at one instant (a burst is one
        burst to the rate limit however slow the machine), reviews and windows wait for
        :meth:`advance_clock`. :meth:`reset` starts it again."""
        with self._state.lock:
            self._state.clock.freeze()

    def advance_clock(self, seconds: float) -> None:
        """Move the emulator's clock ``seconds`` on, frozen or not: the rate limit's
        second, ``review_delay``, the 24-hour window, the hourly template creation limit
        and media URL expiry see that time pass, without a test sleeping through it."""
        with self._state.lock:
            self._state.clock.advance(seconds)

    def reset(self) -> None:
        """Forget traffic, media, windows, faults; restore templates, settings and the
        running clock."""
        self._state.clear()


# One property per setting (``emu.rate_limit = None`` changes it while the server runs).
for _name, _field in FIELDS.items():
    setattr(WhatsAppEmulator, _name, _setting(_name, _field.metadata["doc"]))
