"""Contact cards (vCard-like): the ``contacts`` message."""

import datetime
import re
import warnings
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, model_validator
from typing_extensions import Self

from ..limits import (
    CONTACTS_SOFT_LIMIT,
    COUNTRY_CODE_PATTERN,
    PHONE_DIGITS_MAX,
    PHONE_DIGITS_MIN,
    WA_ID_PATTERN,
)
from .base import (
    ApiModel,
    HttpUrlStr,
    MessageLimitWarning,
    NameText,
    NonEmptyStr,
    RecipientMessage,
    context_for,
    full_match,
    invalid,
)

__all__ = [
    "CONTACTS_SOFT_LIMIT",  # public: re-exported from the rule book, limits.py
    "Contact",
    "ContactAddress",
    "ContactEmail",
    "ContactName",
    "ContactOrg",
    "ContactPhone",
    "ContactUrl",
    "ContactsMessage",
]

HomeOrWork = Literal["HOME", "WORK"]


def _check_birthday(value: str) -> str:
    try:
        ok = bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)) and bool(
            datetime.date.fromisoformat(value)
        )
    except ValueError:
        ok = False
    if not ok:
        raise invalid("birthday", f"must be a date written YYYY-MM-DD, got {value!r}")
    return value


def _check_email(value: str) -> str:
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        raise invalid("email", f"must be an email address like name@example.com, got {value!r}")
    return value


class ContactName(ApiModel):
    """The contact's name; ``formatted_name`` is what WhatsApp shows and is required."""

    formatted_name: NameText
    first_name: NonEmptyStr | None = None
    last_name: NonEmptyStr | None = None
    middle_name: NonEmptyStr | None = None
    suffix: NonEmptyStr | None = None
    prefix: NonEmptyStr | None = None


class ContactPhone(ApiModel):
    """A phone number as written on the card (free form); ``wa_id`` links it to WhatsApp."""

    phone: NonEmptyStr
    type: Literal["CELL", "MAIN", "IPHONE", "HOME", "WORK"] | None = None
    wa_id: (
        Annotated[
            str,
            AfterValidator(
                full_match(
                    WA_ID_PATTERN,
                    "wa_id",
                    f"a WhatsApp id: {PHONE_DIGITS_MIN}..{PHONE_DIGITS_MAX} digits, no '+'",
                )
            ),
        ]
        | None
    ) = None


class ContactEmail(ApiModel):
    """A contact's email address."""

    email: Annotated[str, AfterValidator(_check_email)]
    type: HomeOrWork | None = None


class ContactUrl(ApiModel):
    """A contact's web address."""

    url: HttpUrlStr
    type: HomeOrWork | None = None


class ContactAddress(ApiModel):
    """A contact's postal address."""

    street: NonEmptyStr | None = None
    city: NonEmptyStr | None = None
    state: NonEmptyStr | None = None
    zip: NonEmptyStr | None = None
    country: NonEmptyStr | None = None
    country_code: (
        Annotated[
            str,
            AfterValidator(
                full_match(COUNTRY_CODE_PATTERN, "country_code", "a two-letter country code")
            ),
        ]
        | None
    ) = None
    type: HomeOrWork | None = None


class ContactOrg(ApiModel):
    """A contact's company, department and title."""

    company: NonEmptyStr | None = None
    department: NonEmptyStr | None = None
    title: NonEmptyStr | None = None


class Contact(ApiModel):
    """One contact card."""

    name: ContactName
    phones: list[ContactPhone] | None = None
    emails: list[ContactEmail] | None = None
    urls: list[ContactUrl] | None = None
    addresses: list[ContactAddress] | None = None
    org: ContactOrg | None = None
    birthday: Annotated[str, AfterValidator(_check_birthday)] | None = None


class ContactsMessage(RecipientMessage):
    """One or more contact cards. More than five is allowed here, with a warning."""

    type: Literal["contacts"] = "contacts"
    contacts: Annotated[list[Contact], Field(min_length=1)]

    @model_validator(mode="after")
    def _warn_many_contacts(self) -> Self:
        if len(self.contacts) > CONTACTS_SOFT_LIMIT:
            warnings.warn(
                f"contacts: {len(self.contacts)} contacts in one message; WhatsApp documents "
                f"at most {CONTACTS_SOFT_LIMIT}, so split them if the API refuses",
                MessageLimitWarning,
                stacklevel=2,
            )
        return self

    @classmethod
    def create(
        cls,
        to: str | int,
        contacts: Sequence[Contact | Mapping[str, Any]],
        reply_to: str | None = None,
    ) -> Self:
        """Send ``contacts`` (models, or dicts in the API's shape) as one message."""
        return cls.model_validate(
            {"to": to, "contacts": list(contacts), "context": context_for(reply_to)}
        )
