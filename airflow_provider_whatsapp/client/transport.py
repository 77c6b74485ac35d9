"""Sending an :class:`ApiRequest`: auth headers, rate limit, retries, error parsing.

The sync and async transports share everything but the I/O call: URL and header
building, the retry policy (tenacity), and classification of answers and network
failures live here once.

``before_send`` hooks (a list on each transport, also reachable as the client's
``before_send``) are called with the request after it got its rate-limit slot and just
before it leaves, on every attempt: the bulk sender uses one to record a recipient in
flight no earlier than needed. The slot is restamped on departure, so time spent in a
hook never makes the gateway see a burst.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import itertools
import logging
import random
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import IO, Any

import httpx
import tenacity

from .config import ClientConfig
from .errors import (
    AmbiguousSendError,
    WhatsAppConfigError,
    WhatsAppConnectionError,
    WhatsAppError,
    error_from_response,
)
from .ratelimit import SlidingWindowLimiter, shared_limiter
from .request import ApiRequest, UploadBody

log = logging.getLogger(__name__)

USER_AGENT = "airflow-provider-whatsapp"

#: Failures where the request certainly did not leave: always safe to retry.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)

#: Called with each request just before it leaves (see the module docstring). An
#: exception it raises ends the call (a retryable ``WhatsAppError`` is retried).
BeforeSend = Callable[[ApiRequest], None]
AsyncBeforeSend = Callable[[ApiRequest], Awaitable[None]]


def _readable(body: UploadBody, files: contextlib.ExitStack) -> IO[bytes]:
    """``body`` as a file object httpx streams: bytes given whole to httpx would be
    copied twice more on their way to the socket (three times the file in memory)."""
    if isinstance(body, Path):
        return files.enter_context(body.open("rb"))
    if isinstance(body, bytes):
        return io.BytesIO(body)  # shares the bytes' buffer: no copy
    return body


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

    def headers_for(self, request: ApiRequest, url: str) -> dict[str, str]:
        """Headers for ``request`` to ``url``: the key only if ``url``'s host is trusted."""
        headers = {"User-Agent": USER_AGENT, **request.extra_headers}
        if self.config.trusts(url):
            headers["Authorization"] = f"Bearer {self.config.api_key}"
            if self.config.maton_connection and request.target == "gateway":
                headers["Maton-Connection"] = self.config.maton_connection
        return headers

    def build(self, request: ApiRequest, files: contextlib.ExitStack) -> dict[str, Any]:
        """Keyword arguments for ``httpx.Client.request``.

        A file to upload is handed to httpx as a file object, which it sends in 64 KB
        chunks and rewinds for each attempt: a path is opened here, into ``files``
        (closed once the attempt is over).
        """
        url = self.url_for(request)
        kwargs: dict[str, Any] = {
            "method": request.method,
            "url": url,
            "headers": self.headers_for(request, url),
        }
        if request.params:
            kwargs["params"] = {k: v for k, v in request.params.items() if v is not None}
        if request.json is not None:
            kwargs["json"] = request.json
        if request.data is not None:
            kwargs["data"] = request.data
        if request.files is not None:
            kwargs["files"] = {
                field: (name, _readable(body, files), mime)
                for field, (name, body, mime) in request.files.items()
            }
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
        body = request.json if isinstance(request.json, dict) else {}
        to = body.get("to") or body.get("recipient")  # a number, or a business-scoped user id
        error = error_from_response(
            response.status_code,
            response.content,
            response.headers,
            redact=self.config.api_key,
            recipient=to if isinstance(to, str) else None,  # a service may echo it
            max_retry_after=self.config.max_retry_after,
        )
        if response.status_code == 429 and self.limiter is not None:
            self.limiter.penalize(error.retry_after)
        raise error

    def network_error(
        self, request: ApiRequest, exc: httpx.HTTPError
    ) -> tuple[WhatsAppError, httpx.HTTPError | None]:
        """Turn an httpx failure into ours, deciding whether the request may have landed.

        Returns ours and the cause to chain it to: ``exc`` itself, the key taken out of it
        and of every exception behind it (:meth:`redact_chain`), or None in the unlikely
        case its text cannot be cleaned.
        """
        clean = self.redact_chain(exc)
        url = self.url_for(request).split("?")[0]
        what = f"{request.method} {url}: {type(exc).__name__}"
        text = str(exc) if clean else "(details withheld: they held the key)"
        if text:
            what += f": {text}"
        cause = exc if clean else None
        if isinstance(exc, _NOT_SENT):
            return WhatsAppConnectionError(what), cause
        if isinstance(exc, httpx.LocalProtocolError):  # never sent, and never will be
            hint = (
                "A header value is not valid HTTP: check the API key and the "
                "maton_connection extra for line breaks or stray characters"
            )
            return WhatsAppConfigError(what, hint=hint), cause
        if request.resend_safe or self.config.retry_ambiguous:
            hint = "The answer was lost; the call is safe to repeat"
            return WhatsAppConnectionError(what, hint=hint), cause
        return AmbiguousSendError(what), cause

    def _key_forms(self) -> list[str]:
        """The key as an exception text may show it: as is, stripped, or escaped the way
        ``repr`` of a str or of bytes writes it (h11's "Illegal header value b'...'")."""
        key = self.config.api_key
        forms = {
            key,
            key.strip(),
            repr(key)[1:-1],
            repr(key.encode("utf-8", "backslashreplace"))[2:-1],
        }
        return sorted((form for form in forms if form), key=len, reverse=True)

    def _redact(self, text: str) -> str:
        for form in self._key_forms():
            text = text.replace(form, "***")
        return text

    def redact_chain(self, exc: BaseException) -> bool:
        """Take the key out of ``exc`` and of every exception chained behind it, in place,
        so a traceback that prints the whole chain never shows it (h11 puts a header
        value it refuses, key included, in its message). Returns whether ``exc``'s own
        text is clean now.

        An exception behind ``exc`` whose text still holds the key (a custom ``__str__``)
        is cut from the chain, with everything behind it.
        """
        forms = self._key_forms()

        def scrub(error: BaseException, depth: int = 0) -> bool:
            """Redact ``error``'s arguments (httpcore's may be h11's exception itself);
            whether its text is clean now."""
            args = []
            for arg in error.args:
                if isinstance(arg, str):
                    arg = self._redact(arg)
                elif isinstance(arg, BaseException) and depth < 3:
                    scrub(arg, depth + 1)
                args.append(arg)
            error.args = tuple(args)
            return not any(form in str(error) for form in forms)

        clean = scrub(exc)
        current, seen = exc, {id(exc)}
        while (behind := current.__cause__ or current.__context__) is not None:
            if id(behind) in seen:
                break
            seen.add(id(behind))
            if not scrub(behind):
                current.__cause__ = current.__context__ = None  # hides the context too
                break
            current = behind
        return clean

    # -- retry policy ---------------------------------------------------------------
    def _wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        cfg = self.config
        backoff = min(cfg.backoff_max, cfg.backoff_base * 2 ** (state.attempt_number - 1))
        backoff = random.uniform(backoff / 2, backoff)  # jitter: spread retrying workers
        retry_after: float | None = getattr(exc, "retry_after", None)
        if retry_after is not None:
            return min(max(retry_after, 0.0), cfg.max_retry_after) + random.uniform(0, 0.1)
        return backoff

    def _retry_kwargs(
        self, on_retry: Callable[[tenacity.RetryCallState], None] | None
    ) -> dict[str, Any]:
        def before_sleep(state: tenacity.RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
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

    def __init__(
        self,
        config: ClientConfig,
        limiter: SlidingWindowLimiter | None = None,
        *,
        before_send: Iterable[BeforeSend] = (),
    ) -> None:
        super().__init__(config, limiter)
        self.before_send: list[BeforeSend] = list(before_send)
        self._http = httpx.Client(timeout=config.timeout, follow_redirects=False)

    def send_once(self, request: ApiRequest) -> Any:
        with contextlib.ExitStack() as files:
            kwargs = self.build(request, files)
            if self.limiter is not None and request.target != "external":
                departure = _SlotOnDeparture(self.limiter, self.limiter.acquire())
                kwargs["extensions"] = {"trace": departure}
            for hook in self.before_send:
                hook(request)
            try:
                response = self._http.request(**kwargs)
            except httpx.HTTPError as exc:
                error, cause = self.network_error(request, exc)
                raise error from cause
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
        before_send: Iterable[AsyncBeforeSend] = (),
    ) -> None:
        super().__init__(config, limiter)
        self.before_send: list[AsyncBeforeSend] = list(before_send)
        _preload_async_backend()
        shards = max(1, -(-concurrency // per_shard))
        limits = httpx.Limits(max_connections=per_shard, max_keepalive_connections=per_shard)
        self._shards = [
            httpx.AsyncClient(timeout=config.timeout, limits=limits, follow_redirects=False)
            for _ in range(shards)
        ]
        self._next = itertools.cycle(self._shards)

    async def send_once(self, request: ApiRequest) -> Any:
        with contextlib.ExitStack() as files:
            kwargs = self.build(request, files)
            if self.limiter is not None and request.target != "external":
                stamp = await self.limiter.acquire_async()
                kwargs["extensions"] = {"trace": _AsyncSlotOnDeparture(self.limiter, stamp)}
            for hook in self.before_send:
                await hook(request)
            try:
                response = await next(self._next).request(**kwargs)
            except httpx.HTTPError as exc:
                error, cause = self.network_error(request, exc)
                raise error from cause
        return self.parse(request, response)

    async def send(self, request: ApiRequest) -> Any:
        async for attempt in tenacity.AsyncRetrying(**self._retry_kwargs(None)):
            with attempt:
                return await self.send_once(request)
        raise AssertionError("unreachable")  # pragma: no cover

    async def aclose(self) -> None:
        for shard in self._shards:
            await shard.aclose()
