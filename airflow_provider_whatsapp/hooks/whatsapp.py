"""``WhatsAppHook``: an Airflow connection in, a configured client out."""

from __future__ import annotations

import contextlib
import math
import os
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from airflow.sdk import BaseHook

from ..client.config import (
    DEFAULT_API_VERSION,
    DEFAULT_BULK_RATE_SHARE,
    DEFAULT_GATEWAY_URL,
    ClientConfig,
    check_rate_share,
    check_secure_url,
    is_loopback_host,
)
from ..client.errors import WhatsAppConfigError
from ..version_compat import AIRFLOW_V_3_3_2_PLUS, AIRFLOW_V_3_3_PLUS
from . import DEFAULT_CONN_ID

if TYPE_CHECKING:
    from airflow.sdk import Connection

    from ..client import AsyncWhatsAppClient, WhatsAppClient

API_KEY_ENV = "MATON_API_KEY"


# Numeric extras and their type; the form's conn-fields schemas say the same
# (``integer`` / ``number``), a test holds them together.
NUMERIC_EXTRAS: dict[str, type[int] | type[float]] = {
    "timeout": float,
    "rate_limit": float,
    "max_retries": int,
}


def _extra_number(extra: dict[str, Any], name: str, default: float, conn_id: str) -> Any:
    """The extra as its type in ``NUMERIC_EXTRAS``; never rounded: ``max_retries = 2.5``
    is an error naming the field, not 2. Strings (``"2"``) are read as the form saves them.
    """
    value = extra.get(name)
    if value in (None, ""):
        return NUMERIC_EXTRAS[name](default)
    whole = NUMERIC_EXTRAS[name] is int
    number: float | None = None
    if not isinstance(value, bool):  # JSON true is no number, though Python's bool is
        with contextlib.suppress(TypeError, ValueError):
            number = float(value.strip() if isinstance(value, str) else value)
    if number is None or not math.isfinite(number) or (whole and not number.is_integer()):
        wanted = "a whole number" if whole else "a number"
        raise WhatsAppConfigError(
            f"connection {conn_id!r}: extra {name!r} must be {wanted}, got {value!r}"
        )
    return int(number) if whole else number


def _extra_bool(extra: dict[str, Any], name: str, conn_id: str) -> bool:
    """A boolean extra: JSON true/false, or the text ``"true"``/``"false"`` a URI's query
    gives; empty is false. Anything else (``1``, ``"yes"``) is an error naming the field:
    a switch that weakens security is never guessed on."""
    value = extra.get(name)
    if value in (None, ""):
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise WhatsAppConfigError(
        f"connection {conn_id!r}: extra {name!r} must be true or false, got {value!r}"
    )


def _with_scheme(url: str, scheme: str | None = None) -> str:
    """``url`` with a scheme: its own, else ``scheme``, else https, except http for a
    loopback host (``127.0.0.1:41511``: what a local emulator serves; nothing leaves the
    machine). A bare IPv6 address (``::1``, as Airflow hands a URI's ``[::1]``) gets its
    brackets back."""
    if "://" in url:
        return url
    authority, slash, path = url.partition("/")
    if authority.count(":") > 1 and not authority.startswith("["):
        authority = f"[{authority}]"
    if scheme is None:
        scheme = "http" if is_loopback_host(urlsplit(f"//{authority}").hostname) else "https"
    return f"{scheme}://{authority}{slash}{path}"


