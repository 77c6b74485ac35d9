"""The emulator's FastAPI application: typed ``/_emulator/`` control routes, gateway below.

The control routes (documented at ``/_emulator/docs``) steer an emulator running in
another process, such as ``make demo`` or the benchmarks; they are neither authenticated,
rate limited nor recorded. Every other path is the gateway: the :class:`EmulatorApp`
pipeline, mounted at the root, because Graph routes dispatch on the kind of object an id
names, which path routing cannot express. Imported only when a server starts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Body, FastAPI, HTTPException
from pydantic import BaseModel, ConfigDict

from . import control
from .app import EmulatorApp
from .state import State, phone_digits

Rows = list[dict[str, Any]]
"""What a read route answers: JSON objects."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WindowsIn(_Strict):
    """Phone numbers whose 24-hour customer-service window opens now, written either way
    (``+1 650 555 1234`` or ``16505551234``: both open the window of ``16505551234``)."""

    phones: list[str]


class TemplateIn(_Strict):
    """A template stored directly, without review (see ``WhatsAppEmulator.add_template``)."""

    name: str
    language: str = "en_US"
    category: str = "UTILITY"
    components: list[Any] | None = None
    status: str = "APPROVED"
    reason: str | None = None
    parameter_format: str | None = None


class TemplateStatusIn(_Strict):
    """Move a template (all its languages unless one is named) to ``status``."""

    name: str
    status: str
    language: str | None = None
    reason: str | None = None


class FaultsIn(_Strict):
    """A new fault plan; ``ratio`` 0 clears it. ``kinds``: "429", "500", "503",
    "drop_before", "drop_after", "slow_after", or a Graph code a send can meet: "130429",
    "131056", "131049", "131050", "131026"."""

    ratio: float
    kinds: list[str] = ["429", "500", "503"]
    retry_after: float = 1.0
    slow_seconds: float = 60.0
    paths: str = "messages"
    seed: int | None = 0


class AccountIn(_Strict):
    """Account-level trouble after ``after_messages`` more accepted messages; ``kind``
    null restores the account."""

    kind: str | None
    after_messages: int = 0


@contextmanager
def _bad_request() -> Iterator[None]:
    """The control API's own argument errors become 400s that say what was wrong."""
    try:
        yield
    except (KeyError, TypeError, ValueError) as exc:
        raise HTTPException(400, f"{type(exc).__name__}: {exc}") from exc


def control_router(state: State) -> APIRouter:
    """The ``/_emulator/`` routes over one emulator's state."""
    router = APIRouter(prefix="/_emulator", tags=["control"])
    ok = {"success": True}

    def snapshot(read: Callable[[], Rows]) -> Rows:
        with state.lock:
            state.apply_reviews()
            return read()

    @router.get("/messages")
    def messages() -> Rows:
        """Messages accepted, in order, as the emulator parsed them."""
        return snapshot(lambda: [dataclasses.asdict(m) for m in state.messages])

    @router.get("/requests")
    def requests() -> Rows:
        """Every gateway request received (control calls excluded), with its answer."""
        return snapshot(lambda: [dataclasses.asdict(r) for r in state.requests])

    @router.get("/templates")
    def templates() -> Rows:
        """Templates as the API lists them (pending reviews applied first)."""
        return snapshot(lambda: [t.to_api() for t in state.templates])

    @router.get("/media")
    def media() -> Rows:
        """Uploaded media, without their bytes."""
        return snapshot(
            lambda: [
                {"id": k, **{f: v for f, v in m.items() if f != "data"}}
                for k, m in state.media.items()
            ]
        )

    @router.post("/reset")
    def reset() -> dict[str, bool]:
        """Forget traffic and state; seeded templates and settings stay."""
        state.clear()
        return ok

    @router.post("/config")
    def config(settings: Annotated[dict[str, Any] | None, Body()] = None) -> dict[str, bool]:
        """Change settings: rate_limit, latency, allowed_recipients, enforce_window..."""
        with _bad_request():
            control.configure(state, **(settings or {}))
        return ok

    @router.post("/windows")
    def windows(body: WindowsIn) -> dict[str, bool]:
        with _bad_request():
            for phone in body.phones:  # all checked before any window opens
                phone_digits(phone)
            control.open_window(state, body.phones)
        return ok

    @router.post("/templates")
    def add_template(body: TemplateIn) -> dict[str, str]:
        with _bad_request():
            return {"id": control.add_template(state, **body.model_dump())}

    @router.post("/templates/status")
    def template_status(body: TemplateStatusIn) -> dict[str, bool]:
        with _bad_request():
            control.set_template_status(state, body.name, body.status, body.language, body.reason)
        return ok

    @router.post("/faults")
    def faults(body: FaultsIn) -> dict[str, bool]:
        options = body.model_dump(exclude={"ratio", "kinds"})
        with _bad_request():
            control.inject_faults(state, body.ratio, body.kinds, **options)
        return ok

    @router.post("/account")
    def account(body: AccountIn) -> dict[str, bool]:
        with _bad_request():
            control.break_account(state, body.kind, body.after_messages)
        return ok

    return router


def create_app(gateway: EmulatorApp) -> FastAPI:
    """One FastAPI app: the control router first, then the gateway for every other path."""
    app = FastAPI(
        title="WhatsApp Business (Maton) emulator",
        docs_url="/_emulator/docs",
        redoc_url=None,
        openapi_url="/_emulator/openapi.json",
    )
    app.include_router(control_router(gateway.state))
    app.mount("/", gateway)
    return app
