"""The emulator's own checks of template definitions (create/edit) and template sends.

A definition is checked like Meta's review front door: name pattern, category, component
limits, placeholders and their examples. A send is checked against the stored template:
existence in that exact language, status, and the number (or names) of parameters.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .errors import GraphError, invalid
from .rules import MediaLookup, check_location, check_media, is_url, need, obj, only_keys, text
from .state import Template

NAME = re.compile(r"[a-z0-9_]{1,512}")
LANGUAGE = re.compile(r"[a-z]{2,3}(_[A-Z]{2})?")
CATEGORIES = frozenset({"AUTHENTICATION", "MARKETING", "UTILITY"})
_PLACEHOLDER = re.compile(r"\{\{\s*([^{}\s]*)\s*\}\}")
_NAMED = re.compile(r"[a-z_][a-z0-9_]*")
_DEFINITION_KEYS = frozenset(
    {
        "name",
        "language",
        "category",
        "components",
        "parameter_format",
        "allow_category_change",
        "message_send_ttl_seconds",
        "sub_category",
        "cta_url_link_tracking_opted_out",
    }
)
_BUTTON_CAPS = {"QUICK_REPLY": 10, "URL": 2, "PHONE_NUMBER": 1, "COPY_CODE": 1}
_BUTTON_TYPES = frozenset(
    {
        "QUICK_REPLY",
        "URL",
        "PHONE_NUMBER",
        "COPY_CODE",
        "OTP",
        "MPM",
        "SPM",
        "CATALOG",
        "FLOW",
        "VOICE_CALL",
        "APP",
    }
)
_MEDIA_FORMATS = frozenset({"IMAGE", "VIDEO", "DOCUMENT"})


def placeholders(value: Any) -> list[str]:
    """Distinct placeholder names of a text, in order of first appearance."""
    if not isinstance(value, str):
        return []
    return list(dict.fromkeys(_PLACEHOLDER.findall(value)))


def infer_format(components: list[Any]) -> str:
    """NAMED when the body uses ``{{name}}`` placeholders, else POSITIONAL."""
    for comp in components:
        is_body = isinstance(comp, dict) and str(comp.get("type", "")).upper() == "BODY"
        if is_body and any(not p.isdigit() for p in placeholders(comp.get("text"))):
            return "NAMED"
    return "POSITIONAL"


def _by_type(components: list[Any]) -> dict[str, dict[str, Any]]:
    return {str(c.get("type", "")).upper(): c for c in components if isinstance(c, dict)}


# -- definitions -----------------------------------------------------------------------
def check_definition(payload: dict[str, Any]) -> tuple[str, str, str, list[Any], str]:
    """A create-template body; returns ``(name, language, category, components, format)``."""
    only_keys(payload, _DEFINITION_KEYS, "message_template")
    name = need(payload, "name", "")
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise invalid(
            "name must match ^[a-z0-9_]{1,512}$ (lower-case letters, digits, underscores)"
        )
    language = need(payload, "language", "")
    if not isinstance(language, str) or not LANGUAGE.fullmatch(language):
        raise invalid(f"language: '{language}' is not a language code such as en_US")
    category = check_category(need(payload, "category", ""))
    fmt = check_format(payload.get("parameter_format"))
    components = need(payload, "components", "")
    check_components(components, category, fmt)
    return name, language, category, components, fmt


def check_category(category: Any) -> str:
    """One of AUTHENTICATION, MARKETING, UTILITY (any case; stored upper-case)."""
    if not isinstance(category, str) or category.upper() not in CATEGORIES:
        raise invalid(f"category must be one of {', '.join(sorted(CATEGORIES))}")
    return category.upper()


def check_format(fmt: Any) -> str:
    """``parameter_format``: positional (Meta's default) or named, any case."""
    if fmt is None:
        return "POSITIONAL"
    if not isinstance(fmt, str) or fmt.upper() not in {"POSITIONAL", "NAMED"}:
        raise invalid("parameter_format must be 'positional' or 'named'")
    return fmt.upper()


def check_components(components: Any, category: str, fmt: str) -> None:
    """Component list of a definition: one BODY (shape per category) and optional parts."""
    if not isinstance(components, list) or not components:
        raise invalid("components must be a non-empty list")
    seen: set[str] = set()
    for i, comp in enumerate(components):
        where = f"components[{i}]"
        obj(comp, where)
        ctype = str(need(comp, "type", where)).upper()
        if ctype in seen:
            raise invalid(f"{where}: more than one {ctype} component")
        seen.add(ctype)
        if ctype == "BODY":
            _check_body(comp, where, category, fmt)
        elif ctype == "HEADER":
            _check_header(comp, where, fmt)
        elif ctype == "FOOTER":
            if category != "AUTHENTICATION" or "text" in comp:
                text(need(comp, "text", where), f"{where}.text", 1, 60)
                if placeholders(comp["text"]):
                    raise invalid(f"{where}.text: a footer takes no placeholders")
        elif ctype == "BUTTONS":
            _check_buttons(comp, where)
        elif ctype == "CAROUSEL":
            cards = need(comp, "cards", where)
            if not isinstance(cards, list) or not 1 <= len(cards) <= 10:
                raise invalid(f"{where}.cards must hold 1..10 cards")
            for j, card in enumerate(cards):
                if not isinstance(obj(card, f"{where}.cards[{j}]").get("components"), list):
                    raise invalid(f"{where}.cards[{j}].components must be a list")
        elif ctype == "LIMITED_TIME_OFFER":
            offer = obj(need(comp, "limited_time_offer", where), f"{where}.limited_time_offer")
            text(need(offer, "text", where), f"{where}.limited_time_offer.text", 1, 16)
        else:
            raise invalid(f"{where}.type: unknown component type '{comp['type']}'")
    if "BODY" not in seen:
        raise invalid("components: a BODY component is required")


def _check_style(names: list[str], where: str, fmt: str) -> None:
    if fmt == "POSITIONAL":
        if any(not n.isdigit() for n in names):
            raise invalid(
                f"{where}: positional templates use {{{{1}}}}-style placeholders "
                "(set parameter_format to named for {{name}})"
            )
        if sorted(int(n) for n in names) != list(range(1, len(names) + 1)):
            raise invalid(f"{where}: placeholders must be numbered 1..{len(names)} without gaps")
    elif any(not _NAMED.fullmatch(n) for n in names):
        raise invalid(
            f"{where}: named placeholders must be lower-case letters, digits, underscores"
        )


def _named_examples(examples: Any, where: str) -> set[Any]:
    if not isinstance(examples, list):
        raise invalid(f"{where} must be a list of {{param_name, example}}")
    return {e.get("param_name") for e in examples if isinstance(e, dict) and e.get("example")}


def _check_body(comp: dict[str, Any], where: str, category: str, fmt: str) -> None:
    if category == "AUTHENTICATION" and "text" not in comp:
        return
    names = placeholders(text(need(comp, "text", where), f"{where}.text", 1, 1024))
    _check_style(names, f"{where}.text", fmt)
    if not names:
        return
    example = obj(comp.get("example"), f"{where}.example (placeholders need examples)")
    if fmt == "POSITIONAL":
        rows = example.get("body_text")
        if not (
            isinstance(rows, list)
            and rows
            and isinstance(rows[0], list)
            and len(rows[0]) == len(names)
            and all(rows[0])
        ):
            raise invalid(
                f"{where}.example.body_text must give one example per placeholder ({len(names)})"
            )
    else:
        given = _named_examples(
            example.get("body_text_named_params"), f"{where}.example.body_text_named_params"
        )
        if not set(names) <= given:
            raise invalid(
                f"{where}.example.body_text_named_params lacks "
                f"{', '.join(sorted(set(names) - given))}"
            )


def _check_header(comp: dict[str, Any], where: str, fmt: str) -> None:
    header_format = str(need(comp, "format", where)).upper()
    if header_format == "TEXT":
        names = placeholders(text(need(comp, "text", where), f"{where}.text", 1, 60))
        _check_style(names, f"{where}.text", fmt)
        if len(names) > 1:
            raise invalid(f"{where}.text: a header takes at most one placeholder")
        if names:
            example = obj(comp.get("example"), f"{where}.example (placeholders need examples)")
            key = "header_text" if fmt == "POSITIONAL" else "header_text_named_params"
            if not example.get(key):
                raise invalid(f"{where}.example.{key} is required for the header placeholder")
    elif header_format in _MEDIA_FORMATS:
        media_example = comp.get("example")
        handles = media_example.get("header_handle") if isinstance(media_example, dict) else None
        if not isinstance(handles, list) or not handles:
            raise invalid(f"{where}.example.header_handle is required for a {header_format} header")
    elif header_format not in {"LOCATION", "PRODUCT"}:
        raise invalid(f"{where}.format: unknown header format '{comp['format']}'")


def _check_buttons(comp: dict[str, Any], where: str) -> None:
    buttons = need(comp, "buttons", where)
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 10:
        raise invalid(f"{where}.buttons must hold 1..10 buttons")
    counts: dict[str, int] = {}
    for i, button in enumerate(buttons):
        bwhere = f"{where}.buttons[{i}]"
        btype = str(need(obj(button, bwhere), "type", bwhere)).upper()
        if btype not in _BUTTON_TYPES:
            raise invalid(f"{bwhere}.type: unknown button type '{button['type']}'")
        counts[btype] = counts.get(btype, 0) + 1
        if btype != "COPY_CODE" and (btype != "OTP" or "text" in button):
            text(need(button, "text", bwhere), f"{bwhere}.text", 1, 25)
        if btype == "URL":
            url = need(button, "url", bwhere)
            if not is_url(url, ("http", "https")):
                raise invalid(f"{bwhere}.url must be an http(s) URL")
            if placeholders(url) and not button.get("example"):
                raise invalid(f"{bwhere}.example is required for a URL with a placeholder")
        elif btype == "PHONE_NUMBER":
            text(need(button, "phone_number", bwhere), f"{bwhere}.phone_number", 1, 20)
        elif btype == "COPY_CODE":
            # Meta's coupon-template page (updated Dec 2025): 20 characters (15 before).
            text(need(button, "example", bwhere), f"{bwhere}.example", 1, 20)
    for btype, cap in _BUTTON_CAPS.items():
        if counts.get(btype, 0) > cap:
            raise invalid(f"{where}.buttons: at most {cap} {btype} button(s)")


# -- sends -----------------------------------------------------------------------------
def check_template_send(
    body: dict[str, Any], find: Callable[[str, str], Template | None], media: MediaLookup
) -> None:
    """A ``template`` message object against the stored template it names."""
    only_keys(body, {"name", "language", "components", "namespace"}, "template")
    name = text(need(body, "name", "template"), "template.name", 1, 512)
    language = obj(need(body, "language", "template"), "template.language")
    only_keys(language, {"code", "policy"}, "template.language")
    code = text(need(language, "code", "template.language"), "template.language.code", 1, 20)
    sent = body.get("components", [])
    if not isinstance(sent, list):
        raise invalid("template.components must be a list of components")
    tpl = find(name, code)
    if tpl is None or tpl.status not in {"APPROVED", "PAUSED", "DISABLED"}:
        state = "does not exist" if tpl is None else f"is {tpl.status}, not APPROVED"
        raise GraphError(
            132001,
            "(#132001) Template name does not exist in the translation",
            f"template name ({name}) {state} in {code}",
        )
    if tpl.status == "PAUSED":
        raise GraphError(132015, "(#132015) Template is Paused", f"template {name} is paused")
    if tpl.status == "DISABLED":
        raise GraphError(132016, "(#132016) Template is disabled", f"template {name} is disabled")
    parts = _by_type(tpl.components)
    given: dict[str, list[Any]] = {}
    for i, comp in enumerate(sent):
        where = f"template.components[{i}]"
        ctype = str(need(obj(comp, where), "type", where)).lower()
        if ctype not in {"header", "body", "button", "carousel", "limited_time_offer"}:
            raise invalid(f"{where}.type: '{comp['type']}' is not header, body or button")
        params = comp.get("parameters", [])
        if not isinstance(params, list):
            raise invalid(f"{where}.parameters must be a list")
        for j, param in enumerate(params):
            _check_parameter(param, f"{where}.parameters[{j}]", media)
        if ctype == "button":
            _check_button_ref(comp, where, parts.get("BUTTONS"))
        elif ctype in given and ctype in {"header", "body"}:
            raise invalid(f"{where}: more than one {ctype} component")
        else:
            given[ctype] = params
    body_names = placeholders(parts.get("BODY", {}).get("text"))
    _match(given.get("body", []), body_names, "body", tpl.parameter_format)
    header = parts.get("HEADER")
    header_format = str(header.get("format", "")).upper() if header else ""
    if header_format == "TEXT" or not header:
        names = placeholders(header.get("text")) if header else []
        _match(given.get("header", []), names, "header", tpl.parameter_format)
    elif header_format in _MEDIA_FORMATS | {"LOCATION"}:
        params = given.get("header", [])
        if len(params) != 1 or params[0].get("type") != header_format.lower():
            raise GraphError(
                132012,
                "(#132012) Parameter format does not match format in the created template",
                f"header: expected one {header_format.lower()} parameter",
            )


def _match(params: list[Any], names: list[str], part: str, fmt: str) -> None:
    if len(params) != len(names):
        raise GraphError(
            132000,
            "(#132000) Number of parameters does not match the expected number of params",
            f"{part}: number of localizable_params ({len(params)}) does not match the expected "
            f"number of params ({len(names)})",
        )
    if fmt == "NAMED":
        got = {p.get("parameter_name") for p in params}
        if got != set(names):
            raise invalid(
                f"{part}: parameter_name values {sorted(map(str, got))} do not match "
                f"the template's {sorted(names)}"
            )


def _check_button_ref(comp: dict[str, Any], where: str, buttons: dict[str, Any] | None) -> None:
    need(comp, "sub_type", where)
    index = need(comp, "index", where)
    if isinstance(index, bool) or not str(index).isdigit():
        raise invalid(f"{where}.index must be a button index (0..9)")
    defined = buttons.get("buttons", []) if buttons else []
    if int(index) >= len(defined):
        raise invalid(f"{where}.index {index}: the template has {len(defined)} button(s)")


def _check_parameter(param: Any, where: str, media: MediaLookup) -> None:
    ptype = need(obj(param, where), "type", where)
    if ptype == "text":
        value = need(param, "text", where)
        if not isinstance(value, str) or not value.strip():
            raise invalid(f"{where}.text: Param text cannot be empty")
    elif ptype == "currency":
        cur = obj(need(param, "currency", where), f"{where}.currency")
        for key in ("fallback_value", "code", "amount_1000"):
            need(cur, key, f"{where}.currency")
    elif ptype == "date_time":
        need(
            obj(need(param, "date_time", where), f"{where}.date_time"),
            "fallback_value",
            f"{where}.date_time",
        )
    elif ptype in {"image", "video", "document"}:
        check_media(
            obj(need(param, ptype, where), f"{where}.{ptype}"),
            ptype,
            f"{where}.{ptype}",
            media,
            caption=False,
        )
    elif ptype == "location":
        check_location(
            obj(need(param, "location", where), f"{where}.location"), f"{where}.location"
        )
    elif ptype not in {"payload", "coupon_code", "action", "product", "limited_time_offer"}:
        raise invalid(f"{where}.type: unknown parameter type '{ptype}'")
