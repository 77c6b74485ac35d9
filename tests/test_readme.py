"""Every Python block of README.md, and every example the documentation site includes,
runs as a user would paste it, against the emulator.

The site's examples are files, ``tests/docs/snippets/*.py``, whose first line is the same
marker as a comment (``# docs-test: MODE key=value ...``) and whose shown part lies between
``# [START name]`` and ``# [END name]`` (what the pages' ``literalinclude`` shows). The
templates they use are the YAML files in ``tests/docs/snippets/whatsapp_templates/``.

Each ```python block follows a marker, an HTML comment (invisible once rendered)::

    <!-- readme-test: MODE key=value key="a value" ... -->

``dag``
    The block is a whole DAG file: it is written into the DAGs folder and parsed there;
    it must define one DAG with at least one task, and ``dag.test()`` must end in
    ``state=`` with exactly ``messages=`` messages accepted by the emulator. ``id=NAME``
    lets a ``pytest`` block import it as module ``NAME``. ``deadline=drop reason=...``:
    the DAG must have a deadline, which is removed for the run. ``airflow=3.3
    reason=...`` (``dag`` and ``task``): the block needs that Airflow or newer; on an older
    one it is compiled, not run.
``task``
    Task code that goes inside a ``with DAG(...):`` block: wrapped in one, then as
    ``dag``; ``conf=JSON`` is the run's conf. ``run=no reason=...`` only builds the DAG.
``pytest``
    A test module: each ``test_*`` function is called with the provider's fixtures
    (``whatsapp_emulator``, ``whatsapp_emulator_connection``) and ``monkeypatch``;
    ``uses=ID`` puts block ``ID`` on the path as module ``ID``, its file in the DAGs folder.
``script``
    Run as ``__main__``; ``stub-dag=ID`` puts a DAG ``ID`` (one text to +1 650 555 1234)
    in the DAGs folder meanwhile, ``uses=ID`` block ``ID``'s DAG file.
``skip``
    Not run, ``reason=`` says why; still compiled.

Before a ``dag``/``task`` run the emulator is reset, every phone number quoted in the
block (or its conf) has an open 24-hour window (those people wrote in), and the
templates the README defines as YAML files, plus ``templates=NAME:N,...`` (N positional
parameters), are APPROVED. An unmarked Python block fails.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import os
import re
import runpy
import shlex
import shutil
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from airflow_provider_whatsapp.testing import WhatsAppEmulator
from airflow_provider_whatsapp.version_compat import AIRFLOW_V_3_2_PLUS, AIRFLOW_VERSION
from tests.helpers import set_connection, task_states

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
SNIPPETS = REPO / "tests" / "docs" / "snippets"
#: Inside the DAGs folder the suite uses (tests/conftest.py, .airflowignore): dag.test()
#: runs only DAGs whose file Airflow can find there.
DAGS = REPO / "tests" / "dags" / "_readme_blocks"

FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<lang>[\w+-]*)[ \t]*$")
MARKER = re.compile(r"^\s*<!--\s*readme-test:\s*(?P<body>.*?)\s*-->\s*$")
SNIPPET_MARKER = re.compile(r"^#\s*docs-test:\s*(?P<body>.*?)\s*$")
QUOTED_PHONE = re.compile(r"""["'](\+?[0-9][0-9 ().-]{5,}[0-9])["']""")
KEYS = {
    "dag": {"id", "state", "messages", "templates", "deadline", "reason", "airflow"},
    "task": {"state", "messages", "templates", "conf", "run", "reason", "airflow"},
    "pytest": {"uses"},
    "script": {"stub-dag", "uses"},
    "skip": {"reason"},
}
STUB_DAG = """\
from airflow.sdk import DAG
from airflow_provider_whatsapp.operators.messages import WhatsAppSendTextOperator

with DAG({dag_id!r}, schedule=None):
    WhatsAppSendTextOperator(task_id="hello", to="+1 650 555 1234", text="Hello from {dag_id}")
"""


@dataclass(frozen=True)
class Block:
    """One fenced code block of the README and the marker right before it."""

    line: int  # of the opening fence, 1-based
    lang: str
    code: str
    marker: str | None = None
    options: dict[str, str] = field(default_factory=dict)
    source: str = "README.md"

    @property
    def mode(self) -> str:
        return self.options.get("mode", "")

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}"

    @property
    def name(self) -> str:
        """A module name for the block's file: unique, and stable across runs."""
        if self.source == "README.md":
            return f"readme_line{self.line}"
        return "snippet_" + Path(self.source).stem


