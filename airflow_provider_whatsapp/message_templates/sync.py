"""Plan a declarative sync of local definitions against the templates on the account.

The plan only computes; applying it (HTTP calls, the 100-creations-an-hour budget) is the
operator's job. Templates are matched by (name, language).

Actions:

============  ===============================================================================
create        no remote template of that name and language
unchanged     same category, parameter format and components once normalised
update        differs, ``update=True`` and Meta allows the edit (status APPROVED, REJECTED or
              PAUSED; an APPROVED template's category can't change)
differs       differs, but ``update=False`` or the edit isn't allowed: the reason says which
delete        only remote, ``prune=True`` (delete it by id: deleting by name removes every
              language of that name)
remote_only   only remote, ``prune=False``
blocked       wanted but impossible: the name is being deleted remotely (DELETED or
              PENDING_DELETION, which WhatsApp keeps reserved for 30 days), or pruning a
              DISABLED template (those can't be deleted)
============  ===============================================================================

What "the same" means: component types, formats and enums compared upper-case, text
stripped at both ends, key order ignored, phone numbers compared by digits, and ``example``
values ignored (Meta rewrites media samples to CDN URLs, and samples don't change what a
recipient sees). Fields only the API adds (id, status, quality_score...) are ignored.
AUTHENTICATION templates are compared on what Meta echoes back: BODY/FOOTER text and OTP
button labels are preset by WhatsApp, and an OTP button may be listed as a URL button.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from ._text import upper
from .definition import TemplateDefinition

SyncActionKind = Literal[
    "create", "update", "unchanged", "differs", "delete", "remote_only", "blocked"
]
SYNC_ACTIONS: tuple[SyncActionKind, ...] = (
    "create",
    "update",
    "unchanged",
    "differs",
    "delete",
    "remote_only",
    "blocked",
)
EDITABLE_STATUSES = ("APPROVED", "REJECTED", "PAUSED")
BEING_DELETED_STATUSES = ("DELETED", "PENDING_DELETION")
UNDELETABLE_STATUSES = ("DISABLED",)
CREATIONS_PER_HOUR = 100
# Keys Meta may or may not echo back: compared only when both sides have them.
_ECHO_OPTIONAL = frozenset(
    {
        "add_security_recommendation",
        "code_expiration_minutes",
        "otp_type",
        "flow_id",
        "flow_action",
        "navigate_screen",
        "has_expiration",
    }
)


def edit_payload(
    definition: TemplateDefinition, *, remote_status: str | None = None
) -> dict[str, Any]:
    """Body of Meta's edit call (``POST /{template_id}``): every component, since an edit
    replaces them all; ``category`` unless the remote template is APPROVED (not editable then).
    """
    payload = definition.to_payload()
    body: dict[str, Any] = {"components": payload["components"]}
    if upper(remote_status) != "APPROVED":
        body["category"] = definition.category
    for key in ("parameter_format", "message_send_ttl_seconds"):
        if key in payload:
            body[key] = payload[key]
    return body


@dataclass
class SyncAction:
    """What the sync does with one (name, language), and why."""

    action: SyncActionKind
    name: str
    language: str
    reason: str
    template_id: str | None = None
    definition: TemplateDefinition | None = None
    changes: list[str] = field(default_factory=list)
    remote_status: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        """``(name, language)``: what identifies a template on the account."""
        return self.name, self.language

    def payload(self) -> dict[str, Any] | None:
        """The request body to apply this action: create body, edit body, or None."""
        if self.definition is None:
            return None
        if self.action == "create":
            return self.definition.to_payload()
        if self.action == "update":
            return edit_payload(self.definition, remote_status=self.remote_status)
        return None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe summary for XCom."""
        return {
            "action": self.action,
            "name": self.name,
            "language": self.language,
            "reason": self.reason,
            "template_id": self.template_id,
            "remote_status": self.remote_status,
            "changes": list(self.changes),
        }


@dataclass
class SyncPlan:
    """Every action, sorted by name and language."""

    actions: list[SyncAction] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Action -> number of templates, every action listed (zero included)."""
        found = Counter(action.action for action in self.actions)
        return {kind: found.get(kind, 0) for kind in SYNC_ACTIONS}

    def as_table(self) -> str:
        """A fixed-width table (action, name, language, reason) for the task log."""
        headers = ["action", "name", "language", "reason"]
        rows = [[a.action, a.name, a.language, a.reason] for a in self.actions]
        from tabulate import tabulate  # Airflow's own dependency; imported only for the log

        return str(tabulate(rows, headers=headers, tablefmt="simple"))

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable summary (for XCom): counts and every action without its definition."""
        return {"counts": self.counts(), "actions": [action.to_dict() for action in self.actions]}


# --- normalising both sides for comparison --------------------------------------------------


def _clean(text: Any) -> Any:
    return text.replace("\r\n", "\n").strip() if isinstance(text, str) else text


