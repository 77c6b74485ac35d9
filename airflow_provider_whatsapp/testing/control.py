"""Steering the emulator: one implementation behind the Python API and ``/_emulator/``.

The HTTP control routes exist for other processes (a demo running ``airflow dags test``
against ``python -m airflow_provider_whatsapp.testing``); they are neither authenticated,
rate limited nor recorded.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Sequence
from typing import Any

from . import account
from .faults import FaultPlan
from .settings import apply_settings
from .state import DEFAULT_BODY, TEMPLATE_ID_BASE, State, Template
from .template_rules import infer_format


def configure(state: State, **values: Any) -> None:
    """Change running settings (thread-safe)."""
    with state.lock:
        apply_settings(state.settings, values)


def open_window(state: State, phones: Iterable[str]) -> None:
    """Record that these users wrote in just now (opens their 24-hour window)."""
    with state.lock:
        now = state.clock()
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
            submitted_at=state.clock(),
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
                tpl.resubmit(state.clock())
                continue
            tpl.status = status
            tpl.rejected_reason = (reason or "NONE") if status == "REJECTED" else None


def inject_faults(
    state: State, ratio: float, kinds: Sequence[str] = ("429", "500", "503"), **options: Any
) -> None:
    """Replace the fault plan (ratio 0 clears it)."""
    plan = FaultPlan(ratio=ratio, kinds=tuple(kinds), **options)
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
