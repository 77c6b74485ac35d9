"""WhatsAppUpdateBusinessProfileOperator against the emulator: limits first, then a round trip."""

from __future__ import annotations

from typing import Any

import jinja2
import pytest

from airflow_provider_whatsapp.operators.profile import WhatsAppUpdateBusinessProfileOperator
from airflow_provider_whatsapp.version_compat import AirflowFailException

pytestmark = pytest.mark.whatsapp_emulator(rate_limit=None)

PROFILE_PATH = "/whatsapp-business/v21.0/100000000000001/whatsapp_business_profile"


def test_update_then_read_back(whatsapp_conn: Any) -> None:
    op = WhatsAppUpdateBusinessProfileOperator(
        task_id="profile",
        about="{{ params.about }}",
        description="Plants delivered in 24 hours.",
        email="hello@luckyshrub.example",
        websites="https://luckyshrub.example",
        vertical="RETAIL",
    )
    op.render_template_fields({"params": {"about": "Open 9-17"}}, jinja2.Environment())

    profile = op.execute({})

    post, get = whatsapp_conn.requests
    assert (post.method, post.path) == ("POST", PROFILE_PATH)
    assert post.json == {
        "about": "Open 9-17",
        "description": "Plants delivered in 24 hours.",
        "email": "hello@luckyshrub.example",
        "websites": ["https://luckyshrub.example/"],
        "vertical": "RETAIL",
        "messaging_product": "whatsapp",
    }
    assert (get.method, get.path) == ("GET", PROFILE_PATH)
    # Read back: the changed fields, and the untouched address as it was.
    assert profile["about"] == "Open 9-17"
    assert profile["websites"] == ["https://luckyshrub.example/"]
    assert profile["vertical"] == "RETAIL"
    assert profile["address"] == "1 Hacker Way, Menlo Park, CA"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"about": "x" * 140}, "about"),
        ({"about": ""}, "about"),
        ({"address": "x" * 257}, "address"),
        ({"description": "x" * 513}, "description"),
        ({"email": "not-an-email"}, "email"),
        ({"websites": ["https://a.example", "https://b.example", "https://c.example"]}, "websites"),
        ({"websites": ["ftp://files.example"]}, "websites"),
        ({}, "nothing to update"),
    ],
)
def test_limits_are_checked_before_any_request(
    whatsapp_conn: Any, fields: dict[str, Any], expected: str
) -> None:
    with pytest.raises(AirflowFailException, match=expected):
        WhatsAppUpdateBusinessProfileOperator(task_id="profile", **fields).execute({})
    assert whatsapp_conn.requests == []
