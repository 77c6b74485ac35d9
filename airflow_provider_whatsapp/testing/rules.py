"""The emulator's own checks of message, media and profile payloads.

Written from the reference rules (``whatsapp-cloud-api-rules.md``), independently of the
provider's models: a test passes only when the provider and these rules agree. Each check
raises :class:`~.errors.GraphError` naming the offending field in ``error_data.details``.
Template sends are checked in :mod:`.template_rules`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from .errors import GraphError, invalid, missing

MESSAGE_TYPES = frozenset(
    {
        "text",
        "image",
        "video",
        "audio",
        "document",
        "sticker",
        "location",
        "contacts",
        "reaction",
        "interactive",
        "template",
    }
)
MEDIA_TYPES = frozenset({"image", "video", "audio", "document", "sticker"})
_TOP_LEVEL = frozenset(
    {
        "messaging_product",
        "recipient_type",
        "to",
        "recipient",
        "type",
        "context",
        "biz_opaque_callback_data",
    }
)
_PHONE = re.compile(r"[1-9][0-9]{6,14}")
# A business-scoped user id (Meta, 2026): upper-case ISO country, a dot, an alphanumeric
# id (its length bounded at 128 here, as Meta gives none); a parent one has "ENT." first.
_BSUID = re.compile(r"[A-Z]{2}\.(ENT\.)?[0-9A-Za-z]{1,128}")
# The OTP buttons of the authentication templates WhatsApp sends only to a phone number.
PHONE_ONLY_OTP = frozenset({"ONE_TAP", "ZERO_TAP", "COPY_CODE"})
MB = 1024 * 1024
_OFFICE = "application/vnd.openxmlformats-officedocument"
# (media kind, max bytes) -> its mime types
_MEDIA_BY_KIND: dict[tuple[str, int], tuple[str, ...]] = {
    ("audio", 16 * MB): ("audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"),
    ("document", 100 * MB): (
        "text/plain",
        "application/pdf",
        "application/msword",
        f"{_OFFICE}.wordprocessingml.document",
        "application/vnd.ms-excel",
        f"{_OFFICE}.spreadsheetml.sheet",
        "application/vnd.ms-powerpoint",
        f"{_OFFICE}.presentationml.presentation",
    ),
    ("image", 5 * MB): ("image/jpeg", "image/png"),
    ("sticker", 500 * 1024): ("image/webp",),
    ("video", 16 * MB): ("video/mp4", "video/3gpp"),
}
#: mime type -> (media kind, max bytes)
MEDIA_LIMITS: dict[str, tuple[str, int]] = {
    mime: limit for limit, mimes in _MEDIA_BY_KIND.items() for mime in mimes
}
PROFILE_FIELDS = frozenset(
    {"about", "address", "description", "email", "profile_picture_url", "websites", "vertical"}
)
VERTICALS = frozenset(
    {
        "UNDEFINED",
        "OTHER",
        "AUTO",
        "BEAUTY",
        "APPAREL",
        "EDU",
        "ENTERTAIN",
        "EVENT_PLAN",
        "FINANCE",
        "GROCERY",
        "GOVT",
        "HOTEL",
        "HEALTH",
        "NONPROFIT",
        "PROF_SERVICES",
        "RETAIL",
        "TRAVEL",
        "RESTAURANT",
        "NOT_A_BIZ",
    }
)
MediaLookup = Callable[[str], "Mapping[str, Any] | None"]


# -- small helpers -------------------------------------------------------------------
def obj(value: Any, where: str) -> dict[str, Any]:
    """``value`` must be a JSON object."""
    if not isinstance(value, dict):
        raise invalid(f"{where} must be a JSON object")
    return value


def need(container: Mapping[str, Any], key: str, where: str) -> Any:
    """``container[key]``, or Graph's missing-parameter error."""
    value = container.get(key)
    if value is None:
        raise missing(f"{where}.{key}" if where else key)
    return value


def text(value: Any, where: str, low: int, high: int) -> str:
    """A string of ``low``..``high`` characters."""
    if not isinstance(value, str):
        raise invalid(f"{where} must be a string")
    if not low <= len(value) <= high:
        raise invalid(f"{where} must be {low}..{high} characters, got {len(value)}")
    return value


def only_keys(value: Mapping[str, Any], allowed: frozenset[str] | set[str], where: str) -> None:
    """Reject unknown fields (Graph rejects them as invalid parameters)."""
    extra = sorted(set(value) - set(allowed))
    if extra:
        raise invalid(f"{where}: unexpected field(s) {', '.join(extra)}")


