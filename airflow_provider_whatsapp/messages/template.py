"""Template messages: the only kind a business may send outside the 24-hour window."""

from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, model_validator
from typing_extensions import Self

from .._errors import WhatsAppValidationError
from ..limits import (
    COUPON_CODE_MAX,
    CURRENCY_CODE_PATTERN,
    LANGUAGE_CODE_PATTERN,
    NAMED_PLACEHOLDER_PATTERN,
    TEMPLATE_BUTTONS_MAX,
    TEMPLATE_HEADER_TEXT_MAX,
    TEMPLATE_NAME_MAX,
    TEMPLATE_NAME_PATTERN,
    TEMPLATE_TEXT_PARAMETER_MAX,
)
from .base import (
    ApiModel,
    DocumentRef,
    MediaRef,
    NonEmptyStr,
    RecipientMessage,
    context_for,
    full_match,
    invalid,
)
from .basic import Location

__all__ = [
    "ActionParameter",
    "BodyParameters",
    "ButtonParameters",
    "ComponentParameters",
    "CouponCodeParameter",
    "Currency",
    "CurrencyParameter",
    "DateTime",
    "DateTimeParameter",
    "DocumentParameter",
    "HeaderParameters",
    "ImageParameter",
    "LocationParameter",
    "PayloadParameter",
    "Template",
    "TemplateLanguage",
    "TemplateMessage",
    "TextParameter",
    "VideoParameter",
]


def _check_template_name(value: str) -> str:
    if not TEMPLATE_NAME_PATTERN.fullmatch(value):
        raise invalid(
            "template_name",
            f"template name must be 1..{TEMPLATE_NAME_MAX} characters of lower-case a-z, 0-9 "
            f"and _, got {value!r}",
        )
    return value


def _check_language_code(value: str) -> str:
    if not LANGUAGE_CODE_PATTERN.fullmatch(value):
        hint = f" (write {value.replace('-', '_')!r})" if "-" in value else ""
        raise invalid(
            "language_code",
            f"language code must be explicit like 'en' or 'en_US' ('en' and 'en_US' are "
            f"different templates), got {value!r}{hint}",
        )
    return value


def _check_parameter_name(value: str) -> str:
    if not NAMED_PLACEHOLDER_PATTERN.fullmatch(value):
        raise invalid(
            "parameter_name",
            "parameter_name must be a lower-case identifier (a-z, 0-9, _; not starting "
            f"with a digit) as in the template's {{{{name}}}}, got {value!r}",
        )
    return value


ParameterName = Annotated[str, AfterValidator(_check_parameter_name)]


def _lower_type_keys(value: Any) -> Any:
    # The API reads component and parameter types case-insensitively; Meta's examples use
    # both "BODY" and "body". Lower-case them so one spelling reaches the discriminator.
    if isinstance(value, Mapping):
        lowered = {
            key: item.lower() if key in ("type", "sub_type") and isinstance(item, str) else item
            for key, item in value.items()
        }
        return lowered
    return value


class TemplateLanguage(ApiModel):
    """The template's language: ``code`` must name the exact approved translation."""

    code: Annotated[str, AfterValidator(_check_language_code)]
    policy: Literal["deterministic"] | None = None


def _check_not_blank(value: str) -> str:
    if not value.strip():
        raise invalid("blank_text", f"must not be blank (the API rejects it), got {value!r}")
    return value


class TextParameter(ApiModel):
    """Text for a ``{{1}}`` (positional) or ``{{name}}`` (``parameter_name``) placeholder."""

    type: Literal["text"] = "text"
    parameter_name: ParameterName | None = None
    text: Annotated[
        str,
        Field(min_length=1, max_length=TEMPLATE_TEXT_PARAMETER_MAX),
        AfterValidator(_check_not_blank),
    ]


class Currency(ApiModel):
    """A ``currency`` parameter: fallback text, ISO 4217 code and amount times 1000."""

    fallback_value: NonEmptyStr
    code: Annotated[
        str,
        AfterValidator(
            full_match(CURRENCY_CODE_PATTERN, "currency_code", "an ISO 4217 code such as USD")
        ),
    ]
    amount_1000: int


class CurrencyParameter(ApiModel):
    """An amount, ``amount_1000`` = amount x 1000 (USD 100.99 -> 100990)."""

    type: Literal["currency"] = "currency"
    parameter_name: ParameterName | None = None
    currency: Currency


class DateTime(ApiModel):
    """Cloud API always shows ``fallback_value``; the other fields are legacy, accepted."""

    fallback_value: NonEmptyStr
    calendar: Literal["GREGORIAN", "SOLAR_HIJRI"] | None = None
    year: int | None = None
    month: Annotated[int, Field(ge=1, le=12)] | None = None
    day_of_month: Annotated[int, Field(ge=1, le=31)] | None = None
    day_of_week: Annotated[int, Field(ge=1, le=7)] | None = None
    hour: Annotated[int, Field(ge=0, le=23)] | None = None
    minute: Annotated[int, Field(ge=0, le=59)] | None = None


