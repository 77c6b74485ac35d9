"""Operators that manage message templates: create, delete, and a declarative sync.

The template models and the sync planner live in ``airflow_provider_whatsapp.message_templates``;
they are imported inside ``execute`` so a DAG file importing these operators stays cheap.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .._airflow import fail_with_result, resolve_local_path
from .._errors import WhatsAppValidationError
from ..links.whatsapp_manager import WhatsAppTemplateLink
from ._base import WhatsAppBaseOperator

if TYPE_CHECKING:
    from ..message_templates.definition import TemplateDefinition
    from ..message_templates.sync import SyncAction, SyncPlan

TEMPLATE_FILE_SUFFIXES = (".json", ".yaml", ".yml")
#: Every outcome a sync reports, in the order ``counts`` lists them.
SYNC_OUTCOMES = (
    "created",
    "updated",
    "deleted",
    "unchanged",
    "failed",
    "deferred",
    "differs",
    "remote_only",
    "blocked",
    "skipped",
    "planned",
)
# Graph codes saying the account may not create more templates for now.
_RATE_LIMIT_CODES = (4, 80007)


def _flag(value: Any, name: str) -> bool:
    """A boolean argument, also when Jinja rendered it to a string ("True", "false", "1")."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "yes", "on"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "0", "no", "off", "", "none"):
        return False
    raise WhatsAppValidationError(f"{name} must be true or false, got {value!r}")


class _TemplateOperator(WhatsAppBaseOperator):
    """Shows the "WhatsApp Template" link, pushed first thing so it is never missing."""

    operator_extra_links = (WhatsAppTemplateLink(),)

    def persist_link(
        self, context: Any, template_id: str | None = None, name: str | None = None
    ) -> None:
        try:
            waba_id = self.hook.config.waba_id
        except Exception:  # a bad connection fails the task's real work, not its link
            waba_id = self.waba_id
        WhatsAppTemplateLink.persist(context, waba_id=waba_id, template_id=template_id, name=name)


class WhatsAppCreateTemplateOperator(_TemplateOperator):
    """Submit one template for Meta's review; returns its id, status, category, name, language.

    The definition is validated (name, category, component limits, examples for
    placeholders) before any request: a definition Meta would reject fails the task
    without spending one of the account's 100 creations an hour. Follow it with
    ``WhatsAppTemplateStatusSensor`` to wait for approval.

    ``definition`` is deliberately not templated: Jinja would replace the template's own
    ``{{1}}`` placeholders. Build dynamic definitions in Python instead.

    :param definition: a ``TemplateDefinition``, a dict in the create-template body's shape
        (``name``, ``language``, ``category``, ``components``), or the path of a ``.json`` /
        ``.yaml`` file holding one (relative: tried as given, then beside the DAG file).
    """

    def __init__(self, *, definition: TemplateDefinition | dict[str, Any] | str, **kwargs: Any):
        super().__init__(**kwargs)
        self.definition = definition

    def load_definition(self, context: Any) -> TemplateDefinition:
        """The validated definition; a file must hold exactly one template."""
        from ..message_templates.definition import parse_template_definition
        from ..message_templates.loading import load_template_files

        definition = self.definition
        if isinstance(definition, str | os.PathLike) and str(definition).strip().startswith("{"):
            definition = json.loads(str(definition))
        if isinstance(definition, str | os.PathLike):
            if not str(definition).lower().endswith(TEMPLATE_FILE_SUFFIXES):
                raise WhatsAppValidationError(
                    f"definition {str(definition)!r} is not a .json/.yaml/.yml file path"
                )
            loaded = load_template_files(resolve_local_path(definition, context))
            if loaded.errors:
                raise WhatsAppValidationError(loaded.error_summary())
            if len(loaded.templates) != 1:
                raise WhatsAppValidationError(
                    f"{definition}: holds {len(loaded.templates)} templates; this operator "
                    "creates one (use WhatsAppSyncTemplatesOperator for several)"
                )
            return loaded.templates[0]
        return parse_template_definition(definition)

    def run(self, context: Any) -> dict[str, Any]:
        self.persist_link(context)
        definition = self.load_definition(context)
        answer = self.hook.client.create_template(definition)
        result = {
            "id": str(answer["id"]) if answer.get("id") is not None else None,
            "status": answer.get("status"),
            "category": answer.get("category") or definition.category,
            "name": definition.name,
            "language": definition.language,
        }
        self.log.info(
            "Created template %s (%s): id %s, %s",
            result["name"],
            result["language"],
            result["id"],
            result["status"],
        )
        self.persist_link(context, result["id"], result["name"])
        return result


