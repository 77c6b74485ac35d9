"""Turn an operation (see :mod:`.api`) into a method of both clients.

An operation is a generator of :class:`ApiRequest` objects. :class:`Call` makes it a
method that :class:`~.clients.WhatsAppClient` runs synchronously and
:class:`~.clients.AsyncWhatsAppClient` awaits, so each call is named once for both.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, TypeVar, overload

from .config import ClientConfig
from .request import ApiRequest

if TYPE_CHECKING:
    from .clients import AsyncWhatsAppClient, WhatsAppClient

P = ParamSpec("P")
T = TypeVar("T")
Op = Callable[Concatenate[ClientConfig, P], Generator[ApiRequest, Any, T]]


def run_sync(operation: Generator[ApiRequest, Any, T], execute: Callable[[ApiRequest], Any]) -> T:
    try:
        request = next(operation)
        while True:
            request = operation.send(execute(request))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


async def run_async(
    operation: Generator[ApiRequest, Any, T], execute: Callable[[ApiRequest], Awaitable[Any]]
) -> T:
    try:
        request = next(operation)
        while True:
            request = operation.send(await execute(request))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


class Call(Generic[P, T]):
    """An operation as a client method: blocking on the sync client, awaited on the async."""

    def __init__(self, op: Op[P, T]) -> None:
        self.op = op
        self.__doc__ = op.__doc__

    @overload
    def __get__(self, client: None, owner: type) -> Call[P, T]: ...
    @overload
    def __get__(self, client: AsyncWhatsAppClient, owner: type) -> Callable[P, Awaitable[T]]: ...
    @overload
    def __get__(self, client: WhatsAppClient, owner: type) -> Callable[P, T]: ...
    def __get__(self, client: Any, owner: type) -> Any:
        if client is None:
            return self
        op, config, execute = self.op, client.config, client._execute
        if client.is_async:

            async def method_async(*args: Any, **kwargs: Any) -> Any:
                return await run_async(op(config, *args, **kwargs), execute)

            method: Any = method_async
        else:

            def method_sync(*args: Any, **kwargs: Any) -> Any:
                return run_sync(op(config, *args, **kwargs), execute)

            method = method_sync
        method.__name__ = method.__qualname__ = op.__name__
        method.__doc__ = op.__doc__
        return method
