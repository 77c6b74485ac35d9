"""The emulator as a bare ASGI application: Maton's front door, then Graph or ctrl.

A plain ASGI callable, mounted under the FastAPI app of :mod:`.control_routes`: every gateway
request goes through the same pipeline (record, auth, app name, connection, rate limit,
latency, fault, route) and the Graph routes dispatch on the *kind* of object an id names,
which a path router cannot express. Starlette parses multipart bodies.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import deque
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from . import account, graph, maton
from .errors import GraphError, Reply, json_reply, maton_error, missing_connection
from .faults import GRAPH_FAULTS, rate_limited
from .state import RecordedRequest, State

Scope = MutableMapping[str, Any]
Transports = dict[tuple[str, int], asyncio.Transport]
_VERSION_CHARS = frozenset("v0123456789.")
_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


async def _read_body(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _send(send: Any, reply: Reply) -> None:
    status, body, headers = reply
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-length", str(len(body)).encode()), *headers],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _parse_form(scope: Scope, body: bytes) -> tuple[dict[str, str], list[graph.Upload]]:
    from starlette.datastructures import Headers, UploadFile
    from starlette.formparsers import FormParser, MultiPartParser

    async def stream() -> Any:
        yield body
        yield b""

    headers = Headers(raw=scope["headers"])
    if headers.get("content-type", "").startswith("multipart/"):
        parser: Any = MultiPartParser(headers, stream(), max_part_size=4 * 1024 * 1024)
    else:
        parser = FormParser(headers, stream())
    form, uploads = {}, []
    for key, value in (await parser.parse()).multi_items():
        if isinstance(value, UploadFile):
            data = await value.read()
            await value.close()
            uploads.append(graph.Upload(key, value.filename or "", value.content_type or "", data))
        else:
            form[key] = value
    return form, uploads


@dataclass
class Incoming:
    """A received request, parsed once: its :class:`RecordedRequest`, and what the record
    leaves out (whether the body was malformed JSON, the uploaded files' bytes)."""

    record: RecordedRequest
    json_error: bool
    uploads: list[graph.Upload]


async def _incoming(scope: Scope, body: bytes, clock: Callable[[], float]) -> Incoming:
    """Parse headers, query and body (JSON, or a form with files) and record them,
    arrived now by the emulator's ``clock``."""
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    query = dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
    payload: Any = None
    json_error = False
    form: dict[str, str] = {}
    uploads: list[graph.Upload] = []
    if headers.get("content-type", "").startswith(_FORM_TYPES):
        try:
            form, uploads = await _parse_form(scope, body)
        except Exception:  # malformed multipart: the handler reports the missing fields
            form, uploads = {}, []
    elif body:
        try:
            payload = json.loads(body)
        except ValueError:
            json_error = True
    files = [
        {
            "field": u.field,
            "filename": u.filename,
            "content_type": u.content_type,
            "size": len(u.data),
        }
        for u in uploads
    ]
    method, path = scope["method"], scope["path"]
    record = RecordedRequest(
        method,
        path,
        query,
        headers,
        payload,
        form,
        files,
        status=None,
        fault=None,
        processed=False,
        received_at=clock(),
        host=headers.get("host", ""),
    )
    return Incoming(record, json_error, uploads)


class EmulatorApp:
    """ASGI entry point; ``transports`` is filled by the server's protocol (for drops)."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.transports: Transports = {}
        self.closing: asyncio.Event | None = None

    def bind_loop(self) -> None:
        """Create loop-bound objects; call on the server loop before serving."""
        self.closing = asyncio.Event()

    def begin_shutdown(self) -> None:
        """Release requests parked by ``slow_after`` (runs on the server loop)."""
        if self.closing is not None:
            self.closing.set()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = await _read_body(receive)
        if scope["path"].startswith("/_emulator/"):  # not one of control_routes' routes
            missing = {"detail": f"no control route {scope['method']} {scope['path']}"}
            await _send(send, json_reply(missing, 404))
            return
        req = await _incoming(scope, body, self.state.clock)
        rec, state = req.record, self.state
        fault: str | None = None
        with state.lock:
            state.requests.append(rec)
            if rec.path.startswith("/_lookaside/"):
                rec.processed = True
                reply: Reply | None = self._lookaside(rec.path, rec.query)
                latency = 0.0
            else:
                reply = self._front_door(req)
                if reply is None and state.faults.applies(rec.method, rec.path):
                    fault = rec.fault = state.faults.draw()
                latency = state.settings.latency
        if latency > 0:
            await self._pause(latency)
        if reply is None:
            reply = await self._faulted_or_routed(req, fault, scope, receive)
            if reply is None:  # dropped
                return
        rec.status = reply[0]
        rec.answered_at = state.clock()
        await _send(send, reply)

    def _front_door(self, req: Incoming) -> Reply | None:
        """Maton's own checks, in order; ``None`` lets the request through."""
        state, path, headers = self.state, req.record.path, req.record.headers
        style = state.settings.maton_error_style
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token.strip() != state.api_key:
            return maton_error(401, "Invalid API key", style)
        if path == "/connections" or path.startswith("/connections/"):
            pass
        elif path.startswith("/whatsapp-business/"):
            wanted = headers.get("maton-connection")
            conn = state.default_connection() if wanted is None else state.connections.get(wanted)
            if conn is None or conn.status != "ACTIVE":
                return missing_connection(state.settings)
        else:
            app = path.strip("/").split("/")[0]
            return maton_error(400, f"Invalid app name: '{app}'", style)
        window = state.rate_windows.get(state.api_key)
        if window is None:
            window = state.rate_windows[state.api_key] = deque()
        if rate_limited(window, req.record.received_at, state.settings.rate_limit):
            return maton_error(429, "Rate limit exceeded", style, [(b"retry-after", b"1")])
        return None

    async def _faulted_or_routed(
        self, req: Incoming, fault: str | None, scope: Scope, receive: Any
    ) -> Reply | None:
        """Apply the drawn fault around the route; ``None`` means the connection is gone."""
        state = self.state
        style = state.settings.maton_error_style
        if fault == "429":
            retry = f"{state.faults.retry_after:g}".encode()
            return maton_error(429, "Rate limit exceeded", style, [(b"retry-after", retry)])
        if fault in {"500", "503"}:
            text = "Internal server error" if fault == "500" else "Service unavailable"
            return maton_error(int(fault), text, style)
        if fault in GRAPH_FAULTS:
            message, details = GRAPH_FAULTS[fault]
            return GraphError(int(fault), message, details).reply()
        if fault == "drop_before":
            await self._drop(scope, receive)
            return None
        rec = req.record
        with state.lock:
            trouble = account.answer(state, rec.method, rec.path)
            if trouble is not None:  # refused for the account: nothing processed
                rec.fault = state.account.kind
                return trouble
            rec.processed = True
            if rec.path.startswith("/connections"):
                reply = maton.handle(state, rec.method, rec.path, rec.query, rec.json)
            else:
                reply = self._graph(req)
        if fault == "drop_after":
            await self._drop(scope, receive)
            return None
        if fault == "slow_after" and not await self._linger(receive, state.faults.slow_seconds):
            await self._drop(scope, receive)
            return None
        return reply

    def _graph(self, req: Incoming) -> Reply:
        rec = req.record
        segments = [s for s in rec.path[len("/whatsapp-business/") :].split("/") if s]
        version = segments[0] if segments else ""
        if not (version.startswith("v") and set(version) <= _VERSION_CHARS and "." in version):
            err = graph.GraphError(
                2500,
                f"(#2500) Unknown path components: /{version}",
                "gateway paths are /whatsapp-business/vNN.N/{graph path}",
            )
            return err.reply()
        call = graph.Call(
            rec.method,
            segments[1:],
            version,
            rec.query,
            rec.json,
            req.json_error,
            rec.form,
            req.uploads,
        )
        return graph.handle(self.state, call)

    def _lookaside(self, path: str, query: dict[str, str]) -> Reply:
        """The media "CDN": serves bytes for a fresh token, no auth (nor any expected)."""
        media_id = path[len("/_lookaside/") :].strip("/")
        entry = self.state.lookaside_tokens.get(query.get("token", ""))
        item = self.state.media.get(media_id)
        if entry is None or entry[0] != media_id or entry[1] < self.state.clock() or item is None:
            return 404, b"URL signature mismatch or expired", [(b"content-type", b"text/plain")]
        return 200, item["data"], [(b"content-type", str(item["mime_type"]).encode())]

    async def _drop(self, scope: Scope, receive: Any) -> None:
        """Close the TCP connection without an answer, then let uvicorn see the loss."""
        client = scope.get("client")
        transport = self.transports.get((client[0], client[1])) if client else None
        if transport is not None:  # None: the client already closed it
            transport.abort()
        while (await receive())["type"] != "http.disconnect":
            pass

    async def _pause(self, seconds: float) -> None:
        """Sleep ``seconds`` (``latency``), cut short when the server stops: ``stop()``
        stays prompt with requests held by a long latency. Never shorter than ``seconds`` by
        the machine's clock: a loop's timers (uvloop's ms-resolution, cached ``loop.time()``)
        may fire a little early, so it waits out the rest."""
        assert self.closing is not None
        end = time.monotonic() + seconds
        while not self.closing.is_set() and (left := end - time.monotonic()) > 0:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.closing.wait(), left)

    async def _linger(self, receive: Any, seconds: float) -> bool:
        """Wait ``seconds`` before answering; ``False`` if the client left or we stop."""
        assert self.closing is not None
        gone = asyncio.ensure_future(receive())
        stop = asyncio.ensure_future(self.closing.wait())
        end = time.monotonic() + seconds  # never shorter, as in _pause
        try:
            while (left := end - time.monotonic()) > 0:
                done, _ = await asyncio.wait(
                    {gone, stop}, timeout=left, return_when=asyncio.FIRST_COMPLETED
                )
                if done:
                    return False
            return True
        finally:
            for task in (gone, stop):
                task.cancel()
