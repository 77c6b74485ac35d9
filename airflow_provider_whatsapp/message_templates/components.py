"""One pydantic model per template component; the limits come from the rule book, ``limits.py``.

The shape is Meta's create-template request body. Enumerations (``type``, ``format``,
``otp_type``...) are accepted in any case and written upper-case. Every text field is stripped
at both ends before its limit is checked (a YAML ``|`` block ends with a newline).

Checked here, component by component (buttons in ``buttons.py``); rules that span components
live in ``definition.py``.
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)
from typing_extensions import Self

from ..limits import (
    CAROUSEL_CARD_BODY_MAX,
    CAROUSEL_CARD_BUTTONS_MAX,
    CAROUSEL_CARDS_MAX,
    CODE_EXPIRATION_MINUTES_MAX,
    CODE_EXPIRATION_MINUTES_MIN,
    LIMITED_TIME_OFFER_TEXT_MAX,
    TEMPLATE_BODY_TEXT_MAX,
    TEMPLATE_FOOTER_TEXT_MAX,
    TEMPLATE_HEADER_PLACEHOLDERS_MAX,
    TEMPLATE_HEADER_TEXT_MAX,
)
from ._base import StrictModel, max_chars, raise_problems, strip_text, type_tag
from ._text import format_names, is_named, placeholder_names, placeholder_problems, upper
from .buttons import ButtonsComponent

MEDIA_HEADER_FORMATS = ("IMAGE", "VIDEO", "DOCUMENT", "GIF")
CAROUSEL_HEADER_FORMATS = ("IMAGE", "VIDEO", "PRODUCT")

HeaderText = Annotated[
    str, BeforeValidator(strip_text), AfterValidator(max_chars(TEMPLATE_HEADER_TEXT_MAX))
]
BodyText = Annotated[
    str, BeforeValidator(strip_text), AfterValidator(max_chars(TEMPLATE_BODY_TEXT_MAX))
]
FooterText = Annotated[
    str, BeforeValidator(strip_text), AfterValidator(max_chars(TEMPLATE_FOOTER_TEXT_MAX))
]
OfferText = Annotated[
    str, BeforeValidator(strip_text), AfterValidator(max_chars(LIMITED_TIME_OFFER_TEXT_MAX))
]


def _example_problems(
    names: list[str],
    rows: list[list[str]] | None,
    named: list[NamedParamExample] | None,
    *,
    positional_key: str,
    named_key: str,
) -> list[str]:
    """Meta needs one sample value per placeholder, under the key matching the style."""
    if not names:
        if rows or named:
            return ["example is given but the text has no placeholders: remove it"]
        return []
    expected = format_names(names)
    if is_named(names):
        if rows:
            return [f"example.{positional_key} is for {{{{1}}}}-style text: use {named_key}"]
        if not named:
            return [f"example.{named_key} is required for {expected}"]
        given = [example.param_name for example in named]
        problems = []
        duplicated = sorted(name for name, n in Counter(given).items() if n > 1)
        missing = [name for name in names if name not in given]
        unknown = [name for name in dict.fromkeys(given) if name not in names]
        if duplicated:
            problems.append(f"example.{named_key} repeats {format_names(duplicated)}")
        if missing:
            problems.append(f"example.{named_key} is missing {format_names(missing)}")
        if unknown:
            problems.append(f"example.{named_key} has {format_names(unknown)}, not in the text")
        return problems
    if named:
        return [f"example.{named_key} is for named placeholders: use {positional_key}"]
    if not rows:
        return [f"example.{positional_key} is required: {len(names)} value(s) for {expected}"]
    for row in rows:
        if len(row) != len(names):
            return [
                f"example.{positional_key} has {len(row)} value(s), "
                f"the text has {len(names)} placeholder(s) {expected}"
            ]
        if any(not str(value).strip() for value in row):
            return [f"example.{positional_key} values must not be empty"]
    return []


class NamedParamExample(StrictModel):
    """Sample value of a named placeholder (``{"param_name": "first_name", "example": "Ana"}``)."""

    param_name: str
    example: Annotated[str, AfterValidator(max_chars(TEMPLATE_BODY_TEXT_MAX))]


# --- HEADER ---------------------------------------------------------------------------------


class HeaderExample(StrictModel):
    """An example of the header's placeholder or media (Meta reviews it)."""

    header_text: list[str] | None = None
    header_text_named_params: list[NamedParamExample] | None = None
    header_handle: list[str] | None = None


