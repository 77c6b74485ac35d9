"""Provider code talks to Airflow only through public APIs, never to its metadata database.

Airflow 3 forbids a task (and a callback run beside one) to open a database session: what
a task needs it asks of the execution API (``ti.get_task_states``, ``Variable``...).
Checked on the source, every module of the package: an import or a use of any name below
fails, whichever version would have reached it.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "airflow_provider_whatsapp"

#: Modules that open or hold the metadata database.
DATABASE_MODULES = ("airflow.models", "airflow.settings", "airflow.utils.session")
#: Names of the database session, the task runner's private channel, private rendering.
FORBIDDEN_NAMES = {
    "create_session",
    "provide_session",
    "NEW_SESSION",
    "SUPERVISOR_COMMS",
    "_do_render_template_fields",
}


def offences(source: str) -> list[str]:
    """Each forbidden import or name in ``source``, in line order."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        modules: list[str] = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for module in modules:
            if any(module == m or module.startswith(m + ".") for m in DATABASE_MODULES):
                found.append((node.lineno, f"imports {module}"))
        name = getattr(node, "attr", None) or getattr(node, "id", None)
        if isinstance(node, ast.alias):
            name = node.name.rsplit(".", 1)[-1]
        if name in FORBIDDEN_NAMES:
            found.append((getattr(node, "lineno", 0), f"uses {name}"))
    return [f"line {line}: {what}" for line, what in sorted(found)]


def test_the_checker_sees_what_the_notifier_did_before() -> None:
    """What ``notifications/whatsapp.py`` held before: each way is caught."""
    before = (
        "from airflow.sdk.execution_time import task_runner\n"
        "if task_runner.SUPERVISOR_COMMS is None:\n"
        "    from airflow.models.taskinstance import TaskInstance\n"
        "    from airflow.utils.session import create_session\n"
        "    with create_session() as session: pass\n"
        "self._do_render_template_fields(self, ('to',), context, env, set())\n"
    )
    assert offences(before) == [
        "line 2: uses SUPERVISOR_COMMS",
        "line 3: imports airflow.models.taskinstance",
        "line 3: imports airflow.models.taskinstance.TaskInstance",
        "line 4: imports airflow.utils.session",
        "line 4: imports airflow.utils.session.create_session",
        "line 4: uses create_session",
        "line 5: uses create_session",
        "line 6: uses _do_render_template_fields",
    ]


def test_no_module_opens_the_metadata_database_or_uses_private_airflow_names() -> None:
    found = {
        str(path.relative_to(PACKAGE)): problems
        for path in sorted(PACKAGE.rglob("*.py"))
        if (problems := offences(path.read_text(encoding="utf-8")))
    }
    assert found == {}
