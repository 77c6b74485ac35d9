"""Every API call, described once.

Each call is a generator that yields :class:`ApiRequest` objects and receives the
parsed answers, then returns its result; it does no network I/O. The clients
(:mod:`.clients`) give each one a method of the same name and parameters, run
blocking or awaited by :mod:`._runner`, so paging, ids and payload rules exist in one
place. The docstrings here say which requests a call makes; the clients' say what a
user gets.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

from .config import ClientConfig
from .errors import NotFoundError, WhatsAppConfigError
from .request import ApiRequest, UploadBody

if TYPE_CHECKING:
    from ..message_templates.definition import TemplateDefinition
    from ..messages.base import Message

T = TypeVar("T")
Operation = Generator[ApiRequest, Any, T]

TEMPLATE_PAGE_SIZE = 100
PROFILE_FIELDS = "about,address,description,email,profile_picture_url,websites,vertical"
MATON_APP = "whatsapp-business"


def _need(value: str | None, name: str) -> str:
    if not value:
        raise WhatsAppConfigError(
            f"{name} is not set: add it to the connection's extra (or pass {name}=...)"
        )
    return str(value)


def send_message(
    config: ClientConfig,
    message: Message | Mapping[str, Any],
    *,
    phone_number_id: str | None = None,
) -> Operation[dict[str, Any]]:
    """``POST {phone_number_id}/messages`` with the validated payload; never resent."""
    from ..messages import parse_message  # payload rules live in the models, once

    payload = parse_message(message).to_payload()
    sender = _need(phone_number_id or config.phone_number_id, "phone_number_id")
    answer: dict[str, Any] = yield ApiRequest(
        "POST", f"{sender}/messages", json=payload, resend_safe=False
    )
    return answer


def mark_as_read(
    config: ClientConfig, message_id: str, *, phone_number_id: str | None = None
) -> Operation[dict[str, Any]]:
    """``POST {phone_number_id}/messages`` with ``status: read``."""
    sender = _need(phone_number_id or config.phone_number_id, "phone_number_id")
    body = {"messaging_product": "whatsapp", "status": "read", "message_id": message_id}
    answer: dict[str, Any] = yield ApiRequest("POST", f"{sender}/messages", json=body)
    return answer


def _media_body(
    file: str | os.PathLike[str] | bytes | IO[bytes], mime_type: str | None
) -> tuple[str, UploadBody, str]:
    """``(filename, body, mime type)`` of a file to upload, without reading it whole.

    A path goes to the transport as a :class:`~pathlib.Path`, streamed from disk for each
    attempt; a seekable file object at its start is streamed too (rewound for a retry).
    Only the first 16 bytes are read here, to tell the mime type when the name does not.
    A file object that cannot be rewound to where it is (a pipe, or one positioned past
    its start) is read into memory from where it is, so that a retry sends it whole.
    """
    from ..messages.media_files import (
        detect_mime_type,  # the operators' guesser: name, else first bytes
    )

    body: UploadBody
    if isinstance(file, (str, os.PathLike)):
        path = Path(file)
        with path.open("rb") as handle:  # a missing file fails here, before any request
            head = handle.read(16)
        name, body = path.name, path
    elif isinstance(file, bytes):
        name, body, head = "upload", file, file[:16]
    else:
        name = os.path.basename(str(getattr(file, "name", "upload")))
        if _at_start(file):
            head = file.read(16)
            file.seek(0)
            body = file
        else:
            body = file.read()
            head = body[:16]
    mime = mime_type or detect_mime_type(name, head)
    if not mime:
        raise WhatsAppConfigError(f"cannot tell the mime type of {name!r}: pass mime_type=")
    return name, body, mime


def _at_start(file: IO[bytes]) -> bool:
    """Whether ``file`` is seekable and at its start (so httpx may rewind it to 0)."""
    try:
        return bool(file.seekable()) and file.tell() == 0
    except (AttributeError, OSError, ValueError):
        return False


def upload_media(
    config: ClientConfig,
    file: str | os.PathLike[str] | bytes | IO[bytes],
    mime_type: str | None = None,
    *,
    phone_number_id: str | None = None,
) -> Operation[str]:
    """``POST {phone_number_id}/media``, multipart, the file streamed (:func:`_media_body`)."""
    sender = _need(phone_number_id or config.phone_number_id, "phone_number_id")
    name, body, mime = _media_body(file, mime_type)
    answer = yield ApiRequest(
        "POST",
        f"{sender}/media",
        data={"messaging_product": "whatsapp", "type": mime},
        files={"file": (name, body, mime)},
    )
    return str(answer["id"])


def get_media(config: ClientConfig, media_id: str) -> Operation[dict[str, Any]]:
    """``GET {media_id}``."""
    answer: dict[str, Any] = yield ApiRequest("GET", str(media_id))
    return answer


def download_media(config: ClientConfig, media_id: str) -> Operation[bytes]:
    """``GET {media_id}``, then ``GET`` its ``url`` (Meta's CDN: not a trusted host, so
    the request carries no key)."""
    info = yield from get_media(config, media_id)
    data: bytes = yield ApiRequest("GET", info["url"], target="external", raw=True)
    return data


def delete_media(config: ClientConfig, media_id: str) -> Operation[dict[str, Any]]:
    """``DELETE {media_id}``."""
    answer: dict[str, Any] = yield ApiRequest("DELETE", str(media_id))
    return answer


def _every_page(path: str, params: Mapping[str, Any]) -> Operation[list[dict[str, Any]]]:
    """Every item of a Graph list, following the ``after`` cursor through the gateway:
    ``paging.next`` is an absolute Meta URL, and the key must never go there."""
    query = dict(params)
    items: list[dict[str, Any]] = []
    while True:
        page = yield ApiRequest("GET", path, params=dict(query))
        items.extend(page.get("data") or [])
        paging = page.get("paging") or {}
        after = (paging.get("cursors") or {}).get("after")
        if not paging.get("next") or not after:
            return items
        query["after"] = after


def list_templates(
    config: ClientConfig, *, waba_id: str | None = None, **filters: Any
) -> Operation[list[dict[str, Any]]]:
    """``GET {waba_id}/message_templates``, page after page (:func:`_every_page`)."""
    waba = _need(waba_id or config.waba_id, "waba_id")
    params = {"limit": TEMPLATE_PAGE_SIZE, **filters}
    return (yield from _every_page(f"{waba}/message_templates", params))


def get_template(
    config: ClientConfig, name: str, language: str | None = None, *, waba_id: str | None = None
) -> Operation[dict[str, Any] | None]:
    """:func:`list_templates` filtered by ``name``, then matched on ``language``."""
    found = yield from list_templates(config, waba_id=waba_id, name=name)
    for template in found:
        if template.get("name") == name and language in (None, template.get("language")):
            return template
    return None


def create_template(
    config: ClientConfig,
    definition: TemplateDefinition | Mapping[str, Any],
    *,
    waba_id: str | None = None,
) -> Operation[dict[str, Any]]:
    """``POST {waba_id}/message_templates`` with the validated definition; never resent."""
    from ..message_templates.definition import TemplateDefinition

    if not isinstance(definition, TemplateDefinition):
        definition = TemplateDefinition.model_validate(definition)
    waba = _need(waba_id or config.waba_id, "waba_id")
    answer: dict[str, Any] = yield ApiRequest(
        "POST", f"{waba}/message_templates", json=definition.to_payload(), resend_safe=False
    )
    return answer


def edit_template(
    config: ClientConfig, template_id: str, changes: Mapping[str, Any]
) -> Operation[dict[str, Any]]:
    """``POST {template_id}`` with ``changes``."""
    answer: dict[str, Any] = yield ApiRequest("POST", str(template_id), json=dict(changes))
    return answer


def delete_template(
    config: ClientConfig, name: str, language: str | None = None, *, waba_id: str | None = None
) -> Operation[dict[str, Any]]:
    """``DELETE {waba_id}/message_templates?name=...``; with ``language``, the template's
    id (``hsm_id``) found by :func:`get_template` first."""
    waba = _need(waba_id or config.waba_id, "waba_id")
    params: dict[str, Any] = {"name": name}
    if language is not None:
        template = yield from get_template(config, name, language, waba_id=waba)
        if template is None:
            raise NotFoundError(f"template {name!r} in {language!r} does not exist")
        params["hsm_id"] = template["id"]
    answer: dict[str, Any] = yield ApiRequest("DELETE", f"{waba}/message_templates", params=params)
    return answer


def list_phone_numbers(
    config: ClientConfig, *, waba_id: str | None = None
) -> Operation[list[dict[str, Any]]]:
    """``GET {waba_id}/phone_numbers``, page after page."""
    waba = _need(waba_id or config.waba_id, "waba_id")
    return (yield from _every_page(f"{waba}/phone_numbers", {}))


def get_phone_number(
    config: ClientConfig,
    phone_number_id: str | None = None,
    *,
    fields: Sequence[str] | None = None,
) -> Operation[dict[str, Any]]:
    """``GET {phone_number_id}``, with ``?fields=a,b`` when ``fields`` are asked for."""
    number = _need(phone_number_id or config.phone_number_id, "phone_number_id")
    if isinstance(fields, str):  # one name, or names already joined: "a,b"
        fields = fields.split(",")
    params = {"fields": ",".join(f.strip() for f in fields if f.strip())} if fields else None
    answer: dict[str, Any] = yield ApiRequest("GET", number, params=params)
    return answer


def get_business_profile(
    config: ClientConfig, *, phone_number_id: str | None = None
) -> Operation[dict[str, Any]]:
    """``GET {phone_number_id}/whatsapp_business_profile?fields=...``."""
    number = _need(phone_number_id or config.phone_number_id, "phone_number_id")
    answer = yield ApiRequest(
        "GET", f"{number}/whatsapp_business_profile", params={"fields": PROFILE_FIELDS}
    )
    data = answer.get("data") or [{}]
    profile: dict[str, Any] = data[0]
    return profile


def update_business_profile(
    config: ClientConfig, *, phone_number_id: str | None = None, **fields: Any
) -> Operation[dict[str, Any]]:
    """``POST {phone_number_id}/whatsapp_business_profile`` with the validated fields."""
    from ..account.profile import BusinessProfile

    number = _need(phone_number_id or config.phone_number_id, "phone_number_id")
    body = BusinessProfile.model_validate(fields).to_payload()
    answer: dict[str, Any] = yield ApiRequest(
        "POST", f"{number}/whatsapp_business_profile", json=body
    )
    return answer


#: How Maton's answers spell a connection's id: the seed's ``connection_id``, and the
#: ``connection_Id`` of Maton's OpenAPI spec.
CONNECTION_ID_KEYS = ("connection_id", "connection_Id")


def _connection(answer: Any) -> Any:
    """One Maton connection from an answer: the object under ``connection`` when it is
    nested there, with its id always under ``connection_id`` (however the answer spelt
    it; the answer's own keys are kept). Anything but an object is returned as it came."""
    if not isinstance(answer, Mapping):
        return answer
    inner = answer.get("connection")
    connection = dict(inner) if isinstance(inner, Mapping) else dict(answer)
    if not connection.get("connection_id"):
        spelt = [c.get(k) for c in (connection, answer) for k in CONNECTION_ID_KEYS]
        found = next((value for value in spelt if value), None)
        if found is not None:
            connection["connection_id"] = found
    return connection


def list_maton_connections(
    config: ClientConfig, status: str | None = "ACTIVE"
) -> Operation[list[dict[str, Any]]]:
    """ctrl host: ``GET /connections?app=whatsapp-business&status=...``; each connection's
    id under ``connection_id`` (see :func:`_connection`)."""
    params = {"app": MATON_APP, "status": status}
    answer = yield ApiRequest("GET", "connections", target="ctrl", params=params)
    listed = answer.get("connections") if isinstance(answer, Mapping) else answer
    return [_connection(item) for item in listed or []]


def create_maton_connection(config: ClientConfig) -> Operation[dict[str, Any]]:
    """ctrl host: ``POST /connections``; never resent."""
    answer = yield ApiRequest(
        "POST", "connections", target="ctrl", json={"app": MATON_APP}, resend_safe=False
    )
    connection: dict[str, Any] = _connection(answer)
    return connection


def get_maton_connection(config: ClientConfig, connection_id: str) -> Operation[dict[str, Any]]:
    """ctrl host: ``GET /connections/{connection_id}``."""
    answer = yield ApiRequest("GET", f"connections/{connection_id}", target="ctrl")
    connection: dict[str, Any] = _connection(answer)
    return connection


def delete_maton_connection(config: ClientConfig, connection_id: str) -> Operation[dict[str, Any]]:
    """ctrl host: ``DELETE /connections/{connection_id}``."""
    answer: dict[str, Any] = yield ApiRequest(
        "DELETE", f"connections/{connection_id}", target="ctrl"
    )
    return answer
