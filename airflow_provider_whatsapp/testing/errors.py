"""Error bodies of the two parties behind the gateway: Graph (WhatsApp) and Maton itself.

Graph errors are the documented object; Maton's own error bodies vary, so their style is
a setting (JSON with a *string* ``error``; the four shapes Maton's current docs list,
``{"message"}``, ``{"error": {"message"}}``, ``{"detail": "..."}`` and
``{"detail": [{"loc", "msg"}]}``; plain text or HTML) to make sure clients cope with all.
"""

from __future__ import annotations

import html
import itertools
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .settings import Settings

Reply = tuple[int, bytes, list[tuple[bytes, bytes]]]
"""An answer: HTTP status, body, extra headers (content type included)."""

JSON_TYPE = (b"content-type", b"application/json; charset=UTF-8")
_trace = itertools.count(1)
_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    412: "Precondition Failed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def json_reply(body: Any, status: int = 200) -> Reply:
    """A JSON answer."""
    return status, json.dumps(body, separators=(",", ":")).encode(), [JSON_TYPE]


class GraphError(Exception):
    """A WhatsApp Cloud API error, answered as Graph's error object."""

    def __init__(
        self,
        code: int,
        message: str,
        details: str | None = None,
        *,
        subcode: int | None = None,
        status: int = 400,
        error_type: str = "OAuthException",
        transient: bool = False,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details
        self.subcode = subcode
        self.status = status
        self.error_type = error_type
        self.transient = transient

    def body(self) -> dict[str, Any]:
        """Graph's ``{"error": {...}}`` document."""
        err: dict[str, Any] = {
            "message": self.message,
            "type": self.error_type,
            "code": self.code,
        }
        if self.subcode is not None:
            err["error_subcode"] = self.subcode
        if self.transient:
            err["is_transient"] = True
        if self.details is not None:
            err["error_data"] = {"messaging_product": "whatsapp", "details": self.details}
        err["fbtrace_id"] = f"AEmul{next(_trace):012d}xYz"
        return {"error": err}

    def reply(self) -> Reply:
        """The HTTP answer carrying this error."""
        return json_reply(self.body(), self.status)


def invalid(details: str, code: int = 100) -> GraphError:
    """Graph's generic invalid-parameter error (100), or 131009 when asked."""
    message = (
        "(#100) Invalid parameter" if code == 100 else "(#131009) Parameter value is not valid"
    )
    return GraphError(code, message, details)


def missing(field: str) -> GraphError:
    """Graph's required-parameter error (131008)."""
    return GraphError(
        131008, "(#131008) Required parameter is missing", f"Parameter '{field}' is required."
    )


def user_id_not_supported(details: str) -> GraphError:
    """Graph's refusal of a message a business-scoped user id cannot receive (131062):
    one-tap, zero-tap and copy-code authentication templates need a phone number."""
    return GraphError(
        131062,
        "(#131062) Business-scoped User ID recipients are not supported for this message",
        details,
    )


def unknown_object(object_id: str, method: str) -> GraphError:
    """Graph's answer for an id that does not exist (code 100, subcode 33)."""
    return GraphError(
        100,
        f"Unsupported {method.lower()} request. Object with ID '{object_id}' does not exist, "
        "cannot be loaded due to missing permissions, or does not support this operation. "
        "Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api",
        subcode=33,
        error_type="GraphMethodException",
    )


def maton_error(
    status: int, text: str, style: str, headers: list[tuple[bytes, bytes]] | None = None
) -> Reply:
    """One of Maton's own errors (auth, connection, rate limit, app name) in ``style``."""
    extra = list(headers or [])
    if style == "text":
        return status, text.encode(), [(b"content-type", b"text/plain; charset=utf-8"), *extra]
    if style == "html":
        title = f"{status} {_REASONS.get(status, 'Error')}"
        page = (
            f"<!DOCTYPE html><html><head><title>{title}</title></head>"
            f"<body><h1>{title}</h1><p>{html.escape(text)}</p></body></html>"
        )
        return status, page.encode(), [(b"content-type", b"text/html; charset=utf-8"), *extra]
    code, body, hdrs = json_reply(_maton_body(status, text, style), status)
    return code, body, hdrs + extra


def missing_connection(settings: Settings) -> Reply:
    """Maton's answer to a gateway call no connection resolves for: "Missing app
    connection" (the only sentence documented for it) at ``missing_connection_status``,
    400 as the seed says or 412 as Maton's SDK says, in ``maton_error_style``."""
    text = "Missing app connection"
    return maton_error(settings.missing_connection_status, text, settings.maton_error_style)


# Where a FastAPI-style validation error would point, by status (detail_list style).
_LOCATIONS = {
    401: ["header", "authorization"],
    400: ["header", "maton-connection"],
    412: ["header", "maton-connection"],
}


def _maton_body(status: int, text: str, style: str) -> Any:
    if style == "message":
        return {"message": text}
    if style == "error_object":
        return {"error": {"message": text}}
    if style == "detail":
        return {"detail": text}
    if style == "detail_list":
        loc = _LOCATIONS.get(status, ["request"])
        return {"detail": [{"loc": loc, "msg": text, "type": "value_error"}]}
    return {"error": text}
