"""Reading bulk recipients from a list, an XCom value, or a CSV / JSON / JSON Lines file.

Files are streamed row by row, so memory does not grow with the number of recipients.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Parameters = list[Any] | dict[str, Any] | None


@dataclass(frozen=True)
class Recipient:
    to: str
    parameters: Parameters = None


def _from_row(row: Mapping[str, Any], where: str) -> Recipient:
    """A dict with ``to`` (or ``phone``) and ``parameters``; other keys become parameters.

    Extra columns named ``1``, ``2``... are positional parameters in that order; any
    other names are named parameters.
    """
    to = row.get("to", row.get("phone"))
    if to in (None, ""):
        raise ValueError(f"{where}: no 'to' (or 'phone') value")
    params = row.get("parameters")
    if isinstance(params, str) and params.strip().startswith(("[", "{")):
        params = json.loads(params)
    if params is None:
        rest = {k: v for k, v in row.items() if k not in ("to", "phone", "parameters") and k}
        if rest and all(str(k).isdigit() for k in rest):
            params = [rest[k] for k in sorted(rest, key=lambda k: int(k))]
        elif rest:
            params = dict(rest)
    return Recipient(str(to), params)


def _iter_csv(path: Path) -> Iterator[Recipient]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            yield _from_row(row, f"{path.name} line {line}")


def _iter_jsonl(path: Path) -> Iterator[Recipient]:
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if line.strip():
                yield from _iter_items([json.loads(line)], f"{path.name} line {line_no}")


def _iter_items(items: Iterable[Any], where: str) -> Iterator[Recipient]:
    for n, item in enumerate(items):
        if isinstance(item, Recipient):
            yield item
        elif isinstance(item, Mapping):
            yield _from_row(item, f"{where} item {n}")
        elif isinstance(item, (str, int)):
            yield Recipient(str(item))
        else:
            raise ValueError(
                f"{where} item {n}: expected a phone number or a dict with 'to', got {type(item).__name__}"
            )


def is_recipient_file(value: Any) -> bool:
    return isinstance(value, (str, os.PathLike)) and Path(value).suffix.lower() in (
        ".csv",
        ".json",
        ".jsonl",
    )


def iter_recipients(source: Any) -> Iterator[Recipient]:
    """Recipients from a file path, a comma-separated string, or a list of numbers/dicts."""
    if is_recipient_file(source):
        path = Path(source)
        if not path.is_file():
            raise ValueError(f"recipients file {str(path)!r} does not exist")
        suffix = path.suffix.lower()
        if suffix == ".csv":
            return _iter_csv(path)
        if suffix == ".jsonl":
            return _iter_jsonl(path)
        with path.open(encoding="utf-8") as handle:
            data = json.load(handle)
        if isinstance(data, Mapping) and "recipients" in data:
            data = data["recipients"]
        return _iter_items(data if isinstance(data, list) else [data], path.name)
    if isinstance(source, str):
        return _iter_items([p.strip() for p in source.split(",") if p.strip()], "recipients")
    if isinstance(source, (Mapping, Recipient, int)):
        return _iter_items([source], "recipients")
    if isinstance(source, Iterable):
        return _iter_items(source, "recipients")
    raise ValueError(
        f"recipients must be a list, a file path or a string, got {type(source).__name__}"
    )


def count_recipients(source: Any) -> int | None:
    """How many rows a source holds, read cheaply (for progress ETA); None if unknown."""
    if is_recipient_file(source) and Path(source).is_file():
        path = Path(source)
        if path.suffix.lower() == ".json":
            return None
        with path.open("rb") as handle:
            lines = sum(1 for line in handle if line.strip())
        return lines - 1 if path.suffix.lower() == ".csv" else lines
    if isinstance(source, (list, tuple)):
        return len(source)
    return None
