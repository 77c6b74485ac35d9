"""The business profile shown to customers, with the limits WhatsApp enforces."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..messages.base import HttpUrlStr

# Sent as the user wrote it (pydantic's HttpUrl would add a trailing slash and lower-case
# the host), and the 256-character limit counts what was written.
Website = Annotated[HttpUrlStr, Field(max_length=256)]


class BusinessProfile(BaseModel):
    """Fields of ``POST {phone_number_id}/whatsapp_business_profile``; all optional."""

    model_config = ConfigDict(extra="forbid")

    about: str | None = Field(None, min_length=1, max_length=139)
    address: str | None = Field(None, max_length=256)
    description: str | None = Field(None, max_length=512)
    email: str | None = Field(None, max_length=128, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    websites: list[Website] | None = Field(None, max_length=2)
    vertical: str | None = None
    profile_picture_handle: str | None = None
    messaging_product: Literal["whatsapp"] = "whatsapp"

    def to_payload(self) -> dict[str, Any]:
        """The request body for the business profile endpoint (only the fields set)."""
        payload = self.model_dump(mode="json", exclude_none=True)
        payload["messaging_product"] = "whatsapp"
        return payload
