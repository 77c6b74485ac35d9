"""WhatsAppUpdateBusinessProfileOperator against the emulator: limits first, then a round trip."""

from __future__ import annotations

from typing import Any

import jinja2
import pytest

from airflow_provider_whatsapp.operators.profile import WhatsAppUpdateBusinessProfileOperator
from airflow_provider_whatsapp.version_compat import AirflowFailException

pytestmark = pytest.mark.whatsapp_emulator(rate_limit=None)

PROFILE_PATH = "/whatsapp-business/v21.0/100000000000001/whatsapp_business_profile"


def test_update_then_read_back(whatsapp_emulator_connection: Any) -> None:
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

    post, get = whatsapp_emulator_connection.requests
    assert (post.method, post.path) == ("POST", PROFILE_PATH)
    assert post.json == {
        "about": "Open 9-17",
        "description": "Plants delivered in 24 hours.",
        "email": "hello@luckyshrub.example",
        "websites": ["https://luckyshrub.example"],  # as written: no slash added
        "vertical": "RETAIL",
        "messaging_product": "whatsapp",
    }
    assert (get.method, get.path) == ("GET", PROFILE_PATH)
    # Read back: the changed fields, and the untouched address as it was.
    assert profile["about"] == "Open 9-17"
    assert profile["websites"] == ["https://luckyshrub.example"]
    assert profile["vertical"] == "RETAIL"
    assert profile["address"] == "1 Hacker Way, Menlo Park, CA"


def test_websites_are_sent_as_written_and_the_limit_counts_what_was_written(
    whatsapp_emulator_connection: Any,
) -> None:
    """256 characters as written pass (a rewrite to ``.../`` would make 257 and fail)."""
    longest = "https://" + "w" * 240 + ".example"
    sites = [longest, "http://Shop.Example/path?q=1"]
    assert len(longest) == 256
    WhatsAppUpdateBusinessProfileOperator(task_id="profile", websites=sites).execute({})
    assert whatsapp_emulator_connection.requests[0].json["websites"] == sites
    with pytest.raises(AirflowFailException, match="websites"):
        WhatsAppUpdateBusinessProfileOperator(task_id="p", websites=[longest + "x"]).execute({})
    assert (
        len(whatsapp_emulator_connection.requests) == 2
    )  # the POST and the read-back, nothing more


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
        ({"websites": ["https://"]}, "websites"),
        ({"websites": ["https://a b.example"]}, "websites"),
        ({}, "nothing to update"),
    ],
)
def test_limits_are_checked_before_any_request(
    whatsapp_emulator_connection: Any, fields: dict[str, Any], expected: str
) -> None:
    with pytest.raises(AirflowFailException, match=expected):
        WhatsAppUpdateBusinessProfileOperator(task_id="profile", **fields).execute({})
    assert whatsapp_emulator_connection.requests == []
