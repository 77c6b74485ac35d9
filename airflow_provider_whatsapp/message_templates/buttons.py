"""Button models of a template's BUTTONS component; their limits come from ``limits.py``."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Discriminator, Tag, model_validator
from typing_extensions import Self

from ..limits import (
    COUPON_CODE_MAX,
    OTP_PACKAGE_NAME_MAX,
    OTP_SIGNATURE_HASH_LENGTH,
    OTP_SUPPORTED_APPS_MAX,
    TEMPLATE_BUTTON_PHONE_NUMBER_MAX,
    TEMPLATE_BUTTON_TEXT_MAX,
    TEMPLATE_BUTTON_TYPE_MAX,
    TEMPLATE_BUTTON_URL_MAX,
    TEMPLATE_BUTTONS_MAX,
)
from ._base import StrictModel, max_chars, raise_problems, strip_text, type_tag
from ._text import placeholder_names, upper

ButtonText = Annotated[
    str, BeforeValidator(strip_text), AfterValidator(max_chars(TEMPLATE_BUTTON_TEXT_MAX))
]
UrlText = Annotated[
    str, BeforeValidator(strip_text), AfterValidator(max_chars(TEMPLATE_BUTTON_URL_MAX))
]
CouponCode = Annotated[str, BeforeValidator(strip_text), AfterValidator(max_chars(COUPON_CODE_MAX))]
PackageName = Annotated[
    str, BeforeValidator(strip_text), AfterValidator(max_chars(OTP_PACKAGE_NAME_MAX))
]


class QuickReplyButton(StrictModel):
    """A ``QUICK_REPLY`` button: sends its text back as the user's reply."""

    type: Annotated[Literal["QUICK_REPLY"], BeforeValidator(upper)] = "QUICK_REPLY"
    text: ButtonText


class UrlButton(StrictModel):
    """The url may end in one ``{{1}}``, which then needs one example value."""

    type: Annotated[Literal["URL"], BeforeValidator(upper)] = "URL"
    text: ButtonText
    url: UrlText
    example: list[str] | None = None
    app_deep_link: dict[str, Any] | None = None  # passed through unchecked

    @property
    def placeholders(self) -> list[str]:
        """The placeholders (``{{1}}``, ``{{name}}``) its text uses, in order."""
        return placeholder_names(self.url)

    @model_validator(mode="after")
    def _check_url(self) -> Self:
        problems = []
        if not self.url.lower().startswith(("https://", "http://")):
            problems.append("url must start with https:// or http://")
        names = self.placeholders
        if names:
            if names != ["1"] or not self.url.endswith("{{1}}") or self.url.count("{{") != 1:
                problems.append("url takes one placeholder, {{1}}, at its very end")
            elif not self.example or len(self.example) != 1 or not self.example[0].strip():
                problems.append("url has {{1}}: example needs exactly 1 sample value")
        elif self.example:
            problems.append("example is given but url has no {{1}}: remove it")
        raise_problems(problems)
        return self


def _check_phone(value: str) -> str:
    digits = [c for c in value if c.isdigit()]
    if not digits or any(not (c.isdigit() or c in "+-() ") for c in value):
        raise ValueError("phone_number must be digits, optionally with a leading +")
    return value


class PhoneNumberButton(StrictModel):
    """A ``PHONE_NUMBER`` button: calls the number."""

    type: Annotated[Literal["PHONE_NUMBER"], BeforeValidator(upper)] = "PHONE_NUMBER"
    text: ButtonText
    phone_number: Annotated[
        str,
        BeforeValidator(strip_text),
        AfterValidator(max_chars(TEMPLATE_BUTTON_PHONE_NUMBER_MAX)),
        AfterValidator(_check_phone),
    ]


class CopyCodeButton(StrictModel):
    """The coupon code is supplied at send time; ``example`` is a sample of it."""

    type: Annotated[Literal["COPY_CODE"], BeforeValidator(upper)] = "COPY_CODE"
    example: CouponCode


def _check_signature_hash(value: str) -> str:
    if len(value) != OTP_SIGNATURE_HASH_LENGTH:
        raise ValueError(
            f"{len(value)} characters: an app signature hash has exactly "
            f"{OTP_SIGNATURE_HASH_LENGTH}"
        )
    return value


class OtpSupportedApp(StrictModel):
    """An app an OTP one-tap or zero-tap button fills the code into."""

    package_name: PackageName
    signature_hash: Annotated[
        str, BeforeValidator(strip_text), AfterValidator(_check_signature_hash)
    ]


