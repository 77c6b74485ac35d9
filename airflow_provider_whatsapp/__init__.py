"""Apache Airflow provider for the WhatsApp Business Cloud API through the Maton gateway."""

from __future__ import annotations

from typing import Any

from ._defaults import DEFAULT_API_VERSION, DEFAULT_GATEWAY_URL, SPLIT_CTRL_URL, SPLIT_GATEWAY_URL

__version__ = "0.1.0"

__all__ = ["__version__", "get_provider_info"]


def _conn_field(
    label: str, json_type: str, description: str | None = None, *, default: Any = None
) -> dict[str, Any]:
    """One optional field of the connection form (``conn-fields``): empty is allowed."""
    schema: dict[str, Any] = {"type": [json_type, "null"]}
    if default is not None:
        schema["default"] = default
    field: dict[str, Any] = {"label": label, "schema": schema}
    if description is not None:
        field["description"] = description
    return field


def get_provider_info() -> dict[str, Any]:
    """Describe the provider to Airflow (entry point ``apache_airflow_provider``).

    Airflow 3.2+ draws the connection form only from ``ui-field-behaviour`` and
    ``conn-fields`` below; the hook's own form methods are ignored there. The hosts and
    the version shown are defined once, in ``_defaults`` (which loads no client code).
    """
    return {
        "package-name": "airflow-provider-whatsapp",
        "name": "WhatsApp Business (Maton)",
        "description": "Send WhatsApp messages, manage templates and media through the Maton gateway.",
        "versions": [__version__],
        "connection-types": [
            {
                "connection-type": "whatsapp",
                "hook-class-name": "airflow_provider_whatsapp.hooks.whatsapp.WhatsAppHook",
                "hook-name": "WhatsApp Business (Maton)",
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "port", "login", "extra"],
                    "relabeling": {"host": "Gateway URL", "password": "Maton API key"},
                    "placeholders": {
                        "host": DEFAULT_GATEWAY_URL,
                        "password": "empty: use the MATON_API_KEY environment variable",
                    },
                },
                "conn-fields": {
                    "maton_connection": _conn_field(
                        "Maton connection id",
                        "string",
                        "Maton-Connection header; empty uses the oldest ACTIVE one.",
                    ),
                    "phone_number_id": _conn_field(
                        "Phone number id",
                        "string",
                        "The WhatsApp Business phone number that sends messages.",
                    ),
                    "waba_id": _conn_field(
                        "WhatsApp Business account id",
                        "string",
                        "Needed for templates and phone numbers.",
                    ),
                    "api_version": _conn_field(
                        "Graph API version", "string", default=DEFAULT_API_VERSION
                    ),
                    # No default: a pre-filled value would be saved into every new
                    # connection and override the rule below for any gateway URL.
                    "ctrl_host": _conn_field(
                        "Maton control URL",
                        "string",
                        "Connection-management host. Empty: the gateway URL, except "
                        f"{SPLIT_CTRL_URL} for the older gateway {SPLIT_GATEWAY_URL}.",
                    ),
                    "allow_insecure_http": _conn_field(
                        "Allow plain http (UNSAFE)",
                        "boolean",
                        "UNSAFE: lets a gateway or control URL that is not loopback use http, "
                        "so the Maton key crosses the network in clear text. Only for a "
                        "trusted proxy on your own network that speaks http.",
                        default=False,
                    ),
                    "timeout": _conn_field("Timeout (seconds)", "number", default=30),
                    "rate_limit": _conn_field(
                        "Rate limit (requests/second)",
                        "number",
                        "Maton allows 10 requests/second per account.",
                        default=10,
                    ),
                    "bulk_rate_share": _conn_field(
                        "Bulk rate share",
                        "number",
                        "Share of the rate limit a bulk send uses (0-1]; the rest stays free "
                        "for alerts.",
                        default=0.8,
                    ),
                    "max_retries": _conn_field(
                        "Max retries",
                        "integer",
                        "Retries after the first attempt for retryable errors; 0 = none.",
                        default=5,
                    ),
                },
            }
        ],
        "hooks": [
            {
                "integration-name": "WhatsApp Business",
                "python-modules": ["airflow_provider_whatsapp.hooks.whatsapp"],
            }
        ],
        "integrations": [
            {
                "integration-name": "WhatsApp Business",
                "external-doc-url": "https://developers.facebook.com/docs/whatsapp/cloud-api",
                "tags": ["service"],
            }
        ],
        "operators": [
            {
                "integration-name": "WhatsApp Business",
                "python-modules": [
                    "airflow_provider_whatsapp.operators.messages",
                    "airflow_provider_whatsapp.operators.bulk",
                    "airflow_provider_whatsapp.operators.templates",
                    "airflow_provider_whatsapp.operators.media",
                    "airflow_provider_whatsapp.operators.profile",
                ],
            }
        ],
        "sensors": [
            {
                "integration-name": "WhatsApp Business",
                "python-modules": ["airflow_provider_whatsapp.sensors.template_status"],
            }
        ],
        "triggers": [
            {
                "integration-name": "WhatsApp Business",
                "python-modules": ["airflow_provider_whatsapp.triggers.template_status"],
            }
        ],
        "notifications": ["airflow_provider_whatsapp.notifications.whatsapp.WhatsAppNotifier"],
        "extra-links": ["airflow_provider_whatsapp.links.whatsapp_manager.WhatsAppTemplateLink"],
    }
