"""The WhatsApp Cloud API behind the gateway: one function per Graph route.

Every handler is synchronous and runs with the state lock held; ``GET/POST/DELETE {id}``
dispatch on which kind of object owns the id (phone number, WABA, template, media).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from . import account, rules, template_rules
from .errors import (
    GraphError,
    Reply,
    invalid,
    json_reply,
    missing,
    unknown_object,
    user_id_not_supported,
)
from .state import MEDIA_ID_BASE, TEMPLATE_ID_BASE, SentMessage, State, Template
from .template_rules import check_category, check_components, check_definition

HOURLY_TEMPLATE_CREATIONS = 100
LOOKASIDE_TTL = 300.0
_wamids = itertools.count(1)
_nonce = secrets.token_hex(4).upper()
SUCCESS: dict[str, Any] = {"success": True}


@dataclass
class Upload:
    """A file part of a multipart request."""

    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class Call:
    """A gateway request, reduced to what the handlers need."""

    method: str
    segments: list[str]
    version: str
    query: dict[str, str]
    json: Any = None
    json_error: bool = False
    form: dict[str, str] = field(default_factory=dict)
    uploads: list[Upload] = field(default_factory=list)


def handle(state: State, call: Call) -> Reply:
    """Answer one Graph call (caller holds ``state.lock``)."""
    try:
        return json_reply(_route(state, call))
    except GraphError as err:
        return err.reply()


def _route(state: State, call: Call) -> dict[str, Any]:
    method, segs = call.method, call.segments
    if not segs:
        raise GraphError(2500, "Unknown path components: /", error_type="OAuthException")
    obj_id = segs[0]
    if len(segs) == 1:
        handler = _object_routes(state, obj_id).get(method)
    elif len(segs) == 2:
        handler = _edge_routes(state, obj_id, segs[1]).get(method)
    else:
        handler = None
    if handler is None:
        if len(segs) == 2 and _is_known(state, obj_id):
            raise GraphError(2500, f"(#2500) Unknown path components: /{segs[1]}")
        raise unknown_object(obj_id, method)
    return handler(state, call)


Handler = Callable[[State, Call], dict[str, Any]]


def _is_known(state: State, obj_id: str) -> bool:
    return (
        obj_id in (state.phone_number_id, state.waba_id)
        or obj_id in state.media
        or state.template_by_id(obj_id) is not None
    )


def _object_routes(state: State, obj_id: str) -> dict[str, Handler]:
    if obj_id == state.phone_number_id:
        return {"GET": lambda s, c: account.select_fields(phone_number(s), c.query.get("fields"))}
    if obj_id == state.waba_id:
        return {"GET": lambda s, c: waba(s)}
    if obj_id in state.media:
        return {"GET": get_media, "DELETE": delete_media}
    if state.template_by_id(obj_id) is not None:
        return {"GET": get_template, "POST": edit_template}
    return {}


def _edge_routes(state: State, obj_id: str, edge: str) -> dict[str, Handler]:
    routes: dict[str, dict[str, Handler]] = {}
    if obj_id == state.phone_number_id:
        routes = {
            "messages": {"POST": send_message},
            "media": {"POST": upload_media},
            "whatsapp_business_profile": {"GET": get_profile, "POST": update_profile},
        }
    elif obj_id == state.waba_id:
        routes = {
            "message_templates": {
                "GET": list_templates,
                "POST": create_template,
                "DELETE": delete_template,
            },
            "phone_numbers": {"GET": lambda s, c: _page([phone_number(s)])},
        }
    return routes.get(edge, {})


def _json_body(call: Call) -> dict[str, Any]:
    if call.json_error or not isinstance(call.json, dict):
        raise invalid("the request body must be a JSON object")
    return call.json


def _page(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "data": items,
        "paging": {"cursors": {"before": _cursor(0), "after": _cursor(len(items))}},
    }


# -- messages ------------------------------------------------------------------------
def send_message(state: State, call: Call) -> dict[str, Any]:
    """``POST {phone}/messages``: a read receipt, or a message checked and recorded."""
    payload = _json_body(call)
    if payload.get("messaging_product") != "whatsapp":
        raise invalid("messaging_product must be 'whatsapp'")
    if payload.get("status") == "read":
        rules.only_keys(
            payload,
            {"messaging_product", "status", "message_id", "typing_indicator"},
            "read receipt",
        )
        rules.text(rules.need(payload, "message_id", ""), "message_id", 1, 512)
        return SUCCESS
    media = state.media.get
    to, mtype = rules.check_message(payload, media)
    by_user_id = rules.addressee(payload)[1]  # a business-scoped user id, sent as recipient
    settings = state.settings
    if settings.allowed_recipients is not None and to not in settings.allowed_recipients:
        raise GraphError(
            131030,
            "(#131030) Recipient phone number not in allowed list",
            f"Recipient phone number {to} is not in the allowed list: add it to the "
            "test number's recipients",
        )
    if mtype == "template":
        state.apply_reviews()
        template_rules.check_template_send(
            payload["template"],
            lambda n, lang: next(iter(state.find_templates(n, lang)), None),
            media,
        )
        if by_user_id:
            _check_template_to_user_id(state, payload["template"], to)
    elif mtype != "reaction" and settings.enforce_window and not state.window_open(to):
        raise GraphError(
            131047,
            "(#131047) Re-engagement message",
            f"Message failed to send because more than 24 hours have passed since "
            f"the customer ({to}) last replied to this number. Send a template.",
        )
    account.count_recipient(state, to)  # the messaging limit: 131048 past it
    raw = f"HBgL{to}FQIAERgS{_nonce}{next(_wamids):012X}".encode()
    wamid = "wamid." + base64.b64encode(raw).decode()
    state.messages.append(
        SentMessage(to, mtype, payload, wamid, state.clock(), user_id=to if by_user_id else None)
    )
    # A send by business-scoped user id is answered with user_id and no wa_id.
    contact = {"input": to, "user_id": to} if by_user_id else {"input": to, "wa_id": to}
    return {
        "messaging_product": "whatsapp",
        "contacts": [contact],
        "messages": [{"id": wamid, "message_status": "accepted"}],
    }


def _check_template_to_user_id(state: State, template: dict[str, Any], user_id: str) -> None:
    """131062 for a template a business-scoped user id cannot receive: an authentication
    template whose OTP button is one-tap, zero-tap or copy-code (every one of them)."""
    language = template.get("language") or {}
    stored = next(iter(state.find_templates(template["name"], language.get("code"))), None)
    if stored is None:
        return
    otp = [
        str(button.get("otp_type", "")).upper()
        for component in stored.components
        if isinstance(component, dict) and str(component.get("type", "")).upper() == "BUTTONS"
        for button in component.get("buttons") or []
        if isinstance(button, dict) and str(button.get("type", "")).upper() == "OTP"
    ]
    if stored.category == "AUTHENTICATION" or rules.PHONE_ONLY_OTP & set(otp):
        kinds = "/".join(sorted(rules.PHONE_ONLY_OTP & set(otp))) or "OTP"
        raise user_id_not_supported(
            f"Template {stored.name} ({stored.language}) is an authentication template "
            f"({kinds} button): recipient {user_id} is a business-scoped user id; send it "
            "to a phone number"
        )


# -- media ---------------------------------------------------------------------------
def upload_media(state: State, call: Call) -> dict[str, Any]:
    """``POST {phone}/media``: multipart ``file`` + ``type`` + ``messaging_product``."""
    if call.form.get("messaging_product") != "whatsapp":
        raise missing("messaging_product")
    mime = call.form.get("type")
    if not mime:
        raise missing("type")
    upload = next((u for u in call.uploads if u.field == "file"), None)
    if upload is None:
        raise missing("file")
    rules.check_upload(mime, len(upload.data))
    media_id = state.new_id(MEDIA_ID_BASE)
    state.media[media_id] = {
        "data": upload.data,
        "mime_type": mime,
        "filename": upload.filename,
        "sha256": hashlib.sha256(upload.data).hexdigest(),
        "file_size": len(upload.data),
    }
    return {"id": media_id}


def get_media(state: State, call: Call) -> dict[str, Any]:
    """``GET {media}``: a short-lived URL on another host (the "CDN": ``localhost``)."""
    media_id = call.segments[0]
    item = state.media[media_id]
    token = secrets.token_urlsafe(12)
    state.lookaside_tokens[token] = (media_id, state.clock() + LOOKASIDE_TTL)
    return {
        "url": f"http://localhost:{state.port}/_lookaside/{media_id}?token={token}",
        "mime_type": item["mime_type"],
        "sha256": item["sha256"],
        "file_size": item["file_size"],
        "id": media_id,
        "messaging_product": "whatsapp",
    }


def delete_media(state: State, call: Call) -> dict[str, Any]:
    """``DELETE {media}``."""
    del state.media[call.segments[0]]
    return SUCCESS


# -- templates -----------------------------------------------------------------------
def _cursor(offset: int) -> str:
    return base64.b64encode(f"emulator-offset:{offset}".encode()).decode()


def _offset(cursor: str) -> int:
    try:
        text = base64.b64decode(cursor, validate=True).decode()
        prefix, _, number = text.partition(":")
        if prefix != "emulator-offset":
            raise ValueError(text)
        return max(0, int(number))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise invalid(f"invalid paging cursor '{cursor}'") from None


def list_templates(state: State, call: Call) -> dict[str, Any]:
    """``GET {waba}/message_templates``: filters, cursor paging, absolute ``next``.

    ``name`` matches substrings, as Meta's filter does; ``status``, ``language`` and
    ``category`` match exactly (case-insensitive for status and category).
    """
    state.apply_reviews()
    q = call.query
    try:
        limit = min(max(int(q.get("limit", 25)), 1), 100)
    except ValueError:
        raise invalid("limit must be an integer") from None
    items = [
        t
        for t in state.templates
        if ("status" not in q or t.status == q["status"].upper())
        and ("name" not in q or q["name"] in t.name)
        and ("language" not in q or t.language == q["language"])
        and ("category" not in q or t.category == q["category"].upper())
    ]
    if "before" in q:
        end = min(_offset(q["before"]), len(items))
        start = max(0, end - limit)
    else:
        start = _offset(q["after"]) if "after" in q else 0
    page = items[start : start + limit]
    fields = {f.strip() for f in q["fields"].split(",")} | {"id"} if "fields" in q else None
    data = [{k: v for k, v in t.to_api().items() if fields is None or k in fields} for t in page]
    state.count_reads(page)
    if not page:
        return {"data": data}
    end = start + len(page)
    paging: dict[str, Any] = {"cursors": {"before": _cursor(start), "after": _cursor(end)}}
    base = f"https://graph.facebook.com/{call.version}/{state.waba_id}/message_templates?"
    keep = {k: v for k, v in q.items() if k not in {"after", "before"}} | {"limit": str(limit)}
    if end < len(items):
        paging["next"] = base + urlencode(keep | {"after": _cursor(end)})
    if start > 0:
        paging["previous"] = base + urlencode(keep | {"before": _cursor(start)})
    return {"data": data, "paging": paging}


def create_template(state: State, call: Call) -> dict[str, Any]:
    """``POST {waba}/message_templates``: check, de-duplicate, rate-limit, store PENDING."""
    name, language, category, components, fmt = check_definition(_json_body(call))
    if state.find_templates(name, language):
        raise GraphError(
            100,
            "(#100) Invalid parameter",
            f"Message template language is being deleted or already exists: {name} ({language})",
            subcode=2388024,
        )
    now = state.clock()
    recent = state.template_creations
    while recent and now - recent[0] >= 3600:
        recent.popleft()
    if len(recent) >= HOURLY_TEMPLATE_CREATIONS:
        raise GraphError(
            4,
            "(#4) Application request limit reached",
            f"at most {HOURLY_TEMPLATE_CREATIONS} message templates may be created "
            "per hour per WhatsApp Business account: try again later",
            transient=True,
        )
    recent.append(now)
    tpl = Template(
        state.new_id(TEMPLATE_ID_BASE),
        name,
        language,
        category,
        components,
        fmt,
        "PENDING",
        submitted_at=now,
    )
    state.templates.append(tpl)
    return {"id": tpl.id, "status": "PENDING", "category": category}


def get_template(state: State, call: Call) -> dict[str, Any]:
    """``GET {template}``."""
    state.apply_reviews()
    tpl = state.template_by_id(call.segments[0])
    assert tpl is not None
    answer = tpl.to_api()
    state.count_reads([tpl])
    return answer


def edit_template(state: State, call: Call) -> dict[str, Any]:
    """``POST {template}``: new components and/or category; back to PENDING review."""
    state.apply_reviews()
    tpl: Template | None = state.template_by_id(call.segments[0])
    assert tpl is not None
    body = _json_body(call)
    rules.only_keys(body, {"components", "category", "parameter_format"}, "template edit")
    if "components" not in body and "category" not in body:
        raise missing("components")
    if tpl.status not in {"APPROVED", "REJECTED", "PAUSED"}:
        raise invalid(
            f"template {tpl.name} is {tpl.status}: only APPROVED, REJECTED or PAUSED "
            "templates can be edited"
        )
    category = check_category(body["category"]) if "category" in body else tpl.category
    fmt = template_rules.check_format(body.get("parameter_format", tpl.parameter_format))
    components = body.get("components", tpl.components)
    check_components(components, category, fmt)
    tpl.category, tpl.components, tpl.parameter_format = category, components, fmt
    tpl.resubmit(state.clock())
    return SUCCESS


def delete_template(state: State, call: Call) -> dict[str, Any]:
    """``DELETE {waba}/message_templates?name=N[&hsm_id=ID]``: every language, or one id."""
    name = call.query.get("name")
    if not name:
        raise missing("name")
    hsm_id = call.query.get("hsm_id")
    doomed = [t for t in state.find_templates(name) if hsm_id is None or t.id == hsm_id]
    if not doomed:
        raise GraphError(
            100,
            "(#100) Invalid parameter",
            f'Message template "{name}"{f" with id {hsm_id}" if hsm_id else ""} can\'t be found',
            subcode=2593002,
        )
    state.templates = [t for t in state.templates if t not in doomed]
    return SUCCESS


# -- phone number, account, profile ----------------------------------------------------
def phone_number(state: State) -> dict[str, Any]:
    """The one emulated sending number."""
    return {
        "id": state.phone_number_id,
        "display_phone_number": "+1 555-010-0001",
        "verified_name": "Emulated Business",
        "code_verification_status": "VERIFIED",
        "platform_type": "CLOUD_API",
        "name_status": "APPROVED",
        **account.number_limits(state),  # messaging limit, quality, throughput: settings
    }


def waba(state: State) -> dict[str, Any]:
    """The emulated WhatsApp Business account."""
    return {
        "id": state.waba_id,
        "name": "Emulated WhatsApp Business Account",
        "currency": "USD",
        "timezone_id": "1",
        "message_template_namespace": "emulator_namespace",
    }


def get_profile(state: State, call: Call) -> dict[str, Any]:
    """``GET {phone}/whatsapp_business_profile?fields=...`` (all fields when none asked)."""
    asked = [f.strip() for f in call.query.get("fields", "").split(",") if f.strip()]
    unknown = sorted(set(asked) - rules.PROFILE_FIELDS - {"messaging_product"})
    if unknown:
        raise invalid(f"Tried accessing nonexisting field(s) {', '.join(unknown)}")
    profile = {k: v for k, v in state.profile.items() if not asked or k in asked}
    return {"data": [{**profile, "messaging_product": "whatsapp"}]}


def update_profile(state: State, call: Call) -> dict[str, Any]:
    """``POST {phone}/whatsapp_business_profile``."""
    state.profile.update(rules.check_profile_update(_json_body(call)))
    return SUCCESS
