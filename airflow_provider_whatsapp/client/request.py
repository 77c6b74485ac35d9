"""The description of one API call, shared by the sync and async clients."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Target = Literal["gateway", "ctrl", "external"]


@dataclass(frozen=True)
class ApiRequest:
    """What to send, independent of how (sync or async) it is sent.

    ``target`` picks the base URL: ``gateway`` paths are relative to
    ``/whatsapp-business/{api_version}/``, ``ctrl`` paths to the ctrl host, and
    ``external`` is an absolute URL fetched **without** the key (Meta's media CDN).
    ``resend_safe`` is False for calls that create something (a message, a template):
    if the answer is lost, resending could do it twice.
    """

    method: str
    path: str
    target: Target = "gateway"
    params: dict[str, Any] | None = None
    json: Any = None
    data: dict[str, str] | None = None
    files: dict[str, tuple[str, bytes, str]] | None = None
    resend_safe: bool = True
    raw: bool = False
    extra_headers: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        return f"{self.method} {self.path}"
