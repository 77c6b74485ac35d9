"""Pre-flight checks a send-template call runs before it sends anything.

They read the template as the API lists it (``GET /{waba_id}/message_templates``), so a
mismatch is caught locally with a message saying exactly what the template expects, instead
of Meta's error 132000 after the fact. Case of ``type``/``sub_type`` is ignored.

Slots (keys of ``template_placeholders``): ``header``, ``body``, ``button:<index>``, and for
carousels ``card:<card_index>:header`` / ``:body`` / ``:button:<index>``. A slot's names are
the text's placeholders (``1``, ``2`` or ``first_name``) or, where a send must supply a value
that is not a text placeholder, the parameter type Meta expects: ``image``, ``video``,
``document``, ``gif``, ``location``, ``product`` (media/location/product headers),
``coupon_code`` (COPY_CODE buttons), ``action`` (MPM buttons).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._errors import WhatsAppValidationError
from ..limits import PHONE_ONLY_OTP_TYPES
from ._text import format_names, is_named, placeholder_names, upper

SENDABLE_STATUS = "APPROVED"
_STATUS_HINTS = {
    "PENDING": "wait for Meta's review (WhatsAppTemplateStatusSensor waits for it)",
    "REJECTED": "fix the definition and resubmit it (an edit of a rejected template)",
    "PAUSED": "paused for low quality: it resumes by itself, or unpause it in WhatsApp Manager",
    "DISABLED": "disabled for low quality: create a new template",
    "IN_APPEAL": "wait for the appeal",
    "PENDING_DELETION": "it is being deleted: use another template",
    "DELETED": "it was deleted: use another template",
    "ARCHIVED": "unarchive it in WhatsApp Manager",
    "LIMIT_EXCEEDED": "the account is at its template limit",
}
_MEDIA_FORMATS = ("IMAGE", "VIDEO", "DOCUMENT", "GIF", "LOCATION", "PRODUCT")
_SEND_TYPES = ("header", "body", "button", "carousel", "limited_time_offer")
# Template button type -> the send component's sub_type.
_BUTTON_SUB_TYPES = {
    "URL": "url",
    "OTP": "url",  # authentication codes are sent as a url button parameter
    "COPY_CODE": "copy_code",
    "QUICK_REPLY": "quick_reply",
    "FLOW": "flow",
    "CATALOG": "catalog",
    "MPM": "mpm",
    "SPM": "spm",
    "VOICE_CALL": "voice_call",
    "PHONE_NUMBER": "phone_number",
}
# Buttons that may carry an optional parameter at send time (a payload, a flow token...).
_OPTIONAL_PARAMETER_BUTTONS = ("QUICK_REPLY", "FLOW", "CATALOG")


class TemplateParameterError(WhatsAppValidationError):
    """The send components don't fit the template's placeholders (Meta's error 132000)."""


class TemplateNotUsableError(WhatsAppValidationError):
    """The template exists but can't be sent in its current status."""


class TemplateRecipientError(WhatsAppValidationError):
    """The template cannot go to this kind of recipient: an authentication template
    (one-tap, zero-tap, copy-code) to a business-scoped user id (Meta's error 131062)."""


@dataclass(frozen=True)
class ParameterSlot:
    """One place in a template a send fills in.

    ``names`` are what must be supplied (empty: nothing is required, but ``optional`` says
    whether parameters are accepted anyway). ``kind`` is ``text`` for placeholders, else the
    parameter type expected (``image``, ``coupon_code``...).
    """

    key: str
    label: str
    names: tuple[str, ...]
    kind: str = "text"
    named: bool = False
    optional: bool = False
    button_type: str | None = None


def _component_slots(components: Sequence[Mapping[str, Any]], prefix: str) -> list[ParameterSlot]:
    slots: list[ParameterSlot] = []
    label_prefix = prefix.replace(":", " ")
    for component in components:
        component_type = upper(component.get("type"))
        if component_type == "HEADER":
            header_format = upper(component.get("format") or "TEXT")
            if header_format in _MEDIA_FORMATS:
                kind = header_format.lower()
                slots.append(
                    ParameterSlot(f"{prefix}header", f"{label_prefix}header", (kind,), kind)
                )
            else:
                names = placeholder_names(component.get("text"))
                slots.append(
                    ParameterSlot(
                        f"{prefix}header",
                        f"{label_prefix}header",
                        tuple(names),
                        named=is_named(names),
                    )
                )
        elif component_type == "BODY":
            names = placeholder_names(component.get("text"))
            slots.append(
                ParameterSlot(
                    f"{prefix}body", f"{label_prefix}body", tuple(names), named=is_named(names)
                )
            )
        elif component_type == "BUTTONS":
            for index, button in enumerate(component.get("buttons") or []):
                slots.append(_button_slot(button, index, prefix, label_prefix))
        elif component_type == "CAROUSEL":
            for card_index, card in enumerate(component.get("cards") or []):
                slots += _component_slots(card.get("components") or [], f"card:{card_index}:")
        elif component_type == "LIMITED_TIME_OFFER":
            slots.append(
                ParameterSlot(
                    "limited_time_offer",
                    "limited_time_offer",
                    (),
                    "limited_time_offer",
                    optional=True,
                )
            )
    return slots


def _button_slot(
    button: Mapping[str, Any], index: int, prefix: str, label_prefix: str
) -> ParameterSlot:
    button_type = upper(button.get("type")) or "?"
    key, label = f"{prefix}button:{index}", f"{label_prefix}button {index}"
    if button_type == "URL":
        names = tuple(placeholder_names(button.get("url")))
        return ParameterSlot(key, label, names, button_type=button_type)
    if button_type == "OTP":
        return ParameterSlot(key, label, ("1",), button_type=button_type)
    if button_type == "COPY_CODE":
        return ParameterSlot(key, label, ("coupon_code",), "coupon_code", button_type=button_type)
    if button_type == "MPM":
        return ParameterSlot(key, label, ("action",), "action", button_type=button_type)
    optional = button_type in _OPTIONAL_PARAMETER_BUTTONS
    return ParameterSlot(key, label, (), optional=optional, button_type=button_type)


def parameter_slots(template: Mapping[str, Any]) -> list[ParameterSlot]:
    """Every slot of a template (as the API lists it), required ones and optional ones."""
    return _component_slots(template.get("components") or [], "")


def template_placeholders(template: Mapping[str, Any]) -> dict[str, list[str]]:
    """Slot key -> what a send must supply, e.g. ``{"header": ["1"], "body": ["1", "2"]}``.

    Only slots needing something are listed; see the module docstring for the names.
    """
    return {slot.key: list(slot.names) for slot in parameter_slots(template) if slot.names}


def _template_label(template: Mapping[str, Any]) -> str:
    return f"template '{template.get('name')}' ({template.get('language')})"


def check_template_usable(template: Mapping[str, Any]) -> None:
    """Raise ``TemplateNotUsableError`` unless the template is APPROVED (only those send)."""
    status = upper(template.get("status")) or "UNKNOWN"
    if status == SENDABLE_STATUS:
        return
    detail = status
    if status == "REJECTED":
        detail += f" (rejected_reason: {template.get('rejected_reason') or 'not given'})"
    hint = _STATUS_HINTS.get(status, "only APPROVED templates can be sent")
    raise TemplateNotUsableError(f"{_template_label(template)} is {detail}: {hint}")


def phone_only_reason(template: Mapping[str, Any]) -> str | None:
    """Why ``template`` (as the API lists it) can only go to a phone number, or None.

    WhatsApp refuses one-tap, zero-tap and copy-code authentication templates to a
    business-scoped user id (error 131062). Those are the OTP button's three kinds, so
    every AUTHENTICATION template is one; an OTP button of those kinds says so too where a
    listing leaves the category out.
    """
    otp_types = [
        upper(button.get("otp_type")) or "OTP"
        for component in template.get("components") or []
        if upper(component.get("type")) == "BUTTONS"
        for button in component.get("buttons") or []
        if upper(button.get("type")) == "OTP"
    ]
    phone_only = [kind for kind in otp_types if kind in PHONE_ONLY_OTP_TYPES]
    if upper(template.get("category")) != "AUTHENTICATION" and not phone_only:
        return None
    shown = phone_only or otp_types
    return "an AUTHENTICATION template" + (f" with a {'/'.join(shown)} button" if shown else "")


def check_template_recipient(template: Mapping[str, Any], to: str) -> None:
    """Raise ``TemplateRecipientError`` when ``to`` is a business-scoped user id and
    ``template`` can only go to a phone number (see :func:`phone_only_reason`): refused
    here, naming the recipient masked, instead of by WhatsApp's 131062 after the fact."""
    from ..messages.phone import is_bsuid, mask_phone

    if not is_bsuid(to):
        return
    reason = phone_only_reason(template)
    if reason is None:
        return
    raise TemplateRecipientError(
        f"{_template_label(template)} is {reason}: WhatsApp sends it only to a phone "
        f"number, and {mask_phone(to)} is a business-scoped user id (error 131062): send "
        "it to the user's phone number, or send another template to this user"
    )


def _send_key(component: Mapping[str, Any], prefix: str) -> tuple[str | None, str | None]:
    """(slot key, problem) of one send component."""
    component_type = str(component.get("type") or "").strip().lower()
    if component_type not in _SEND_TYPES:
        return None, (f"components of type {', '.join(_SEND_TYPES)}, got {component.get('type')!r}")
    if component_type != "button":
        return f"{prefix}{component_type}", None
    try:
        index = int(component.get("index"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None, f"an integer index on every button component, got {component.get('index')!r}"
    return f"{prefix}button:{index}", None


def _collect_send_components(
    components: Sequence[Mapping[str, Any]], prefix: str, problems: list[str]
) -> dict[str, Mapping[str, Any]]:
    given: dict[str, Mapping[str, Any]] = {}
    for component in components:
        if not isinstance(component, Mapping):
            problems.append(f"components as objects, got {component!r}")
            continue
        if str(component.get("type") or "").lower() == "carousel" and not prefix:
            for card in component.get("cards") or []:
                card_prefix = f"card:{card.get('card_index')}:"
                given.update(
                    _collect_send_components(card.get("components") or [], card_prefix, problems)
                )
            continue
        key, problem = _send_key(component, prefix)
        if problem:
            problems.append(problem)
        elif key is not None:
            if key in given:
                problems.append(f"one {key.replace(':', ' ')} component, got it twice")
            given[key] = component
    return given


def _text_slot_problems(slot: ParameterSlot, parameters: list[Any]) -> list[str]:
    expected = f"{slot.label} parameters {format_names(slot.names)} ({len(slot.names)})"
    problems = []
    if slot.named:
        given = [p.get("parameter_name") for p in parameters if isinstance(p, Mapping)]
        unnamed = sum(1 for name in given if not name) + len(parameters) - len(given)
        names = [str(name) for name in given if name]
        missing = [name for name in slot.names if name not in names]
        unknown = [name for name in dict.fromkeys(names) if name not in slot.names]
        if missing or unknown or unnamed or len(names) != len(slot.names):
            details = [f"missing {format_names(missing)}"] if missing else []
            details += [f"unknown {format_names(unknown)}"] if unknown else []
            details += [f"{unnamed} without parameter_name"] if unnamed else []
            details += [] if details else ["a name given twice"]
            problems.append(f"{expected}, got {len(parameters)}: {'; '.join(details)}")
    elif len(parameters) != len(slot.names):
        problems.append(f"{expected}, got {len(parameters)}")
    for position, parameter in enumerate(parameters):
        if (
            isinstance(parameter, Mapping)
            and str(parameter.get("type") or "").lower() == "text"
            and not str(parameter.get("text") or "").strip()
        ):
            name = parameter.get("parameter_name") or (
                slot.names[position] if position < len(slot.names) else position + 1
            )
            problems.append(f"non-empty text for {slot.label} parameter {{{{{name}}}}}")
    return problems


def _typed_slot_problems(slot: ParameterSlot, parameters: list[Any]) -> list[str]:
    expected = f"{slot.label} parameters {', '.join(slot.names)} ({len(slot.names)})"
    if len(parameters) != len(slot.names):
        return [f"{expected}, got {len(parameters)}"]
    given_type = parameters[0].get("type") if isinstance(parameters[0], Mapping) else None
    # GIF headers: Meta's send docs are thin, so a video parameter is accepted too.
    accepted = {slot.kind, "video"} if slot.kind == "gif" else {slot.kind}
    if str(given_type or "").lower() not in accepted:
        return [f"a {slot.kind} parameter for {slot.label}, got type {given_type!r}"]
    return []


def _slot_problems(slot: ParameterSlot, component: Mapping[str, Any] | None) -> list[str]:
    parameters = list(component.get("parameters") or []) if component is not None else []
    problems = []
    if component is not None and slot.button_type is not None:
        sub_type = str(component.get("sub_type") or "").lower()
        allowed = {_BUTTON_SUB_TYPES.get(slot.button_type, slot.button_type.lower())}
        if slot.button_type == "OTP":
            allowed.add("otp")
        if sub_type and sub_type not in allowed:
            problems.append(
                f"{slot.label} sub_type {sorted(allowed)[0]} (the template button is "
                f"{slot.button_type}), got {sub_type}"
            )
    if not slot.names:
        if parameters and not slot.optional:
            problems.append(f"no {slot.label} parameters, got {len(parameters)}")
    elif slot.kind == "text":
        problems += _text_slot_problems(slot, parameters)
    else:
        problems += _typed_slot_problems(slot, parameters)
    return problems


def _slot_order(slot: ParameterSlot) -> tuple[int, str]:
    # Body first: it is what a caller fills in most often, so it leads the message.
    rank = {"body": 0, "header": 1}.get(slot.key, 2)
    return rank, slot.key


def check_send_components(
    template: Mapping[str, Any], components: Sequence[Mapping[str, Any]]
) -> None:
    """Raise ``TemplateParameterError`` unless ``components`` fill the template exactly.

    ``template`` is the API's listing of it; ``components`` the send shape
    (``[{"type": "body", "parameters": [{"type": "text", "text": "..."}]}, ...]``).
    A template listed without ``components`` can't be checked and passes.
    """
    if "components" not in template:
        return
    problems: list[str] = []
    given = _collect_send_components(components or [], "", problems)
    slots = {slot.key: slot for slot in parameter_slots(template)}
    for slot in sorted(slots.values(), key=_slot_order):
        problems += _slot_problems(slot, given.get(slot.key))
    for key, component in given.items():
        if key not in slots:
            count = len(component.get("parameters") or [])
            label = key.replace(":", " ")
            if key.startswith(("button:", "card:")) and label.split()[-2] == "button":
                buttons = sum(1 for k in slots if k.rsplit(":", 1)[0] == key.rsplit(":", 1)[0])
                problems.append(f"no {label} (the template has {buttons} buttons), got {count}")
            else:
                problems.append(f"no {label} parameters, got {count}")
    if problems:
        raise TemplateParameterError(f"{_template_label(template)} expects {'; '.join(problems)}")