def parse_marker(body: str) -> dict[str, str]:
    """``dag state=failed reason="a b"`` -> ``{"mode": "dag", "state": "failed", ...}``."""
    words = shlex.split(body)
    options = {"mode": words[0] if words else ""}
    for word in words[1:]:
        key, sep, value = word.partition("=")
        if not sep:
            raise ValueError(f"{word!r} is not key=value")
        options[key] = value
    return options


def parse_readme(text: str) -> tuple[list[Block], list[int]]:
    """Every fenced block, and the lines of markers that precede no fence."""
    lines = text.splitlines()
    blocks: list[Block] = []
    used: set[int] = set()
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        indent, fence = opening["indent"], opening["fence"]
        end = i + 1
        while end < len(lines) and not (
            lines[end].strip().startswith(fence) and set(lines[end].strip()) == {fence[0]}
        ):
            end += 1
        code = "\n".join(
            line[len(indent) :] if line.startswith(indent) else line.lstrip()
            for line in lines[i + 1 : end]
        )
        before = i - 1
        while before >= 0 and not lines[before].strip():
            before -= 1
        marker = MARKER.match(lines[before]) if before >= 0 else None
        if marker:
            used.add(before)
        body = marker["body"] if marker else None
        options = parse_marker(body) if body is not None else {}
        blocks.append(Block(i + 1, opening["lang"], code + "\n", body, options))
        i = end + 1
    orphans = [n + 1 for n, line in enumerate(lines) if MARKER.match(line) and n not in used]
    return blocks, orphans


def parse_snippet(path: Path) -> Block:
    """A snippet file of the docs as one block: its first line is its marker."""
    code = path.read_text(encoding="utf-8")
    first = code.splitlines()[0] if code else ""
    marker = SNIPPET_MARKER.match(first)
    body = marker["body"] if marker else None
    options = parse_marker(body) if body is not None else {}
    return Block(1, "python", code, body, options, str(path.relative_to(REPO)))


BLOCKS, ORPHAN_MARKERS = parse_readme(README.read_text(encoding="utf-8"))
README_PYTHON = [b for b in BLOCKS if b.lang == "python"]
SNIPPET_BLOCKS = [parse_snippet(p) for p in sorted(SNIPPETS.glob("*.py"))]
PYTHON = README_PYTHON + SNIPPET_BLOCKS
BY_ID = {b.options["id"]: b for b in PYTHON if "id" in b.options}


def problems(block: Block) -> list[str]:
    """What is wrong with a block's marker (empty: fine)."""
    if block.marker is None:
        if block.source != "README.md":
            return ["no '# docs-test: ...' marker on its first line"]
        return ["no <!-- readme-test: ... --> marker right before it"]
    mode, options = block.mode, block.options
    if mode not in KEYS:
        return [f"unknown mode {mode!r} (one of {sorted(KEYS)})"]
    found = [f"unknown key {k!r} for {mode}" for k in options if k not in KEYS[mode] | {"mode"}]
    builds_only = options.get("run") == "no"
    if mode in {"dag", "task"} and not builds_only:
        found += [f"{mode} needs {k}=" for k in ("state", "messages") if k not in options]
    needs_why = mode == "skip" or builds_only or {"deadline", "airflow"} & set(options)
    if needs_why and not options.get("reason"):
        found.append("say why: reason=...")
    if "uses" in options and options["uses"] not in BY_ID:
        found.append(f"uses={options['uses']}: no block has that id")
    return found


# -- the marker rules themselves ------------------------------------------------------------
def test_every_python_block_is_marked_and_every_marker_has_a_block() -> None:
    assert len(README_PYTHON) >= 1 and len(SNIPPET_BLOCKS) >= 10  # the parsers found them
    unmarked = {b.where: problems(b) for b in PYTHON if problems(b)}
    assert unmarked == {}
    assert ORPHAN_MARKERS == [], "markers that precede no code block"
    assert [b.where for b in BLOCKS if b.marker and b.lang != "python"] == []


