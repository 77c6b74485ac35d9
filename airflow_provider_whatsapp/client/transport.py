"""Sending an :class:`ApiRequest`: auth headers, rate limit, retries, error parsing.

The sync and async transports share everything but the I/O call: URL and header
building, the retry policy (tenacity), and classification of answers and network
failures live here once.
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib
import itertools
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import tenacity

from .config import ClientConfig
from .errors import (
    AmbiguousSendError,
    WhatsAppConnectionError,
    WhatsAppError,
    error_from_response,
)
from .ratelimit import SlidingWindowLimiter, shared_limiter
from .request import ApiRequest

log = logging.getLogger(__name__)

USER_AGENT = "airflow-provider-whatsapp"

#: Failures where the request certainly did not leave: always safe to retry.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)

#: Awaited by the async transport after a request got its rate-limit slot and just
#: before it leaves, on every attempt: the bulk sender sets it in each recipient's task
#: to record that recipient in flight no earlier than needed. The slot is restamped on
#: departure, so time spent here never makes the gateway see a burst.
departure_gate: contextvars.ContextVar[Callable[[], Awaitable[None]] | None] = (
    contextvars.ContextVar("whatsapp_departure_gate", default=None)
)


class _SlotOnDeparture:
    """httpcore ``trace`` callback: moves the request's rate-limit slot to the moment its
    headers are written (:meth:`SlidingWindowLimiter.restamp`)."""

    def __init__(self, limiter: SlidingWindowLimiter, stamp: float) -> None:
        self.limiter = limiter
        self.stamp = stamp

    def __call__(self, event: str, info: dict[str, Any]) -> None:
        if event.endswith(".send_request_headers.started"):
            self.stamp = self.limiter.restamp(self.stamp)


class _AsyncSlotOnDeparture(_SlotOnDeparture):
    """The same for the async transport, where httpcore awaits the callback."""

    async def __call__(self, event: str, info: dict[str, Any]) -> None:  # type: ignore[override]
        super().__call__(event, info)


class _StopBeforeBudget(tenacity.stop.stop_base):
    """Stop when the next wait would take the call past ``budget`` seconds, counting its
    waits so far or its wall time, whichever is more."""

    def __init__(self, budget: float) -> None:
        self.budget = budget

    def __call__(self, state: tenacity.RetryCallState) -> bool:
        spent = max(state.idle_for, state.seconds_since_start or 0.0)
        return spent + state.upcoming_sleep > self.budget


class Transport:
    """Policy shared by both transports; subclasses only do the I/O."""

    def __init__(self, config: ClientConfig, limiter: SlidingWindowLimiter | None = None) -> None:
        self.config = config
        if limiter is None and config.rate_limit:
            limiter = shared_limiter(config.account_key, config.rate_limit)
        self.limiter = limiter
        self.attempts = 0  # every HTTP attempt, for tests and progress reports
        self.sleeps: list[float] = []  # every wait between attempts, Retry-After included

    def set_retry_budget(self, seconds: float | None) -> None:
        """Bound the waits of the calls from now on (what is left of a caller's budget)."""
        self.config = self.config.with_changes(retry_budget=seconds)

    # -- building -------------------------------------------------------------------
    def url_for(self, request: ApiRequest) -> str:
        if request.target == "gateway":
            return f"{self.config.gateway_prefix}/{request.path.lstrip('/')}"
        if request.target == "ctrl":
            return f"{self.config.ctrl_url}/{request.path.lstrip('/')}"
        return request.path

    def headers_for(self, request: ApiRequest) -> dict[str, str]:
        headers = {"User-Agent": USER_AGENT, **request.extra_headers}
        if request.target != "external":
            headers["Authorization"] = f"Bearer {self.config.api_key}"
            if self.config.maton_connection and request.target == "gateway":
                headers["Maton-Connection"] = self.config.maton_connection
        return headers

    def build(self, request: ApiRequest) -> dict[str, Any]:
        """Keyword arguments for ``httpx.Client.request``."""
        kwargs: dict[str, Any] = {
            "method": request.method,
            "url": self.url_for(request),
            "headers": self.headers_for(request),
        }
        if request.params:
            kwargs["params"] = {k: v for k, v in request.params.items() if v is not None}
        if request.json is not None:
            kwargs["json"] = request.json
        if request.data is not None:
            kwargs["data"] = request.data
        if request.files is not None:
            kwargs["files"] = request.files
        return kwargs

    # -- answers ----------------------------------------------------------------------
    def parse(self, request: ApiRequest, response: httpx.Response) -> Any:
        if response.is_success:
            if self.limiter is not None:
                self.limiter.reward()
            if request.raw:
                return response.content
            if not response.content:
                return {}
            try:
                return response.json()
            except ValueError:
                return {"raw": response.text[:1000]}
        error = error_from_response(
            response.status_code,
            response.content,
            response.headers,
            redact=self.config.api_key,
            max_retry_after=self.config.max_retry_after,
        )
        if response.status_code == 429 and self.limiter is not None:
            self.limiter.penalize(error.retry_after)
        raise error

    def network_error(self, request: ApiRequest, exc: httpx.HTTPError) -> WhatsAppError:
        """Turn an httpx failure into ours, deciding whether the request may have landed."""
        url = self.url_for(request).split("?")[0]
        what = f"{request.method} {url}: {type(exc).__name__}"
        text = str(exc).replace(self.config.api_key, "***")
        if text:
            what += f": {text}"
        if isinstance(exc, _NOT_SENT):
            return WhatsAppConnectionError(what)
        if request.resend_safe or self.config.retry_ambiguous:
            return WhatsAppConnectionError(
                what, hint="The answer was lost; the call is safe to repeat"
            )
        return AmbiguousSendError(what)

    # -- retry policy ---------------------------------------------------------------
    def _wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        cfg = self.config
        backoff = min(cfg.backoff_max, cfg.backoff_base * 2 ** (state.attempt_number - 1))
        backoff = random.uniform(backoff / 2, backoff)  # jitter: spread retrying workers
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            return min(max(retry_after, 0.0), cfg.max_retry_after) + random.uniform(0, 0.1)
        return backoff

    def _retry_kwargs(
        self, on_retry: Callable[[tenacity.RetryCallState], None] | None
    ) -> dict[str, Any]:
        def before_sleep(state: tenacity.RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            self.sleeps.append(state.upcoming_sleep)
            log.warning(
                "WhatsApp call failed (attempt %d), retrying in %.1f s: %s",
                state.attempt_number,
                state.upcoming_sleep,
                exc,
            )
            if on_retry:
                on_retry(state)

        stop: tenacity.stop.stop_base = tenacity.stop_after_attempt(self.config.max_retries + 1)
        if self.config.retry_budget is not None:
            stop = stop | _StopBeforeBudget(self.config.retry_budget)
        return {
            "retry": tenacity.retry_if_exception(
                lambda e: isinstance(e, WhatsAppError) and e.retryable
            ),
            "stop": stop,
            "wait": self._wait,
            "reraise": True,
            "before_sleep": before_sleep,
        }


class SyncTransport(Transport):
    """Blocking I/O over one pooled ``httpx.Client``."""

    def __init__(self, config: ClientConfig, limiter: SlidingWindowLimiter | None = None) -> None:
        super().__init__(config, limiter)
        self._http = httpx.Client(timeout=config.timeout, follow_redirects=False)

    def send_once(self, request: ApiRequest) -> Any:
        kwargs = self.build(request)
        if self.limiter is not None and request.target != "external":
            departure = _SlotOnDeparture(self.limiter, self.limiter.acquire())
            kwargs["extensions"] = {"trace": departure}
        self.attempts += 1
        try:
            response = self._http.request(**kwargs)
        except httpx.HTTPError as exc:
            raise self.network_error(request, exc) from None
        return self.parse(request, response)

    def send(self, request: ApiRequest) -> Any:
        for attempt in tenacity.Retrying(**self._retry_kwargs(None)):
            with attempt:
                return self.send_once(request)
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        self._http.close()


def _preload_async_backend() -> None:
    """Import anyio's asyncio backend now rather than on the first request.

    anyio imports it lazily on first use: ~50 ms (more on a busy machine) between the
    first request's rate-limit slot and its bytes leaving. The next window's first
    request, on a warm connection, then reaches a sliding-window gateway less than a
    second after it and gets a 429 (measured in benchmarks/rate_ceiling.py).
    """
    with contextlib.suppress(ImportError):  # a private module: harmless if it moves
        importlib.import_module("anyio._backends._asyncio")


class AsyncTransport(Transport):
    """Async I/O over a small pool of ``httpx.AsyncClient`` shards.

    One ``AsyncClient`` slows down sharply past a few dozen concurrent requests (its
    connection pool serialises on one lock); several clients of ``per_shard``
    connections each scale with the concurrency asked for.
    """

    def __init__(
        self,
        config: ClientConfig,
        limiter: SlidingWindowLimiter | None = None,
        *,
        concurrency: int = 8,
        per_shard: int = 8,
    ) -> None:
        super().__init__(config, limiter)
        _preload_async_backend()
        shards = max(1, -(-concurrency // per_shard))
        limits = httpx.Limits(max_connections=per_shard, max_keepalive_connections=per_shard)
        self._shards = [
            httpx.AsyncClient(timeout=config.timeout, limits=limits, follow_redirects=False)
            for _ in range(shards)
        ]
        self._next = itertools.cycle(self._shards)

    async def send_once(self, request: ApiRequest) -> Any:
        kwargs = self.build(request)
        if self.limiter is not None and request.target != "external":
            stamp = await self.limiter.acquire_async()
            kwargs["extensions"] = {"trace": _AsyncSlotOnDeparture(self.limiter, stamp)}
        gate = departure_gate.get()
        if gate is not None and request.target == "gateway":
            await gate()
        self.attempts += 1
        try:
            response = await next(self._next).request(**kwargs)
        except httpx.HTTPError as exc:
            raise self.network_error(request, exc) from None
        return self.parse(request, response)

    async def send(self, request: ApiRequest) -> Any:
        async for attempt in tenacity.AsyncRetrying(**self._retry_kwargs(None)):
            with attempt:
                return await self.send_once(request)
        raise AssertionError("unreachable")  # pragma: no cover

    async def aclose(self) -> None:
        for shard in self._shards:
            await shard.aclose()