class HeaderComponent(StrictModel):
    """TEXT (<= 60 chars, <= 1 placeholder), a media sample handle, LOCATION or PRODUCT."""

    type: Annotated[Literal["HEADER"], BeforeValidator(upper)] = "HEADER"
    format: Annotated[
        Literal["TEXT", "IMAGE", "VIDEO", "DOCUMENT", "GIF", "LOCATION", "PRODUCT"],
        BeforeValidator(upper),
    ]
    text: HeaderText | None = None
    example: HeaderExample | None = None

    @property
    def placeholders(self) -> list[str]:
        """The placeholders (``{{1}}``, ``{{name}}``) its text uses, in order."""
        return placeholder_names(self.text) if self.format == "TEXT" else []

    @model_validator(mode="after")
    def _check_format(self) -> Self:
        example = self.example or HeaderExample()
        problems: list[str] = []
        if self.format == "TEXT":
            if self.text is None:
                raise ValueError("format TEXT needs text")
            problems += [f"text {p}" for p in placeholder_problems(self.text)]
            names = self.placeholders
            if len(names) > TEMPLATE_HEADER_PLACEHOLDERS_MAX:
                problems.append(
                    f"text has {len(names)} placeholders, over the limit of "
                    f"{TEMPLATE_HEADER_PLACEHOLDERS_MAX}"
                )
            elif not problems:
                rows = [example.header_text] if example.header_text is not None else None
                problems += _example_problems(
                    names,
                    rows,
                    example.header_text_named_params,
                    positional_key="header_text",
                    named_key="header_text_named_params",
                )
            if example.header_handle:
                problems.append("example.header_handle is for media headers, not TEXT")
        else:
            if self.text is not None:
                problems.append(f"format {self.format} takes no text")
            if example.header_text or example.header_text_named_params:
                problems.append(f"format {self.format} takes no example.header_text")
            if self.format in MEDIA_HEADER_FORMATS and not example.header_handle:
                problems.append(
                    f"format {self.format} needs example.header_handle "
                    "(a sample uploaded through the resumable upload API)"
                )
            if self.format not in MEDIA_HEADER_FORMATS and example.header_handle:
                problems.append(f"format {self.format} takes no example.header_handle")
        raise_problems(problems)
        return self


# --- BODY and FOOTER ------------------------------------------------------------------------


class BodyExample(StrictModel):
    """Example values of the body's placeholders (Meta reviews them)."""

    body_text: list[list[str]] | None = None
    body_text_named_params: list[NamedParamExample] | None = None


class BodyComponent(StrictModel):
    """Text <= 1024 chars with ``{{1}}``.. or ``{{name}}`` placeholders, each with an example.

    AUTHENTICATION bodies have no text (WhatsApp presets it) and may set
    ``add_security_recommendation``.
    """

    type: Annotated[Literal["BODY"], BeforeValidator(upper)] = "BODY"
    text: BodyText | None = None
    example: BodyExample | None = None
    add_security_recommendation: bool | None = None

    @property
    def placeholders(self) -> list[str]:
        """The placeholders (``{{1}}``, ``{{name}}``) its text uses, in order."""
        return placeholder_names(self.text)

    @model_validator(mode="after")
    def _check_placeholders(self) -> Self:
        example = self.example or BodyExample()
        if self.text is None:
            if self.example is not None:
                raise ValueError("example is given but there is no text")
            return self
        problems = [f"text {p}" for p in placeholder_problems(self.text, edges_matter=True)]
        if not problems:
            problems = _example_problems(
                self.placeholders,
                example.body_text,
                example.body_text_named_params,
                positional_key="body_text",
                named_key="body_text_named_params",
            )
        raise_problems(problems)
        return self


class FooterComponent(StrictModel):
    """Text <= 60 chars without placeholders; AUTHENTICATION footers set only the code expiry."""

    type: Annotated[Literal["FOOTER"], BeforeValidator(upper)] = "FOOTER"
    text: FooterText | None = None
    code_expiration_minutes: (
        Annotated[int, Field(ge=CODE_EXPIRATION_MINUTES_MIN, le=CODE_EXPIRATION_MINUTES_MAX)] | None
    ) = None

    @model_validator(mode="after")
    def _no_placeholders(self) -> Self:
        if self.text is not None and placeholder_names(self.text):
            raise ValueError("text takes no placeholders")
        return self


# --- CAROUSEL and LIMITED_TIME_OFFER --------------------------------------------------------

CardComponent = Annotated[
    Annotated[HeaderComponent, Tag("HEADER")]
    | Annotated[BodyComponent, Tag("BODY")]
    | Annotated[ButtonsComponent, Tag("BUTTONS")],
    Discriminator(
        type_tag,
        custom_error_type="card_component_type",
        custom_error_message="a carousel card holds only HEADER, BODY and BUTTONS components",
    ),
]


