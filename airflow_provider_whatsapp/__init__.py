"""Apache Airflow provider for the WhatsApp Business Cloud API through the Maton gateway."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "get_provider_info"]


def get_provider_info() -> dict[str, Any]:
    """Describe the provider to Airflow (entry point ``apache_airflow_provider``).

    Airflow 3.2+ draws the connection form only from ``ui-field-behaviour`` and
    ``conn-fields`` below; the hook's own form methods are ignored there.
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
                        "host": "https://gateway.maton.ai",
                        "password": "empty: use the MATON_API_KEY environment variable",
                    },
                },
                "conn-fields": {
                    "maton_connection": {
                        "label": "Maton connection id",
                        "description": "Maton-Connection header; empty uses the oldest ACTIVE one.",
                        "schema": {"type": ["string", "null"]},
                    },
                    "phone_number_id": {
                        "label": "Phone number id",
                        "description": "The WhatsApp Business phone number that sends messages.",
                        "schema": {"type": ["string", "null"]},
                    },
                    "waba_id": {
                        "label": "WhatsApp Business account id",
                        "description": "Needed for templates and phone numbers.",
                        "schema": {"type": ["string", "null"]},
                    },
                    "api_version": {
                        "label": "Graph API version",
                        "schema": {"type": ["string", "null"], "default": "v21.0"},
                    },
                    "ctrl_host": {
                        "label": "Maton control URL",
                        # No default: a pre-filled ctrl.maton.ai would override the
                        # single-host rule for a gateway URL of https://api.maton.ai.
                        "description": "Connection-management host. Empty: the gateway URL "
                        "when that is https://api.maton.ai, else https://ctrl.maton.ai.",
                        "schema": {"type": ["string", "null"]},
                    },
                    "allow_insecure_http": {
                        "label": "Allow plain http (UNSAFE)",
                        "description": "UNSAFE: lets a gateway or control URL that is not "
                        "loopback use http, so the Maton key crosses the network in clear "
                        "text. Only for a trusted proxy on your own network that speaks http.",
                        "schema": {"type": ["boolean", "null"], "default": False},
                    },
                    "timeout": {
                        "label": "Timeout (seconds)",
                        "schema": {"type": ["number", "null"], "default": 30},
                    },
                    "rate_limit": {
                        "label": "Rate limit (requests/second)",
                        "description": "Maton allows 10 requests/second per account.",
                        "schema": {"type": ["number", "null"], "default": 10},
                    },
                    "bulk_rate_share": {
                        "label": "Bulk rate share",
                        "description": "Share of the rate limit a bulk send uses (0-1]; the rest stays free for alerts.",
                        "schema": {"type": ["number", "null"], "default": 0.8},
                    },
                    "max_retries": {
                        "label": "Max retries",
                        "description": "Retries after the first attempt for retryable errors; 0 = none.",
                        "schema": {"type": ["integer", "null"], "default": 5},
                    },
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
