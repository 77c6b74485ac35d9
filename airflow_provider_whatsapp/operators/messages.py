"""Operators that send one message: any type, text, template, media."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..version_compat import AirflowFailException
from ._base import WhatsAppBaseOperator

if TYPE_CHECKING:
    from ..messages import Message


def send_result(message: Message, answer: dict[str, Any]) -> dict[str, Any]:
    """The small, JSON-safe record pushed to XCom for one sent message."""
    contact = (answer.get("contacts") or [{}])[0]
    sent = (answer.get("messages") or [{}])[0]
    result = {
        "to": getattr(message, "to", None),
        "wa_id": contact.get("wa_id"),
        "message_id": sent.get("id"),
        "message_status": sent.get("message_status", "accepted"),
    }
    if contact.get("user_id"):  # sent to a business-scoped user id: no wa_id, its user_id
        result["user_id"] = contact["user_id"]
    return result


class _SendOperator(WhatsAppBaseOperator):
    """Build a message from the rendered arguments, check it, send it, return the result."""

    def build_message(self, context: Any) -> Message:
        """The message model to send, built from the rendered arguments."""
        raise NotImplementedError

    def preflight(self, message: Message) -> None:
        """Checks that need the API but not the messages endpoint (templates)."""

    def run(self, context: Any) -> dict[str, Any]:
        message = self.build_message(context)
        self.preflight(message)
        answer = self.hook.client.send_message(message)
        result = send_result(message, answer)
        from ..messages.phone import mask_phone  # the number is personal data: masked

        to = getattr(message, "to", None)
        self.log.info(
            "Sent %s message to %s: %s",
            getattr(message, "type", "a"),
            mask_phone(to) if to else None,
            result["message_id"],
        )
        return result


class WhatsAppSendMessageOperator(_SendOperator):
    """Send any message: a model, an API-shaped dict, or a ``.json`` file holding one.

    The dict is validated into its model before anything is sent; a ``.json`` path is
    read (and Jinja-rendered) from the DAG folder or ``template_searchpath``. A template
    message gets the same pre-flight as :class:`WhatsAppSendTemplateOperator`.

    :param message: a message model, a dict in the API's shape, or a ``.json`` file path.
    :param validate_template: check a template message against the approved template.
    """

    template_fields: Sequence[str] = (*WhatsAppBaseOperator.template_fields, "message")
    template_ext: Sequence[str] = (".json",)

    _rendering_nested = False

    def __init__(self, *, message: Any, validate_template: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.message = message
        self.validate_template = validate_template

    def render_template(
        self, content: Any, context: Any, jinja_env: Any = None, seen_oids: Any = None
    ) -> Any:
        """Only ``message`` itself may be a ``.json`` path: Airflow applies ``template_ext``
        to nested strings too, so a dict's text ending in ".json" would be read as a file."""
        if not isinstance(content, str):
            outer, self._rendering_nested = self._rendering_nested, True
            try:
                return super().render_template(content, context, jinja_env, seen_oids)
            finally:
                self._rendering_nested = outer
        if self._rendering_nested and content.endswith(tuple(self.template_ext)):
            env = jinja_env or self.get_template_env()
            return self._render(env.from_string(content), context)
        return super().render_template(content, context, jinja_env, seen_oids)

    def build_message(self, context: Any) -> Message:
        """The message model to send, built from the rendered arguments."""
        from ..messages import parse_message

        message = self.message
        if isinstance(message, str):
            try:
                message = json.loads(message)
            except ValueError as exc:
                raise AirflowFailException(f"message is not valid JSON: {exc}") from exc
        return parse_message(message)

    def preflight(self, message: Message) -> None:
        if self.validate_template and getattr(message, "type", None) == "template":
            check_template(self, message.to_payload()["template"], getattr(message, "to", None))