def is_url(value: Any, schemes: tuple[str, ...] = ("https",)) -> bool:
    """Whether ``value`` is an absolute URL with one of ``schemes``."""
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in schemes and bool(parts.netloc)


def check_phone(to: Any) -> str:
    """``to``: 7..15 digits, no ``+``, no leading zero (E.164 without the plus)."""
    if not isinstance(to, str) or not _PHONE.fullmatch(to):
        raise invalid(
            f"to: '{to}' is not a phone number in international format "
            "(7..15 digits, no '+', no leading zero)"
        )
    return to


def check_user_id(recipient: Any) -> str:
    """``recipient``: a business-scoped user id (``US.13491208655302741918``) or a
    parent one (``US.ENT.506847293015824``)."""
    if not isinstance(recipient, str) or not _BSUID.fullmatch(recipient):
        raise invalid(
            f"recipient: '{recipient}' is not a business-scoped user id (country code, "
            "a dot and the id: US.13491208655302741918, or US.ENT.506847293015824)"
        )
    return recipient


def addressee(payload: Mapping[str, Any]) -> tuple[str, bool]:
    """Whom a send goes to, and whether by business-scoped user id: ``to`` (a phone
    number) when present, as it wins over ``recipient``; else ``recipient`` (a BSUID)."""
    recipient = payload.get("recipient")
    if recipient is not None:
        check_user_id(recipient)
    if payload.get("to") is not None or recipient is None:
        return check_phone(need(payload, "to", "")), False
    return recipient, True


