"""One error tree: every refusal of input is a ``WhatsAppError`` and a ``ValueError``; only
the provider's own verdicts fail a task without retry, a bug in code is retried."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from airflow_provider_whatsapp import limits
from airflow_provider_whatsapp.client import WhatsAppError as LazyWhatsAppError
from airflow_provider_whatsapp.client.errors import (
    MessageValidationError,
    RateLimitError,
    WhatsAppError,
    WhatsAppValidationError,
    error_from_response,
)
from airflow_provider_whatsapp.message_templates.definition import (
    TemplateDefinitionError,
    parse_template_definition,
)
from airflow_provider_whatsapp.message_templates.sending import (
    TemplateNotUsableError,
    TemplateParameterError,
    check_send_components,
    check_template_usable,
)
from airflow_provider_whatsapp.messages import TextMessage, normalize_phone, parse_message
from airflow_provider_whatsapp.messages.media_files import MediaValidationError, check_media
from airflow_provider_whatsapp.messages.phone import PhoneNumberError
from airflow_provider_whatsapp.notifications.whatsapp import (
    InvalidRecipientError,
    WhatsAppNotifier,
)
from airflow_provider_whatsapp.operators.messages import WhatsAppSendTextOperator
from airflow_provider_whatsapp.operators.profile import WhatsAppUpdateBusinessProfileOperator
from airflow_provider_whatsapp.testing import WhatsAppEmulator
from airflow_provider_whatsapp.version_compat import AirflowFailException
from tests.dags.error_retries import ShiftReminderOperator
from tests.helpers import task_states

TO = "16505551234"
TOO_LONG = "x" * (limits.TEXT_BODY_MAX + 1)
GREETING: dict[str, Any] = {  # as GET /{waba_id}/message_templates lists it
    "name": "greeting",
    "language": "en_US",
    "status": "APPROVED",
    "category": "UTILITY",
    "components": [{"type": "BODY", "text": "Hi {{1}}", "example": {"body_text": [["Ann"]]}}],
}
VALIDATION_ERRORS = [
    PhoneNumberError,
    MediaValidationError,
    MessageValidationError,
    TemplateDefinitionError,
    TemplateParameterError,
    TemplateNotUsableError,
    InvalidRecipientError,
]


@pytest.mark.parametrize("error_class", VALIDATION_ERRORS, ids=lambda c: c.__name__)
def test_each_validation_error_is_a_whatsapp_error_and_a_value_error(error_class: type) -> None:
    assert issubclass(error_class, WhatsAppValidationError)
    assert issubclass(error_class, WhatsAppError)
    assert issubclass(error_class, ValueError)
    assert error_class.retryable is False


def test_the_tree_has_one_root_under_its_public_name() -> None:
    assert LazyWhatsAppError is WhatsAppError
    assert WhatsAppError.__module__ == "airflow_provider_whatsapp.client.errors"
    answer = error_from_response(429, b'{"message": "slow down"}')
    assert isinstance(answer, RateLimitError) and isinstance(answer, WhatsAppError)
    assert not isinstance(answer, ValueError)  # an API answer is not a refusal of input


def definition(name: str) -> dict[str, Any]:
    body = {"type": "BODY", "text": "Hello there."}
    return {"name": name, "language": "en_US", "category": "MARKETING", "components": [body]}


# (error class, a call through a public entry point, what its text must say: field, limit)
ENTRY_POINTS: list[tuple[type, Callable[[], object], list[str]]] = [
    (
        PhoneNumberError,
        lambda: normalize_phone("12"),
        ["phone number +••", f"{limits.PHONE_DIGITS_MIN} to {limits.PHONE_DIGITS_MAX}"],
    ),
    (
        MediaValidationError,
        lambda: check_media("image", "image/png", 6 * limits.MB, "chart.png"),
        ["'chart.png'", "image must be at most 5 MB"],
    ),
    (
        MessageValidationError,
        lambda: TextMessage.create(TO, TOO_LONG),
        ["text.body", f"at most {limits.TEXT_BODY_MAX} characters"],
    ),
    (
        MessageValidationError,
        lambda: parse_message({"to": TO, "type": "text", "text": {"body": TOO_LONG}}),
        ["text.body", f"at most {limits.TEXT_BODY_MAX} characters"],
    ),
    (
        MessageValidationError,
        lambda: parse_message({"to": TO, "type": "fax"}),
        ["type", "unknown message type 'fax'"],
    ),
    (
        MessageValidationError,
        lambda: TextMessage.create("12", "hi"),
        ["\nto\n", f"{limits.PHONE_DIGITS_MIN} to {limits.PHONE_DIGITS_MAX}"],
    ),
    (
        TemplateDefinitionError,
        lambda: parse_template_definition(definition("n" * (limits.TEMPLATE_NAME_MAX + 1))),
        [f"name: {limits.TEMPLATE_NAME_MAX + 1} characters, over the limit of 512"],
    ),
    (
        TemplateParameterError,
        lambda: check_send_components(GREETING, []),
        ["template 'greeting' (en_US) expects body parameters {{1}} (1), got 0"],
    ),
    (
        TemplateNotUsableError,
        lambda: check_template_usable({**GREETING, "status": "PAUSED"}),
        ["template 'greeting' (en_US) is PAUSED"],
    ),
    (
        InvalidRecipientError,
        lambda: WhatsAppNotifier(to="12", text="hi"),
        ["argument 'to'", f"{limits.PHONE_DIGITS_MIN} to {limits.PHONE_DIGITS_MAX}"],
    ),
]


@pytest.mark.parametrize(
    ("error_class", "call", "says"),
    ENTRY_POINTS,
    ids=[f"{c.__name__}-{i}" for i, (c, _, _) in enumerate(ENTRY_POINTS)],
)
def test_public_entry_points_raise_them_naming_the_field_and_the_limit(
    error_class: type, call: Callable[[], object], says: list[str]
) -> None:
    with pytest.raises(WhatsAppError) as caught:
        call()
    assert type(caught.value) is error_class
    assert isinstance(caught.value, ValueError)  # ``except ValueError`` still catches it
    for text in says:
        assert text in str(caught.value)


def _assign_too_long_text() -> None:
    message = TextMessage.create(TO, "hi")
    message.text = {"body": TOO_LONG}  # type: ignore[assignment]


@pytest.mark.parametrize(
    "build",
    [
        lambda: TextMessage.create(TO, TOO_LONG),
        lambda: parse_message({"to": TO, "type": "text", "text": {"body": TOO_LONG}}),
        lambda: TextMessage.model_validate({"to": TO, "text": {"body": TOO_LONG}}),
        lambda: TextMessage(to=TO, text={"body": TOO_LONG}),  # type: ignore[arg-type]
        _assign_too_long_text,
    ],
    ids=["create", "parse_message", "model_validate", "constructor", "assignment"],
)
def test_a_message_model_refuses_with_pydantics_paths_and_cause(
    build: Callable[[], object],
) -> None:
    with pytest.raises(MessageValidationError) as caught:
        build()
    error = caught.value
    assert isinstance(error.__cause__, ValidationError)
    assert error.validation_error is error.__cause__
    assert error.title == "TextMessage"
    [problem] = error.errors()
    assert problem["loc"] == ("text", "body")
    assert problem["ctx"] == {"max_length": limits.TEXT_BODY_MAX}
    assert str(error) == str(error.__cause__)  # pydantic's text: path, rule, value


def test_checks_a_dag_file_runs_load_no_client() -> None:
    """The error roots cost nothing: a DAG file's notifier check raises its validation
    error without loading any module of the client package."""
    code = (
        "import sys\n"
        "from airflow_provider_whatsapp.notifications.whatsapp import WhatsAppNotifier\n"
        "try:\n"
        "    WhatsAppNotifier(to='12', text='hi')\n"
        "except ValueError as exc:\n"
        "    print(type(exc).__mro__[1].__name__)\n"
        "print(sorted(m for m in sys.modules if m.startswith('airflow_provider_whatsapp.client')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=os.environ
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-2:] == ["WhatsAppValidationError", "[]"]


# --- how a failure reaches Airflow -----------------------------------------------------------


def test_a_refused_input_fails_the_task_without_retry() -> None:
    operator = WhatsAppSendTextOperator(task_id="send", to="12", text="hi")
    with pytest.raises(AirflowFailException) as caught:
        operator.execute({})
    assert isinstance(caught.value.__cause__, MessageValidationError)
    text = str(caught.value)
    assert text.startswith("invalid input: 1 validation error for TextMessage\nto\n")
    assert "phone number +•• has 2 digits" in text  # masked, as every number in a text


def test_pydantics_own_error_from_a_model_still_fails_the_task() -> None:
    """``BusinessProfile`` is a plain pydantic model: its refusal is about input too."""
    operator = WhatsAppUpdateBusinessProfileOperator(
        task_id="profile", websites=["https://" + "w" * 300 + ".example"]
    )
    with pytest.raises(
        AirflowFailException, match=r"(?s)invalid input: .*websites.*at most 256"
    ) as caught:
        operator.execute({})
    assert isinstance(caught.value.__cause__, ValidationError)


class _Broken(WhatsAppSendTextOperator):
    """A user's subclass whose own code raises ``self.error``."""

    error: BaseException

    def build_message(self, context: Any) -> Any:
        raise self.error


