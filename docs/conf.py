"""Sphinx configuration of the provider's documentation site (``make docs``).

Pages are Markdown (MyST), as the README is; the API reference comes from the docstrings
(autodoc). ``_ext/whatsapp_docs.py`` adds what Sphinx does not do by itself: "(templated)"
on operator parameters, a build error for a public name with no docstring, and the
troubleshooting list generated from the error tree.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(DOCS.parent))  # the package from this checkout

from airflow_provider_whatsapp import __version__  # noqa: E402

project = "airflow-provider-whatsapp"
author = "airflow-provider-whatsapp contributors"
copyright = "the airflow-provider-whatsapp contributors"
release = version = __version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "whatsapp_docs",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "_generated", "Thumbs.db", ".DS_Store"]
templates_path: list[str] = []

# Markdown: ``(label)=`` targets, ::: fences, definition lists, heading anchors (the
# README's "#connection-set-up" style links keep working inside a page).
myst_enable_extensions = ["colon_fence", "deflist", "fieldlist"]
myst_heading_anchors = 4

# Warnings are errors (sphinx-build -W): a cross-reference to a name that does not exist
# fails the build. Names from outside this package resolve through intersphinx when the
# inventories are reachable; the few that never do are listed here, once.
nitpicky = True
nitpick_ignore_regex = [
    # Airflow, pydantic, httpx: not every name they expose is in an inventory we can load
    # offline (CI has no network), so types from them are not checked.
    (
        r"py:.*",
        r"(airflow|pydantic|pydantic_core|httpx|typing_extensions|starlette|fastapi|jinja2|tenacity|uvicorn|annotated_types)(\..*)?",
    ),
    # Standard library and typing names in signatures (no network: no python inventory).
    (
        r"py:.*",
        r"(collections\.abc|typing|datetime|pathlib|enum|concurrent\.futures|asyncio|types|io|os|logging|re|dataclasses|subprocess)\..*",
    ),
    (
        r"py:.*",
        r"(Any|Literal|Self|T|Optional|Callable|Sequence|Mapping|Iterable|Iterator|AsyncIterator|Awaitable|Path|datetime|timedelta|Decimal|BinaryIO|IO|TypeVar|TracebackType|Annotated)",
    ),
    (
        r"py:class",
        r"(str|int|float|bool|bytes|dict|list|tuple|set|frozenset|object|None|type|Exception|ValueError|BaseException|NoneType|ellipsis)",
    ),
    (r"py:.*", r"(Context|Message|Operation|Runner|Recipient|T_co|JsonDict|P|R)"),
    # pydantic's field metadata, as autodoc spells a model field's Annotated type.
    (
        r"py:.*",
        r"(FieldInfo|MinLen|MaxLen|Le|Ge|Gt|Lt|AllowInfNan|BeforeValidator|AfterValidator|PlainValidator|WrapValidator|PydanticUndefined|_PydanticGeneralMetadata|upper|lower|strip|strip_text|ValidationError|collections\.Counter)",
    ),
    # Private helpers (validators inside a field's type, private base classes): not in the
    # reference on purpose.
    (r"py:.*", r"(.*\.)?_\w+(\..*)?"),
    # Internal modules a docstring names for contributors (not in the reference).
    (r"py:.*", r"\.?(api|formatting|settings|variables|account_pool)"),
    (r"py:.*", r"airflow_provider_whatsapp\.(bulk|client\.(api|request|ratelimit|transport))\..*"),
    # A field's validator (normalize_phone, normalize_recipient in BeforeValidator) rendered
    # as its type.
    (r"py:class", r"airflow_provider_whatsapp\.messages\.phone\.normalize_(phone|recipient)"),
    (r"py:.*", r"_?pytest\..*"),
    # A name in a type annotation that is an alias (ButtonText = Annotated[...]), or an
    # Airflow type imported for type checking only: a bare name with no module. Roles
    # written in docstrings (:meth:, :mod:, :func:) and dotted names stay checked.
    (r"py:class", r"[A-Za-z_][A-Za-z0-9_]*"),
]

autodoc_default_options = {
    "members": True,
    "undoc-members": True,  # listed, so the docstring check below sees them
    "show-inheritance": True,
    "member-order": "bysource",
}
autodoc_typehints = "signature"
autodoc_inherit_docstrings = True
autodoc_class_signature = "mixed"
autodoc_preserve_defaults = True

intersphinx_mapping: dict[str, tuple[str, str | None]] = {}
intersphinx_disabled_reftypes = ["*"]

html_theme = "furo"
html_title = f"airflow-provider-whatsapp {release}"
# Where the site is published (pyproject.toml's Documentation URL): canonical links.
html_baseurl = "https://airflow-provider-whatsapp.github.io/airflow-provider-whatsapp/"
html_static_path = ["_static"]
# Browsers ask every site for an icon: without one each page logs a 404 in the console.
html_favicon = "_static/favicon.svg"
html_extra_path = ["_extra"]  # favicon.ico at the root: what a browser asks for first
html_show_sourcelink = False