class WhatsAppSendTextOperator(_SendOperator):
    """Send free-form text.

    Free-form text only reaches someone who wrote to the business in the last 24 hours
    (error 131047 otherwise): to start a conversation, send a template.

    :param to: recipient phone number, international format, or business-scoped user id
        (``US.13491208655302741918``) (templated).
    :param text: the message, up to 4096 characters (templated).
    :param preview_url: show a preview of the first URL in the text.
    :param reply_to: a message id (wamid) to reply to.
    """

    template_fields: Sequence[str] = (
        *WhatsAppBaseOperator.template_fields,
        "to",
        "text",
        "reply_to",
    )

    def __init__(
        self,
        *,
        to: str,
        text: str,
        preview_url: bool = False,
        reply_to: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.to = to
        self.text = text
        self.preview_url = preview_url
        self.reply_to = reply_to

    def build_message(self, context: Any) -> Message:
        """The message model to send, built from the rendered arguments."""
        from ..messages import TextMessage

        return TextMessage.create(
            self.to, self.text, preview_url=self.preview_url, reply_to=self.reply_to or None
        )


class WhatsAppSendTemplateOperator(_SendOperator):
    """Send an approved template: the way to reach people outside the 24-hour window.

    Before sending, the template is fetched once (cached per hook) and checked: it must
    exist in ``language``, be APPROVED, and the parameters must fill its placeholders
    exactly; otherwise the task fails saying what the template expects, without
    touching the messages endpoint. ``validate_template=False`` skips that check.

    :param to: recipient phone number or business-scoped user id (templated).
    :param template_name: the template's name (templated).
    :param language: its language code, e.g. ``en_US`` (templated).
    :param parameters: list = positional body parameters, dict = named (templated).
    :param components: full send components (header, body, buttons) instead of parameters.
    :param validate_template: look the template up before sending (False: skip it).
    """

    template_fields: Sequence[str] = (
        *WhatsAppBaseOperator.template_fields,
        "to",
        "template_name",
        "language",
        "parameters",
        "components",
    )

    def __init__(
        self,
        *,
        to: str,
        template_name: str,
        language: str = "en_US",
        parameters: list[Any] | dict[str, Any] | None = None,
        components: list[dict[str, Any]] | None = None,
        validate_template: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.to = to
        self.template_name = template_name
        self.language = language
        self.parameters = parameters
        self.components = components
        self.validate_template = validate_template

    def build_message(self, context: Any) -> Message:
        """The message model to send, built from the rendered arguments."""
        from ..messages import TemplateMessage

        return TemplateMessage.create(
            self.to,
            self.template_name,
            self.language,
            parameters=self.parameters,
            components=self.components,
        )

    def preflight(self, message: Message) -> None:
        if not self.validate_template:
            return
        check_template(self, message.to_payload()["template"], getattr(message, "to", None))


def check_template(
    operator: WhatsAppBaseOperator, template_payload: dict[str, Any], to: str | None = None
) -> None:
    """Fail (no retry) unless the template exists, is approved, fits the parameters and
    may go to ``to`` (an authentication template needs a phone number)."""
    from ..message_templates.sending import check_send_components, check_template_recipient

    template = sendable_template(
        operator, template_payload["name"], template_payload["language"]["code"]
    )
    try:
        if to is not None:
            check_template_recipient(template, to)
        check_send_components(template, template_payload.get("components") or [])
    except ValueError as exc:
        raise AirflowFailException(str(exc)) from exc


def sendable_template(operator: WhatsAppBaseOperator, name: str, language: str) -> dict[str, Any]:
    """The template as the API lists it, once it is known to be sendable: fail (no
    retry) unless it exists in ``language`` (naming the languages it has) and is
    APPROVED. The pre-flight of single and bulk template sends."""
    from ..message_templates.sending import check_template_usable

    template = operator.template_for_send(name, language)
    if template is None:
        others = [
            t.get("language")
            for t in operator.hook.client.list_templates(name=name)
            if t.get("name") == name
        ]
        found = f" (it exists in: {', '.join(sorted(map(str, others)))})" if others else ""
        raise AirflowFailException(
            f"template {name!r} does not exist in language {language!r}{found}: "
            "create it (WhatsAppCreateTemplateOperator) or fix template_name/language"
        )
    try:
        check_template_usable(template)
    except ValueError as exc:
        raise AirflowFailException(str(exc)) from exc
    return template


class WhatsAppSendMediaOperator(_SendOperator):
    """Send an image, video, audio, document or sticker.

    ``media`` is an https URL, an uploaded media id, or a local file path, which is
    uploaded first (mime type from the file name, else its first bytes, as
    ``WhatsAppUploadMediaOperator`` does; size checked against WhatsApp's limits before
    the upload).

    :param to: recipient phone number or business-scoped user id (templated).
    :param media_type: image, video, audio, document or sticker.
    :param media: https URL, media id, or local path (templated).
    :param caption: for image, video and document (templated).
    :param filename: shown for documents (templated).
    :param mime_type: override the mime type guessed for a local file (templated).
    """

    template_fields: Sequence[str] = (
        *WhatsAppBaseOperator.template_fields,
        "to",
        "media_type",
        "media",
        "caption",
        "filename",
        "mime_type",
    )

    def __init__(
        self,
        *,
        to: str,
        media_type: str,
        media: str,
        caption: str | None = None,
        filename: str | None = None,
        mime_type: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.to = to
        self.media_type = media_type
        self.media = media
        self.caption = caption
        self.filename = filename
        self.mime_type = mime_type

    def build_message(self, context: Any) -> Message:
        """The message model to send, built from the rendered arguments."""
        from .._airflow import resolve_local_path
        from ..messages import media_message

        media = str(self.media)
        path = resolve_local_path(media, context)  # relative: beside the DAG file
        is_local = "://" not in media and not media.isdigit() and path.is_file()
        if is_local:
            filename = self.filename or (path.name if self.media_type == "document" else None)
            # The message checked before the upload, all but the media id the upload gives.
            check_media_message(self.media_type, self.to, caption=self.caption, filename=filename)
            media = upload_checked(self.hook, path, self.media_type, self.mime_type, self.log)
            return media_message(
                self.media_type, self.to, media, caption=self.caption, filename=filename
            )
        return media_message(
            self.media_type, self.to, media, caption=self.caption, filename=self.filename
        )


def check_media_message(
    media_type: str, to: str, *, caption: str | None, filename: str | None
) -> None:
    """Every rule of a media message but those of its media (not uploaded yet)."""
    from ..messages.media_files import MEDIA_TYPES, MediaValidationError
    from ._shape import check_message_without

    kind = media_type.strip().lower() if isinstance(media_type, str) else ""
    if kind not in MEDIA_TYPES:
        allowed = ", ".join(MEDIA_TYPES)
        raise MediaValidationError(f"media_type must be one of {allowed}, got {media_type!r}")
    media = {key: value for key, value in (("caption", caption), ("filename", filename)) if value}
    check_message_without({"to": to, "type": kind, kind: media}, kind, "media_source")


def upload_checked(
    hook: Any, path: Path, media_type: str | None, mime_type: str | None, log: Any
) -> str:
    """Check a local file against the media limits, upload it, return its media id."""
    from ..messages.media_files import check_media_file

    kind, mime, _ = check_media_file(path, media_type or None, mime_type or None)
    media_id: str = hook.client.upload_media(path, mime)
    log.info("Uploaded %s (%s, %s) as media %s", path.name, kind, mime, media_id)
    return media_id
