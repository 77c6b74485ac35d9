"""Interactive messages: reply buttons, lists and a call-to-action URL button."""

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, model_validator
from typing_extensions import Self

from .._errors import WhatsAppValidationError
from ..limits import (
    CTA_URL_DISPLAY_TEXT_MAX,
    INTERACTIVE_BODY_TEXT_MAX,
    INTERACTIVE_FOOTER_TEXT_MAX,
    INTERACTIVE_HEADER_TEXT_MAX,
    LIST_BUTTON_TEXT_MAX,
    LIST_ROW_DESCRIPTION_MAX,
    LIST_ROW_ID_MAX,
    LIST_ROW_TITLE_MAX,
    LIST_ROWS_MAX,
    LIST_SECTION_TITLE_MAX,
    LIST_SECTIONS_MAX,
    REPLY_BUTTON_ID_MAX,
    REPLY_BUTTON_TITLE_MAX,
    REPLY_BUTTONS_MAX,
)
from .base import (
    ApiModel,
    DocumentRef,
    HttpUrlStr,
    MediaRef,
    RecipientMessage,
    context_for,
    invalid,
)

__all__ = [
    "CtaUrlAction",
    "CtaUrlInteractive",
    "CtaUrlMessage",
    "CtaUrlParameters",
    "InteractiveBody",
    "InteractiveFooter",
    "InteractiveHeader",
    "ListAction",
    "ListHeader",
    "ListInteractive",
    "ListMessage",
    "ListRow",
    "ListSection",
    "ReplyButton",
    "ReplyButtonReply",
    "ReplyButtonsAction",
    "ReplyButtonsInteractive",
    "ReplyButtonsMessage",
]


def _no_edge_spaces(value: str) -> str:
    if value != value.strip():
        raise invalid("edge_spaces", f"must not start or end with spaces, got {value!r}")
    return value


def _repeated(values: Iterable[str]) -> list[str]:
    return [value for value, count in Counter(values).items() if count > 1]


class InteractiveBody(ApiModel):
    """The message text under the header: required, 1..1024 characters."""

    text: Annotated[str, Field(min_length=1, max_length=INTERACTIVE_BODY_TEXT_MAX)]


class InteractiveFooter(ApiModel):
    """An interactive message's footer text."""

    text: Annotated[str, Field(min_length=1, max_length=INTERACTIVE_FOOTER_TEXT_MAX)]


class InteractiveHeader(ApiModel):
    """A text header (1..60 characters) or a media header (image, video or document)."""

    type: Literal["text", "image", "video", "document"]
    text: Annotated[str, Field(min_length=1, max_length=INTERACTIVE_HEADER_TEXT_MAX)] | None = None
    image: MediaRef | None = None
    video: MediaRef | None = None
    document: DocumentRef | None = None

    @model_validator(mode="after")
    def _content_matches_type(self) -> Self:
        if getattr(self, self.type) is None:
            raise invalid("header_content", f"header of type {self.type!r} needs {self.type!r}")
        others = [
            name
            for name in ("text", "image", "video", "document")
            if name != self.type and getattr(self, name) is not None
        ]
        if others:
            raise invalid(
                "header_content",
                f"header of type {self.type!r} takes no {', '.join(repr(o) for o in others)}",
            )
        return self


HeaderInput = str | InteractiveHeader | Mapping[str, Any] | None


def _header(header: HeaderInput) -> Any:
    return {"type": "text", "text": header} if isinstance(header, str) else header


def _footer(footer: str | None) -> dict[str, str] | None:
    return None if footer is None else {"text": footer}


class ReplyButtonReply(ApiModel):
    """A reply button's id and title."""

    id: Annotated[
        str, Field(min_length=1, max_length=REPLY_BUTTON_ID_MAX), AfterValidator(_no_edge_spaces)
    ]
    title: Annotated[str, Field(min_length=1, max_length=REPLY_BUTTON_TITLE_MAX)]


class ReplyButton(ApiModel):
    """One reply button (``type: reply``)."""

    type: Literal["reply"] = "reply"
    reply: ReplyButtonReply