def _otp_type_from_url(url: Any) -> str | None:
    if not isinstance(url, str):
        return None
    values = parse_qs(urlsplit(url.replace("{{1}}", "")).query).get("otp_type")
    return values[0].upper() if values else None


def _canonical_button(button: Mapping[str, Any], authentication: bool) -> dict[str, Any]:
    button_type = upper(button.get("type"))
    if authentication and button_type in ("OTP", "URL"):
        otp_type = upper(button.get("otp_type")) or _otp_type_from_url(button.get("url"))
        return {"type": "OTP", **({"otp_type": otp_type} if otp_type else {})}
    result: dict[str, Any] = {"type": button_type}
    if "text" in button and button_type != "COPY_CODE":  # Meta labels COPY_CODE itself
        result["text"] = _clean(button["text"])
    if "url" in button:
        result["url"] = _clean(button["url"])
    if "phone_number" in button:
        result["phone_number"] = "".join(c for c in str(button["phone_number"]) if c.isdigit())
    for key in ("flow_id", "flow_action", "navigate_screen"):
        if button.get(key) is not None:
            result[key] = upper(button[key]) if key == "flow_action" else str(button[key])
    return result


def _canonical_component(component: Mapping[str, Any], authentication: bool) -> Any:
    component_type = upper(component.get("type"))
    if component_type == "HEADER":
        header_format = upper(component.get("format")) or "TEXT"
        result = {"format": header_format}
        if header_format == "TEXT":
            result["text"] = _clean(component.get("text"))
        return result
    if component_type in ("BODY", "FOOTER") and authentication:
        # The text is WhatsApp's preset; only these settings are ours (when echoed back).
        keys = ("add_security_recommendation", "code_expiration_minutes")
        return {key: component[key] for key in keys if key in component}
    if component_type in ("BODY", "FOOTER"):
        return {"text": _clean(component.get("text"))}
    if component_type == "BUTTONS":
        return [_canonical_button(b, authentication) for b in component.get("buttons") or []]
    if component_type == "CAROUSEL":
        return [
            _canonical_components(card.get("components") or [], authentication)
            for card in component.get("cards") or []
        ]
    if component_type == "LIMITED_TIME_OFFER":
        offer = component.get("limited_time_offer") or {}
        return {
            "text": _clean(offer.get("text")),
            "has_expiration": bool(offer.get("has_expiration")),
        }
    return {
        key: upper(value) if key in ("type", "format") else _clean(value)
        for key, value in component.items()
        if key not in ("type", "example")
    }


def _canonical_components(
    components: Sequence[Mapping[str, Any]], authentication: bool
) -> dict[str, Any]:
    return {
        upper(component.get("type")): _canonical_component(component, authentication)
        for component in components
    }


def _differences(local: Any, remote: Any, path: str) -> list[str]:
    """Short paths of what differs (``BODY text``, ``BUTTONS[1] url``, ``FOOTER added``)."""
    if isinstance(local, dict) and isinstance(remote, dict):
        found = []
        for key in [*local, *(k for k in remote if k not in local)]:
            where = f"{path} {key}".strip()
            if key in _ECHO_OPTIONAL and (key not in local or key not in remote):
                continue
            if key not in remote:
                found.append(f"{where} added")
            elif key not in local:
                found.append(f"{where} removed")
            else:
                found += _differences(local[key], remote[key], where)
        return found
    if isinstance(local, list) and isinstance(remote, list):
        if len(local) != len(remote):
            return [f"{path} count {len(remote)} -> {len(local)}"]
        found = []
        for index, (mine, theirs) in enumerate(zip(local, remote, strict=True)):
            found += _differences(mine, theirs, f"{path}[{index}]")
        return found
    return [] if local == remote else [path]


def template_changes(definition: TemplateDefinition, remote: Mapping[str, Any]) -> list[str]:
    """What would change on the account to make ``remote`` match ``definition``."""
    changes = []
    remote_category = upper(remote.get("category"))
    if remote_category != definition.category:
        changes.append(f"category {remote_category} -> {definition.category}")
    local_format = definition.parameter_format or "POSITIONAL"
    remote_format = upper(remote.get("parameter_format")) or "POSITIONAL"
    if local_format != remote_format:
        changes.append(f"parameter_format {remote_format} -> {local_format}")
    remote_ttl = remote.get("message_send_ttl_seconds")
    local_ttl = definition.message_send_ttl_seconds
    if local_ttl is not None and remote_ttl is not None and local_ttl != remote_ttl:
        changes.append(f"message_send_ttl_seconds {remote_ttl} -> {local_ttl}")
    authentication = definition.category == "AUTHENTICATION"
    local_components = _canonical_components(definition.to_payload()["components"], authentication)
    remote_components = _canonical_components(remote.get("components") or [], authentication)
    if authentication:  # unset locally means the default, which the remote may echo
        local_components.get("BODY", {}).setdefault("add_security_recommendation", False)
        local_components.get("FOOTER", {}).setdefault("code_expiration_minutes", None)
    return changes + _differences(local_components, remote_components, "")


