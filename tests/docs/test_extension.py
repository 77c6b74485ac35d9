"""The site's own checks (docs/_ext/whatsapp_docs.py) catch what they are there for: a
public name without a docstring, an error class without a troubleshooting entry, a
templated parameter not marked. Needs Sphinx (the docs extra): ``make docs`` runs it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_whatsapp.operators.messages import WhatsAppSendTextOperator

pytestmark = pytest.mark.docs

EXT = Path(__file__).resolve().parents[2] / "docs" / "_ext"


@pytest.fixture(scope="module")
def whatsapp_docs() -> Any:
    """The extension module (it imports Sphinx: collected without it, run only with it)."""
    sys.path.insert(0, str(EXT))
    try:
        import whatsapp_docs
    finally:
        sys.path.remove(str(EXT))
    return whatsapp_docs


def test_a_public_name_without_a_docstring_is_a_problem(whatsapp_docs: Any) -> None:
    name = "airflow_provider_whatsapp.client.clients.WhatsAppClient.close"
    assert whatsapp_docs.docstring_problem("method", name, ["", "  "]) == (
        f"public method {name} has no docstring: add one (it is the reference's text)"
    )
    assert whatsapp_docs.docstring_problem("method", name, ["Close it."]) is None
    private = "airflow_provider_whatsapp.operators._base.helper"
    assert whatsapp_docs.docstring_problem("function", private, []) is None
    assert whatsapp_docs.docstring_problem("attribute", name, []) is None


def test_an_error_class_without_an_entry_and_an_entry_without_a_class_are_problems(
    whatsapp_docs: Any,
) -> None:
    entries = {"WhatsAppError": {"means": "m", "do": "d"}, "GoneError": {"means": "m", "do": "d"}}
    entries["AmbiguousSendError"] = {"means": "m"}  # no "do"
    assert whatsapp_docs.entry_problems(
        ["WhatsAppError", "AmbiguousSendError", "NewError"], entries
    ) == [
        "error class AmbiguousSendError has no entry in docs/errors.yaml (means: ..., do: ...)",
        "error class NewError has no entry in docs/errors.yaml (means: ..., do: ...)",
        "docs/errors.yaml has an entry for GoneError, which is not in the error tree",
    ]


def test_the_real_tree_has_every_entry(whatsapp_docs: Any) -> None:
    import yaml

    entries = yaml.safe_load((Path(whatsapp_docs.ERRORS_YAML)).read_text("utf-8"))
    classes = [cls.__name__ for _, cls in whatsapp_docs.error_tree()]
    assert "PhoneNumberError" in classes and "AmbiguousSendError" in classes
    assert whatsapp_docs.entry_problems(classes, entries) == []


def test_templated_parameters_are_marked_from_template_fields(whatsapp_docs: Any) -> None:
    lines = [
        "Send a text.",
        "",
        ":param to: the recipient,",
        "    in any form.",
        ":param preview_url: show a preview.",
    ]
    whatsapp_docs.mark_templated(None, "class", "x", WhatsAppSendTextOperator, None, lines)  # type: ignore[arg-type]
    assert lines[3] == "    in any form. *(templated)*"
    assert lines[4] == ":param preview_url: show a preview."
    assert any(line.startswith("**Templated fields**") and "``text``" in line for line in lines)


def test_an_operator_parameter_without_a_param_line_is_found(whatsapp_docs: Any) -> None:
    class ReminderOperator(WhatsAppSendTextOperator):
        """Send a reminder.

        :param to: who.
        """

        def __init__(self, *, to: str, snooze_minutes: int = 5, **kwargs: object) -> None:
            super().__init__(to=to, text="Reminder", **kwargs)  # type: ignore[arg-type]

    assert whatsapp_docs.undocumented_parameters(ReminderOperator) == ["snooze_minutes"]
    assert whatsapp_docs.undocumented_parameters(WhatsAppSendTextOperator) == []


def test_a_param_said_templated_that_airflow_does_not_render_is_a_warning(
    whatsapp_docs: Any, caplog: pytest.LogCaptureFixture
) -> None:
    lines = [":param preview_url: show a preview (templated).", ":param text: the text."]
    whatsapp_docs.mark_templated(None, "class", "Op", WhatsAppSendTextOperator, None, lines)  # type: ignore[arg-type]
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warned == [
        "Op: parameter 'preview_url' says it is templated, but it is not in template_fields"
    ]
    assert lines[1] == ":param text: the text. *(templated)*"
