"""Turn an operation (see :mod:`.api`) into a sync or an async client method."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from .config import ClientConfig
from .request import ApiRequest

P = ParamSpec("P")
T = TypeVar("T")
Op = Callable[Concatenate[ClientConfig, P], Generator[ApiRequest, Any, T]]


class _SyncOwner(Protocol):
    config: ClientConfig

    def _execute(self, request: ApiRequest) -> Any: ...


class _AsyncOwner(Protocol):
    config: ClientConfig

    async def _execute(self, request: ApiRequest) -> Any: ...


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


def sync_method(op: Op[P, T]) -> Callable[Concatenate[Any, P], T]:
    def method(self: _SyncOwner, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return run_sync(op(self.config, *args, **kwargs), self._execute)

    method.__name__ = op.__name__
    method.__doc__ = op.__doc__
    return method


def async_method(op: Op[P, T]) -> Callable[Concatenate[Any, P], Awaitable[T]]:
    async def method(self: _AsyncOwner, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await run_async(op(self.config, *args, **kwargs), self._execute)

    method.__name__ = op.__name__
    method.__doc__ = op.__doc__
    return method