class OtpButton(StrictModel):
    """AUTHENTICATION only. ONE_TAP and ZERO_TAP need the Android app(s) that receive the code."""

    type: Annotated[Literal["OTP"], BeforeValidator(upper)] = "OTP"
    otp_type: Annotated[Literal["COPY_CODE", "ONE_TAP", "ZERO_TAP"], BeforeValidator(upper)]
    text: ButtonText | None = None
    autofill_text: ButtonText | None = None
    package_name: PackageName | None = None  # legacy single-app form of supported_apps
    signature_hash: (
        Annotated[str, BeforeValidator(strip_text), AfterValidator(_check_signature_hash)] | None
    ) = None
    supported_apps: list[OtpSupportedApp] | None = None
    zero_tap_terms_accepted: bool | None = None

    @model_validator(mode="after")
    def _check_apps(self) -> Self:
        problems = []
        apps = self.supported_apps or []
        if len(apps) > OTP_SUPPORTED_APPS_MAX:
            problems.append(
                f"supported_apps has {len(apps)} apps, over the limit of {OTP_SUPPORTED_APPS_MAX}"
            )
        if (self.package_name is None) != (self.signature_hash is None):
            problems.append("package_name and signature_hash go together")
        if self.otp_type != "COPY_CODE" and not apps and self.package_name is None:
            problems.append(f"otp_type {self.otp_type} needs supported_apps")
        if self.otp_type == "ZERO_TAP" and self.zero_tap_terms_accepted is not True:
            problems.append("otp_type ZERO_TAP needs zero_tap_terms_accepted: true")
        raise_problems(problems)
        return self


class FlowButton(StrictModel):
    """Opens a WhatsApp Flow named by exactly one of flow_id, flow_name or flow_json."""

    type: Annotated[Literal["FLOW"], BeforeValidator(upper)] = "FLOW"
    text: ButtonText
    flow_id: str | None = None
    flow_name: str | None = None
    flow_json: str | None = None
    flow_action: Annotated[Literal["NAVIGATE", "DATA_EXCHANGE"], BeforeValidator(upper)] | None = (
        None
    )
    navigate_screen: str | None = None
    icon: Annotated[Literal["DOCUMENT", "PROMOTION", "REVIEW"], BeforeValidator(upper)] | None = (
        None
    )

    @model_validator(mode="before")
    @classmethod
    def _ids_as_text(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("flow_id"), int):
            return {**data, "flow_id": str(data["flow_id"])}
        return data

    @model_validator(mode="after")
    def _one_flow(self) -> Self:
        given = [f for f in ("flow_id", "flow_name", "flow_json") if getattr(self, f) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of flow_id, flow_name, flow_json (got {given})")
        return self


class CatalogButton(StrictModel):
    """A ``CATALOG`` button: opens the business's catalogue."""

    type: Annotated[Literal["CATALOG"], BeforeValidator(upper)] = "CATALOG"
    text: ButtonText


class MpmButton(StrictModel):
    """Multi-product message button; the products are chosen at send time."""

    type: Annotated[Literal["MPM"], BeforeValidator(upper)] = "MPM"
    text: ButtonText


class SpmButton(StrictModel):
    """Single-product message button (PRODUCT header); the product is chosen at send time."""

    type: Annotated[Literal["SPM"], BeforeValidator(upper)] = "SPM"
    text: ButtonText


class VoiceCallButton(StrictModel):
    """A ``VOICE_CALL`` button: starts a WhatsApp call to the business."""

    type: Annotated[Literal["VOICE_CALL"], BeforeValidator(upper)] = "VOICE_CALL"
    text: ButtonText
    ttl_minutes: int | None = None


Button = Annotated[
    Annotated[QuickReplyButton, Tag("QUICK_REPLY")]
    | Annotated[UrlButton, Tag("URL")]
    | Annotated[PhoneNumberButton, Tag("PHONE_NUMBER")]
    | Annotated[CopyCodeButton, Tag("COPY_CODE")]
    | Annotated[OtpButton, Tag("OTP")]
    | Annotated[FlowButton, Tag("FLOW")]
    | Annotated[CatalogButton, Tag("CATALOG")]
    | Annotated[MpmButton, Tag("MPM")]
    | Annotated[SpmButton, Tag("SPM")]
    | Annotated[VoiceCallButton, Tag("VOICE_CALL")],
    Discriminator(
        type_tag,
        custom_error_type="button_type",
        custom_error_message="button type missing or unknown: use one of "
        + ", ".join(TEMPLATE_BUTTON_TYPE_MAX),
    ),
]


class ButtonsComponent(StrictModel):
    """<= 10 buttons, per-type maxima, quick replies kept together (Meta rejects interleaving)."""

    type: Annotated[Literal["BUTTONS"], BeforeValidator(upper)] = "BUTTONS"
    buttons: list[Button]

    @model_validator(mode="after")
    def _check_counts(self) -> Self:
        problems = []
        if not self.buttons:
            problems.append("buttons must hold at least 1 button")
        if len(self.buttons) > TEMPLATE_BUTTONS_MAX:
            problems.append(
                f"{len(self.buttons)} buttons, over the limit of {TEMPLATE_BUTTONS_MAX}"
            )
        for button_type, count in Counter(b.type for b in self.buttons).items():
            if count > TEMPLATE_BUTTON_TYPE_MAX[button_type]:
                problems.append(
                    f"{count} {button_type} buttons, over the limit of "
                    f"{TEMPLATE_BUTTON_TYPE_MAX[button_type]}"
                )
        is_quick_reply = [b.type == "QUICK_REPLY" for b in self.buttons]
        switches = sum(a != b for a, b in pairwise(is_quick_reply))
        if switches > 1:
            problems.append(
                "QUICK_REPLY buttons must be grouped together, all before or all after the others"
            )
        raise_problems(problems)
        return self