@pytest.mark.parametrize(
    "error",
    [ValueError("a bug"), TypeError("a bug"), KeyError("a bug")],
    ids=lambda e: type(e).__name__,
)
def test_a_bug_in_code_propagates_unchanged(error: BaseException) -> None:
    operator = _Broken(task_id="send", to=TO, text="hi")
    operator.error = error
    with pytest.raises(type(error)) as caught:
        operator.execute({})
    assert caught.value is error  # not an AirflowFailException: Airflow's retries apply


def test_a_retryable_whatsapp_error_is_left_to_airflows_retries() -> None:
    operator = _Broken(task_id="send", to=TO, text="hi")
    operator.error = RateLimitError("slow down")
    with pytest.raises(RateLimitError):
        operator.execute({})


def test_the_user_bug_of_the_dag_is_a_plain_value_error() -> None:
    """The DAG's bug is what the retry test says it is: a ValueError of the user's code."""
    with pytest.raises(ValueError, match="invalid literal for int") as caught:
        ShiftReminderOperator(task_id="bug", to=TO, text="eight hours").execute({})
    assert not isinstance(caught.value, WhatsAppError)


@pytest.mark.dag
def test_airflow_retries_a_bug_but_not_a_refused_input(
    airflow_db: Any, emu: WhatsAppEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.dags.error_retries import dag

    for name, value in emu.connection_env(rate_limit=0, max_retries=0).items():
        monkeypatch.setenv(name, value)
    emu.open_window(TO)
    when = datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone.utc)

    dr = dag.test(
        logical_date=when, run_after=when, run_conf={"to": TO, "short": "12", "long": TOO_LONG}
    )

    states = task_states(dr)
    assert states == {"user_bug": "failed", "short_number": "failed", "long_text": "failed"}
    tries = {ti.task_id: ti.try_number for ti in dr.get_task_instances()}
    assert tries == {"user_bug": 2, "short_number": 1, "long_text": 1}
    assert [r for r in emu.requests if r.method == "POST"] == []  # nothing was sent
