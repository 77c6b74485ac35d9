"""The description of one API call, shared by the sync and async clients."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

Target = Literal["gateway", "ctrl", "external"]

#: What an uploaded file's content is: bytes in memory, a local file the transport opens
#: for each attempt, or a binary file object at its start (rewound for each attempt).
UploadBody = bytes | Path | IO[bytes]


@dataclass(frozen=True)
class ApiRequest:
    """What to send, independent of how (sync or async) it is sent.

    ``target`` picks the base URL: ``gateway`` paths are relative to
    ``/whatsapp-business/{api_version}/``, ``ctrl`` paths to the ctrl host, and
    ``external`` is an absolute URL (Meta's media CDN). Whatever the target, the Maton key
    goes only to a host in :attr:`.ClientConfig.trusted_hosts`.
    ``resend_safe`` is False for calls that create something (a message, a template):
    if the answer is lost, resending could do it twice.
    ``files`` maps a form field to ``(filename, body, mime type)``; the transport streams
    every body in chunks (a :class:`~pathlib.Path` from disk, never read whole).
    """

    method: str
    path: str
    target: Target = "gateway"
    params: dict[str, Any] | None = None
    json: Any = None
    data: dict[str, str] | None = None
    files: dict[str, tuple[str, UploadBody, str]] | None = None
    resend_safe: bool = True
    raw: bool = False
    extra_headers: dict[str, str] = field(default_factory=dict)
