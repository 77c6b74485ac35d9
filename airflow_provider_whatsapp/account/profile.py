"""The business profile shown to customers, with the limits WhatsApp enforces."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl


class BusinessProfile(BaseModel):
    """Fields of ``POST {phone_number_id}/whatsapp_business_profile``; all optional."""

    model_config = ConfigDict(extra="forbid")

    about: str | None = Field(None, min_length=1, max_length=139)
    address: str | None = Field(None, max_length=256)
    description: str | None = Field(None, max_length=512)
    email: str | None = Field(None, max_length=128, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    websites: list[HttpUrl] | None = Field(None, max_length=2)
    vertical: str | None = None
    profile_picture_handle: str | None = None
    messaging_product: Literal["whatsapp"] = "whatsapp"

    def to_payload(self) -> dict[str, Any]:
        payload = self.model_dump(mode="json", exclude_none=True)
        for site in payload.get("websites", []):
            if len(site) > 256:
                raise ValueError(f"websites: each at most 256 characters, got {len(site)}")
        payload["messaging_product"] = "whatsapp"
        return payload