def number(value: Any, where: str, low: float, high: float) -> None:
    """A JSON number within ``low``..``high``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise invalid(f"{where} must be a number")
    if not low <= value <= high:
        raise invalid(f"{where} must be within {low}..{high}")


# -- messages ------------------------------------------------------------------------
def check_message(payload: dict[str, Any], media: MediaLookup) -> tuple[str, str]:
    """Check a non-read-receipt send; returns ``(to, type)``, ``to`` the phone number or
    business-scoped user id it goes to (:func:`addressee`). Templates: structure only."""
    to, _ = addressee(payload)
    if payload.get("recipient_type", "individual") != "individual":
        raise invalid("recipient_type must be 'individual'")
    mtype = payload.get("type", "text")
    if mtype not in MESSAGE_TYPES:
        raise invalid(f"type: '{mtype}' is not one of {', '.join(sorted(MESSAGE_TYPES))}")
    only_keys(payload, _TOP_LEVEL | {mtype}, "message")
    raw = need(payload, mtype, "")
    body = raw if mtype == "contacts" else obj(raw, mtype)
    if "context" in payload:
        context = obj(payload["context"], "context")
        text(need(context, "message_id", "context"), "context.message_id", 1, 512)
    if "biz_opaque_callback_data" in payload:
        text(payload["biz_opaque_callback_data"], "biz_opaque_callback_data", 0, 512)
    if mtype == "text":
        only_keys(body, {"body", "preview_url"}, "text")
        text(need(body, "body", "text"), "text.body", 1, 4096)
        if not isinstance(body.get("preview_url", False), bool):
            raise invalid("text.preview_url must be a boolean")
    elif mtype in MEDIA_TYPES:
        check_media(body, mtype, mtype, media, caption=mtype in {"image", "video", "document"})
    elif mtype == "location":
        check_location(body, "location")
    elif mtype == "contacts":
        check_contacts(raw)
    elif mtype == "reaction":
        only_keys(body, {"message_id", "emoji"}, "reaction")
        text(need(body, "message_id", "reaction"), "reaction.message_id", 1, 512)
        if not isinstance(body.get("emoji"), str):
            raise missing("reaction.emoji")
        text(body["emoji"], "reaction.emoji", 0, 16)
    elif mtype == "interactive":
        check_interactive(body, media)
    return to, mtype


def check_media(
    body: dict[str, Any], kind: str, where: str, media: MediaLookup, *, caption: bool
) -> None:
    """Exactly one of ``link`` (https) / ``id`` (uploaded, of a fitting mime type)."""
    allowed = {"link", "id"} | ({"caption"} if caption else set())
    if kind == "document":
        allowed.add("filename")
    only_keys(body, allowed, where)
    if ("link" in body) == ("id" in body):
        raise invalid(f"{where}: exactly one of 'link' or 'id' is required")
    if "link" in body and not is_url(body["link"]):
        raise invalid(f"{where}.link must be an https URL")
    if "id" in body:
        media_id = body["id"]
        if not isinstance(media_id, str) or not media_id:
            raise invalid(f"{where}.id must be a non-empty string")
        stored = media(media_id)
        if stored is None:
            raise invalid(f"{where}.id: media '{media_id}' does not exist (upload it first)")
        stored_kind = MEDIA_LIMITS.get(str(stored["mime_type"]), ("document", 0))[0]
        if kind != "document" and stored_kind != kind:
            raise invalid(f"{where}.id: media '{media_id}' is {stored['mime_type']}, not {kind}")
    if "caption" in body:
        text(body["caption"], f"{where}.caption", 0, 1024)
    if "filename" in body:
        text(body["filename"], f"{where}.filename", 1, 240)


def check_location(body: dict[str, Any], where: str) -> None:
    """Latitude -90..90 and longitude -180..180 as numbers; name and address optional."""
    only_keys(body, {"latitude", "longitude", "name", "address"}, where)
    number(need(body, "latitude", where), f"{where}.latitude", -90, 90)
    number(need(body, "longitude", where), f"{where}.longitude", -180, 180)
    for key in ("name", "address"):
        if key in body:
            text(body[key], f"{where}.{key}", 0, 1024)


def check_contacts(contacts: Any) -> None:
    """A non-empty list of contacts, each with ``name.formatted_name``."""
    if not isinstance(contacts, list) or not contacts:
        raise invalid("contacts must be a non-empty list")
    allowed = {"addresses", "birthday", "emails", "name", "org", "phones", "urls"}
    for i, contact in enumerate(contacts):
        where = f"contacts[{i}]"
        only_keys(obj(contact, where), allowed, where)
        name = obj(need(contact, "name", where), f"{where}.name")
        text(need(name, "formatted_name", f"{where}.name"), f"{where}.name.formatted_name", 1, 1024)


def check_interactive(body: dict[str, Any], media: MediaLookup) -> None:
    """Reply buttons, lists and CTA URLs in detail; other interactive kinds loosely."""
    only_keys(body, {"type", "header", "body", "footer", "action"}, "interactive")
    itype = need(body, "type", "interactive")
    kinds = {
        "button",
        "list",
        "cta_url",
        "product",
        "product_list",
        "flow",
        "catalog_message",
        "location_request_message",
        "address_message",
        "call_permission_request",
    }
    if itype not in kinds:
        raise invalid(f"interactive.type: '{itype}' is not supported")
    if "header" in body:
        header = obj(body["header"], "interactive.header")
        htype = need(header, "type", "interactive.header")
        if htype == "text":
            only_keys(header, {"type", "text"}, "interactive.header")
            text(need(header, "text", "interactive.header"), "interactive.header.text", 1, 60)
        elif htype in {"image", "video", "document"} and itype != "list":
            only_keys(header, {"type", htype}, "interactive.header")
            media_body = obj(
                need(header, htype, "interactive.header"), f"interactive.header.{htype}"
            )
            check_media(media_body, htype, f"interactive.header.{htype}", media, caption=False)
        else:
            raise invalid(f"interactive.header.type: '{htype}' is not allowed for {itype}")
    if itype != "product" or "body" in body:
        inner = obj(need(body, "body", "interactive"), "interactive.body")
        only_keys(inner, {"text"}, "interactive.body")
        text(need(inner, "text", "interactive.body"), "interactive.body.text", 1, 1024)
    if "footer" in body:
        footer = obj(body["footer"], "interactive.footer")
        only_keys(footer, {"text"}, "interactive.footer")
        text(need(footer, "text", "interactive.footer"), "interactive.footer.text", 1, 60)
    action = obj(need(body, "action", "interactive"), "interactive.action")
    if itype == "button":
        check_reply_buttons(action)
    elif itype == "list":
        check_list(action)
    elif itype == "cta_url":
        check_cta_url(action)


def check_reply_buttons(action: dict[str, Any]) -> None:
    """1..3 reply buttons; ids 1..256 and titles 1..20 characters, both unique."""
    buttons = need(action, "buttons", "interactive.action")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        raise invalid("interactive.action.buttons must hold 1..3 buttons")
    ids: set[str] = set()
    titles: set[str] = set()
    for i, button in enumerate(buttons):
        where = f"interactive.action.buttons[{i}]"
        obj(button, where)
        if button.get("type") != "reply":
            raise invalid(f"{where}.type must be 'reply'")
        reply = obj(need(button, "reply", where), f"{where}.reply")
        bid = text(need(reply, "id", f"{where}.reply"), f"{where}.reply.id", 1, 256)
        title = text(need(reply, "title", f"{where}.reply"), f"{where}.reply.title", 1, 20)
        if bid in ids or title in titles:
            raise invalid(f"{where}: button ids and titles must be unique", code=131009)
        ids.add(bid)
        titles.add(title)


def check_list(action: dict[str, Any]) -> None:
    """Button 1..20; 1..10 sections; at most 10 rows in all, unique row ids."""
    text(need(action, "button", "interactive.action"), "interactive.action.button", 1, 20)
    sections = need(action, "sections", "interactive.action")
    if not isinstance(sections, list) or not 1 <= len(sections) <= 10:
        raise invalid("interactive.action.sections must hold 1..10 sections")
    row_ids: set[str] = set()
    for i, section in enumerate(sections):
        where = f"interactive.action.sections[{i}]"
        obj(section, where)
        if "title" in section or len(sections) > 1:
            text(need(section, "title", where), f"{where}.title", 1, 24)
        rows = need(section, "rows", where)
        if not isinstance(rows, list) or not rows:
            raise invalid(f"{where}.rows must be a non-empty list")
        for j, row in enumerate(rows):
            rwhere = f"{where}.rows[{j}]"
            only_keys(obj(row, rwhere), {"id", "title", "description"}, rwhere)
            rid = text(need(row, "id", rwhere), f"{rwhere}.id", 1, 200)
            text(need(row, "title", rwhere), f"{rwhere}.title", 1, 24)
            if "description" in row:
                text(row["description"], f"{rwhere}.description", 0, 72)
            if rid in row_ids:
                raise invalid(f"{rwhere}.id '{rid}' is not unique", code=131009)
            row_ids.add(rid)
    if len(row_ids) > 10:
        raise invalid(f"interactive.action.sections: {len(row_ids)} rows, at most 10 allowed")


def check_cta_url(action: dict[str, Any]) -> None:
    """``name`` "cta_url" with ``display_text`` 1..20 and an http(s) ``url``."""
    if action.get("name") != "cta_url":
        raise invalid("interactive.action.name must be 'cta_url'")
    params = obj(need(action, "parameters", "interactive.action"), "interactive.action.parameters")
    where = "interactive.action.parameters"
    text(need(params, "display_text", where), f"{where}.display_text", 1, 20)
    if not is_url(need(params, "url", where), ("http", "https")):
        raise invalid(f"{where}.url must be an http(s) URL")


# -- media uploads and the business profile ------------------------------------------
def check_upload(mime_type: str, size: int) -> None:
    """Allowed mime type and size within that type's limit (sticker 500 KB)."""
    base = mime_type.split(";")[0].strip().lower()
    if base not in MEDIA_LIMITS:
        raise invalid(
            f"Param file must be a file with one of the following types: "
            f"{', '.join(MEDIA_LIMITS)}. Received file of type '{mime_type}'."
        )
    kind, limit = MEDIA_LIMITS[base]
    if size <= 0 or size > limit:
        raise GraphError(
            131053,
            "(#131053) Media upload error",
            f"{kind} file of {size} bytes is outside the allowed 1..{limit} bytes for {base}",
        )