def gateway_url(conn: Connection) -> str:
    """The gateway base URL from the connection's ``host``, ``port`` and ``schema``.

    Airflow splits the same URL differently by how the connection is written:

    - JSON or the form's Host field: ``host`` = ``http://127.0.0.1:41511`` (whole URL);
    - URI ``whatsapp://:KEY@127.0.0.1:41511/``: ``host`` = ``127.0.0.1``, ``port`` = 41511
      (``whatsapp://http://:KEY@127.0.0.1:41511/`` also gives ``host`` = ``http://127.0.0.1``);
    - JSON with ``host`` and ``port`` fields, and ``schema`` = ``http``/``https``, the scheme
      (a URI's path: ``whatsapp://:KEY@host:8443/https``), as Airflow's HTTP hook reads it.

    All of them give one URL. With no scheme anywhere it is https, except for a loopback
    host (``localhost``, ``127.0.0.1``, ``::1``), which is http: that is what a local
    emulator or proxy serves, and nothing leaves the machine. A scheme or port given twice
    that disagree is an error naming both, never a guess.
    """
    host = (conn.host or "").strip()
    schema = (conn.schema or "").strip().lower()
    port: Any = conn.port
    where = f"connection {conn.conn_id!r}"
    if schema and schema not in ("http", "https"):
        raise WhatsAppConfigError(
            f"{where}: schema {conn.schema!r} is not a URL scheme: the schema field (a URI "
            "connection's path) is the gateway's scheme, 'http' or 'https', or empty"
        )
    if not host:
        if port not in (None, "") or schema:
            raise WhatsAppConfigError(
                f"{where}: port or schema is set but host is empty: give the gateway's host "
                f"(default {DEFAULT_GATEWAY_URL})"
            )
        return DEFAULT_GATEWAY_URL
    if "://" in host:
        own = host.split("://", 1)[0].lower()
        if schema and own != schema:
            raise WhatsAppConfigError(
                f"{where}: host {host!r} says {own!r} but schema says {schema!r}: keep one of them"
            )
    url = _with_scheme(host, schema or None)
    parts = urlsplit(url)
    try:
        own_port = parts.port
    except ValueError:
        raise WhatsAppConfigError(f"{where}: host {host!r} has an invalid port") from None
    if port in (None, ""):
        return urlunsplit(parts)  # the scheme lower-cased, as the key's host check reads it
    try:
        number = int(port)
    except (TypeError, ValueError):
        number = 0
    if not 0 < number < 65536 or isinstance(port, bool):
        raise WhatsAppConfigError(f"{where}: port must be 1 to 65535, got {port!r}")
    if own_port is not None:
        if own_port != number:
            raise WhatsAppConfigError(
                f"{where}: host {host!r} says port {own_port} but the port field says "
                f"{number}: keep one of them"
            )
        return urlunsplit(parts)
    netloc = f"{parts.netloc}:{number}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def check_connection_type(conn: Connection) -> None:
    """A connection of another type (``http``, ...) is someone else's: its fields mean
    other things, so nothing is sent with it. A connection with no type at all (a JSON
    env var that leaves ``conn_type`` out) is taken as ``whatsapp``."""
    if conn.conn_type and conn.conn_type != WhatsAppHook.conn_type:
        raise WhatsAppConfigError(
            f"connection {conn.conn_id!r} is of type {conn.conn_type!r}, but the WhatsApp "
            f"hook needs a connection of type {WhatsAppHook.conn_type!r}: set its conn_type "
            f"to {WhatsAppHook.conn_type!r} (URI: whatsapp://...), or give whatsapp_conn_id "
            "a whatsapp connection"
        )


def config_from_connection(
    conn: Connection,
    *,
    extra: dict[str, Any] | None = None,
    mask: bool = True,
    **overrides: Any,
) -> ClientConfig:
    """Map the Airflow connection's fields (docs: "Connection set-up") onto :class:`ClientConfig`.

    ``extra``: the connection's extra already read (the async path reads it without a
    blocking supervisor call); ``mask=False``: the caller registers the key itself.
    """
    check_connection_type(conn)
    if extra is None:
        extra = conn.extra_dejson or {}
    key = conn.password or os.environ.get(API_KEY_ENV, "")
    if not key:
        raise WhatsAppConfigError(
            f"connection {conn.conn_id!r} has no Maton API key: set its password, "
            f"or the {API_KEY_ENV} environment variable"
        )
    if mask:
        _mask(key)
    host = gateway_url(conn)
    ctrl_host = str(extra.get("ctrl_host") or "").strip()
    ctrl = _with_scheme(ctrl_host) if ctrl_host else ""  # "": ClientConfig's default_ctrl_url
    insecure = _extra_bool(extra, "allow_insecure_http", conn.conn_id)
    # Checked here first so the error names the connection's fields (ClientConfig checks
    # again in its own terms, for users of the bare client).
    for field, url in (("host", host), ("extra 'ctrl_host'", ctrl)):
        check_secure_url(
            field,
            url,
            allowed=insecure,
            switch="the connection's extra allow_insecure_http to true",
            where=f"connection {conn.conn_id!r}: ",
        )
    rate = _extra_number(extra, "rate_limit", 10, conn.conn_id)
    share = extra.get("bulk_rate_share")
    try:
        share = check_rate_share(DEFAULT_BULK_RATE_SHARE if share in (None, "") else share)
    except ValueError as exc:
        raise WhatsAppConfigError(f"connection {conn.conn_id!r}: extra {exc}") from None
    settings: dict[str, Any] = {
        "api_key": key,
        "base_url": host,
        "ctrl_url": ctrl,
        "maton_connection": extra.get("maton_connection") or None,
        "phone_number_id": str(extra["phone_number_id"]) if extra.get("phone_number_id") else None,
        "waba_id": str(extra["waba_id"]) if extra.get("waba_id") else None,
        "api_version": extra.get("api_version") or DEFAULT_API_VERSION,
        "timeout": _extra_number(extra, "timeout", 30, conn.conn_id),
        "rate_limit": rate if rate > 0 else None,
        "max_retries": _extra_number(extra, "max_retries", 5, conn.conn_id),
        "bulk_rate_share": share,
        "allow_insecure_http": insecure,
    }
    settings.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return ClientConfig(**settings)
    except ValueError as exc:
        raise WhatsAppConfigError(f"connection {conn.conn_id!r}: {exc}") from None


