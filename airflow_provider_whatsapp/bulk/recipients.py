"""Reading bulk recipients from a list, an XCom value, or a CSV / JSON / JSON Lines file.

Files are streamed row by row, so memory does not grow with the number of recipients.
A recipient is a phone number or a business-scoped user id (BSUID,
``US.13491208655302741918``), in a ``to`` (or ``phone``) column or key, or in a
``recipient`` (or ``user_id``) one as webhooks and the API name a BSUID; a row with both
goes to its ``to``, as the API does.
A row or entry that cannot be a recipient (empty, no ``to``, wrong type, broken JSON)
comes out as a :class:`Recipient` with a ``problem``: one invalid recipient, reported
with its position, while the others are sent. Only a file that cannot be read as a
whole (missing, no header, not UTF-8, not JSON) raises ``ValueError``.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._errors import WhatsAppValidationError

Parameters = list[Any] | dict[str, Any] | None
_TO_COLUMNS = ("to", "phone")
_ID_COLUMNS = ("recipient", "user_id")  # a BSUID, as the API's send and answer name it
_RECIPIENT_COLUMNS = (*_TO_COLUMNS, *_ID_COLUMNS)


@dataclass(frozen=True)
class Recipient:
    to: str
    parameters: Parameters = None
    where: str = ""
    """Its position in the input (``r.csv line 4``, ``recipients item 2``), for reports."""
    problem: str | None = None
    """Why this entry cannot be sent (then it is one invalid recipient), or None."""


def _from_row(row: Mapping[Any, Any], where: str) -> Recipient:
    """A dict with ``to`` (or ``phone``, ``recipient``, ``user_id``) and ``parameters``;
    other keys become parameters.

    The first of those four with a value is the recipient (``to`` wins over a BSUID in
    ``recipient``, as in the API). Extra columns named ``1``, ``2``... are positional
    parameters in that order; any other names are named parameters.
    """
    to = next((row[key] for key in _RECIPIENT_COLUMNS if row.get(key) not in (None, "")), None)
    if to is None:
        return Recipient("", where=where, problem="no 'to' (or 'phone') value")
    if isinstance(to, bool) or not isinstance(to, (str, int)):
        return Recipient(
            "",
            where=where,
            problem="'to' must be a phone number or a business-scoped user id, got "
            + type(to).__name__,
        )
    params = row.get("parameters")
    if isinstance(params, str) and params.strip().startswith(("[", "{")):
        try:
            params = json.loads(params)
        except ValueError as exc:
            return Recipient(str(to), where=where, problem=f"parameters are not valid JSON: {exc}")
    if params is None:
        rest = {k: v for k, v in row.items() if k not in (*_RECIPIENT_COLUMNS, "parameters") and k}
        if rest and all(str(k).isdigit() for k in rest):
            params = [rest[k] for k in sorted(rest, key=lambda k: int(k))]
        elif rest:
            params = dict(rest)
    return Recipient(str(to), params, where)


def _csv_row(row: dict[Any, Any], columns: int, where: str) -> Recipient:
    extra = row.pop(None, None)  # DictReader's key for values beyond the header
    if extra is not None:
        return Recipient(
            "",
            where=where,
            problem=f"{columns + len(extra)} values, the header has {columns} columns",
        )
    if not any(str(value or "").strip() for value in row.values()):
        return Recipient("", where=where, problem="empty row")
    return _from_row(row, where)


def _iter_csv(path: Path) -> Iterator[Recipient]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        try:
            header = reader.fieldnames
            if not header:
                raise WhatsAppValidationError(
                    f"recipients file {path.name!r} is empty: it needs a header line "
                    "naming a 'to' (or 'phone') column"
                )
            if not set(_RECIPIENT_COLUMNS) & set(header):
                raise WhatsAppValidationError(
                    f"recipients file {path.name!r} line 1 must be a header naming a 'to' "
                    f"(or 'phone') column, got {', '.join(map(repr, header))}"
                )
            for row in reader:
                yield _csv_row(row, len(header), f"{path.name} line {reader.line_num}")
        except UnicodeDecodeError as exc:
            raise WhatsAppValidationError(
                f"recipients file {path.name!r} is not UTF-8 text (after line "
                f"{reader.line_num}): {exc.reason}"
            ) from None
        except csv.Error as exc:
            raise WhatsAppValidationError(
                f"recipients file {path.name!r} line {reader.line_num}: not CSV: {exc}"
            ) from None


def _iter_jsonl(path: Path) -> Iterator[Recipient]:
    with path.open(encoding="utf-8") as handle:
        line_no = 0
        try:
            for line_no, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                where = f"{path.name} line {line_no}"
                try:
                    item = json.loads(line)
                except ValueError as exc:
                    yield Recipient("", where=where, problem=f"not valid JSON: {exc}")
                    continue
                yield _from_item(item, where)
        except UnicodeDecodeError as exc:
            raise WhatsAppValidationError(
                f"recipients file {path.name!r} is not UTF-8 text (after line {line_no}): "
                f"{exc.reason}"
            ) from None


def _from_item(item: Any, where: str) -> Recipient:
    if isinstance(item, Recipient):
        return item
    if isinstance(item, Mapping):
        return _from_row(item, where)
    if isinstance(item, (str, int)) and not isinstance(item, bool):
        return Recipient(str(item), where=where)
    return Recipient(
        "",
        where=where,
        problem=f"expected a phone number or a dict with 'to', got {type(item).__name__}",
    )


def _iter_items(items: Iterable[Any], where: str) -> Iterator[Recipient]:
    for n, item in enumerate(items):
        yield _from_item(item, f"{where} item {n}")


def is_recipient_file(value: Any) -> bool:
    return isinstance(value, (str, os.PathLike)) and Path(value).suffix.lower() in (
        ".csv",
        ".json",
        ".jsonl",
    )


def iter_recipients(source: Any) -> Iterator[Recipient]:
    """Recipients from a file path, a comma-separated string, or a list of numbers,
    business-scoped user ids or dicts."""
    if is_recipient_file(source):
        path = Path(source)
        if not path.is_file():
            raise WhatsAppValidationError(f"recipients file {str(path)!r} does not exist")
        suffix = path.suffix.lower()
        if suffix == ".csv":
            return _iter_csv(path)
        if suffix == ".jsonl":
            return _iter_jsonl(path)
        try:
            with path.open(encoding="utf-8") as handle:
                data = json.load(handle)
        except UnicodeDecodeError as exc:
            raise WhatsAppValidationError(
                f"recipients file {path.name!r} is not UTF-8 text: {exc.reason}"
            ) from None
        except ValueError as exc:
            raise WhatsAppValidationError(
                f"recipients file {path.name!r} is not valid JSON: {exc}"
            ) from None
        if isinstance(data, Mapping) and "recipients" in data:
            data = data["recipients"]
        return _iter_items(data if isinstance(data, list) else [data], path.name)
    if isinstance(source, str):
        return _iter_items([p.strip() for p in source.split(",") if p.strip()], "recipients")
    if isinstance(source, (Mapping, Recipient, int)):
        return _iter_items([source], "recipients")
    if isinstance(source, Iterable):
        return _iter_items(source, "recipients")
    raise WhatsAppValidationError(
        f"recipients must be a list, a file path or a string, got {type(source).__name__}"
    )