def check_profile_update(payload: dict[str, Any]) -> dict[str, Any]:
    """Business-profile fields within Meta's limits; returns the fields to store."""
    if payload.get("messaging_product") != "whatsapp":
        raise missing("messaging_product")
    fields = {k: v for k, v in payload.items() if k != "messaging_product"}
    only_keys(
        fields,
        {
            "about",
            "address",
            "description",
            "email",
            "websites",
            "vertical",
            "profile_picture_handle",
        },
        "whatsapp_business_profile",
    )
    limits = {"about": (1, 139), "address": (0, 256), "description": (0, 512), "email": (0, 128)}
    for key, (low, high) in limits.items():
        if key in fields:
            text(fields[key], key, low, high)
    if fields.get("email") and "@" not in fields["email"]:
        raise invalid("email must be an e-mail address")
    if "websites" in fields:
        sites = fields["websites"]
        if not isinstance(sites, list) or len(sites) > 2:
            raise invalid("websites must be a list of at most 2 URLs")
        for i, site in enumerate(sites):
            text(site, f"websites[{i}]", 1, 256)
            if not is_url(site, ("http", "https")):
                raise invalid(f"websites[{i}] must be an http(s) URL")
    if "vertical" in fields and fields["vertical"] not in VERTICALS:
        raise invalid(f"vertical must be one of {', '.join(sorted(VERTICALS))}")
    if "profile_picture_handle" in fields:
        text(fields.pop("profile_picture_handle"), "profile_picture_handle", 1, 1024)
        fields["profile_picture_url"] = "https://pps.whatsapp.net/v/emulator-uploaded.jpg"
    return fields
