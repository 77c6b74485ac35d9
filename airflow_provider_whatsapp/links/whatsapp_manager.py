"""Extra link: open a template in WhatsApp Manager from the Airflow UI."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from airflow.sdk import BaseOperatorLink

MANAGER_URL = "https://business.facebook.com/latest/whatsapp_manager/message_templates"


def template_manager_url(
    waba_id: str | None, template_id: str | None = None, name: str | None = None
) -> str:
    """The WhatsApp Manager page of a template (or of the account's templates)."""
    params = {"asset_id": waba_id, "id": template_id, "name": name}
    query = urlencode({k: v for k, v in params.items() if v})
    return f"{MANAGER_URL}?{query}" if query else MANAGER_URL


class WhatsAppTemplateLink(BaseOperatorLink):
    """ "WhatsApp Template" button; the task stores the URL in XCom when it knows the template."""

    name = "WhatsApp Template"

    @classmethod
    def persist(
        cls, context: Any, *, waba_id: str | None, template_id: str | None, name: str | None
    ) -> None:
        """Store the link's target in XCom at run time, for the UI to show later."""
        url = template_manager_url(waba_id, template_id, name)
        context["ti"].xcom_push(key=cls().xcom_key, value=url)

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        from airflow.sdk.execution_time.xcom import XCom

        value = XCom.get_value(ti_key=ti_key, key=self.xcom_key)
        return str(value) if value else ""
