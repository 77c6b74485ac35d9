"""``WhatsAppClient`` and ``AsyncWhatsAppClient``: the same calls, blocking and awaited.

How the code is laid out, and why:

* Each API call is described once, in :mod:`.api`: a generator that builds the requests
  (paths, payload validation, paging) and turns answers into a result, with no I/O.
* Each client writes every call out as a plain method with the call's real parameters
  and return type, and hands the generator to ``_run``: :func:`._runner.run_sync` on
  :class:`WhatsAppClient`, :func:`._runner.run_async` on :class:`AsyncWhatsAppClient`.
  The two classes differ only in ``def`` / ``async def`` and ``await``; each method's
  docstring is written once, on :class:`WhatsAppClient`, and shared with its twin.

Writing the methods out (as httpx does for ``Client`` and ``AsyncClient``) costs a few
lines per call, and buys what generated methods cannot: ``help()``, ``inspect.signature``,
IDE completion, Sphinx and ``mypy --strict`` all read the same source a newcomer reads,
with no descriptor to understand first. ``tests/client/test_client_methods.py`` checks
that both clients keep the same methods as :mod:`.api`, with the same parameters and one
docstring each.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any, TypeVar

from . import api
from ._runner import run_async, run_sync
from .api import Operation
from .config import ClientConfig
from .ratelimit import SlidingWindowLimiter
from .transport import AsyncBeforeSend, AsyncTransport, BeforeSend, SyncTransport

if TYPE_CHECKING:
    from ..message_templates.definition import TemplateDefinition
    from ..messages.base import Message

T = TypeVar("T")


class WhatsAppClient:
    """Blocking client for the WhatsApp Business API through the Maton gateway.

    Holds one pooled connection; use it as a context manager or call :meth:`close`.
    ``limiter`` replaces the rate limiter shared by every client of the account in this
    process. ``before_send`` hooks are called with each request just before it leaves,
    on every attempt (``client.before_send`` is the list, to add one later).
    """

    def __init__(
        self,
        config: ClientConfig,
        *,
        limiter: SlidingWindowLimiter | None = None,
        before_send: Iterable[BeforeSend] = (),
    ) -> None:
        self.config = config
        self.transport = SyncTransport(config, limiter, before_send=before_send)
        self.before_send: list[BeforeSend] = self.transport.before_send

    def __repr__(self) -> str:
        return f"WhatsAppClient({self.config.base_url!r})"

    def _run(self, call: Operation[T]) -> T:
        return run_sync(call, self.transport.send)

    def close(self) -> None:
        """Close the HTTP connections (``with WhatsAppClient(...)`` does it for you)."""
        self.transport.close()

    def __enter__(self) -> WhatsAppClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the calls (each described in .api) ------------------------------------------
    def send_message(
        self, message: Message | Mapping[str, Any], *, phone_number_id: str | None = None
    ) -> dict[str, Any]:
        """Send one message; returns the API's answer (``messages[0]["id"]`` is its wamid).

        ``message`` is a message model (:mod:`airflow_provider_whatsapp.messages`) or a dict in
        the API's JSON shape, validated into one before any request: a bad one raises
        :class:`~.errors.MessageValidationError` (a ``ValueError``) naming the field.
        ``phone_number_id`` overrides the config's sender. A send whose answer is lost is
        not repeated (it may have landed): that raises :class:`~.errors.AmbiguousSendError`.
        """
        return self._run(api.send_message(self.config, message, phone_number_id=phone_number_id))

    def mark_as_read(
        self, message_id: str, *, phone_number_id: str | None = None
    ) -> dict[str, Any]:
        """Mark the received message ``message_id`` as read; returns ``{"success": True}``."""
        return self._run(api.mark_as_read(self.config, message_id, phone_number_id=phone_number_id))

    def upload_media(
        self,
        file: str | os.PathLike[str] | bytes | IO[bytes],
        mime_type: str | None = None,
        *,
        phone_number_id: str | None = None,
    ) -> str:
        """Upload a file to send by id; returns the media id.

        ``file`` is a path (streamed from disk, never read whole into memory), bytes, or a
        binary file object. ``mime_type`` defaults to what the file name's extension, else its
        first bytes, tell; when neither does, :class:`~.errors.WhatsAppConfigError` is raised
        before any request.
        """
        return self._run(
            api.upload_media(self.config, file, mime_type, phone_number_id=phone_number_id)
        )

    def get_media(self, media_id: str) -> dict[str, Any]:
        """Media metadata: ``url`` (on Meta's CDN, valid five minutes), ``mime_type``,
        ``sha256`` and ``file_size``."""
        return self._run(api.get_media(self.config, media_id))

    def download_media(self, media_id: str) -> bytes:
        """The media's bytes, fetched from its CDN URL without the Maton key."""
        return self._run(api.download_media(self.config, media_id))

    def delete_media(self, media_id: str) -> dict[str, Any]:
        """Delete an uploaded media item; returns ``{"success": True}``."""
        return self._run(api.delete_media(self.config, media_id))

    def list_templates(self, *, waba_id: str | None = None, **filters: Any) -> list[dict[str, Any]]:
        """Every message template of the account, across all pages.

        ``filters`` become query parameters (``name=``, ``status=``, ``category=``,
        ``language=``...); ``waba_id`` overrides the config's account.
        """
        return self._run(api.list_templates(self.config, waba_id=waba_id, **filters))

    def get_template(
        self, name: str, language: str | None = None, *, waba_id: str | None = None
    ) -> dict[str, Any] | None:
        """The template named ``name`` (in ``language`` if given), or ``None`` if there is none."""
        return self._run(api.get_template(self.config, name, language, waba_id=waba_id))

    def create_template(
        self, definition: TemplateDefinition | Mapping[str, Any], *, waba_id: str | None = None
    ) -> dict[str, Any]:
        """Submit a new template for review; returns its ``id``, ``status`` and ``category``.

        ``definition`` is a :class:`~airflow_provider_whatsapp.message_templates.definition.TemplateDefinition`
        or a create-request dict, validated before any request
        (:class:`~airflow_provider_whatsapp.message_templates.definition.TemplateDefinitionError`,
        a ``ValueError``, naming the field).
        Not repeated when its answer is lost.
        """
        return self._run(api.create_template(self.config, definition, waba_id=waba_id))

    def edit_template(self, template_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Edit the ``components`` and/or ``category`` of the template with id ``template_id``."""
        return self._run(api.edit_template(self.config, template_id, changes))

    def delete_template(
        self, name: str, language: str | None = None, *, waba_id: str | None = None
    ) -> dict[str, Any]:
        """Delete every language of template ``name``, or only its ``language`` one.

        With ``language``, a template that does not exist raises :class:`~.errors.NotFoundError`.
        """
        return self._run(api.delete_template(self.config, name, language, waba_id=waba_id))

    def list_phone_numbers(self, *, waba_id: str | None = None) -> list[dict[str, Any]]:
        """The account's phone numbers, across all pages."""
        return self._run(api.list_phone_numbers(self.config, waba_id=waba_id))

    def get_phone_number(
        self, phone_number_id: str | None = None, *, fields: Sequence[str] | None = None
    ) -> dict[str, Any]:
        """One phone number's details (the config's sender unless ``phone_number_id`` is given).

        ``fields`` asks for these fields only (Graph's ``?fields=``), e.g. the messaging
        limit before a bulk send: ``["whatsapp_business_manager_messaging_limit",
        "quality_rating", "throughput"]`` (``TIER_250``..., ``GREEN`` / ``YELLOW`` /
        ``RED``, ``{"level": "STANDARD"}``). A field the API does not know is refused with
        :class:`~.errors.InvalidRequestError` (Graph code 100).
        """
        return self._run(api.get_phone_number(self.config, phone_number_id, fields=fields))

    def get_business_profile(self, *, phone_number_id: str | None = None) -> dict[str, Any]:
        """The business profile customers see: ``about``, ``address``, ``description``,
        ``email``, ``websites``, ``vertical`` and ``profile_picture_url``."""
        return self._run(api.get_business_profile(self.config, phone_number_id=phone_number_id))

    def update_business_profile(
        self, *, phone_number_id: str | None = None, **fields: Any
    ) -> dict[str, Any]:
        """Change business profile fields (``about=``, ``address=``, ``description=``,
        ``email=``, ``websites=``, ``vertical=``, ``profile_picture_handle=``), validated
        before any request (:class:`~.errors.WhatsAppValidationError`, a ``ValueError``,
        naming the field)."""
        return self._run(
            api.update_business_profile(self.config, phone_number_id=phone_number_id, **fields)
        )

    def list_maton_connections(self, status: str | None = "ACTIVE") -> list[dict[str, Any]]:
        """The key's Maton connections to WhatsApp Business in ``status`` (``None``: any),
        each with its id under ``connection_id`` (also when Maton spells it
        ``connection_Id`` or nests the connection in ``connection``)."""
        return self._run(api.list_maton_connections(self.config, status))

    def create_maton_connection(self) -> dict[str, Any]:
        """Start a new Maton connection; a person opens the returned ``url`` to finish it
        (its id under ``connection_id``, however Maton spells it)."""
        return self._run(api.create_maton_connection(self.config))

    def get_maton_connection(self, connection_id: str) -> dict[str, Any]:
        """One Maton connection (``connection_id``, however Maton spells it, ``status``...)."""
        return self._run(api.get_maton_connection(self.config, connection_id))

    def delete_maton_connection(self, connection_id: str) -> dict[str, Any]:
        """Delete the Maton connection ``connection_id``."""
        return self._run(api.delete_maton_connection(self.config, connection_id))


class AsyncWhatsAppClient:
    """Async twin of :class:`WhatsAppClient`: the same methods, awaited.

    ``concurrency`` sizes the connection pool for that many requests in flight.
    ``before_send`` hooks are awaited with each request just before it leaves, on every
    attempt (``client.before_send`` is the list, to add one later).
    """

    def __init__(
        self,
        config: ClientConfig,
        *,
        limiter: SlidingWindowLimiter | None = None,
        concurrency: int = 8,
        before_send: Iterable[AsyncBeforeSend] = (),
    ) -> None:
        self.config = config
        self.transport = AsyncTransport(
            config, limiter, concurrency=concurrency, before_send=before_send
        )
        self.before_send: list[AsyncBeforeSend] = self.transport.before_send

    def __repr__(self) -> str:
        return f"AsyncWhatsAppClient({self.config.base_url!r})"

    async def _run(self, call: Operation[T]) -> T:
        return await run_async(call, self.transport.send)

    async def aclose(self) -> None:
        """Close the HTTP connections (``async with`` does it for you)."""
        await self.transport.aclose()

    async def __aenter__(self) -> AsyncWhatsAppClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- the calls (each described in .api) ------------------------------------------
    async def send_message(
        self, message: Message | Mapping[str, Any], *, phone_number_id: str | None = None
    ) -> dict[str, Any]:
        return await self._run(
            api.send_message(self.config, message, phone_number_id=phone_number_id)
        )

    async def mark_as_read(
        self, message_id: str, *, phone_number_id: str | None = None
    ) -> dict[str, Any]:
        return await self._run(
            api.mark_as_read(self.config, message_id, phone_number_id=phone_number_id)
        )

    async def upload_media(
        self,
        file: str | os.PathLike[str] | bytes | IO[bytes],
        mime_type: str | None = None,
        *,
        phone_number_id: str | None = None,
    ) -> str:
        return await self._run(
            api.upload_media(self.config, file, mime_type, phone_number_id=phone_number_id)
        )

    async def get_media(self, media_id: str) -> dict[str, Any]:
        return await self._run(api.get_media(self.config, media_id))

    async def download_media(self, media_id: str) -> bytes:
        return await self._run(api.download_media(self.config, media_id))

    async def delete_media(self, media_id: str) -> dict[str, Any]:
        return await self._run(api.delete_media(self.config, media_id))

    async def list_templates(
        self, *, waba_id: str | None = None, **filters: Any
    ) -> list[dict[str, Any]]:
        return await self._run(api.list_templates(self.config, waba_id=waba_id, **filters))

    async def get_template(
        self, name: str, language: str | None = None, *, waba_id: str | None = None
    ) -> dict[str, Any] | None:
        return await self._run(api.get_template(self.config, name, language, waba_id=waba_id))

    async def create_template(
        self, definition: TemplateDefinition | Mapping[str, Any], *, waba_id: str | None = None
    ) -> dict[str, Any]:
        return await self._run(api.create_template(self.config, definition, waba_id=waba_id))

    async def edit_template(self, template_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        return await self._run(api.edit_template(self.config, template_id, changes))

    async def delete_template(
        self, name: str, language: str | None = None, *, waba_id: str | None = None
    ) -> dict[str, Any]:
        return await self._run(api.delete_template(self.config, name, language, waba_id=waba_id))

    async def list_phone_numbers(self, *, waba_id: str | None = None) -> list[dict[str, Any]]:
        return await self._run(api.list_phone_numbers(self.config, waba_id=waba_id))

    async def get_phone_number(
        self, phone_number_id: str | None = None, *, fields: Sequence[str] | None = None
    ) -> dict[str, Any]:
        return await self._run(api.get_phone_number(self.config, phone_number_id, fields=fields))

    async def get_business_profile(self, *, phone_number_id: str | None = None) -> dict[str, Any]:
        return await self._run(
            api.get_business_profile(self.config, phone_number_id=phone_number_id)
        )

    async def update_business_profile(
        self, *, phone_number_id: str | None = None, **fields: Any
    ) -> dict[str, Any]:
        return await self._run(
            api.update_business_profile(self.config, phone_number_id=phone_number_id, **fields)
        )

    async def list_maton_connections(self, status: str | None = "ACTIVE") -> list[dict[str, Any]]:
        return await self._run(api.list_maton_connections(self.config, status))

    async def create_maton_connection(self) -> dict[str, Any]:
        return await self._run(api.create_maton_connection(self.config))

    async def get_maton_connection(self, connection_id: str) -> dict[str, Any]:
        return await self._run(api.get_maton_connection(self.config, connection_id))

    async def delete_maton_connection(self, connection_id: str) -> dict[str, Any]:
        return await self._run(api.delete_maton_connection(self.config, connection_id))


def _share_docstrings() -> None:
    """Each call's docstring is written once, on :class:`WhatsAppClient`; the awaited twin
    takes it (``help()``, Sphinx and IDEs read ``__doc__``)."""
    for name, method in vars(AsyncWhatsAppClient).items():
        twin = getattr(WhatsAppClient, name, None)
        if callable(method) and twin is not None and method.__doc__ is None:
            method.__doc__ = twin.__doc__


_share_docstrings()
