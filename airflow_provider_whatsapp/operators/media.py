"""Operators that upload and delete media (images, documents, audio, video, stickers).

An uploaded media id can be sent for 30 days, so a DAG can upload once and send many times.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from .._airflow import resolve_local_path
from .._errors import WhatsAppValidationError
from ._base import WhatsAppBaseOperator


class WhatsAppUploadMediaOperator(WhatsAppBaseOperator):
    """Upload a local file; returns its media id (valid 30 days) to XCom.

    The file is checked against WhatsApp's rules for its media type (accepted mime types,
    size limit) before anything is sent, so a file WhatsApp would refuse fails the task
    at once instead of after the upload.

    :param path: local file; relative paths are tried as given, then beside the DAG file
        (templated).
    :param mime_type: its mime type; default: from the extension, else from its first
        bytes (templated).
    :param media_type: image, video, audio, document or sticker, whose limits apply;
        default: the type the mime type is sent as (templated).
    """

    template_fields: Sequence[str] = (
        *WhatsAppBaseOperator.template_fields,
        "path",
        "mime_type",
        "media_type",
    )

    def __init__(
        self,
        *,
        path: str | os.PathLike[str],
        mime_type: str | None = None,
        media_type: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.path = path
        self.mime_type = mime_type
        self.media_type = media_type

    def run(self, context: Any) -> str:
        from ..messages.media_files import check_media_file

        path = resolve_local_path(self.path, context)
        kind, mime, size = check_media_file(path, self.media_type or None, self.mime_type or None)
        media_id: str = self.hook.client.upload_media(path, mime)
        self.log.info(
            "Uploaded %s (%s, %s, %d bytes) as media %s", path, kind, mime, size, media_id
        )
        return media_id


class WhatsAppDeleteMediaOperator(WhatsAppBaseOperator):
    """Delete uploaded media before its 30 days run out (e.g. a report sent once).

    :param media_id: the id returned by the upload (templated).
    """

    template_fields: Sequence[str] = (*WhatsAppBaseOperator.template_fields, "media_id")

    def __init__(self, *, media_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.media_id = media_id

    def run(self, context: Any) -> dict[str, Any]:
        media_id = str(self.media_id).strip()
        if not media_id:
            raise WhatsAppValidationError("media_id is empty")
        answer = self.hook.client.delete_media(media_id)
        self.log.info("Deleted media %s", media_id)
        return {"id": media_id, "deleted": bool(answer.get("success", True))}
