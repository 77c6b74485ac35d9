"""HTTP client for the WhatsApp Business API through the Maton gateway (no Airflow inside).

Names are loaded on first use, so a DAG file that imports an operator does not pay for
httpx pools, tenacity and the API table at parse time.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .clients import AsyncWhatsAppClient, WhatsAppClient
    from .config import ClientConfig
    from .errors import WhatsAppError

__all__ = ["AsyncWhatsAppClient", "ClientConfig", "WhatsAppClient", "WhatsAppError"]

_WHERE = {
    "AsyncWhatsAppClient": ".clients",
    "WhatsAppClient": ".clients",
    "ClientConfig": ".config",
    "WhatsAppError": ".errors",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(_WHERE[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