def _mask(secret: str) -> None:
    """Register the key with Airflow's secrets masker, so no log line shows it."""
    from airflow.sdk.log import mask_secret

    mask_secret(secret)


async def _amask(secret: str) -> None:
    """:func:`_mask` for the event loop: a blocking supervisor call there can deadlock."""
    if AIRFLOW_V_3_3_PLUS:
        from airflow.sdk.log import amask_secret

        await amask_secret(secret)
    else:  # no async masker yet: the blocking one, in a worker thread
        from asgiref.sync import sync_to_async

        await sync_to_async(_mask)(secret)


class WhatsAppHook(BaseHook):
    """Talk to WhatsApp Business through Maton, with an Airflow connection of type ``whatsapp``.

    Its clients hold pooled connections: :meth:`close` (or ``with hook:``) closes the sync
    one, :meth:`aclose` (or ``async with hook:``) that and every async client it handed out.

    :param whatsapp_conn_id: the connection (password = Maton API key).
    :param phone_number_id: overrides the connection's ``phone_number_id`` extra.
    :param waba_id: overrides the connection's ``waba_id`` extra.
    :param timeout: overrides the connection's ``timeout`` extra (seconds per request).
    :param max_retries: overrides the connection's ``max_retries`` extra.
    :param retry_budget: total seconds one call may wait between attempts (None: unbounded).
    """

    conn_name_attr = "whatsapp_conn_id"
    default_conn_name = DEFAULT_CONN_ID
    conn_type = "whatsapp"
    hook_name = "WhatsApp Business (Maton)"

    def __init__(
        self,
        whatsapp_conn_id: str = default_conn_name,
        *,
        phone_number_id: str | None = None,
        waba_id: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        retry_budget: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.whatsapp_conn_id = whatsapp_conn_id
        self._overrides: dict[str, Any] = {
            "phone_number_id": phone_number_id,
            "waba_id": waba_id,
            "timeout": timeout,
            "max_retries": max_retries,
            "retry_budget": retry_budget,
        }
        self._async_clients: list[AsyncWhatsAppClient] = []

    # -- configuration ------------------------------------------------------------------
    @cached_property
    def config(self) -> ClientConfig:
        """The client settings read from the Airflow connection (key, hosts, ids, limits)."""
        return config_from_connection(self.get_connection(self.whatsapp_conn_id), **self._overrides)

    async def get_async_config(self) -> ClientConfig:
        """The config through Airflow's async connection look-up (safe in the triggerer)."""
        if "config" in self.__dict__:
            return self.config
        # Masking the connection's secrets calls the supervisor; from the event loop a
        # blocking call raises DeadlockImminentError while another asend() is in flight.
        if AIRFLOW_V_3_3_2_PLUS:  # the task SDK masks asynchronously
            conn = await self.aget_connection(self.whatsapp_conn_id)
            extra: dict[str, Any] = await conn.aextra_dejson() or {}
        else:  # aget_connection and extra_dejson would block: the sync look-up in a thread
            from asgiref.sync import sync_to_async

            conn = await sync_to_async(self.get_connection)(self.whatsapp_conn_id)
            extra = await sync_to_async(lambda: conn.extra_dejson or {})()
        config = config_from_connection(conn, extra=extra, mask=False, **self._overrides)
        await _amask(config.api_key)
        self.__dict__["config"] = config
        return config

    # -- clients ------------------------------------------------------------------------
    def get_conn(self) -> WhatsAppClient:
        """The sync client (one per hook, pooled)."""
        return self.client

    @cached_property
    def client(self) -> WhatsAppClient:
        """The sync client for this connection, made once (the same as :meth:`get_conn`)."""
        from ..client import WhatsAppClient

        return WhatsAppClient(self.config)

    async def get_async_conn(
        self, *, concurrency: int = 8, bulk: bool = False, rate_share: float | None = None
    ) -> AsyncWhatsAppClient:
        """A new async client; close it with ``await client.aclose()`` (or the hook's
        :meth:`aclose`, which closes every one it handed out).

        ``bulk=True``: limited to ``rate_share`` of the connection's rate (default its
        ``bulk_rate_share`` extra, 0.8), leaving the rest to alerts and single sends.
        """
        from ..client import AsyncWhatsAppClient

        config = await self.get_async_config()
        if bulk:
            config = config.for_bulk(rate_share)
        client = AsyncWhatsAppClient(config, concurrency=concurrency)
        self._async_clients.append(client)
        return client

    def close(self) -> None:
        """Close the sync client's connections, if it was made (used again, the hook makes
        a new one). The operators and the sensor call it when ``execute`` ends."""
        client = self.__dict__.pop("client", None)
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        """:meth:`close`, and close every async client :meth:`get_async_conn` handed out."""
        clients, self._async_clients = self._async_clients, []
        for client in clients:
            await client.aclose()
        self.close()

    def __enter__(self) -> WhatsAppHook:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> WhatsAppHook:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- UI -------------------------------------------------------------------------------
    def test_connection(self) -> tuple[bool, str]:
        """Read-only check from the connection form: never sends a message."""
        from ..client.errors import WhatsAppError

        try:
            config = self.config.with_changes(max_retries=0)
            from ..client import WhatsAppClient

            with WhatsAppClient(config) as client:
                if config.phone_number_id:
                    number = client.get_phone_number()
                    shown = number.get("display_phone_number") or number.get("id")
                    return True, f"Connected: phone number {shown}"
                if config.waba_id:
                    numbers = client.list_phone_numbers()
                    return True, f"Connected: {len(numbers)} phone number(s) in the account"
                connections = client.list_maton_connections()
                return True, f"Key accepted: {len(connections)} ACTIVE Maton connection(s)"
        except WhatsAppError as exc:
            return False, str(exc)

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Airflow 3.1 reads the form layout here (3.2+ reads provider info), with the
        hook-style keys (``hidden_fields``, not provider info's ``hidden-fields``)."""
        info: dict[str, Any] = _connection_type()["ui-field-behaviour"]
        return {key.replace("-", "_"): value for key, value in info.items()}

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """Airflow 3.1 draws the extra fields from here (3.2+ reads ``conn-fields`` of
        provider info and never calls this). Built from those ``conn-fields``, so the form
        is described once. The UI libraries are imported here only: 3.1's UI stands in
        its own light versions of them when flask-appbuilder is not installed."""
        from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
        from flask_babel import lazy_gettext
        from wtforms import BooleanField, IntegerField, StringField
        from wtforms.validators import Optional

        widgets: dict[str, Any] = {}
        for name, field in _connection_type()["conn-fields"].items():
            types = field["schema"]["type"]
            if "boolean" in types:  # a checkbox: no text widget
                widgets[name] = BooleanField(
                    lazy_gettext(field["label"]),
                    description=field.get("description", ""),
                    default=field["schema"].get("default", False),
                )
                continue
            # 3.1 knows no float field: numbers go in as text, which the hook parses
            kind = IntegerField if "integer" in types else StringField
            default = field["schema"].get("default")
            widgets[name] = kind(
                lazy_gettext(field["label"]),
                widget=BS3TextFieldWidget(),
                validators=[Optional()],
                description=field.get("description", ""),
                default=default if kind is IntegerField or default is None else str(default),
            )
        return widgets


def _connection_type() -> dict[str, Any]:
    """This provider's ``connection-types`` entry of its provider info."""
    from .. import get_provider_info

    entry: dict[str, Any] = get_provider_info()["connection-types"][0]
    return entry