def test_the_parser_sees_markers_fences_and_indented_blocks() -> None:
    """An unmarked block is reported: a marker two paragraphs up does not count."""
    text = textwrap.dedent(
        """\
        <!-- readme-test: skip reason="x y" -->
        ```python
        a = 1
        ```

        <!-- readme-test: dag state=failed -->
        Some text.

        ```python
        b = 2
        ```

        - item:

          <!-- readme-test: task state=success messages=0 -->
          ```python
          c = 3
          ```
        """
    )
    blocks, orphans = parse_readme(text)
    assert [(b.line, b.code, b.options) for b in blocks] == [
        (2, "a = 1\n", {"mode": "skip", "reason": "x y"}),
        (9, "b = 2\n", {}),
        (16, "c = 3\n", {"mode": "task", "state": "success", "messages": "0"}),
    ]
    assert orphans == [6]
    assert problems(blocks[1]) == ["no <!-- readme-test: ... --> marker right before it"]


# -- running each block ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def dags_folder() -> Iterator[Path]:
    """A folder in the DAGs folder for the blocks' files, removed afterwards."""
    shutil.rmtree(DAGS, ignore_errors=True)
    DAGS.mkdir()
    try:
        yield DAGS
    finally:
        shutil.rmtree(DAGS, ignore_errors=True)


@pytest.fixture
def block_files(dags_folder: Path) -> Iterator[list[Path]]:
    """Files a test puts into the DAGs folder; deleted after it, so no two tests'
    DAG ids ever meet in one parse."""
    files: list[Path] = []
    yield files
    for path in files:
        path.unlink(missing_ok=True)


def dag_bag(path: Path) -> Any:
    if AIRFLOW_V_3_2_PLUS:
        from airflow.dag_processing.dagbag import DagBag
    else:  # 3.1: where it lived before 3.2 moved it
        from airflow.models.dagbag import DagBag  # type: ignore[no-redef]
    return DagBag(dag_folder=str(path))


def readme_templates() -> list[dict[str, Any]]:
    """The templates the README and the docs show as files (YAML blocks or the snippets'
    template files, with name and components)."""
    specs: dict[tuple[str, str], dict[str, Any]] = {}  # one per name and language
    sources = [b.code for b in BLOCKS if b.lang == "yaml"]
    sources += [p.read_text(encoding="utf-8") for p in sorted(SNIPPETS.glob("*/*.yaml"))]
    for source in sources:
        if source:
            data = yaml.safe_load(source)
            if isinstance(data, dict) and {"name", "components"} <= set(data):
                keys = ("name", "language", "category", "components")
                key = (data["name"], data.get("language", "en_US"))
                specs[key] = {k: data[k] for k in keys if k in data}
    return list(specs.values())


def positional_template(spec: str) -> dict[str, Any]:
    """``order_update:2`` -> an APPROVED template with two positional body parameters."""
    name, _, count = spec.partition(":")
    n = int(count or 1)
    text = "Update: " + ", ".join(f"{{{{{i}}}}}" for i in range(1, n + 1)) + "."
    body = {"type": "BODY", "text": text, "example": {"body_text": [["x"] * n]}}
    return {"name": name, "components": [body]}


