"""What this site needs beyond Sphinx and autodoc, each a build warning (an error under -W).

- **"(templated)"**: an operator's, sensor's or notifier's ``:param x:`` gets "(templated)"
  when ``x`` is in its ``template_fields``, and the class says which fields are templated,
  read from the class itself, so the reference cannot disagree with the code.
- **Docstrings**: a public module, class, function, method or property documented with no
  docstring is a warning: a new public name without one fails ``make docs``; so is an
  operator's, sensor's, trigger's, notifier's or hook's constructor parameter with no
  ``:param:``, and a ``:param:`` that says "templated" for a field Airflow does not render.
- **Troubleshooting**: ``_generated/error_tree.md`` (included by troubleshooting.md) is
  written from the error tree itself (every subclass of ``WhatsAppError`` in the package),
  each class with its entry from ``errors.yaml``: a class without an entry, or an entry
  for a class that no longer exists, is a warning.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path
from typing import Any

import yaml
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

PACKAGE = "airflow_provider_whatsapp"
DOCS = Path(__file__).resolve().parents[1]
ERRORS_YAML = DOCS / "errors.yaml"
ERROR_TREE_MD = DOCS / "_generated" / "error_tree.md"
CHECKED = {"module", "class", "exception", "function", "method", "property", "decorator"}
PARAM = re.compile(r"^(\s*):param\s+(?:[\w.\[\], |]+\s+)?(\w+):")


# -- "(templated)" ----------------------------------------------------------------------------
def template_fields(obj: Any) -> tuple[str, ...]:
    """The fields Airflow renders with Jinja for an operator, sensor or notifier class."""
    if not inspect.isclass(obj):
        return ()
    fields = getattr(obj, "template_fields", ())
    if isinstance(fields, str):
        fields = (fields,)
    return tuple(f for f in fields if isinstance(f, str))


def mark_templated(
    app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    """Append "(templated)" to each templated ``:param:`` and list the templated fields."""
    fields = template_fields(obj) if what == "class" else ()
    if not fields:
        return
    for i, line in enumerate(lines):
        found = PARAM.match(line)
        if not found:
            continue
        end = i + 1  # the description may run over several indented lines
        while end < len(lines) and lines[end].startswith((" ", "\t")) and lines[end].strip():
            end += 1
        text = " ".join(lines[i:end])
        says = re.search(r"\btemplated\b", text, re.I) and not re.search(
            r"\bnot templated\b", text, re.I
        )
        if found[2] in fields and not says:
            lines[end - 1] = lines[end - 1].rstrip() + " *(templated)*"
        elif says and found[2] not in fields:
            logger.warning(
                "%s: parameter %r says it is templated, but it is not in template_fields",
                name,
                found[2],
                type="whatsapp",
                subtype="templated",
            )
    listed = ", ".join(f"``{f}``" for f in fields)
    lines.extend(["", f"**Templated fields** (Jinja, rendered at run time): {listed}.", ""])


# -- every parameter of an Airflow face is documented ----------------------------------------
def airflow_face(obj: Any) -> bool:
    """Operators, sensors, triggers, notifiers and hooks: what DAG authors configure."""
    from airflow.sdk import BaseHook, BaseNotifier, BaseOperator
    from airflow.triggers.base import BaseTrigger

    faces = (BaseOperator, BaseHook, BaseNotifier, BaseTrigger)
    return inspect.isclass(obj) and issubclass(obj, faces)


def undocumented_parameters(cls: type) -> list[str]:
    """Constructor parameters no ``:param:`` of the class (or a base of ours) describes."""
    documented = {
        found[2]
        for klass in cls.__mro__
        if klass.__module__.startswith(PACKAGE)
        for found in map(PARAM.match, (klass.__doc__ or "").splitlines())
        if found
    }
    documented |= {
        found[2]
        for found in map(PARAM.match, inspect.cleandoc(cls.__doc__ or "").splitlines())
        if found
    }
    parameters = inspect.signature(cls.__init__).parameters.values()
    return [
        p.name
        for p in parameters
        if p.name != "self"
        and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        and p.name not in documented
    ]


def require_parameters(
    app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    """Warn about an operator's (sensor's, ...) constructor parameter with no ``:param:``."""
    if what == "class" and is_public(name.removeprefix(PACKAGE + ".")) and airflow_face(obj):
        for parameter in undocumented_parameters(obj):
            logger.warning(
                "%s: parameter %r has no ':param %s:' in the class docstring",
                name,
                parameter,
                parameter,
                type="whatsapp",
                subtype="param",
            )


# -- every public name has a docstring --------------------------------------------------------
def is_public(name: str) -> bool:
    """Whether every part of a dotted name is public (``a._b.c`` is not)."""
    return not any(part.startswith("_") for part in name.split("."))


def docstring_problem(what: str, name: str, lines: list[str]) -> str | None:
    """What is wrong with a documented name's docstring (None: nothing)."""
    if what not in CHECKED or not is_public(name.removeprefix(PACKAGE + ".")):
        return None
    if any(line.strip() for line in lines):
        return None
    return f"public {what} {name} has no docstring: add one (it is the reference's text)"


