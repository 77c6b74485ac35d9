"""``WhatsAppHook``: an Airflow connection in, a configured client out."""

from __future__ import annotations

import os
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseHook

from ..client.config import DEFAULT_API_VERSION, DEFAULT_GATEWAY_URL, ClientConfig
from ..client.errors import WhatsAppConfigError
from . import DEFAULT_CONN_ID

if TYPE_CHECKING:
    from airflow.sdk import Connection

    from ..client import AsyncWhatsAppClient, WhatsAppClient

API_KEY_ENV = "MATON_API_KEY"


def _extra_number(extra: dict[str, Any], name: str, default: float, conn_id: str) -> float:
    value = extra.get(name)
    if value in (None, ""):
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        raise WhatsAppConfigError(
            f"connection {conn_id!r}: extra {name!r} must be a number, got {value!r}"
        ) from None


def _with_scheme(url: str) -> str:
    """A bare host name (``gateway.maton.ai``), as the form's Host field invites, is https."""
    return url if "://" in url else f"https://{url}"


def config_from_connection(
    conn: Connection,
    *,
    extra: dict[str, Any] | None = None,
    mask: bool = True,
    **overrides: Any,
) -> ClientConfig:
    """Map the Airflow connection's fields (see DESIGN.md) onto :class:`ClientConfig`.

    ``extra``: the connection's extra already read (the async path reads it without a
    blocking supervisor call); ``mask=False``: the caller registers the key itself.
    """
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
    host = _with_scheme((conn.host or "").strip() or DEFAULT_GATEWAY_URL)
    ctrl_host = str(extra.get("ctrl_host") or "").strip()
    ctrl = _with_scheme(ctrl_host) if ctrl_host else ""  # "": ClientConfig's default_ctrl_url
    rate = _extra_number(extra, "rate_limit", 10, conn.conn_id)
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
        "max_retries": int(_extra_number(extra, "max_retries", 5, conn.conn_id)),
    }
    settings.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return ClientConfig(**settings)
    except ValueError as exc:
        raise WhatsAppConfigError(f"connection {conn.conn_id!r}: {exc}") from None


def _mask(secret: str) -> None:
    """Register the key with Airflow's secrets masker, so no log line shows it."""
    try:
        from airflow.sdk.log import mask_secret
    except ImportError:  # pragma: no cover - task SDKs before mask_secret moved there
        return
    mask_secret(secret)


async def _amask(secret: str) -> None:
    """:func:`_mask` for the event loop: a blocking supervisor call there can deadlock."""
    try:
        from airflow.sdk.log import amask_secret
    except ImportError:  # pragma: no cover - task SDKs without amask_secret
        from asgiref.sync import sync_to_async

        await sync_to_async(_mask)(secret)
        return
    await amask_secret(secret)


async def _async_extra(conn: Connection) -> dict[str, Any]:
    """``conn.extra_dejson`` without a blocking supervisor call on the event loop."""
    aextra_dejson = getattr(conn, "aextra_dejson", None)
    if aextra_dejson is not None:
        extra: dict[str, Any] = await aextra_dejson()
    else:  # pragma: no cover - task SDKs before 3.3.2: in a worker thread
        from asgiref.sync import sync_to_async

        extra = await sync_to_async(lambda: conn.extra_dejson)()
    return extra or {}


