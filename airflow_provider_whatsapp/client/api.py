"""Every API call, described once.

Each call is a generator that yields :class:`ApiRequest` objects and receives the
parsed answers, then returns its result. The sync and async clients only drive
these generators, so paging, ids and payload rules exist in one place.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Mapping
from pathlib import Path
from typing import IO, Any, TypeVar, Union

from .config import ClientConfig
from .errors import NotFoundError, WhatsAppConfigError
from .request import ApiRequest

T = TypeVar("T")
Operation = Generator[ApiRequest, Any, T]
MediaSource = Union[str, "os.PathLike[str]", bytes, IO[bytes]]

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
    config: ClientConfig, message: Any, *, phone_number_id: str | None = None
) -> Operation[dict[str, Any]]:
    """Validate ``message`` (a model or a dict in the API's shape) and send it."""
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
    sender = _need(phone_number_id or config.phone_number_id, "phone_number_id")
    body = {"messaging_product": "whatsapp", "status": "read", "message_id": message_id}
    answer: dict[str, Any] = yield ApiRequest("POST", f"{sender}/messages", json=body)
    return answer


def _read_media(file: MediaSource, mime_type: str | None) -> tuple[str, bytes, str]:
    from ..messages.media_files import (
        detect_mime_type,  # the operators' guesser: name, else first bytes
    )

    if isinstance(file, (str, os.PathLike)):
        path = Path(file)
        data, name = path.read_bytes(), path.name
    elif isinstance(file, bytes):
        data, name = file, "upload"
    else:
        data = file.read()
        name = os.path.basename(str(getattr(file, "name", "upload")))
    mime = mime_type or detect_mime_type(name, data)
    if not mime:
        raise WhatsAppConfigError(f"cannot tell the mime type of {name!r}: pass mime_type=")
    return name, data, mime


def upload_media(
    config: ClientConfig,
    file: MediaSource,
    mime_type: str | None = None,
    *,
    phone_number_id: str | None = None,
) -> Operation[str]:
    """Upload a file (path, bytes or binary file object); returns the media id."""
    sender = _need(phone_number_id or config.phone_number_id, "phone_number_id")
    name, data, mime = _read_media(file, mime_type)
    answer = yield ApiRequest(
        "POST",
        f"{sender}/media",
        data={"messaging_product": "whatsapp", "type": mime},
        files={"file": (name, data, mime)},
    )
    return str(answer["id"])


def get_media(config: ClientConfig, media_id: str) -> Operation[dict[str, Any]]:
    """Media metadata, including a ``url`` on Meta's CDN valid for five minutes."""
    answer: dict[str, Any] = yield ApiRequest("GET", str(media_id))
    return answer


def download_media(config: ClientConfig, media_id: str) -> Operation[bytes]:
    """The media's bytes, fetched from its CDN URL **without** the Maton key."""
    info = yield from get_media(config, media_id)
    data: bytes = yield ApiRequest("GET", info["url"], target="external", raw=True)
    return data


def delete_media(config: ClientConfig, media_id: str) -> Operation[dict[str, Any]]:
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
    """Every template, across all pages."""
    waba = _need(waba_id or config.waba_id, "waba_id")
    params = {"limit": TEMPLATE_PAGE_SIZE, **filters}
    return (yield from _every_page(f"{waba}/message_templates", params))


def get_template(
    config: ClientConfig, name: str, language: str | None = None, *, waba_id: str | None = None
) -> Operation[dict[str, Any] | None]:
    """The template named ``name`` (in ``language`` if given), or ``None``."""
    found = yield from list_templates(config, waba_id=waba_id, name=name)
    for template in found:
        if template.get("name") == name and language in (None, template.get("language")):
            return template
    return None


def create_template(
    config: ClientConfig, definition: Any, *, waba_id: str | None = None
) -> Operation[dict[str, Any]]:
    """Create a template from a definition model or a create-request dict."""
    from ..templates.definition import TemplateDefinition

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
    """Edit an existing template (components and/or category) by its id."""
    answer: dict[str, Any] = yield ApiRequest("POST", str(template_id), json=dict(changes))
    return answer


def delete_template(
    config: ClientConfig, name: str, language: str | None = None, *, waba_id: str | None = None
) -> Operation[dict[str, Any]]:
    """Delete every language of ``name``, or only ``language`` (by its template id)."""
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
    waba = _need(waba_id or config.waba_id, "waba_id")
    return (yield from _every_page(f"{waba}/phone_numbers", {}))


def get_phone_number(
    config: ClientConfig, phone_number_id: str | None = None
) -> Operation[dict[str, Any]]:
    number = _need(phone_number_id or config.phone_number_id, "phone_number_id")
    answer: dict[str, Any] = yield ApiRequest("GET", number)
    return answer


def get_business_profile(
    config: ClientConfig, *, phone_number_id: str | None = None
) -> Operation[dict[str, Any]]:
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
    from ..account.profile import BusinessProfile

    number = _need(phone_number_id or config.phone_number_id, "phone_number_id")
    body = BusinessProfile.model_validate(fields).to_payload()
    answer: dict[str, Any] = yield ApiRequest(
        "POST", f"{number}/whatsapp_business_profile", json=body
    )
    return answer


def list_maton_connections(
    config: ClientConfig, status: str | None = "ACTIVE"
) -> Operation[list[dict[str, Any]]]:
    params = {"app": MATON_APP, "status": status}
    answer = yield ApiRequest("GET", "connections", target="ctrl", params=params)
    connections: list[dict[str, Any]] = answer.get("connections") or []
    return connections


def create_maton_connection(config: ClientConfig) -> Operation[dict[str, Any]]:
    """Start a new Maton connection; a person opens the returned ``url`` to finish OAuth."""
    answer = yield ApiRequest(
        "POST", "connections", target="ctrl", json={"app": MATON_APP}, resend_safe=False
    )
    connection: dict[str, Any] = answer.get("connection", answer)
    return connection


def get_maton_connection(config: ClientConfig, connection_id: str) -> Operation[dict[str, Any]]:
    answer = yield ApiRequest("GET", f"connections/{connection_id}", target="ctrl")
    connection: dict[str, Any] = answer.get("connection", answer)
    return connection


def delete_maton_connection(config: ClientConfig, connection_id: str) -> Operation[dict[str, Any]]:
    answer: dict[str, Any] = yield ApiRequest(
        "DELETE", f"connections/{connection_id}", target="ctrl"
    )
    return answer