class ReplyButtonsAction(ApiModel):
    """1..3 buttons; ids and titles unique (the reply webhook names the button by its id)."""

    buttons: Annotated[list[ReplyButton], Field(min_length=1, max_length=REPLY_BUTTONS_MAX)]

    @model_validator(mode="after")
    def _unique_buttons(self) -> Self:
        for key in ("id", "title"):
            repeated = _repeated(getattr(button.reply, key) for button in self.buttons)
            if repeated:
                raise invalid(
                    f"duplicate_button_{key}",
                    f"buttons: each {key} must be unique, {repeated[0]!r} repeats",
                )
        return self


class ReplyButtonsInteractive(ApiModel):
    """The ``interactive`` object of a reply-buttons message."""

    type: Literal["button"] = "button"
    header: InteractiveHeader | None = None
    body: InteractiveBody
    footer: InteractiveFooter | None = None
    action: ReplyButtonsAction


ButtonInput = str | tuple[str, str] | ReplyButton | Mapping[str, Any]


def _reply_button(button: ButtonInput) -> Any:
    if isinstance(button, str):
        return {"reply": {"id": button, "title": button}}
    if isinstance(button, tuple):
        button_id, title = button
        return {"reply": {"id": button_id, "title": title}}
    if isinstance(button, Mapping) and "reply" not in button:
        return {"reply": button}
    return button


class ReplyButtonsMessage(RecipientMessage):
    """Up to three quick-reply buttons under a body text (interactive type ``button``)."""

    type: Literal["interactive"] = "interactive"
    interactive: ReplyButtonsInteractive

    @classmethod
    def create(
        cls,
        to: str | int,
        body: str,
        buttons: Mapping[str, str] | Sequence[ButtonInput],
        header: HeaderInput = None,
        footer: str | None = None,
        reply_to: str | None = None,
    ) -> Self:
        """Reply buttons. ``buttons``: a mapping id -> title, or a list of titles (the id is
        the title), ``(id, title)`` pairs, or button dicts; ``header``: text or a header."""
        items: Iterable[ButtonInput] = (
            list(buttons.items()) if isinstance(buttons, Mapping) else buttons
        )
        interactive = {
            "header": _header(header),
            "body": {"text": body},
            "footer": _footer(footer),
            "action": {"buttons": [_reply_button(button) for button in items]},
        }
        return cls.model_validate(
            {"to": to, "interactive": interactive, "context": context_for(reply_to)}
        )


class ListRow(ApiModel):
    """One row of a list message's section: id, title, optional description."""

    id: Annotated[str, Field(min_length=1, max_length=LIST_ROW_ID_MAX)]
    title: Annotated[str, Field(min_length=1, max_length=LIST_ROW_TITLE_MAX)]
    description: Annotated[str, Field(max_length=LIST_ROW_DESCRIPTION_MAX)] | None = None


class ListSection(ApiModel):
    """A titled group of rows; the title is required once the list has several sections."""

    title: Annotated[str, Field(min_length=1, max_length=LIST_SECTION_TITLE_MAX)] | None = None
    rows: Annotated[list[ListRow], Field(min_length=1, max_length=LIST_ROWS_MAX)]


class ListAction(ApiModel):
    """The list behind a button: 1..10 sections holding at most 10 rows in total."""

    button: Annotated[str, Field(min_length=1, max_length=LIST_BUTTON_TEXT_MAX)]
    sections: Annotated[list[ListSection], Field(min_length=1, max_length=LIST_SECTIONS_MAX)]

    @model_validator(mode="after")
    def _check_rows(self) -> Self:
        rows = [row for section in self.sections for row in section.rows]
        if len(rows) > LIST_ROWS_MAX:
            raise invalid(
                "too_many_rows",
                f"sections: at most {LIST_ROWS_MAX} rows in total across sections, got {len(rows)}",
            )
        repeated = _repeated(row.id for row in rows)
        if repeated:
            raise invalid(
                "duplicate_row_id", f"rows: each id must be unique, {repeated[0]!r} repeats"
            )
        if len(self.sections) > 1:
            untitled = [i for i, section in enumerate(self.sections) if section.title is None]
            if untitled:
                raise invalid(
                    "section_title",
                    f"sections: a title is required when there are several sections; "
                    f"section {untitled[0]} has none",
                )
        return self


