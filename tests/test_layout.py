"""The package's layout holds: every import inside it names a module that exists (mypy
runs with ``ignore_missing_imports``, so a stale relative import would pass it), and the
package root holds only what belongs there."""

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


def test_the_package_root_holds_no_layer() -> None:
    """Loose modules belong in a layer's folder; example DAGs and the demo are not shipped.
    ``limits.py`` is the rule book both model layers (messages, templates) import;
    ``_errors.py`` the error roots every layer raises (re-exported by ``client.errors``)."""
    root_modules = {p.name for p in PACKAGE.glob("*.py")}
    assert root_modules == {
        "__init__.py",
        "_airflow.py",
        "_errors.py",
        "limits.py",
        "version_compat.py",
    }
    assert not (PACKAGE / "example_dags").exists()
    assert not (PACKAGE / "demo.py").exists()