class WhatsAppDeleteTemplateOperator(_TemplateOperator):
    """Delete a template: every language of the name, or only ``language``.

    WhatsApp keeps a deleted approved template's name reserved for 30 days, so
    re-creating it under the same name fails until then.

    :param template_name: the template's name (templated).
    :param language: delete only this language (by the template's id); None deletes every
        language of the name (templated).
    :param missing_ok: succeed (returning ``deleted: False``) when there is nothing to delete.
    """

    template_fields: Sequence[str] = (
        *WhatsAppBaseOperator.template_fields,
        "template_name",
        "language",
    )

    def __init__(
        self,
        *,
        template_name: str,
        language: str | None = None,
        missing_ok: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.template_name = template_name
        self.language = language
        self.missing_ok = missing_ok

    def run(self, context: Any) -> dict[str, Any]:
        from ..client.errors import NotFoundError, TemplateNotFoundError, WhatsAppError

        name, language = self.template_name, self.language or None
        self.persist_link(context, name=name)
        try:
            answer = self.hook.client.delete_template(name, language)
        except WhatsAppError as exc:
            # 2593002: "Message template ... can't be found" (deleting by name). Subcode 33,
            # "Object with ID ... does not exist", is the WABA itself: a setting to fix,
            # never "nothing to delete"; Graph's text names that id.
            missing = isinstance(exc, NotFoundError) or exc.error_subcode == 2593002
            if not missing or exc.error_subcode == 33:
                raise
            if not self.missing_ok:  # say what was looked for, and where
                waba = self.hook.config.waba_id
                raise TemplateNotFoundError.looked_for(name, language, waba, cause=exc) from exc
            self.log.info("Template %s (%s) does not exist: nothing to delete", name, language)
            return {"name": name, "language": language, "deleted": False}
        self.log.info("Deleted template %s (%s)", name, language or "every language")
        return {"name": name, "language": language, "deleted": bool(answer.get("success", True))}


class WhatsAppSyncTemplatesOperator(_TemplateOperator):
    """Make the account's templates match YAML/JSON files (the source of truth).

    Loads the files (each holds one create-template body, or a list of them), lists the
    account's templates (all pages), plans with ``plan_sync`` and logs the plan as a
    table, then applies it unless ``plan_only``: creates the missing, edits the differing
    ones through their id when ``update`` (and Meta allows it), deletes remote-only ones
    when ``prune``. With ``plan_only`` no write request is sent at all.

    It carries on past a template that fails (a bad file, a create Meta refuses) and
    applies everything else first; **then the task fails** listing every failure, with
    ``AirflowFailException`` (no retry) unless every problem was transient (rate limits,
    server faults, creations deferred by the budget), in which case a plain
    ``AirflowException`` lets the task's retries run the sync again (it re-plans, so
    nothing already applied is repeated). The result is pushed to XCom either way:
    ``{"plan", "counts", "results", "plan_only"}``, ``results`` holding one entry per
    template (``name``, ``language``, ``action``, ``outcome``, ``reason``, ``id``).

    At most ``max_creations`` templates are created per run (WhatsApp allows 100 an hour
    per account); the rest are reported ``deferred`` with the reason, never waited for.
    Nothing is pruned while a local file fails to load: a broken file would make its
    templates look remote-only.

    :param source: a folder of ``*.yaml``/``*.yml``/``*.json`` files, a file, or a list of
        either; relative paths are tried as given, then beside the DAG file (templated).
    :param update: edit templates that differ from their file (templated).
    :param prune: delete templates that have no file (templated).
    :param plan_only: plan and report only, apply nothing (templated).
    :param recursive: also read sub-folders of a folder.
    :param max_creations: creations allowed in this run; default 100 (the hourly limit).
    """

    template_fields: Sequence[str] = (
        *WhatsAppBaseOperator.template_fields,
        "source",
        "update",
        "prune",
        "plan_only",
    )

    def __init__(
        self,
        *,
        source: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
        update: bool = False,
        prune: bool = False,
        plan_only: bool = False,
        recursive: bool = False,
        max_creations: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.source = source
        self.update = update
        self.prune = prune
        self.plan_only = plan_only
        self.recursive = recursive
        self.max_creations = max_creations

    def run(self, context: Any) -> dict[str, Any]:
        from ..message_templates.loading import load_template_files
        from ..message_templates.sync import CREATIONS_PER_HOUR, plan_sync

        self.persist_link(context)
        update, prune = _flag(self.update, "update"), _flag(self.prune, "prune")
        plan_only = _flag(self.plan_only, "plan_only")
        sources = [self.source] if isinstance(self.source, str | os.PathLike) else self.source
        loaded = load_template_files(
            [resolve_local_path(s, context) for s in sources], recursive=self.recursive
        )
        results: list[dict[str, Any]] = [
            {
                "name": error.template_name,
                "language": None,
                "action": "load",
                "outcome": "failed",
                "reason": str(error),
                "id": None,
                "retryable": False,
            }
            for error in loaded.errors
        ]
        for error in loaded.errors:
            self.log.error("Not loaded: %s", error)

        plan = plan_sync(
            loaded.templates, self.hook.client.list_templates(), update=update, prune=prune
        )
        self.log.info(
            "Template sync plan%s (%s):\n%s",
            " (plan only: nothing is applied)" if plan_only else "",
            plan_summary(plan),
            plan.as_table(),
        )
        budget = CREATIONS_PER_HOUR if self.max_creations is None else int(self.max_creations)
        applier = _Applier(self, budget=budget, prune_blocked=bool(loaded.errors))
        results += [applier.apply(action, plan_only=plan_only) for action in plan.actions]

        outcome_counts = Counter(entry["outcome"] for entry in results)
        result: dict[str, Any] = {
            "plan": plan.to_dict(),
            "counts": {outcome: outcome_counts.get(outcome, 0) for outcome in SYNC_OUTCOMES},
            "results": [{k: v for k, v in e.items() if k != "retryable"} for e in results],
            "plan_only": plan_only,
        }
        self.log.info(
            "Template sync done: %s",
            ", ".join(f"{n} {k}" for k, n in result["counts"].items() if n) or "nothing to do",
        )
        self._fail_if_incomplete(context, result, results)
        return result

    def _fail_if_incomplete(
        self, context: Any, result: dict[str, Any], entries: list[dict[str, Any]]
    ) -> None:
        problems = [e for e in entries if e["outcome"] in ("failed", "deferred")]
        if not problems:
            return
        lines = "\n".join(
            f"- {e['name'] or '?'} ({e['language'] or '-'}): {e['outcome']}: {e['reason']}"
            for e in problems
        )
        message = f"template sync incomplete: {len(problems)} template(s) not synced:\n{lines}"
        retry_may_help = all(e.get("retryable") for e in problems)
        fail_with_result(context, result, message, retry_may_help=retry_may_help)


class _Applier:
    """Applies a plan's actions one by one, recording each outcome (never raising)."""

    def __init__(
        self, operator: WhatsAppSyncTemplatesOperator, *, budget: int, prune_blocked: bool
    ):
        self.operator = operator
        self.budget = budget
        self.created = 0
        self.stop_creating: str | None = None
        self.prune_blocked = prune_blocked

    def apply(self, action: SyncAction, *, plan_only: bool) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "name": action.name,
            "language": action.language,
            "action": action.action,
            "outcome": action.action,
            "reason": action.reason,
            "id": action.template_id,
            "retryable": False,
        }
        if action.action == "blocked":
            # A wanted template that cannot exist is a failure; an undeletable one is not.
            entry["outcome"] = "failed" if action.definition is not None else "blocked"
            return entry
        if action.action not in ("create", "update", "delete"):
            return entry  # unchanged, differs, remote_only: nothing to apply, reported
        if action.action == "delete" and self.prune_blocked:
            entry["outcome"] = "skipped"
            entry["reason"] = "not deleted: a local file failed to load, so it may define this"
            return entry
        if plan_only:
            entry["outcome"] = "planned"
            return entry
        if action.action == "create" and self.stop_creating is None and self.created >= self.budget:
            self.stop_creating = (
                f"creation budget of {self.budget} templates per run reached (WhatsApp "
                "allows 100 an hour per account): run the sync again later"
            )
        if action.action == "create" and self.stop_creating is not None:
            entry.update(outcome="deferred", reason=self.stop_creating, retryable=True)
            return entry
        return self._call(action, entry)

    def _call(self, action: SyncAction, entry: dict[str, Any]) -> dict[str, Any]:
        from ..client.errors import RateLimitError, TemplateExistsError, WhatsAppError

        hook, log = self.operator.hook, self.operator.log
        try:
            if action.action == "create":
                assert action.definition is not None  # the plan gives each create its own
                answer = hook.client.create_template(action.definition)
                self.created += 1
                entry["id"] = str(answer["id"]) if answer.get("id") is not None else None
                status = answer.get("status", "PENDING")
                entry.update(outcome="created", reason=f"created; {status} review")
            elif action.action == "update":
                hook.client.edit_template(str(action.template_id), action.payload() or {})
                entry.update(outcome="updated", reason=f"edited: {', '.join(action.changes)}")
            else:
                hook.client.delete_template(action.name, action.language)
                entry.update(outcome="deleted", reason=f"deleted (id {action.template_id})")
        except WhatsAppError as exc:
            if isinstance(exc, TemplateExistsError) and action.definition is not None:
                judged = self._created_meanwhile(action.definition, entry)
                if judged is not None:
                    return judged
            log.error("%s %s (%s) failed: %s", action.action, action.name, action.language, exc)
            entry.update(outcome="failed", reason=str(exc), retryable=exc.retryable)
            limited = isinstance(exc, RateLimitError) or exc.code in _RATE_LIMIT_CODES
            if action.action == "create" and limited:
                entry.update(outcome="deferred", retryable=True)
                self.stop_creating = f"the account's creation limit was reached: {exc}"
            return entry
        log.info("%s %s (%s): %s", action.action, action.name, action.language, entry["reason"])
        return entry

    def _created_meanwhile(
        self, definition: TemplateDefinition, entry: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Our create met a template made since we listed them (two syncs of one account
        at once, e.g. a scheduled and a triggered run): the entry judged as if we had
        listed it (unchanged or differs), or ``None`` when that says nothing better than
        the refusal (it is being deleted, or it cannot be read now)."""
        from ..client.errors import WhatsAppError
        from ..message_templates.sync import plan_sync

        try:
            remote = self.operator.hook.client.get_template(definition.name, definition.language)
        except WhatsAppError:
            return None
        if remote is None:
            return None
        action = next(a for a in plan_sync([definition], [remote]).actions if a.definition)
        if action.action not in ("unchanged", "differs"):  # e.g. blocked: being deleted
            return None
        entry.update(
            action=action.action,
            outcome=action.action,
            reason=f"created meanwhile by another run: {action.reason}",
            id=str(remote.get("id")) if remote.get("id") is not None else None,
        )
        self.operator.log.info(
            "create %s (%s): %s", definition.name, definition.language, entry["reason"]
        )
        return entry


def plan_summary(plan: SyncPlan) -> str:
    """One line: how many templates each action concerns (for logs and messages)."""
    return ", ".join(f"{n} {kind}" for kind, n in plan.counts().items() if n) or "nothing"