class ListHeader(ApiModel):
    """Lists take a text header only."""

    type: Literal["text"] = "text"
    text: Annotated[str, Field(min_length=1, max_length=INTERACTIVE_HEADER_TEXT_MAX)]


class ListInteractive(ApiModel):
    """The ``interactive`` object of a list message."""

    type: Literal["list"] = "list"
    header: ListHeader | None = None
    body: InteractiveBody
    footer: InteractiveFooter | None = None
    action: ListAction


RowInput = ListRow | Mapping[str, Any] | tuple[str, str] | tuple[str, str, str]
SectionInput = ListSection | Mapping[str, Any]


def _row(row: RowInput) -> Any:
    if isinstance(row, tuple):
        if len(row) not in (2, 3):
            raise WhatsAppValidationError(
                f"a list row tuple is (id, title) or (id, title, description), got {row!r}"
            )
        return dict(zip(("id", "title", "description")[: len(row)], row, strict=True))
    return row


def _sections(sections: Mapping[str, Sequence[RowInput]] | Sequence[SectionInput]) -> Any:
    if isinstance(sections, Mapping):
        return [
            {"title": title, "rows": [_row(r) for r in rows]} for title, rows in sections.items()
        ]
    return [
        {**section, "rows": [_row(r) for r in section.get("rows", ())]}
        if isinstance(section, Mapping)
        else section
        for section in sections
    ]


class ListMessage(RecipientMessage):
    """A menu: a button that opens sections of selectable rows (interactive type ``list``)."""

    type: Literal["interactive"] = "interactive"
    interactive: ListInteractive

    @classmethod
    def create(
        cls,
        to: str | int,
        body: str,
        button: str,
        sections: Mapping[str, Sequence[RowInput]] | Sequence[SectionInput],
        header: str | None = None,
        footer: str | None = None,
        reply_to: str | None = None,
    ) -> Self:
        """A list message. ``sections``: a mapping title -> rows, or section dicts/models;
        a row is ``(id, title)``, ``(id, title, description)``, a dict or a ``ListRow``."""
        interactive = {
            "header": None if header is None else {"type": "text", "text": header},
            "body": {"text": body},
            "footer": _footer(footer),
            "action": {"button": button, "sections": _sections(sections)},
        }
        return cls.model_validate(
            {"to": to, "interactive": interactive, "context": context_for(reply_to)}
        )


class CtaUrlParameters(ApiModel):
    """The button of a call-to-action URL message: display text and URL."""

    display_text: Annotated[str, Field(min_length=1, max_length=CTA_URL_DISPLAY_TEXT_MAX)]
    url: HttpUrlStr


class CtaUrlAction(ApiModel):
    """The action of a call-to-action URL message: its button's text and URL."""

    name: Literal["cta_url"] = "cta_url"
    parameters: CtaUrlParameters


class CtaUrlInteractive(ApiModel):
    """The ``interactive`` object of a call-to-action URL message."""

    type: Literal["cta_url"] = "cta_url"
    header: InteractiveHeader | None = None
    body: InteractiveBody
    footer: InteractiveFooter | None = None
    action: CtaUrlAction


class CtaUrlMessage(RecipientMessage):
    """A button that opens a URL, so the link need not show in the text (type ``cta_url``)."""

    type: Literal["interactive"] = "interactive"
    interactive: CtaUrlInteractive

    @classmethod
    def create(
        cls,
        to: str | int,
        body: str,
        display_text: str,
        url: str,
        header: HeaderInput = None,
        footer: str | None = None,
        reply_to: str | None = None,
    ) -> Self:
        """A call-to-action URL button labelled ``display_text`` (1..20 characters)."""
        interactive = {
            "header": _header(header),
            "body": {"text": body},
            "footer": _footer(footer),
            "action": {"parameters": {"display_text": display_text, "url": url}},
        }
        return cls.model_validate(
            {"to": to, "interactive": interactive, "context": context_for(reply_to)}
        )
