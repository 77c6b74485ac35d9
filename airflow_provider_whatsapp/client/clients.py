"""``WhatsAppClient`` and ``AsyncWhatsAppClient``: the same calls, sync and async."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from . import api
from ._drive import async_method, sync_method
from .config import ClientConfig
from .ratelimit import SlidingWindowLimiter
from .request import ApiRequest
from .transport import AsyncTransport, SyncTransport


class WhatsAppClient:
    """Blocking client for the WhatsApp Business API through the Maton gateway.

    Holds one pooled connection; use it as a context manager or call :meth:`close`.
    """

    def __init__(
        self, config: ClientConfig, *, limiter: SlidingWindowLimiter | None = None
    ) -> None:
        self.config = config
        self.transport = SyncTransport(config, limiter)

    def __repr__(self) -> str:
        return f"WhatsAppClient({self.config.base_url!r})"

    def _execute(self, request: ApiRequest) -> Any:
        return self.transport.send(request)

    send_message = sync_method(api.send_message)
    mark_as_read = sync_method(api.mark_as_read)
    upload_media = sync_method(api.upload_media)
    get_media = sync_method(api.get_media)
    download_media = sync_method(api.download_media)
    delete_media = sync_method(api.delete_media)
    list_templates = sync_method(api.list_templates)
    get_template = sync_method(api.get_template)
    create_template = sync_method(api.create_template)
    edit_template = sync_method(api.edit_template)
    delete_template = sync_method(api.delete_template)
    list_phone_numbers = sync_method(api.list_phone_numbers)
    get_phone_number = sync_method(api.get_phone_number)
    get_business_profile = sync_method(api.get_business_profile)
    update_business_profile = sync_method(api.update_business_profile)
    list_maton_connections = sync_method(api.list_maton_connections)
    create_maton_connection = sync_method(api.create_maton_connection)
    get_maton_connection = sync_method(api.get_maton_connection)
    delete_maton_connection = sync_method(api.delete_maton_connection)

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> WhatsAppClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncWhatsAppClient:
    """Async twin of :class:`WhatsAppClient` (same methods, awaited).

    ``concurrency`` sizes the connection pool for that many requests in flight.
    """

    def __init__(
        self,
        config: ClientConfig,
        *,
        limiter: SlidingWindowLimiter | None = None,
        concurrency: int = 8,
    ) -> None:
        self.config = config
        self.transport = AsyncTransport(config, limiter, concurrency=concurrency)

    def __repr__(self) -> str:
        return f"AsyncWhatsAppClient({self.config.base_url!r})"

    async def _execute(self, request: ApiRequest) -> Any:
        return await self.transport.send(request)

    send_message = async_method(api.send_message)
    mark_as_read = async_method(api.mark_as_read)
    upload_media = async_method(api.upload_media)
    get_media = async_method(api.get_media)
    download_media = async_method(api.download_media)
    delete_media = async_method(api.delete_media)
    list_templates = async_method(api.list_templates)
    get_template = async_method(api.get_template)
    create_template = async_method(api.create_template)
    edit_template = async_method(api.edit_template)
    delete_template = async_method(api.delete_template)
    list_phone_numbers = async_method(api.list_phone_numbers)
    get_phone_number = async_method(api.get_phone_number)
    get_business_profile = async_method(api.get_business_profile)
    update_business_profile = async_method(api.update_business_profile)
    list_maton_connections = async_method(api.list_maton_connections)
    create_maton_connection = async_method(api.create_maton_connection)
    get_maton_connection = async_method(api.get_maton_connection)
    delete_maton_connection = async_method(api.delete_maton_connection)

    async def aclose(self) -> None:
        await self.transport.aclose()

    async def __aenter__(self) -> AsyncWhatsAppClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
