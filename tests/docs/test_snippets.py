"""The site's examples cannot rot: each is a file tests/test_readme.py runs, each is shown by
a page, and no page pastes Python of its own.

Cheap (no Sphinx, no browser): part of ``make test``.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.test_readme import BY_ID, README_PYTHON, SNIPPET_BLOCKS, SNIPPETS, problems

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.parts)
INCLUDE = re.compile(r"```\{literalinclude\}[ \t]+(?P<path>\S+)(?P<options>(?:\n[ \t]*:[^\n]*)*)")
REGION = re.compile(r"^# \[(START|END) (\w+)\]$", re.M)


def includes() -> list[tuple[Path, Path, str]]:
    """(page, included file, the options' text) for every literalinclude of every page."""
    found = []
    for page in PAGES:
        for match in INCLUDE.finditer(page.read_text(encoding="utf-8")):
            target = (page.parent / match["path"]).resolve()
            found.append((page, target, match["options"]))
    return found


def region(path: Path) -> str:
    """The part of a snippet file a page shows: between its START and END markers."""
    text = path.read_text(encoding="utf-8")
    name = path.stem
    start = text.index(f"# [START {name}]\n") + len(f"# [START {name}]\n")
    return text[start : text.index(f"# [END {name}]")]


def test_every_snippet_is_marked_runs_and_has_one_region() -> None:
    assert len(SNIPPET_BLOCKS) >= 15
    assert {b.source: problems(b) for b in SNIPPET_BLOCKS if problems(b)} == {}
    for path in SNIPPETS.glob("*.py"):
        markers = REGION.findall(path.read_text(encoding="utf-8"))
        assert markers == [("START", path.stem), ("END", path.stem)], path


def test_every_snippet_is_shown_by_a_page_and_every_include_exists() -> None:
    shown = {target for _, target, _ in includes()}
    snippets = set(SNIPPETS.glob("*.py")) | set(SNIPPETS.glob("*/*.yaml"))
    assert {p.relative_to(REPO) for p in snippets - shown} == set(), "snippets no page shows"
    for page, target, options in includes():
        assert target.is_file(), f"{page.relative_to(REPO)} includes a missing {target}"
        if target.suffix == ".py" and target.parent == SNIPPETS:  # exactly its region
            assert f"'[START {target.stem}]'" in options, page
            assert f"'[END {target.stem}]'" in options, page


def test_no_page_pastes_python() -> None:
    """Python on a page comes from a snippet (tested); a pasted block could rot."""
    pasted = {
        str(page.relative_to(REPO)): n + 1
        for page in PAGES
        for n, line in enumerate(page.read_text(encoding="utf-8").splitlines())
        if re.match(r"\s*(```|~~~)\s*(python|py|pycon)\s*$", line)
    }
    assert pasted == {}


def test_the_example_dags_page_shows_every_example_dag() -> None:
    shown = {target for _, target, _ in includes()}
    assert set((REPO / "example_dags").glob("*.py")) <= shown


def test_the_connection_page_names_every_field_of_the_form() -> None:
    """Every extra of the connection form (provider info's conn-fields) is in the page's
    table, as are the key and the host."""
    from airflow_provider_whatsapp import get_provider_info

    (connection_type,) = get_provider_info()["connection-types"]
    page = (DOCS / "connection.md").read_text(encoding="utf-8")
    rows = [line for line in page.splitlines() if line.startswith("| ")]
    fields = [*connection_type["conn-fields"], "password", "host"]
    assert [f for f in fields if not any(f"`{f}`" in r or f"| {f} |" in r for r in rows)] == []


def test_the_readme_first_example_is_the_quick_start_snippet() -> None:
    """The package page (README) and the site show the same first DAG, letter for letter."""
    (readme_block,) = [b for b in README_PYTHON if b.options.get("id") == "nightly_load"]
    assert readme_block.code == region(SNIPPETS / "nightly_load.py")
    assert BY_ID["nightly_load"].source.startswith("tests/docs/snippets/")
