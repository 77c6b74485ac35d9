"""Extract Meta's send-message request schemas into a self-contained JSON Schema (2020-12).

The result, ``meta_message_schemas.json`` beside this script, is an independent oracle for
our payloads: the tests validate ``to_payload()`` against Meta's own description of the
API, so a test is not our models agreeing with themselves.

Changes made to Meta's schemas, and why:
- ``additionalProperties: false`` inside ``allOf`` branches is moved to
  ``unevaluatedProperties: false`` on the schema holding the ``allOf``: as published, a
  branch forbids the properties of its siblings, so every message (Meta's examples too)
  would be rejected.
- ``$ref``s to ``#/components/schemas/X`` point at ``#/$defs/X``; only the schemas
  reachable from ``Message`` are kept.
- OpenAPI-only keywords (``discriminator``, ``example``) are dropped.

Run: ``python tests/data/extract_meta_schemas.py [path/to/business-messaging-api_v23.0.yaml]``
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

DEFAULT_SPEC = Path(__file__).with_name("meta_openapi") / "business-messaging-api_v23.0.yaml"
OUTPUT = Path(__file__).with_name("meta_message_schemas.json")
ROOT_SCHEMA = "Message"
SPEC_SOURCE = (
    "github.com/facebook/openapi, business-messaging-api_v23.0.yaml at commit "
    "a78a9df459e0c07501ac1eb779cc75c49d0bfd46"
)
OPENAPI_ONLY_KEYWORDS = {"discriminator", "example"}
COMPONENT_PREFIX = "#/components/schemas/"

MIT_NOTICE = (
    "MIT License. Copyright (c) Meta Platforms, Inc. and affiliates. Permission is hereby "
    "granted, free of charge, to any person obtaining a copy of this software and associated "
    "documentation files (the 'Software'), to deal in the Software without restriction, "
    "including without limitation the rights to use, copy, modify, merge, publish, "
    "distribute, sublicense, and/or sell copies of the Software, and to permit persons to "
    "whom the Software is furnished to do so, subject to the following conditions: The above "
    "copyright notice and this permission notice shall be included in all copies or "
    "substantial portions of the Software. THE SOFTWARE IS PROVIDED 'AS IS', WITHOUT "
    "WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES "
    "OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT "
    "SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER "
    "LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR "
    "IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE."
)


def _referenced_names(node: Any) -> set[str]:
    """Names of the component schemas ``node`` refers to directly or in nested schemas."""
    if isinstance(node, dict):
        names = set()
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(COMPONENT_PREFIX):
            names.add(ref.removeprefix(COMPONENT_PREFIX))
        for key, value in node.items():
            if key not in OPENAPI_ONLY_KEYWORDS:
                names |= _referenced_names(value)
        return names
    if isinstance(node, list):
        return set().union(*(_referenced_names(item) for item in node)) if node else set()
    return set()


def _reachable(schemas: dict[str, Any], root: str) -> list[str]:
    seen: set[str] = set()
    pending = [root]
    while pending:
        name = pending.pop()
        if name not in seen:
            seen.add(name)
            pending.extend(_referenced_names(schemas[name]) - seen)
    return sorted(seen)


def _convert(node: Any) -> Any:
    """Copy ``node`` with refs re-pointed, OpenAPI keywords dropped and the allOf fix applied."""
    if isinstance(node, list):
        return [_convert(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {
        key: _convert(value) for key, value in node.items() if key not in OPENAPI_ONLY_KEYWORDS
    }
    ref = converted.get("$ref")
    if isinstance(ref, str) and ref.startswith(COMPONENT_PREFIX):
        converted["$ref"] = "#/$defs/" + ref.removeprefix(COMPONENT_PREFIX)
    branches = converted.get("allOf")
    if isinstance(branches, list):
        closed = False
        for branch in branches:
            if isinstance(branch, dict) and branch.get("additionalProperties") is False:
                del branch["additionalProperties"]
                closed = True
        if closed:
            converted["unevaluatedProperties"] = False
    return converted


def extract(spec: dict[str, Any], root: str = ROOT_SCHEMA) -> dict[str, Any]:
    """The JSON Schema document for ``root`` and everything it references."""
    schemas = spec["components"]["schemas"]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$comment": (
            f"Extracted from Meta's OpenAPI spec ({SPEC_SOURCE}) by "
            "tests/data/extract_meta_schemas.py: additionalProperties:false moved from allOf "
            "branches to unevaluatedProperties:false, $refs resolved into $defs, OpenAPI-only "
            f"keywords dropped. {MIT_NOTICE}"
        ),
        "$ref": f"#/$defs/{root}",
        "$defs": {name: _convert(schemas[name]) for name in _reachable(schemas, root)},
    }


def main(argv: list[str]) -> None:
    spec_path = Path(argv[1]) if len(argv) > 1 else DEFAULT_SPEC
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with spec_path.open(encoding="utf-8") as file:
        spec = yaml.load(file, Loader=loader)
    document = extract(spec)
    OUTPUT.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUTPUT} ({len(document['$defs'])} schemas)")


if __name__ == "__main__":
    main(sys.argv)
