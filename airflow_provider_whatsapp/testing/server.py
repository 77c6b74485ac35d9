"""uvicorn on a background thread with its own event loop, able to drop connections.

ASGI hides the socket, so dropping a request without an answer needs the transport: a
subclass of uvicorn's HTTP protocol registers each connection's transport under the peer
address that also appears as ``scope["client"]``; the app aborts it from there.
uvicorn is imported only when a server starts, to keep ``import ...testing`` cheap.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from typing import Any

from .app import EmulatorApp, Transports


def _protocol_class(transports: Transports) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol (httptools, else h11) that registers its transport."""
    from uvicorn.protocols.http.auto import AutoHTTPProtocol
    from uvicorn.protocols.utils import get_remote_addr

    base: Any = AutoHTTPProtocol

    class DroppableHTTPProtocol(base):  # type: ignore[misc]
        def connection_made(self, transport: asyncio.Transport) -> None:
            super().connection_made(transport)
            peer = get_remote_addr(transport)
            if peer is not None:
                transports[peer] = transport

        def connection_lost(self, exc: Exception | None) -> None:
            peer = getattr(self, "client", None)
            if peer is not None and transports.get(peer) is self.transport:
                del transports[peer]
            super().connection_lost(exc)

    return DroppableHTTPProtocol


def _new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


class ServerThread:
    """One uvicorn server for one :class:`EmulatorApp` (inside its FastAPI app), on one port."""

    def __init__(self, app: EmulatorApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.port: int = self.sock.getsockname()[1]
        self.loop: asyncio.AbstractEventLoop | None = None
        self.error: BaseException | None = None
        self.server: Any = None
        self.thread: threading.Thread | None = None

    def start(self, timeout: float = 15.0) -> None:
        """Serve in a daemon thread; return once the port accepts connections."""
        import uvicorn

        from .control_routes import create_app

        config = uvicorn.Config(
            create_app(self.app),
            http=_protocol_class(self.app.transports),
            ws="none",
            lifespan="off",
            interface="asgi3",
            access_log=False,
            log_config=None,
            log_level="warning",
            proxy_headers=False,
            server_header=False,
            date_header=False,
            backlog=4096,
            timeout_keep_alive=30,
            timeout_graceful_shutdown=2,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self._run, name=f"whatsapp-emulator-{self.port}", daemon=True
        )
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"WhatsApp emulator failed to start: {self.error!r}")
            time.sleep(0.002)

    def _run(self) -> None:
        loop = self.loop = _new_loop()
        asyncio.set_event_loop(loop)

        async def main() -> None:
            self.app.bind_loop()
            await self.server.serve(sockets=[self.sock])

        try:
            loop.run_until_complete(main())
        except BaseException as exc:  # SystemExit from a uvicorn startup failure, too
            self.error = exc
        finally:
            with contextlib.suppress(Exception):
                pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
                for task in pending:
                    task.cancel()
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask uvicorn to exit, release parked requests, and wait for the thread."""
        if self.server is not None:
            self.server.should_exit = True
        if self.loop is not None:
            with contextlib.suppress(RuntimeError):  # loop already closed
                self.loop.call_soon_threadsafe(self.app.begin_shutdown)
        if self.thread is not None:
            self.thread.join(timeout)
            if self.thread.is_alive() and self.server is not None:
                self.server.force_exit = True
                self.thread.join(timeout)
        self.sock.close()