class DateTimeParameter(ApiModel):
    """A ``date_time`` parameter: its fallback text."""

    type: Literal["date_time"] = "date_time"
    parameter_name: ParameterName | None = None
    date_time: DateTime


class _TemplateMedia(MediaRef):
    kind: ClassVar[str] = "template media"


class _TemplateDocument(DocumentRef):
    kind: ClassVar[str] = "template document"


class ImageParameter(ApiModel):
    """A header ``image`` parameter: a media id or a link."""

    type: Literal["image"] = "image"
    image: _TemplateMedia


class VideoParameter(ApiModel):
    """A header ``video`` parameter: a media id or a link."""

    type: Literal["video"] = "video"
    video: _TemplateMedia


class DocumentParameter(ApiModel):
    """A header ``document`` parameter: a media id or a link."""

    type: Literal["document"] = "document"
    document: _TemplateDocument


class LocationParameter(ApiModel):
    """A header ``location`` parameter."""

    type: Literal["location"] = "location"
    location: Location


class PayloadParameter(ApiModel):
    """What a quick-reply button sends back in the webhook when tapped."""

    type: Literal["payload"] = "payload"
    payload: NonEmptyStr


class CouponCodeParameter(ApiModel):
    """A copy-code button's parameter: the coupon code."""

    type: Literal["coupon_code"] = "coupon_code"
    coupon_code: Annotated[str, Field(min_length=1, max_length=COUPON_CODE_MAX)]


class ActionParameter(ApiModel):
    """Catalog, multi-product and flow buttons: an ``action`` object passed through as is."""

    type: Literal["action"] = "action"
    action: dict[str, Any]


HeaderParameter = Annotated[
    TextParameter | ImageParameter | VideoParameter | DocumentParameter | LocationParameter,
    Field(discriminator="type"),
    BeforeValidator(_lower_type_keys),
]
BodyParameter = Annotated[
    TextParameter | CurrencyParameter | DateTimeParameter,
    Field(discriminator="type"),
    BeforeValidator(_lower_type_keys),
]
ButtonParameter = Annotated[
    PayloadParameter | TextParameter | CouponCodeParameter | ActionParameter,
    Field(discriminator="type"),
    BeforeValidator(_lower_type_keys),
]

NamedParameter = TextParameter | CurrencyParameter | DateTimeParameter


def _check_parameter_naming(parameters: Sequence[BaseModel]) -> None:
    """Positional or named, never a mix; named ones unique."""
    names = [
        getattr(p, "parameter_name", None) for p in parameters if isinstance(p, NamedParameter)
    ]
    named = [name for name in names if name is not None]
    if named and len(named) != len(names):
        raise invalid(
            "mixed_parameters",
            "parameters: use all positional ({{1}}) or all named (parameter_name) "
            "parameters in one component, not a mix",
        )
    repeated = sorted({name for name in named if named.count(name) > 1})
    if repeated:
        raise invalid(
            "duplicate_parameter_name",
            f"parameters: each parameter_name must be unique, {repeated[0]!r} repeats",
        )


class HeaderParameters(ApiModel):
    """The header's one variable: text (at most 60 characters), media or a location."""

    type: Literal["header"] = "header"
    parameters: Annotated[list[HeaderParameter], Field(min_length=1, max_length=1)]

    @model_validator(mode="after")
    def _check_header(self) -> Self:
        _check_parameter_naming(self.parameters)
        for parameter in self.parameters:
            if (
                isinstance(parameter, TextParameter)
                and len(parameter.text) > TEMPLATE_HEADER_TEXT_MAX
            ):
                raise invalid(
                    "header_text",
                    f"header text parameter must be at most {TEMPLATE_HEADER_TEXT_MAX} characters "
                    f"(the whole header is), got {len(parameter.text)}",
                )
        return self


class BodyParameters(ApiModel):
    """Values for the body's placeholders, in order or by name."""

    type: Literal["body"] = "body"
    parameters: Annotated[list[BodyParameter], Field(min_length=1)]

    @model_validator(mode="after")
    def _check_naming(self) -> Self:
        _check_parameter_naming(self.parameters)
        return self


BUTTON_INDEXES = tuple(str(position) for position in range(TEMPLATE_BUTTONS_MAX))


def _button_index(value: Any) -> str:
    # The API takes "0" and 0 alike; Meta's spec and docs write a string, so we send one.
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if text not in BUTTON_INDEXES:
        raise invalid(
            "button_index",
            f"index must be the button's position, 0..{len(BUTTON_INDEXES) - 1}, got {value!r}",
        )
    return str(text)


ButtonIndex = Annotated[str, BeforeValidator(_button_index)]