def prepare(emu: WhatsAppEmulator, block: Block, monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows, templates and ``whatsapp_default`` as the block's reader has them."""
    seen = block.code + block.options.get("conf", "")
    emu.open_window(
        *{m for m in QUOTED_PHONE.findall(seen) if 7 <= len(re.sub(r"\D", "", m)) <= 15}
    )
    for spec in readme_templates():
        emu.add_template(**spec)
    for item in filter(None, block.options.get("templates", "").split(",")):
        emu.add_template(**positional_template(item))
    set_connection(monkeypatch, emu.airflow_connection())


def run_dag_block(
    block: Block, source: str, name: str, emu: WhatsAppEmulator, files: list[Path], mp: Any
) -> None:
    path = DAGS / f"{name}.py"
    files.append(path)
    path.write_text(source, encoding="utf-8")
    bag = dag_bag(path)
    assert bag.import_errors == {}, f"{block.where}: {bag.import_errors}"
    (dag,) = bag.dags.values()
    assert len(dag.tasks) >= 1, f"{block.where}: the DAG has no task"
    if block.options.get("run") == "no":
        return
    if block.options.get("deadline") == "drop":
        assert dag.deadline, f"{block.where}: deadline=drop, but the DAG has no deadline"
        dag.deadline = None
    prepare(emu, block, mp)
    conf = json.loads(block.options["conf"]) if "conf" in block.options else None
    run = dag.test(run_conf=conf) if conf else dag.test()
    assert run.state == block.options["state"], f"{block.where}: {task_states(run)}"
    sent = [(m.to, m.type) for m in emu.messages]
    assert len(sent) == int(block.options["messages"]), f"{block.where}: {sent}"


def fixture_values(
    emu: WhatsAppEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> dict[str, Any]:
    """What the provider's pytest plugin (and pytest) give a test, by fixture name."""

    def connected() -> WhatsAppEmulator:
        for name, value in emu.connection_env().items():
            monkeypatch.setenv(name, value)
        return emu

    return {
        "whatsapp_emulator": lambda: emu,
        "whatsapp_emulator_connection": connected,
        "monkeypatch": lambda: monkeypatch,
        "tmp_path": lambda: tmp_path,
    }


def import_file(path: Path, name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def run_pytest_block(
    block: Block, emu: WhatsAppEmulator, files: list[Path], mp: pytest.MonkeyPatch, tmp: Path
) -> None:
    used = block.options.get("uses")
    if used:
        path = DAGS / f"{used}.py"
        files.append(path)
        path.write_text(BY_ID[used].code, encoding="utf-8")
        mp.syspath_prepend(str(DAGS))  # as pytest's pythonpath = ["dags"] would
        mp.delitem(sys.modules, used, raising=False)
    test_file = tmp / "test_readme_block.py"
    test_file.write_text(block.code, encoding="utf-8")
    mp.delitem(sys.modules, "test_readme_block", raising=False)
    module = import_file(test_file, "test_readme_block")
    fixtures = fixture_values(emu, mp, tmp)
    tests = [f for name, f in vars(module).items() if name.startswith("test_") and callable(f)]
    assert tests, f"{block.where}: no test_* function"
    for test in tests:
        test(**{p: fixtures[p]() for p in inspect.signature(test).parameters})
    if used:
        mp.delitem(sys.modules, used, raising=False)


def run_script_block(block: Block, files: list[Path], mp: pytest.MonkeyPatch, tmp: Path) -> None:
    stub = block.options.get("stub-dag")
    if stub:
        path = DAGS / f"{stub}.py"
        files.append(path)
        path.write_text(STUB_DAG.format(dag_id=stub), encoding="utf-8")
    used = block.options.get("uses")
    if used:
        path = DAGS / f"{used}.py"
        files.append(path)
        path.write_text(BY_ID[used].code, encoding="utf-8")
    # An activated virtualenv: `airflow` is the one beside this Python.
    mp.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    script = tmp / "readme_script.py"
    script.write_text(block.code, encoding="utf-8")
    runpy.run_path(str(script), run_name="__main__")


@pytest.mark.dag
@pytest.mark.parametrize(
    "block",
    PYTHON,
    ids=[
        f"line{b.line}-{b.mode or 'unmarked'}"
        if b.source == "README.md"
        else f"{Path(b.source).stem}-{b.mode or 'unmarked'}"
        for b in PYTHON
    ],
)
def test_readme_python_block_runs_as_written(
    block: Block,
    airflow_db: Path,
    emu: WhatsAppEmulator,
    block_files: list[Path],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    assert problems(block) == [], block.where
    compile(block.code, block.where, "exec")  # a syntax error names the README line
    needed = block.options.get("airflow")
    if needed and tuple(map(int, needed.split("."))) > AIRFLOW_VERSION:  # too old for it
        pytest.skip(f"{block.where} needs Airflow {needed}+: {block.options['reason']}")
    mode, name = block.mode, block.name
    if mode == "dag":
        run_dag_block(block, block.code, name, emu, block_files, monkeypatch)
    elif mode == "task":
        wrapped = f"from airflow.sdk import DAG\n\nwith DAG({name!r}, schedule=None) as dag:\n"
        source = wrapped + textwrap.indent(block.code, "    ")
        run_dag_block(block, source, name, emu, block_files, monkeypatch)
    elif mode == "pytest":
        run_pytest_block(block, emu, block_files, monkeypatch, tmp_path)
    elif mode == "script":
        run_script_block(block, block_files, monkeypatch, tmp_path)
