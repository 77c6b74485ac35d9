"""A local WhatsApp Business Cloud API + Maton gateway emulator, and its pytest fixture.

``WhatsAppEmulator`` serves real HTTP on 127.0.0.1 so hooks, operators and DAGs are tested
end to end without network. This package is also a pytest plugin loaded in every session,
so its names are imported lazily (PEP 562) and uvicorn/starlette only when a server starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .emulator import WhatsAppEmulator
    from .state import RecordedRequest, SentMessage

__all__ = ["RecordedRequest", "SentMessage", "WhatsAppEmulator"]


def __getattr__(name: str) -> Any:
    if name == "WhatsAppEmulator":
        from .emulator import WhatsAppEmulator

        return WhatsAppEmulator
    if name in {"RecordedRequest", "SentMessage"}:
        from . import state

        return getattr(state, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
