"""Maton's connection management (``/connections``; ``ctrl.maton.ai`` in the older split).

Its errors are Maton's own (styled by ``maton_error_style``), not Graph's. A connection's
id is spelt as ``connection_id_key`` says (``connection_id`` as in the seed, or
``connection_Id`` as in Maton's OpenAPI spec). Deleting a connection answers
``{"success": true}`` (Maton does not document the body); a deleted default connection
hands the role to the next-oldest ACTIVE one. Served on the gateway's host and port, as
Maton's one host ``api.maton.ai`` serves both.
"""

from __future__ import annotations

import secrets
import time
import uuid
from typing import Any

from .errors import Reply, json_reply, maton_error
from .state import Connection, State, utc_now_iso

APP = "whatsapp-business"


def handle(state: State, method: str, path: str, query: dict[str, str], body: Any) -> Reply:
    """Answer a ``/connections[/{id}]`` call (caller holds ``state.lock``)."""
    style, key = state.settings.maton_error_style, state.settings.connection_id_key
    parts = [p for p in path.split("/") if p]
    if parts == ["connections"]:
        if method == "GET":
            found = [
                c.to_api(key)
                for c in sorted(state.connections.values(), key=lambda c: c.created)
                if query.get("app", c.app) == c.app and query.get("status", c.status) == c.status
            ]
            return json_reply({"connections": found})
        if method == "POST":
            app = body.get("app") if isinstance(body, dict) else None
            if app != APP:
                return maton_error(400, f"Invalid app name: {app!r}", style)
            return json_reply({"connection": new_connection(state, "PENDING").to_api(key)})
    elif len(parts) == 2 and parts[0] == "connections":
        conn = state.connections.get(parts[1])
        if conn is None:
            return maton_error(404, f"Connection {parts[1]} not found", style)
        if method == "GET":
            return json_reply({"connection": conn.to_api(key)})
        if method == "DELETE":
            del state.connections[parts[1]]
            return json_reply({"success": True})
    return maton_error(404, f"Not found: {method} {path}", style)


def new_connection(state: State, status: str) -> Connection:
    """Create and store a connection (PENDING ones wait for someone to finish OAuth)."""
    now = utc_now_iso()
    conn = Connection(
        connection_id=str(uuid.uuid4()),
        status=status,
        created=time.monotonic(),
        creation_time=now,
        last_updated_time=now,
        url=f"https://connect.maton.ai/?session_token={secrets.token_urlsafe(16)}",
    )
    state.connections[conn.connection_id] = conn
    return conn
