"""Steering the emulator: one implementation behind the Python API and ``/_emulator/``.

The HTTP control routes exist for other processes (a demo running ``airflow dags test``
against ``python -m airflow_provider_whatsapp.testing``); they are neither authenticated,
rate limited nor recorded.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterable, Sequence
from typing import Any

from . import account
from .faults import FaultPlan
from .state import DEFAULT_BODY, MATON_ERROR_STYLES, TEMPLATE_ID_BASE, Settings, State, Template
from .template_rules import infer_format

SETTING_NAMES = tuple(f.name for f in dataclasses.fields(Settings))


def make_settings(**values: Any) -> Settings:
    """Validated settings (``rate_limit`` 0 or ``None`` turns the limit off)."""
    settings = Settings()
    apply_settings(settings, values)
    return settings


def apply_settings(settings: Settings, values: dict[str, Any]) -> None:
    """Validate and set any of the :class:`Settings` fields in place."""
    unknown = set(values) - set(SETTING_NAMES)
    if unknown:
        raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    out = dataclasses.asdict(settings)
    for key, value in values.items():
        if key == "rate_limit":
            out[key] = float(value) if value else None
            if out[key] is not None and out[key] < 0:
                raise ValueError("rate_limit must be positive (or None/0 for no limit)")
        elif key in {"latency", "review_delay"}:
            if value is None and key == "review_delay":
                out[key] = None
                continue
            out[key] = float(value)
            if out[key] < 0:
                raise ValueError(f"{key} must not be negative")
        elif key == "review_after_reads":
            out[key] = int(value)
            if out[key] < 0:
                raise ValueError("review_after_reads must not be negative")
        elif key == "allowed_recipients":
            if isinstance(value, str):
                raise ValueError("allowed_recipients must be a collection of phone numbers")
            out[key] = None if value is None else frozenset(str(v) for v in value)
        elif key == "enforce_window":
            out[key] = bool(value)
        elif key == "reject_templates":
            out[key] = {str(k): str(v) for k, v in (value or {}).items()}
        elif key == "maton_error_style":
            if value not in MATON_ERROR_STYLES:
                raise ValueError(f"maton_error_style must be one of {MATON_ERROR_STYLES}")
            out[key] = value
    for key, value in out.items():
        setattr(settings, key, value)


def configure(state: State, **values: Any) -> None:
    """Change running settings (thread-safe)."""
    with state.lock:
        apply_settings(state.settings, values)


def open_window(state: State, phones: Iterable[str]) -> None:
    """Record that these users wrote in just now (opens their 24-hour window)."""
    now = time.time()
    with state.lock:
        for phone in phones:
            state.windows[str(phone)] = now


def add_template(
    state: State,
    name: str,
    language: str = "en_US",
    category: str = "UTILITY",
    components: list[Any] | None = None,
    status: str = "APPROVED",
    reason: str | None = None,
    parameter_format: str | None = None,
    *,
    initial: bool = False,
) -> str:
    """Store a template directly (no review); ``initial`` ones survive :func:`reset`."""
    comps = json.loads(json.dumps(components if components is not None else [DEFAULT_BODY]))
    fmt = (parameter_format or infer_format(comps)).upper()
    with state.lock:
        if state.find_templates(name, language):
            raise ValueError(f"template {name} ({language}) already exists")
        tpl = Template(
            state.new_id(TEMPLATE_ID_BASE),
            name,
            language,
            category.upper(),
            comps,
            fmt,
            status.upper(),
            reason if status.upper() == "REJECTED" else None,
        )
        state.templates.append(tpl)
        if initial:
            state.initial_templates.append(dataclasses.replace(tpl))
        return tpl.id


def set_template_status(
    state: State, name: str, status: str, language: str | None = None, reason: str | None = None
) -> None:
    """Move a template (all its languages unless one is named) to ``status``."""
    status = status.upper()
    with state.lock:
        found = state.find_templates(name, language)
        if not found:
            raise KeyError(f"no template {name}" + (f" in {language}" if language else ""))
        for tpl in found:
            if status == "PENDING":
                tpl.resubmit()
                continue
            tpl.status = status
            tpl.rejected_reason = (reason or "NONE") if status == "REJECTED" else None


def inject_faults(
    state: State, ratio: float, kinds: Sequence[str] = ("429", "500", "503"), **options: Any
) -> None:
    """Replace the fault plan (ratio 0 clears it)."""
    plan = FaultPlan.from_args(ratio, kinds, **options)
    with state.lock:
        state.faults = plan


def break_account(state: State, kind: str | None, after_messages: int = 0) -> None:
    """Account-level trouble (:data:`~.account.ACCOUNT_FAULTS`) once ``after_messages``
    more messages are accepted; ``kind`` ``None`` restores the account."""
    with state.lock:
        if kind is None:
            account.restore_account(state)
        else:
            account.break_account(state, kind, after_messages)
