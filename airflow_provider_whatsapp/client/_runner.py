"""The two runners that drive a call's request generator (see :mod:`.api`).

A call in :mod:`.api` yields :class:`~.request.ApiRequest` objects and receives each
answer back; it never does I/O itself. :func:`run_sync` drives it with a blocking
``send`` (the :class:`~.clients.WhatsAppClient`), :func:`run_async` with an awaited one
(the :class:`~.clients.AsyncWhatsAppClient`). This is the only place the two clients
differ in how a call runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import Any, TypeVar

from .request import ApiRequest

T = TypeVar("T")


def run_sync(call: Generator[ApiRequest, Any, T], send: Callable[[ApiRequest], Any]) -> T:
    """Send each request ``call`` yields with ``send`` and return what ``call`` returns."""
    try:
        request = next(call)
        while True:
            request = call.send(send(request))
    except StopIteration as done:
        result: T = done.value
        return result


async def run_async(
    call: Generator[ApiRequest, Any, T], send: Callable[[ApiRequest], Awaitable[Any]]
) -> T:
    """:func:`run_sync`, awaiting ``send``."""
    try:
        request = next(call)
        while True:
            request = call.send(await send(request))
    except StopIteration as done:
        result: T = done.value
        return result
