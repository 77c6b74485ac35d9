"""Every import inside the package names a module that exists: mypy runs with
``ignore_missing_imports``, so a stale relative import after a move would pass it."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "airflow_provider_whatsapp"


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) of every ``from ... import`` in ``path``, nested ones too."""
    package = list(path.relative_to(PACKAGE.parent).parent.parts)
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                found.append((node.lineno, ".".join([*base, *filter(None, [node.module])])))
            elif node.module and node.module.startswith("airflow_provider_whatsapp"):
                found.append((node.lineno, node.module))
    return found


def test_every_import_inside_the_package_names_an_existing_module() -> None:
    missing = []
    for path in PACKAGE.rglob("*.py"):
        for line, module in _imports(path):
            target = PACKAGE.parent.joinpath(*module.split("."))
            if not (target.with_suffix(".py").is_file() or (target / "__init__.py").is_file()):
                missing.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {module}")
    assert missing == []
