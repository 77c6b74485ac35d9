"""``TemplateDefinition``: the create-template request body, validated before Meta sees it.

A template rejected by Meta costs a review cycle and one of the 100 creations an hour, so
every rule that can be checked locally is checked here, with a message naming the field and
the limit. Rules spanning components (one BODY, AUTHENTICATION shape, parameter format...)
live on the definition; per-component limits in ``components.py``.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    ValidationError,
    model_validator,
)
from typing_extensions import Self

from .._errors import WhatsAppValidationError
from ..limits import (
    LANGUAGE_CODE_PATTERN,
    LIMITED_TIME_OFFER_BODY_MAX,
    MESSAGE_SEND_TTL_SECONDS,
    TEMPLATE_NAME_MAX,
    TEMPLATE_NAME_PATTERN,
    TemplateCategory,
)
from ._base import StrictModel, raise_problems, strip_text
from ._text import format_names, is_named, upper
from .buttons import ButtonsComponent
from .components import (
    BodyComponent,
    CarouselComponent,
    Component,
    FooterComponent,
    HeaderComponent,
)
from .sending import template_placeholders


def _check_name(value: str) -> str:
    if len(value) > TEMPLATE_NAME_MAX:
        raise ValueError(f"{len(value)} characters, over the limit of {TEMPLATE_NAME_MAX}")
    if not TEMPLATE_NAME_PATTERN.fullmatch(value):
        raise ValueError(
            f"must match ^{TEMPLATE_NAME_PATTERN.pattern}$ (lower-case letters, digits, underscores)"
        )
    return value


def _normalise_language(value: Any) -> Any:
    """``en-US`` (webhook spelling) becomes ``en_US`` (API spelling)."""
    return value.strip().replace("-", "_") if isinstance(value, str) else value


def _check_language(value: str) -> str:
    if not LANGUAGE_CODE_PATTERN.fullmatch(value):
        raise ValueError("must be a language code such as en, en_US or pt_BR")
    return value


class TemplateDefinition(StrictModel):
    """A message template as sent to ``POST /{waba_id}/message_templates``.

    ``to_payload()`` gives that body. Construct with ``TemplateDefinition.model_validate(data)``
    or ``parse_template_definition(data)`` (which raises ``TemplateDefinitionError`` with one
    readable line per problem).
    """

    model_config = ConfigDict(extra="forbid", defer_build=True)

    name: Annotated[str, BeforeValidator(strip_text), AfterValidator(_check_name)]
    language: Annotated[str, BeforeValidator(_normalise_language), AfterValidator(_check_language)]
    category: Annotated[TemplateCategory, BeforeValidator(upper)]
    parameter_format: Annotated[Literal["POSITIONAL", "NAMED"], BeforeValidator(upper)] | None = (
        None
    )
    sub_category: (
        Annotated[
            Literal["ORDER_DETAILS", "ORDER_STATUS", "RICH_ORDER_STATUS"], BeforeValidator(upper)
        ]
        | None
    ) = None
    message_send_ttl_seconds: int | None = None
    # Meta stopped honouring this on 2025-04-09 (category changes became the default); it is
    # accepted so that older files still load, and sent as written.
    allow_category_change: bool | None = None
    cta_url_link_tracking_opted_out: bool | None = None
    components: list[Component]

    @property
    def key(self) -> tuple[str, str]:
        """``(name, language)``: what identifies a template on an account."""
        return self.name, self.language

    def component(self, component_type: str) -> Any:
        """The first component of that type (HEADER, BODY...), or None."""
        return next((c for c in self.components if c.type == component_type.upper()), None)

    def to_payload(self) -> dict[str, Any]:
        """The JSON body of the create-template call (no None values)."""
        return self.model_dump(mode="json", exclude_none=True)

    def placeholders(self) -> dict[str, list[str]]:
        """What a send of this template must fill in: see ``template_placeholders``."""
        return template_placeholders(self.to_payload())

    @model_validator(mode="after")
    def _check_template(self) -> Self:
        problems = self._component_count_problems()
        if not problems:
            if self.category == "AUTHENTICATION":
                problems += self._authentication_problems()
            else:
                problems += self._content_problems()
            problems += self._layout_problems()
            problems += self._parameter_format_problems()
        problems += self._ttl_problems()
        raise_problems(problems)
        return self

    def _component_count_problems(self) -> list[str]:
        counts = Counter(c.type for c in self.components)
        problems = [
            f"components: {count} {component_type} components, a template takes at most 1"
            for component_type, count in counts.items()
            if count > 1 and component_type != "BODY"
        ]
        if counts["BODY"] != 1:
            problems.append(
                f"components: a template needs exactly 1 BODY component, got {counts['BODY']}"
            )
        return problems

    def _where(self, component_type: str) -> str:
        """``components[2](BODY)``: the field path of the first component of that type."""
        for index, component in enumerate(self.components):
            if component.type == component_type:
                return f"components[{index}]({component_type})"
        return "components"

    def _authentication_problems(self) -> list[str]:
        problems = [
            f"components[{i}]({c.type}): AUTHENTICATION templates take no {c.type} component"
            for i, c in enumerate(self.components)
            if c.type not in ("BODY", "FOOTER", "BUTTONS")
        ]
        body: BodyComponent = self.component("BODY")
        if body.text is not None:
            problems.append(
                f"{self._where('BODY')}.text: is preset by WhatsApp in AUTHENTICATION "
                "templates: remove it "
                "(add_security_recommendation adds the security sentence)"
            )
        footer: FooterComponent | None = self.component("FOOTER")
        if footer is not None and footer.text is not None:
            problems.append(
                f"{self._where('FOOTER')}.text: is preset in AUTHENTICATION templates: "
                "set code_expiration_minutes"
            )
        buttons: ButtonsComponent | None = self.component("BUTTONS")
        types = [b.type for b in buttons.buttons] if buttons else []
        if types != ["OTP"]:
            problems.append(
                f"{self._where('BUTTONS')}: AUTHENTICATION templates need BUTTONS with exactly "
                f"one OTP button, got {types}"
            )
        return problems

    def _content_problems(self) -> list[str]:
        problems = []
        body: BodyComponent = self.component("BODY")
        where_body, where_footer = self._where("BODY"), self._where("FOOTER")
        if body.text is None:
            problems.append(f"{where_body}.text: BODY needs text")
        if body.add_security_recommendation is not None:
            problems.append(
                f"{where_body}.add_security_recommendation: BODY add_security_recommendation "
                "is for AUTHENTICATION templates"
            )
        footer: FooterComponent | None = self.component("FOOTER")
        if footer is not None and footer.text is None:
            problems.append(f"{where_footer}.text: FOOTER needs text")
        if footer is not None and footer.code_expiration_minutes is not None:
            problems.append(
                f"{where_footer}.code_expiration_minutes: FOOTER code_expiration_minutes is "
                "for AUTHENTICATION templates"
            )
        buttons: ButtonsComponent | None = self.component("BUTTONS")
        if buttons is not None and any(b.type == "OTP" for b in buttons.buttons):
            problems.append(
                f"{self._where('BUTTONS')}: OTP buttons are for AUTHENTICATION templates"
            )
        return problems

    def _layout_problems(self) -> list[str]:
        problems = []
        if self.component("CAROUSEL") is not None:
            problems += [
                f"{self._where(t)}: a CAROUSEL template takes no top-level {t}: "
                "each card has its own"
                for t in ("HEADER", "BUTTONS")
                if self.component(t) is not None
            ]
        if self.component("LIMITED_TIME_OFFER") is not None:
            if self.category != "MARKETING":
                problems.append("category: LIMITED_TIME_OFFER templates must be MARKETING")
            if self.component("FOOTER") is not None:
                problems.append(
                    f"{self._where('FOOTER')}: LIMITED_TIME_OFFER templates take no FOOTER"
                )
            body: BodyComponent = self.component("BODY")
            if body.text and len(body.text) > LIMITED_TIME_OFFER_BODY_MAX:
                problems.append(
                    f"{self._where('BODY')}.text: {len(body.text)} characters, over the "
                    f"limited-time-offer limit of {LIMITED_TIME_OFFER_BODY_MAX}"
                )
        return problems

    def _parameter_format_problems(self) -> list[str]:
        texts: list[tuple[str, list[str]]] = []  # (field, placeholder names)
        for i, component in enumerate(self.components):
            field = f"components[{i}]({component.type})"
            if isinstance(component, HeaderComponent | BodyComponent):
                texts.append((f"{field}.text", component.placeholders))
            elif isinstance(component, CarouselComponent):
                for index, card in enumerate(component.cards):
                    for k, part in enumerate(card.components):
                        if isinstance(part, BodyComponent):
                            where = f"{field}.cards[{index}].components[{k}](BODY).text"
                            texts.append((where, part.placeholders))
        named = self.parameter_format == "NAMED"
        problems = []
        for field, names in texts:
            if names and is_named(names) and not named:
                problems.append(
                    f"{field}: has named placeholders {format_names(names)}: "
                    "set parameter_format: NAMED"
                )
            if names and not is_named(names) and named:
                problems.append(
                    f"{field}: has {format_names(names)} but parameter_format is "
                    "NAMED: use {{name}} placeholders"
                )
        return problems

    def _ttl_problems(self) -> list[str]:
        if self.message_send_ttl_seconds is None:
            return []
        low, high = MESSAGE_SEND_TTL_SECONDS[self.category]
        if low <= self.message_send_ttl_seconds <= high:
            return []
        return [
            f"message_send_ttl_seconds: {self.message_send_ttl_seconds} is outside "
            f"{low}..{high}, the range of {self.category} templates"
        ]


class TemplateDefinitionError(WhatsAppValidationError):
    """A definition Meta would reject.

    ``issues`` holds one ``(field, message)`` per problem (field ``""`` when the problem is
    the whole document); ``problems`` the same as readable ``field: message`` lines.
    """

    def __init__(self, template_name: str | None, issues: list[tuple[str, str]]) -> None:
        self.template_name = template_name
        self.issues = issues
        self.problems = [f"{where}: {message}" if where else message for where, message in issues]
        label = f"template '{template_name}'" if template_name else "template"
        super().__init__(f"{label}: " + "; ".join(self.problems))


def _format_location(location: tuple[int | str, ...]) -> str:
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part.isupper() or part == "UNCHECKED":
            text += f"({part})"  # a discriminator tag: the component or button type
        else:
            text += f".{part}" if text else part
    return text


# A field path as _format_location writes it: ``components[2](BUTTONS).buttons[0](URL).text``.
_FIELD_RE = re.compile(r"([a-z_]+(\[\d+\]|\([A-Z_]+\)|\.[a-z_]+)*): (.*)\Z", re.S)


def validation_issues(error: ValidationError) -> list[tuple[str, str]]:
    """``(field, message)`` per problem, the field a path such as ``components[1](FOOTER).text``.

    Rules spanning components (checked on the whole definition) name their field at the
    start of their message, which is split off here.
    """
    issues = []
    for item in error.errors(include_url=False):
        where = _format_location(tuple(item["loc"]))
        message = item["msg"].removeprefix("Value error, ")
        for line in message.split("\n"):
            found = None if where else _FIELD_RE.match(line)
            issues.append((found.group(1), found.group(3)) if found else (where, line))
    return issues


def describe_validation_error(error: ValidationError) -> list[str]:
    """One line per problem: ``components[2](BUTTONS).buttons[0](URL).text: 26 characters...``."""
    return [
        f"{where}: {message}" if where else message for where, message in validation_issues(error)
    ]


def parse_template_definition(data: Any) -> TemplateDefinition:
    """Validate one definition; raise ``TemplateDefinitionError`` listing every problem."""
    if isinstance(data, TemplateDefinition):
        return data
    try:
        return TemplateDefinition.model_validate(data)
    except ValidationError as error:
        name = data.get("name") if isinstance(data, dict) else None
        raise TemplateDefinitionError(
            name if isinstance(name, str) else None, validation_issues(error)
        ) from None
