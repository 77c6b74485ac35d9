"""Per-recipient results of a bulk send: rows without numbers, and the JSON Lines file.

A row names its recipient by position (``index``, ``where``) and masked number or
business-scoped user id (``to_masked``: ``+44••••••0123``, ``US.••••••••••••••••1918``);
the value itself (``to``) only when the user asks for it: XCom and a results file are read
by more people than the send's owner, and a BSUID is personal data like a number.

A large send writes its rows to a file the user names (:class:`ResultsFile`): any path
Airflow's ``ObjectStoragePath`` opens (a local path, ``file://``, ``s3://``, ``gs://``...
with the user's own connection), so XCom keeps only the summary and the path.

Cheap to import (no Airflow, no fsspec at module level): the operator's module reaches it
only at execute time, but the benchmarks and units import it directly.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .._errors import WhatsAppValidationError
from ..messages.phone import mask_phone, mask_phone_in

if TYPE_CHECKING:
    from airflow.sdk import ObjectStoragePath

    from .sender import RecipientResult

__all__ = ["ResultsFile", "check_results_path", "results_path"]

_BULLET = "\u2022"
_LOCAL = ("", "file", "local")  # ObjectStoragePath's protocols for this machine's disk
_CHUNK = 1 << 20


def recipient_row(result: RecipientResult, include_recipient: bool = False) -> dict[str, Any]:
    """One recipient's row (XCom and results file alike): ``index`` (0-based position in
    the input), ``where`` (``r.csv line 4``, ``recipients item 3``) on a row not accepted
    (one to look up and fix; an accepted row stays small), ``to_masked``, ``to`` only with
    ``include_recipient``, then status, message id, error code and reason (the number
    masked in it unless ``include_recipient``)."""
    row: dict[str, Any] = {}
    if result.index is not None:
        row["index"] = result.index
    if result.where and result.status != "accepted":
        row["where"] = result.where
    if result.to:
        row["to_masked"] = mask_phone(result.to)
        if include_recipient:
            row["to"] = result.to
    row["status"] = result.status
    if result.message_id:
        row["message_id"] = result.message_id
    if result.code is not None:
        row["code"] = result.code
    if result.reason:
        row["reason"] = (
            result.reason
            if include_recipient or not result.to
            else mask_phone_in(result.reason, result.to)
        )
    return row


def check_results_path(value: Any) -> None:
    """Refuse a ``results_path`` that cannot be right whatever the run: not a path, empty,
    or a relative local path (a worker's working directory is arbitrary, so the file would
    land nobody knows where). Imports nothing: runs when a DAG file builds the operator."""
    if value is None or getattr(value, "protocol", None) is not None:
        return  # nothing asked, or an ObjectStoragePath: checked when it is opened
    if not isinstance(value, (str, os.PathLike)):
        raise WhatsAppValidationError(
            "results_path must be a path or URL string (or an ObjectStoragePath), got "
            f"{type(value).__name__}"
        )
    text = os.fspath(value)
    if not isinstance(text, str) or not text.strip():
        raise WhatsAppValidationError(
            f"results_path {text!r} is not a path: give an absolute path or a URL, or None"
        )
    scheme = urlsplit(text).scheme
    if not scheme and not os.path.isabs(text):
        raise WhatsAppValidationError(
            f"results_path {text!r} is relative: a worker's working directory is arbitrary; "
            "give an absolute path or a URL (file:///data/results.jsonl, "
            "s3://my_aws_conn@bucket/results.jsonl)"
        )


def results_path(value: Any) -> ObjectStoragePath:
    """``value`` (a string, a path or an ``ObjectStoragePath``) as the ``ObjectStoragePath``
    the rows go to; the connection comes from the URL (``s3://conn_id@bucket/key``) or the
    ``ObjectStoragePath`` given."""
    from airflow.sdk import ObjectStoragePath

    check_results_path(value)
    if isinstance(value, ObjectStoragePath):
        path = value
    else:
        try:
            path = ObjectStoragePath(os.fspath(value))
        except ValueError as exc:  # fsspec knows no such scheme
            raise _unusable(str(value), exc) from exc
    if path.protocol in _LOCAL and not path.is_absolute():
        raise WhatsAppValidationError(
            f"results_path {str(path)!r} is relative: give an absolute path or a URL"
        )
    return path


def _unusable(shown: str, exc: Exception) -> WhatsAppValidationError:
    return WhatsAppValidationError(
        f"results_path {shown!r}: {exc} (object storage needs its provider installed, e.g. "
        "apache-airflow-providers-amazon[s3fs] for s3://, -google for gs://); nothing was sent"
    )


class ResultsFile:
    """The rows of one send, one JSON object a line, bound for ``path``.

    Rows are spooled as they come into a local temporary file and copied to ``path`` once
    the send is over (:meth:`publish`): memory does not grow with the recipients, and the
    send's event loop never waits on object storage (an fsspec store cannot be called from
    inside a running loop anyway). :meth:`probe` writes ``path`` empty before the send, so
    a destination that cannot be written fails the task before any message leaves.
    """

    def __init__(self, path: ObjectStoragePath, *, include_recipients: bool = False) -> None:
        self.path = path
        self.include_recipients = include_recipients
        self.rows = 0
        self.size = 0
        # Lives as long as this object: closed by close() / the with block.
        self._spool = tempfile.TemporaryFile(prefix="whatsapp_bulk_results_")  # noqa: SIM115

    def probe(self) -> None:
        """Create ``path`` (empty), its local folders too: writable, before any send."""
        shown = str(self.path)
        try:
            if self.path.protocol in _LOCAL:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("wb"):
                pass
        except ValueError as exc:  # no filesystem registered for the scheme
            raise _unusable(shown, exc) from exc
        except Exception as exc:  # storage refused or unreachable: a retry may pass
            raise OSError(
                f"results_path {shown!r} cannot be written ({type(exc).__name__}: {exc}); "
                "nothing was sent"
            ) from exc

    def write(self, result: RecipientResult) -> None:
        """Append one recipient's row (the report's sink: called as each result comes)."""
        row = recipient_row(result, self.include_recipients)
        line = json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n"
        self._spool.write(line.encode())
        self.rows += 1

    def publish(self) -> int:
        """Copy the rows to ``path`` (replacing the probe's empty file); its size in bytes."""
        self._spool.flush()
        self._spool.seek(0)
        with self.path.open("wb") as out:
            shutil.copyfileobj(self._spool, out, _CHUNK)
        self.size = self._spool.tell()
        return self.size

    def close(self) -> None:
        self._spool.close()

    def __enter__(self) -> ResultsFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
