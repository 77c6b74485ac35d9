"""Operator that keeps the business profile customers see in sync with a DAG's settings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._errors import WhatsAppValidationError
from ._base import WhatsAppBaseOperator

#: The profile fields this operator can change: its arguments, in the update's terms (the
#: profile read back has more, e.g. the picture's URL).
UPDATABLE_PROFILE_FIELDS = ("about", "address", "description", "email", "websites", "vertical")


class WhatsAppUpdateBusinessProfileOperator(WhatsAppBaseOperator):
    """Update the sending number's business profile; returns the profile as read back.

    Only the fields given (not None) change. They are checked against WhatsApp's limits
    (about 1..139 characters, address 256, description 512, email 128, at most 2 websites)
    before the request, and the profile is read back afterwards so XCom shows what
    customers see, not what was asked.

    :param about: the "About" text (templated).
    :param address: postal address (templated).
    :param description: longer description (templated).
    :param email: contact email (templated).
    :param websites: up to two URLs; a single string is one URL (templated).
    :param vertical: industry, e.g. RETAIL, EDU, PROF_SERVICES (templated).
    """

    template_fields: Sequence[str] = (
        *WhatsAppBaseOperator.template_fields,
        *UPDATABLE_PROFILE_FIELDS,
    )

    def __init__(
        self,
        *,
        about: str | None = None,
        address: str | None = None,
        description: str | None = None,
        email: str | None = None,
        websites: str | Sequence[str] | None = None,
        vertical: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.about = about
        self.address = address
        self.description = description
        self.email = email
        self.websites = websites
        self.vertical = vertical

    def profile_fields(self) -> dict[str, Any]:
        """The rendered fields to change (None left out; a single website as a list)."""
        fields = {name: getattr(self, name) for name in UPDATABLE_PROFILE_FIELDS}
        if isinstance(fields["websites"], str):
            fields["websites"] = [fields["websites"]]
        elif fields["websites"] is not None:
            fields["websites"] = list(fields["websites"])
        return {name: value for name, value in fields.items() if value is not None}

    def run(self, context: Any) -> dict[str, Any]:
        from ..account.profile import BusinessProfile

        fields = self.profile_fields()
        if not fields:
            raise WhatsAppValidationError(
                f"nothing to update: give at least one of {', '.join(UPDATABLE_PROFILE_FIELDS)}"
            )
        BusinessProfile.model_validate(fields).to_payload()  # every limit, before any request
        self.hook.client.update_business_profile(**fields)
        self.log.info("Updated business profile fields: %s", ", ".join(sorted(fields)))
        return self.hook.client.get_business_profile()