class ButtonParameters(ApiModel):
    """Values for one template button, found by its position ``index`` (0..9)."""

    type: Literal["button"] = "button"
    sub_type: Literal["quick_reply", "url", "copy_code", "catalog", "mpm", "flow", "voice_call"]
    index: ButtonIndex
    parameters: Annotated[list[ButtonParameter], Field(min_length=1)]


ComponentParameters = Annotated[
    HeaderParameters | BodyParameters | ButtonParameters,
    Field(discriminator="type"),
    BeforeValidator(_lower_type_keys),
]


class Template(ApiModel):
    """``template``: which approved template, in which language, with which values."""

    name: Annotated[str, AfterValidator(_check_template_name)]
    language: TemplateLanguage
    components: list[ComponentParameters] | None = None

    @model_validator(mode="after")
    def _check_components(self) -> Self:
        components = self.components or []
        for kind in ("header", "body"):
            if sum(component.type == kind for component in components) > 1:
                raise invalid(f"duplicate_{kind}", f"components: at most one {kind} component")
        # One template has one parameter_format: header and body both named or both not.
        naming = {
            getattr(p, "parameter_name", None) is not None
            for c in components
            if isinstance(c, (HeaderParameters, BodyParameters))
            for p in c.parameters
            if isinstance(p, NamedParameter)
        }
        if len(naming) > 1:
            raise invalid(
                "mixed_parameters",
                "components: header and body parameters must be all positional ({{1}}) or "
                "all named (parameter_name): a template has one parameter format",
            )
        indexes = [c.index for c in components if isinstance(c, ButtonParameters)]
        repeated = sorted({index for index in indexes if indexes.count(index) > 1})
        if repeated:
            raise invalid(
                "duplicate_button_index",
                f"components: each button index must be unique, {repeated[0]} repeats",
            )
        return self


ParameterValue = Any  # str, int, float... (sent as text), or a parameter dict/model


def _text_parameter(value: ParameterValue, position: str) -> Any:
    if isinstance(value, (Mapping, BaseModel)):
        return value
    if value is None:
        raise WhatsAppValidationError(
            f"template parameter {position} is None: give a value to show"
        )
    return {"type": "text", "text": value if isinstance(value, str) else str(value)}


def _body_from_parameters(
    parameters: Sequence[ParameterValue] | Mapping[str, ParameterValue],
) -> list[Any]:
    if isinstance(parameters, Mapping):
        named = []
        for name, value in parameters.items():
            parameter = _text_parameter(value, repr(name))
            if isinstance(parameter, BaseModel):
                parameter = parameter.model_dump(exclude_none=True)
            named.append({**parameter, "parameter_name": name})
        items = named
    elif isinstance(parameters, (str, bytes)):
        raise WhatsAppValidationError("template parameters must be a list or a dict, got a string")
    elif not isinstance(parameters, Iterable):
        raise WhatsAppValidationError(
            f"template parameters must be a list or a dict, got {type(parameters).__name__}"
        )
    else:
        items = [_text_parameter(value, f"{{{{{i}}}}}") for i, value in enumerate(parameters, 1)]
    return [{"type": "body", "parameters": items}] if items else []


class TemplateMessage(RecipientMessage):
    """An approved template with values for its placeholders."""

    type: Literal["template"] = "template"
    template: Template

    @classmethod
    def create(
        cls,
        to: str | int,
        name: str,
        language: str | TemplateLanguage | Mapping[str, Any],
        parameters: Sequence[ParameterValue] | Mapping[str, ParameterValue] | None = None,
        components: Sequence[Mapping[str, Any] | BaseModel] | None = None,
        reply_to: str | None = None,
        *,
        buttons: Sequence[Mapping[str, Any] | BaseModel] | None = None,
    ) -> Self:
        """A template message.

        ``parameters``: a list fills the body's ``{{1}}``, ``{{2}}``... in order, a dict
        fills named placeholders (``{{first_name}}``); values that are not strings are
        sent as ``str(value)``. ``buttons``: the button components sent beside that body
        (``{"type": "button", "sub_type": "url", "index": "0", "parameters": [...]}`` for a
        URL button's suffix). ``components`` gives full control (header, body, buttons)
        instead; it excludes the other two.
        """
        if components is not None and (parameters is not None or buttons is not None):
            raise WhatsAppValidationError(
                "give template components, or parameters and buttons, not both"
            )
        if components is not None:
            component_list: list[Any] | None = list(components) or None
        else:
            body = [] if parameters is None else _body_from_parameters(parameters)
            component_list = [*body, *(buttons or ())] or None
        template = {
            "name": name,
            "language": {"code": language} if isinstance(language, str) else language,
            "components": component_list,
        }
        return cls.model_validate(
            {"to": to, "template": template, "context": context_for(reply_to)}
        )