class WhatsAppHook(BaseHook):
    """Talk to WhatsApp Business through Maton, with an Airflow connection of type ``whatsapp``.

    :param whatsapp_conn_id: the connection (password = Maton API key).
    :param phone_number_id: overrides the connection's ``phone_number_id`` extra.
    :param waba_id: overrides the connection's ``waba_id`` extra.
    :param timeout: overrides the connection's ``timeout`` extra (seconds per request).
    :param max_retries: overrides the connection's ``max_retries`` extra.
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
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.whatsapp_conn_id = whatsapp_conn_id
        self._overrides: dict[str, Any] = {
            "phone_number_id": phone_number_id,
            "waba_id": waba_id,
            "timeout": timeout,
            "max_retries": max_retries,
        }
        self._template_cache: dict[tuple[str, str | None], dict[str, Any] | None] = {}

    # -- configuration ------------------------------------------------------------------
    @cached_property
    def config(self) -> ClientConfig:
        return config_from_connection(self.get_connection(self.whatsapp_conn_id), **self._overrides)

    async def get_async_config(self) -> ClientConfig:
        """The config through Airflow's async connection look-up (safe in the triggerer)."""
        if "config" in self.__dict__:
            return self.config
        try:
            from airflow.providers.common.compat.connection import get_async_connection
        except ImportError:  # pragma: no cover - without the compat provider
            from asgiref.sync import sync_to_async

            conn = await sync_to_async(self.get_connection)(self.whatsapp_conn_id)
        else:
            conn = await get_async_connection(self.whatsapp_conn_id, hook=self)
        # conn.extra_dejson and mask_secret() would call the supervisor synchronously: from
        # the event loop that raises DeadlockImminentError while another asend() is in flight.
        extra = await _async_extra(conn)
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
        from ..client import WhatsAppClient

        return WhatsAppClient(self.config)

    async def get_async_conn(self, *, concurrency: int = 8) -> AsyncWhatsAppClient:
        """A new async client; close it with ``await client.aclose()``."""
        from ..client import AsyncWhatsAppClient

        return AsyncWhatsAppClient(await self.get_async_config(), concurrency=concurrency)

    # -- thin pass-throughs -----------------------------------------------------------------
    def send_message(self, message: Any) -> dict[str, Any]:
        return self.client.send_message(message)

    def mark_as_read(self, message_id: str) -> dict[str, Any]:
        return self.client.mark_as_read(message_id)

    def upload_media(self, file: Any, mime_type: str | None = None) -> str:
        return self.client.upload_media(file, mime_type)

    def get_media(self, media_id: str) -> dict[str, Any]:
        return self.client.get_media(media_id)

    def delete_media(self, media_id: str) -> dict[str, Any]:
        return self.client.delete_media(media_id)

    def list_templates(self, **filters: Any) -> list[dict[str, Any]]:
        return self.client.list_templates(**filters)

    def get_template(self, name: str, language: str | None = None) -> dict[str, Any] | None:
        return self.client.get_template(name, language)

    def get_template_cached(self, name: str, language: str | None = None) -> dict[str, Any] | None:
        """Like :meth:`get_template`, fetched once per hook (pre-flight checks of sends)."""
        key = (name, language)
        if key not in self._template_cache:
            self._template_cache[key] = self.client.get_template(name, language)
        return self._template_cache[key]

    def create_template(self, definition: Any) -> dict[str, Any]:
        return self.client.create_template(definition)

    def delete_template(self, name: str, language: str | None = None) -> dict[str, Any]:
        return self.client.delete_template(name, language)

    def list_phone_numbers(self) -> list[dict[str, Any]]:
        return self.client.list_phone_numbers()

    def get_phone_number(self, phone_number_id: str | None = None) -> dict[str, Any]:
        return self.client.get_phone_number(phone_number_id)

    def get_business_profile(self) -> dict[str, Any]:
        return self.client.get_business_profile()

    def update_business_profile(self, **fields: Any) -> dict[str, Any]:
        return self.client.update_business_profile(**fields)

    def list_maton_connections(self, status: str | None = "ACTIVE") -> list[dict[str, Any]]:
        return self.client.list_maton_connections(status)

    def create_maton_connection(self) -> dict[str, Any]:
        return self.client.create_maton_connection()

    def get_maton_connection(self, connection_id: str) -> dict[str, Any]:
        return self.client.get_maton_connection(connection_id)

    def delete_maton_connection(self, connection_id: str) -> dict[str, Any]:
        return self.client.delete_maton_connection(connection_id)

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
        """Airflow < 3.2 reads the form layout here (3.2+ reads provider info)."""
        from .. import get_provider_info

        info: dict[str, Any] = get_provider_info()["connection-types"][0]["ui-field-behaviour"]
        return info
