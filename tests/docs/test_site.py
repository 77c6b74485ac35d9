"""The built documentation site, opened page by page in a real browser (headless Chromium).

``make docs`` builds the site into ``docs/_build/html`` and then runs these tests on it
(``WHATSAPP_DOCS_HTML``); run alone (``pytest -m docs tests/docs``), they build the site
themselves into a temporary folder, with the same warnings-as-errors options, so they never
depend on an earlier build. The site is served over HTTP on 127.0.0.1, as a reader gets it.

Every page must load with its style sheet, every ``<a href>`` inside the site must reach a
page that exists (and the ``#anchor`` in it), every image must load, and the browser's
console must show no error (a missing script or style sheet is one). Screenshots of the
quick start and of the operators' reference go to ``<build>/screenshots/`` (next to
``html/``; ``docs/_build/screenshots/`` for ``make docs``).
"""

from __future__ import annotations

import functools
import html
import os
import re
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag, urlsplit

import pytest

pytestmark = pytest.mark.docs

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
IDS = re.compile(r"""\bid=["']([^"']+)["']""")


def build_site(out: Path) -> None:
    """Build the site as ``make docs`` does: from scratch, nitpicky, warnings as errors."""
    from sphinx.cmd.build import build_main

    status = build_main(["-E", "-n", "-W", "--keep-going", "-q", "-b", "html", "docs", str(out)])
    assert status == 0, "sphinx-build failed: see its warnings above"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built site's html folder: make docs' build, else one built here."""
    given = os.environ.get("WHATSAPP_DOCS_HTML")
    if given:
        path = (REPO / given).resolve()
        assert (path / "index.html").is_file(), f"{path} holds no built site: run make docs"
        return path
    path = tmp_path_factory.mktemp("docs") / "html"
    cwd = Path.cwd()
    os.chdir(REPO)
    try:
        build_site(path)
    finally:
        os.chdir(cwd)
    return path


class QuietHandler(SimpleHTTPRequestHandler):
    """Serves the site; no line per request on the test's output."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def base_url(site: Path) -> Iterator[str]:
    """The site served over HTTP on a free loopback port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=site))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless Chromium through its chromedriver, with a fresh profile and no network
    activity of its own (no updates, sync or background fetches)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,1400",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def pages(site: Path) -> list[str]:
    """Every HTML page of the site, as paths relative to its root."""
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))


def local_target(site: Path, base_url: str, href: str) -> tuple[Path, str] | None:
    """(file, anchor) an href points to inside the site; None for an outside link."""
    if not href.startswith(base_url):
        return None
    url, anchor = urldefrag(href)
    path = unquote(urlsplit(url).path).lstrip("/")
    target = site / path
    if not path or path.endswith("/"):
        target = target / "index.html"
    return target, anchor


@functools.cache
def ids_in(path: Path) -> frozenset[str]:
    """The element ids of a built page (what an #anchor may name)."""
    return frozenset(html.unescape(i) for i in IDS.findall(path.read_text("utf-8")))


def test_every_page_loads_with_no_broken_link_image_or_console_error(
    site: Path, base_url: str, browser: Any
) -> None:
    all_pages = pages(site)
    assert {"index.html", "quickstart.html", "reference/operators.html"} <= set(all_pages)
    broken: dict[str, list[str]] = {}
    for page in all_pages:
        browser.get(base_url + page)
        problems = []
        state = browser.execute_script(
            """return {
              ready: document.readyState,
              title: document.title,
              sheets: document.styleSheets.length,
              links: Array.from(document.querySelectorAll('a[href]'), a => a.href),
              images: Array.from(document.images, i => [i.currentSrc || i.src,
                                 i.complete && i.naturalWidth > 0]),
            }"""
        )
        if state["ready"] != "complete" or not state["title"]:
            problems.append(f"did not load: {state['ready']!r}, title {state['title']!r}")
        if state["sheets"] == 0:
            problems.append("no style sheet")
        for src, loaded in state["images"]:
            if not loaded:
                problems.append(f"image does not load: {src}")
        for href in state["links"]:
            target = local_target(site, base_url, href)
            if target is None:
                continue
            path, anchor = target
            if not path.is_file():
                problems.append(f"link to a missing page: {href}")
            elif anchor and path.suffix == ".html" and anchor not in ids_in(path):
                problems.append(f"link to a missing anchor: {href}")
        for entry in browser.get_log("browser"):
            if entry["level"] == "SEVERE":
                problems.append(f"console: {entry['message']}")
        if problems:
            broken[page] = problems
    assert broken == {}, "\n".join(f"{p}: {x}" for p, xs in broken.items() for x in xs)


def test_screenshots_of_the_quick_start_and_an_operator_page(
    site: Path, base_url: str, browser: Any
) -> None:
    shots = site.parent / "screenshots"
    shots.mkdir(exist_ok=True)
    browser.get(base_url + "quickstart.html")
    assert "A first alert in five minutes" in browser.page_source
    assert browser.save_screenshot(str(shots / "quickstart.png"))
    anchor = "airflow_provider_whatsapp.operators.messages.WhatsAppSendTextOperator"
    browser.get(f"{base_url}reference/operators.html")
    browser.execute_script(  # the operator at the top of the shot (the theme scrolls smoothly)
        "const top = document.getElementById(arguments[0]).getBoundingClientRect().top;"
        "window.scrollTo({top: window.scrollY + top - 16, behavior: 'instant'});",
        anchor,
    )
    assert browser.execute_script("return window.scrollY") > 500
    assert browser.save_screenshot(str(shots / "operator.png"))
    for name in ("quickstart.png", "operator.png"):
        assert (shots / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (shots / name).stat().st_size > 10_000  # a rendered page, not a blank one


def test_the_reference_marks_templated_parameters(site: Path, base_url: str, browser: Any) -> None:
    """``to`` and ``text`` of the text operator are templated; ``preview_url`` is not."""
    from selenium.webdriver.common.by import By

    from airflow_provider_whatsapp.operators.messages import WhatsAppSendTextOperator

    browser.get(base_url + "reference/operators.html")
    anchor = "airflow_provider_whatsapp.operators.messages.WhatsAppSendTextOperator"
    section = browser.find_element(By.ID, anchor).find_element(By.XPATH, "..")
    params = {
        li.text.split(" ", 1)[0]: li.text
        for li in section.find_elements(By.CSS_SELECTOR, "dl.field-list li")
    }
    assert {"to", "text"} <= set(WhatsAppSendTextOperator.template_fields)
    assert "(templated)" in params["to"] and "(templated)" in params["text"], params
    assert "(templated)" not in params["preview_url"], params
    assert "Templated fields" in section.text


def test_troubleshooting_lists_every_error_class(site: Path) -> None:
    import sys

    sys.path.insert(0, str(REPO / "docs" / "_ext"))
    try:
        from whatsapp_docs import error_tree
    finally:
        sys.path.remove(str(REPO / "docs" / "_ext"))
    page = ids_in(site / "troubleshooting.html")
    classes = [cls.__name__ for _, cls in error_tree()]
    assert len(classes) >= 25
    assert [c for c in classes if f"error-{c.lower()}" not in page] == []


def test_the_reference_shows_no_private_base_class(site: Path) -> None:
    """A send operator's "Bases:" is WhatsAppBaseOperator, documented on the same page,
    not the private helper class between them."""
    page = (site / "reference" / "operators.html").read_text(encoding="utf-8")
    shown = [re.sub(r"<[^>]+>", "", b) for b in re.findall(r"Bases: (.*?)</p>", page)]
    assert len(shown) >= 10
    assert [b for b in shown if re.search(r"(^|\W)_[A-Za-z]", b)] == []
    assert "WhatsAppBaseOperator" in shown


def test_the_readme_and_the_project_urls_link_into_the_built_site(site: Path) -> None:
    """README.md (the package index's page) links into the site where it is published:
    each link must name a page, and an anchor, that the built site has."""
    pyproject = (REPO / "pyproject.toml").read_text("utf-8")
    found = re.search(r'^Documentation = "([^"]+)"$', pyproject, re.M)
    assert found, "pyproject.toml names no Documentation URL"
    published = found[1]
    links = re.findall(re.escape(published) + r"[^)\s>]*", (REPO / "README.md").read_text())
    assert len(links) >= 10
    missing = []
    for link in links:
        url, anchor = urldefrag(link)
        path = site / (url.removeprefix(published) or "index.html")
        if not path.is_file() or (anchor and anchor not in ids_in(path)):
            missing.append(link)
    assert missing == []