# --- the plan -------------------------------------------------------------------------------


def _remote_key(template: Mapping[str, Any]) -> tuple[str, str]:
    language = str(template.get("language") or "").strip().replace("-", "_")
    return str(template.get("name") or ""), language


def _status_note(remote: Mapping[str, Any], status: str) -> str:
    if status == "REJECTED":
        return f"REJECTED ({remote.get('rejected_reason') or 'no reason given'})"
    return status


def _matched_action(
    definition: TemplateDefinition, remote: Mapping[str, Any], update: bool
) -> SyncAction:
    status = upper(remote.get("status")) or "UNKNOWN"
    template_id = str(remote["id"]) if remote.get("id") is not None else None
    changes = template_changes(definition, remote)

    def action(kind: SyncActionKind, reason: str) -> SyncAction:
        return SyncAction(
            kind,
            definition.name,
            definition.language,
            reason,
            template_id=template_id,
            definition=definition,
            changes=changes,
            remote_status=status,
        )

    if not changes:
        note = "" if status == "APPROVED" else f"; it is {_status_note(remote, status)}"
        return action("unchanged", f"matches the remote template{note}")
    summary = "differs: " + ", ".join(changes)
    if not update:
        return action("differs", f"{summary}; run with update=True to edit it")
    if status not in EDITABLE_STATUSES:
        return action(
            "differs",
            f"{summary}; a {status} template can't be edited (only APPROVED, REJECTED, PAUSED)",
        )
    remote_category = upper(remote.get("category"))
    if status == "APPROVED" and remote_category != definition.category:
        return action(
            "differs",
            f"{summary}; an APPROVED template's category can't be changed: keep "
            f"{remote_category}, or create the template under a new name",
        )
    limits = (
        " (at most 1 edit a day and 10 in 30 days; it goes back to review)"
        if status == "APPROVED"
        else ""
    )
    return action("update", f"{summary}; will be edited{limits}")


def _remote_only_action(
    remote: Mapping[str, Any], prune: bool, kept_languages: list[str]
) -> SyncAction:
    name, language = _remote_key(remote)
    status = upper(remote.get("status")) or "UNKNOWN"
    template_id = str(remote["id"]) if remote.get("id") is not None else None
    if not prune:
        kind: SyncActionKind = "remote_only"
        reason = "not in the local definitions; kept (prune=False)"
    elif status in UNDELETABLE_STATUSES:
        kind, reason = (
            "blocked",
            f"not in the local definitions, but a {status} template can't be deleted",
        )
    else:
        kind, reason = (
            "delete",
            f"not in the local definitions; will be deleted by id {template_id}",
        )
        if kept_languages:
            reason += f" (not by name: that would also delete {', '.join(kept_languages)})"
    return SyncAction(kind, name, language, reason, template_id=template_id, remote_status=status)


def plan_sync(
    local: Sequence[TemplateDefinition],
    remote: Sequence[Mapping[str, Any]],
    *,
    update: bool = False,
    prune: bool = False,
) -> SyncPlan:
    """Compare local definitions with the account's templates (as listed by the API).

    Raises ``ValueError`` if ``local`` defines a (name, language) twice (the loader reports
    that per file; here it is a programming error).
    """
    duplicated = [key for key, n in Counter(d.key for d in local).items() if n > 1]
    if duplicated:
        raise ValueError(f"local definitions repeat (name, language): {duplicated}")
    active: dict[tuple[str, str], Mapping[str, Any]] = {}
    being_deleted: dict[tuple[str, str], Mapping[str, Any]] = {}
    for template in remote:
        status = upper(template.get("status"))
        target = being_deleted if status in BEING_DELETED_STATUSES else active
        target.setdefault(_remote_key(template), template)

    actions: list[SyncAction] = []
    for definition in local:
        matched = active.get(definition.key)
        if matched is not None:
            actions.append(_matched_action(definition, matched, update))
            continue
        deleting = being_deleted.get(definition.key)
        if deleting is not None:
            status = upper(deleting.get("status"))
            reason = (
                f"the remote template is {status}: WhatsApp reserves a deleted name for "
                f"30 days; rename it (e.g. {definition.name}_v2)"
            )
            actions.append(
                SyncAction(
                    "blocked",
                    definition.name,
                    definition.language,
                    reason,
                    template_id=str(deleting.get("id")) if deleting.get("id") else None,
                    definition=definition,
                    remote_status=status,
                )
            )
        else:
            actions.append(
                SyncAction(
                    "create",
                    definition.name,
                    definition.language,
                    "not on the account: will be created",
                    definition=definition,
                )
            )

    local_keys = {d.key for d in local}
    for key, template in active.items():
        if key in local_keys:
            continue
        kept = sorted(
            lang for name, lang in active if name == key[0] and (name, lang) in local_keys
        )
        actions.append(_remote_only_action(template, prune, kept))
    actions.sort(key=lambda a: (a.name, a.language))
    return SyncPlan(actions)