def require_docstring(
    app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    """Warn about a public name documented with an empty docstring."""
    problem = docstring_problem(what, name, lines)
    if problem:
        logger.warning(problem, type="whatsapp", subtype="docstring")


# -- troubleshooting, from the error tree -----------------------------------------------------
def error_tree() -> list[tuple[int, type[BaseException]]]:
    """(depth, class) for every ``WhatsAppError`` subclass the package defines, depth first."""
    package = importlib.import_module(PACKAGE)
    for module in pkgutil.walk_packages(package.__path__, PACKAGE + "."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    from airflow_provider_whatsapp.client.errors import WhatsAppError

    found: list[tuple[int, type[BaseException]]] = []

    def walk(cls: type[BaseException], depth: int) -> None:
        if not cls.__module__.startswith(PACKAGE):
            return
        found.append((depth, cls))
        for sub in sorted(cls.__subclasses__(), key=lambda c: c.__name__):
            walk(sub, depth + 1)

    walk(WhatsAppError, 0)
    return found


def graph_codes() -> dict[str, list[str]]:
    """Class name -> the Graph error codes the client maps to it (with their hints)."""
    from airflow_provider_whatsapp.client import errors

    codes: dict[str, list[str]] = {}
    for code, (cls, _retryable, hint) in sorted(errors._GRAPH_CODES.items()):
        codes.setdefault(cls.__name__, []).append(f"{code}" + (f" ({hint})" if hint else ""))
    return codes


def entry_problems(classes: list[str], entries: dict[str, Any]) -> list[str]:
    """Classes of the tree with no complete entry, and entries for no class of the tree."""
    problems = [
        f"error class {name} has no entry in docs/errors.yaml (means: ..., do: ...)"
        for name in classes
        if not isinstance(entries.get(name), dict)
        or not entries[name].get("means")
        or not entries[name].get("do")
    ]
    problems += [
        f"docs/errors.yaml has an entry for {name}, which is not in the error tree"
        for name in sorted(set(entries) - set(classes))
    ]
    return problems


def write_error_tree(app: Sphinx) -> None:
    """Write ``_generated/error_tree.md``; warn about a class with no entry and vice versa."""
    entries: dict[str, dict[str, str]] = yaml.safe_load(ERRORS_YAML.read_text("utf-8"))
    tree = error_tree()
    codes = graph_codes()
    for problem in entry_problems([cls.__name__ for _, cls in tree], entries):
        logger.warning(problem, type="whatsapp", subtype="errors")
    out = [
        "<!-- Generated by docs/_ext/whatsapp_docs.py from the error tree and errors.yaml:",
        "     edit errors.yaml, not this file. -->",
        "",
    ]
    for _depth, cls in tree:
        name = cls.__name__
        entry = entries.get(name)
        if not isinstance(entry, dict) or not entry.get("means") or not entry.get("do"):
            continue  # warned above
        bases = [b for b in cls.__bases__ if b is not object]
        kind = ", ".join(
            f"`{b.__name__}`"
            if not b.__module__.startswith(PACKAGE)
            else f"{{py:exc}}`~{b.__module__}.{b.__name__}`"
            for b in bases
        )
        facts = [f"**Subclass of** {kind}"]
        if getattr(cls, "retryable", False):
            facts.append("**retried** by the client and by Airflow's `retries`")
        else:
            facts.append("**not retried** by the client")
        if getattr(cls, "retry_later", False):
            facts.append("a retry much later may pass (`whatsapp_retry_policy()`)")
        if getattr(cls, "_account_wide", False):
            facts.append("**account-level**: a bulk send stops at once")
        out += [
            f"(error-{name})=",
            f"### `{name}`",
            "",
            f"{{py:exc}}`{cls.__module__}.{name}`. " + "; ".join(facts) + ".",
            "",
            f"**What it means.** {entry['means'].strip()}",
            "",
        ]
        if name in codes:
            out += ["**Graph codes.** " + "; ".join(codes[name]) + ".", ""]
        hint = cls.__dict__.get("default_hint")
        if hint:
            out += [f"**Its hint** (the end of the message): _{hint}_.", ""]
        out += [f"**What to do.** {entry['do'].strip()}", ""]
    ERROR_TREE_MD.parent.mkdir(exist_ok=True)
    text = "\n".join(out)
    if not ERROR_TREE_MD.exists() or ERROR_TREE_MD.read_text("utf-8") != text:
        ERROR_TREE_MD.write_text(text, "utf-8")


def skip_imported(
    app: Sphinx, what: str, name: str, obj: Any, skip: bool, options: Any
) -> bool | None:
    """A module's members are what it defines: a name it imports (``Iterable``, a helper
    from another module) is documented where it is defined, or not at all."""
    module = getattr(obj, "__module__", None)
    current = getattr(getattr(app.env, "current_document", None), "autodoc_module", None)
    current = current or getattr(app.env, "temp_data", {}).get("autodoc:module")
    routine = inspect.isclass(obj) or inspect.isroutine(obj)
    if what == "module" and routine and module and current and module != current:
        return True
    return None


def public_bases(app: Sphinx, name: str, obj: Any, options: Any, bases: list[type]) -> None:
    """ "Bases:" names a class's nearest public ancestors, never a private helper class
    (``_SendOperator``) that the reference does not document."""
    shown: list[type] = []
    for base in bases:
        while base.__name__.startswith("_") and base.__bases__:
            base = base.__bases__[0]
        if base not in shown:
            shown.append(base)
    bases[:] = shown


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the three checks (autodoc runs them on every documented name) and the
    bases as shown."""
    app.connect("autodoc-skip-member", skip_imported)
    app.connect("autodoc-process-bases", public_bases)
    app.connect("autodoc-process-docstring", require_docstring, priority=400)
    app.connect("autodoc-process-docstring", require_parameters, priority=400)
    app.connect("autodoc-process-docstring", mark_templated, priority=600)
    app.connect("builder-inited", write_error_tree)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
