"""Load template definitions from YAML/JSON files: every error reported, none fatal.

A file holds one definition (a mapping with ``name``), a list of them, or a mapping of
name -> definition (the shape of Meta's examples; a definition without ``name`` takes its key).
YAML files may hold several documents separated by ``---``. A folder means the ``*.yaml``,
``*.yml`` and ``*.json`` files directly inside it, in name order; pass ``recursive=True`` to
descend into sub-folders too (hidden files and folders are skipped either way).
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .definition import TemplateDefinition, TemplateDefinitionError, parse_template_definition

TEMPLATE_FILE_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class LoadError:
    """Why one file, or one template in it, was not loaded.

    ``reason`` is every problem in one sentence (for the sync's log and results);
    ``issues`` the same as ``(field, message)`` pairs, and ``lines()`` one lint line each.
    """

    path: str
    template_name: str | None
    reason: str
    language: str | None = None
    issues: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        where = f"{self.path}: template '{self.template_name}'" if self.template_name else self.path
        return f"{where}: {self.reason}"

    def lines(self) -> list[str]:
        """``file:template(language): field: message`` per problem (``file: message`` for a
        file that holds no readable template)."""
        if self.template_name is None and self.language is None and not self.issues:
            return [f"{self.path}: {self.reason}"]
        label = f"{self.path}:{self.template_name or '?'}({self.language or '?'})"
        issues = self.issues or (("", self.reason),)
        return [f"{label}: {where or 'template'}: {message}" for where, message in issues]


@dataclass
class LoadResult:
    """The valid definitions, where each came from, and every error."""

    templates: list[TemplateDefinition] = field(default_factory=list)
    errors: list[LoadError] = field(default_factory=list)
    sources: dict[tuple[str, str], str] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every file loaded with no problem."""
        return not self.errors

    def error_summary(self) -> str:
        """All errors, one a line, for a log or an exception text."""
        return "\n".join(str(error) for error in self.errors)


def _template_files(folder: Path, recursive: bool) -> list[Path]:
    pattern = "**/*" if recursive else "*"
    return sorted(
        path
        for path in folder.glob(pattern)
        if path.is_file()
        and path.suffix.lower() in TEMPLATE_FILE_SUFFIXES
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )


def _read_documents(path: Path) -> list[Any]:
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        return [json.loads(text)]
    import yaml  # lazily: DAG files import the operators that import this module

    # libyaml's loader when PyYAML has it: the pure-Python one is most of a lint's time.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return [document for document in yaml.load_all(text, Loader=loader) if document is not None]


def _entries(document: Any) -> Iterator[tuple[str | None, Any]]:
    """(name hint, candidate definition) for each template a document holds."""
    if isinstance(document, list):
        for index, item in enumerate(document):
            if not isinstance(item, dict):
                kind = type(item).__name__
                yield None, ValueError(f"list item {index} is a {kind}, not a template mapping")
                continue
            name = item.get("name")
            yield (name if isinstance(name, str) else None), item
    elif isinstance(document, dict) and {"name", "components", "language"} & document.keys():
        name = document.get("name")
        yield (name if isinstance(name, str) else None), document
    elif (
        isinstance(document, dict)
        and document
        and all(isinstance(v, dict) for v in document.values())
    ):
        for key, item in document.items():
            name = item.get("name", key)
            if name != key:
                yield key, ValueError(f"is filed under '{key}' but its name is '{name}'")
            else:
                yield str(key), {"name": key, **item}
    else:
        yield (
            None,
            ValueError(
                "expected a template (a mapping with 'name'), a list of templates, "
                f"or a mapping of name -> template; got {type(document).__name__}"
            ),
        )


def _language(candidate: Any) -> str | None:
    """The language a candidate declares, spelt as the definition spells it (``en_US``)."""
    language = candidate.get("language") if isinstance(candidate, dict) else None
    return language.strip().replace("-", "_") if isinstance(language, str) else None


def validate_templates(data: Any, *, source: str = "<data>") -> LoadResult:
    """Validate in-memory data of any file shape; ``source`` labels the errors."""
    result = LoadResult(files=[source])
    for name, candidate in _entries(data):
        if isinstance(candidate, ValueError):
            issues = (("name", str(candidate)),) if name else ()
            result.errors.append(LoadError(source, name, str(candidate), issues=issues))
            continue
        try:
            definition = parse_template_definition(candidate)
        except TemplateDefinitionError as error:
            result.errors.append(
                LoadError(
                    source,
                    name,
                    "; ".join(error.problems),
                    language=_language(candidate),
                    issues=tuple(error.issues),
                )
            )
            continue
        result.templates.append(definition)
        result.sources[definition.key] = source
    return result


def _expand(source: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> list[Path]:
    if isinstance(source, str | os.PathLike):
        return [Path(source)]
    return [Path(item) for item in source]


def load_template_files(
    source: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    recursive: bool = False,
) -> LoadResult:
    """Load every definition under ``source`` (a folder, a file, or a list of either).

    One bad file or template never stops the rest: each becomes a ``LoadError``. Two
    definitions of the same name and language are an error for both, and neither is kept.
    A file reached twice (a folder and a file in it, as pre-commit passes them, or two
    spellings of one path) is read once: it is no duplicate of itself.
    """
    result = LoadResult()
    by_key: dict[tuple[str, str], list[tuple[TemplateDefinition, str]]] = defaultdict(list)
    seen: set[Path] = set()
    for given in _expand(source):
        if given.is_dir():
            paths = _template_files(given, recursive)
            if not paths:
                result.errors.append(LoadError(str(given), None, "holds no .yaml/.yml/.json file"))
        elif given.is_file():
            paths = [given]
        else:
            result.errors.append(LoadError(str(given), None, "no such file or folder"))
            continue
        for path in paths:
            identity = path.resolve()
            if identity in seen:
                continue
            seen.add(identity)
            result.files.append(str(path))
            if path.suffix.lower() not in TEMPLATE_FILE_SUFFIXES:
                result.errors.append(LoadError(str(path), None, "not a .yaml, .yml or .json file"))
                continue
            try:
                documents = _read_documents(path)
            except Exception as error:  # yaml.YAMLError, JSONDecodeError, OSError, UnicodeError
                reason = " ".join(str(error).split())
                result.errors.append(LoadError(str(path), None, f"unreadable: {reason}"))
                continue
            if not documents:
                result.errors.append(LoadError(str(path), None, "holds no template"))
            for document in documents:
                loaded = validate_templates(document, source=str(path))
                result.errors += loaded.errors
                for definition in loaded.templates:
                    by_key[definition.key].append((definition, str(path)))
    for (name, language), found in by_key.items():
        if len(found) == 1:
            definition, origin = found[0]
            result.templates.append(definition)
            result.sources[definition.key] = origin
            continue
        places = ", ".join(origin for _, origin in found)
        reason = f"'{name}' ({language}) is defined {len(found)} times: {places}"
        for _, origin in found:
            result.errors.append(
                LoadError(origin, name, reason, language=language, issues=(("name", reason),))
            )
    return result