class CarouselCard(StrictModel):
    """One HEADER (IMAGE, VIDEO or PRODUCT), an optional BODY <= 160 chars, 1..2 buttons."""

    components: list[CardComponent]

    def component(self, component_type: str) -> Any:
        """The card's component of this type (``HEADER``, ``BODY``...), or ``None``."""
        return next((c for c in self.components if c.type == component_type), None)

    @model_validator(mode="after")
    def _check_card(self) -> Self:
        problems = []
        counts = Counter(c.type for c in self.components)
        for component_type, count in counts.items():
            if count > 1:
                problems.append(f"{count} {component_type} components, a card takes 1")
        header = self.component("HEADER")
        if header is None or header.format not in CAROUSEL_HEADER_FORMATS:
            problems.append("a card needs a HEADER of format IMAGE, VIDEO or PRODUCT")
        body = self.component("BODY")
        if body is not None and body.text and len(body.text) > CAROUSEL_CARD_BODY_MAX:
            problems.append(
                f"BODY text: {len(body.text)} characters, over the card limit of "
                f"{CAROUSEL_CARD_BODY_MAX}"
            )
        buttons = self.component("BUTTONS")
        if buttons is None:
            problems.append("a card needs a BUTTONS component (1 or 2 buttons)")
        elif len(buttons.buttons) > CAROUSEL_CARD_BUTTONS_MAX:
            problems.append(
                f"{len(buttons.buttons)} buttons, over the card limit of "
                f"{CAROUSEL_CARD_BUTTONS_MAX}"
            )
        raise_problems(problems)
        return self


class CarouselComponent(StrictModel):
    """1..10 cards; every card has the same header format and the same buttons."""

    type: Annotated[Literal["CAROUSEL"], BeforeValidator(upper)] = "CAROUSEL"
    cards: list[CarouselCard]

    @model_validator(mode="after")
    def _check_cards(self) -> Self:
        problems = []
        if not self.cards:
            problems.append("cards must hold at least 1 card")
        if len(self.cards) > CAROUSEL_CARDS_MAX:
            problems.append(f"{len(self.cards)} cards, over the limit of {CAROUSEL_CARDS_MAX}")
        formats = {card.component("HEADER").format for card in self.cards}
        if len(formats) > 1:
            problems.append(f"all cards need the same header format, got {sorted(formats)}")
        layouts = {tuple(b.type for b in card.component("BUTTONS").buttons) for card in self.cards}
        if len(layouts) > 1:
            problems.append("all cards need the same number and types of buttons")
        raise_problems(problems)
        return self


class LimitedTimeOffer(StrictModel):
    """A ``LIMITED_TIME_OFFER`` component: the offer's text and whether it expires."""

    text: OfferText
    has_expiration: bool | None = None


class LimitedTimeOfferComponent(StrictModel):
    """Offer headline <= 16 chars; MARKETING only, no FOOTER (checked by the definition)."""

    type: Annotated[Literal["LIMITED_TIME_OFFER"], BeforeValidator(upper)] = "LIMITED_TIME_OFFER"
    limited_time_offer: LimitedTimeOffer


UNCHECKED_COMPONENT_TYPES = ("CALL_PERMISSION_REQUEST", "TAP_TARGET_CONFIGURATION")


class UncheckedComponent(BaseModel):
    """Component types accepted as written: only ``type`` is checked, other keys pass through."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    type: Annotated[
        Literal["CALL_PERMISSION_REQUEST", "TAP_TARGET_CONFIGURATION"], BeforeValidator(upper)
    ]


COMPONENT_TYPES = (
    "HEADER",
    "BODY",
    "FOOTER",
    "BUTTONS",
    "CAROUSEL",
    "LIMITED_TIME_OFFER",
    *UNCHECKED_COMPONENT_TYPES,
)


def _component_tag(value: Any) -> str | None:
    tag = type_tag(value)
    return "UNCHECKED" if tag in UNCHECKED_COMPONENT_TYPES else tag


Component = Annotated[
    Annotated[HeaderComponent, Tag("HEADER")]
    | Annotated[BodyComponent, Tag("BODY")]
    | Annotated[FooterComponent, Tag("FOOTER")]
    | Annotated[ButtonsComponent, Tag("BUTTONS")]
    | Annotated[CarouselComponent, Tag("CAROUSEL")]
    | Annotated[LimitedTimeOfferComponent, Tag("LIMITED_TIME_OFFER")]
    | Annotated[UncheckedComponent, Tag("UNCHECKED")],
    Discriminator(
        _component_tag,
        custom_error_type="component_type",
        custom_error_message="component type missing or unknown: use one of "
        + ", ".join(COMPONENT_TYPES),
    ),
]
