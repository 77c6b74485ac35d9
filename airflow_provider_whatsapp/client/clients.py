"""``WhatsAppClient`` and ``AsyncWhatsAppClient``: the same calls, sync and async."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from . import api
from ._drive import Call
from .config import ClientConfig
from .ratelimit import SlidingWindowLimiter
from .request import ApiRequest
from .transport import AsyncTransport, SyncTransport


class _Calls:
    """Every API call, named once: blocking on :class:`WhatsAppClient`, awaited on
    :class:`AsyncWhatsAppClient` (see :mod:`.api` for what each does)."""

    is_async = False
    config: ClientConfig

    send_message = Call(api.send_message)
    mark_as_read = Call(api.mark_as_read)
    upload_media = Call(api.upload_media)
    get_media = Call(api.get_media)
    download_media = Call(api.download_media)
    delete_media = Call(api.delete_media)
    list_templates = Call(api.list_templates)
    get_template = Call(api.get_template)
    create_template = Call(api.create_template)
    edit_template = Call(api.edit_template)
    delete_template = Call(api.delete_template)
    list_phone_numbers = Call(api.list_phone_numbers)
    get_phone_number = Call(api.get_phone_number)
    get_business_profile = Call(api.get_business_profile)
    update_business_profile = Call(api.update_business_profile)
    list_maton_connections = Call(api.list_maton_connections)
    create_maton_connection = Call(api.create_maton_connection)
    get_maton_connection = Call(api.get_maton_connection)
    delete_maton_connection = Call(api.delete_maton_connection)


class WhatsAppClient(_Calls):
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


class AsyncWhatsAppClient(_Calls):
    """Async twin of :class:`WhatsAppClient` (same methods, awaited).

    ``concurrency`` sizes the connection pool for that many requests in flight.
    """

    is_async = True

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
