"""``WhatsAppNotifier`` in a human-in-the-loop operator's ``notifiers=`` (Airflow 3.1+).

The real operators run under ``dag.test()`` (``tests/dags/hitl_request.py``): each writes
its request, calls its notifiers with the task's real context, and a last notifier stops
the task where it would start waiting (``dag.test()`` cannot answer). What counts is what
the emulator received, judged here with links written out, not computed by the code
under test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import pytest
import yaml

from airflow_provider_whatsapp.notifications.formatting import (
    hitl_deadline,
    hitl_message,
    hitl_page_url,
)
from airflow_provider_whatsapp.notifications.whatsapp import WhatsAppNotifier
from airflow_provider_whatsapp.testing import WhatsAppEmulator
from tests.dags import hitl_request as hr
from tests.helpers import RecordedRun, digits, number_leaks, set_connection, task_states

BASE = "https://corp.example/airflow"  # a deployment under a path prefix
#: The template files the documentation shows (tests/test_readme.py runs its examples).
DOCS_TEMPLATES = Path(__file__).resolve().parents[1] / "docs" / "snippets" / "whatsapp_templates"
NOW = datetime(2026, 12, 7, 18, 0, tzinfo=timezone.utc)


def readme_template(name: str) -> dict[str, Any]:
    """The template the documentation's approvals page shows as a YAML file, as the
    emulator's ``add_template`` takes it."""
    for path in sorted(DOCS_TEMPLATES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and data.get("name") == name:
            return data
    raise AssertionError(f"the docs show no template {name} in {DOCS_TEMPLATES}")


@dataclass(frozen=True)
class Run(RecordedRun):
    reached_the_wait: list[str]  # the HITL tasks whose notifiers all ran (tests/dags/hitl_request)


_RUNS: dict[str, Run] = {}


@pytest.fixture
def hitl_run(
    airflow_db: Any,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> Run:
    """``hitl_request`` run once against an emulator, ``[api] base_url`` under a prefix."""
    if "hitl_request" not in _RUNS:
        monkeypatch.setenv("AIRFLOW__API__BASE_URL", BASE)
        template = {k: v for k, v in readme_template(hr.TEMPLATE).items() if k != "category"}
        with WhatsAppEmulator(rate_limit=None, templates=[template]) as emulator:
            emulator.open_window(digits(hr.APPROVER), digits(hr.CHOOSER))  # CLOSED stays closed
            set_connection(monkeypatch, emulator.airflow_connection())
            capfd.readouterr()
            hr.REACHED_THE_WAIT.clear()
            dr = hr.dag.test()
            captured = capfd.readouterr()
            _RUNS["hitl_request"] = Run(
                state=str(dr.state),
                states=task_states(dr),
                run_id=dr.run_id,
                messages=emulator.messages,
                requests=emulator.requests,
                log="\n".join((captured.out, captured.err, caplog.text)),
                reached_the_wait=list(hr.REACHED_THE_WAIT),
            )
    return _RUNS["hitl_request"]


def page(run: Run, task_id: str) -> str:
    """The task's Required actions page, written out as the UI routes it."""
    run_id = quote(run.run_id, safe="")
    return f"{BASE}/dags/hitl_request/runs/{run_id}/tasks/{task_id}/required_actions"


def request_to(run: Run, phone: str, task_id: str) -> dict[str, Any]:
    (found,) = [p for p in run.to(phone) if f"Task: {task_id}" in p["interactive"]["body"]["text"]]
    return found


# -- the default message: what is asked, by when, and a button to the page ------------------
def test_approval_request_says_what_is_asked_and_opens_the_page_under_the_prefix(
    hitl_run: Run,
) -> None:
    payload = request_to(hitl_run, hr.APPROVER, "approve_release")
    assert payload["type"] == "interactive"
    assert payload["interactive"]["type"] == "cta_url"
    assert payload["interactive"]["action"] == {
        "name": "cta_url",
        "parameters": {
            "display_text": "Answer in Airflow",
            "url": page(hitl_run, "approve_release"),
        },
    }
    lines = payload["interactive"]["body"]["text"].splitlines()
    assert lines[:4] == [
        "✋ Airflow needs your answer",
        "*Deploy hitl_request to production?*",  # the subject, rendered
        "Release 2026.12 passed staging.",  # the body
        "Changelog: 14 fixes.",
    ]
    assert "Options: Approve, Reject" in lines
    (deadline,) = [line for line in lines if line.startswith("Answer by: ")]
    # response_timeout=2h from when the request was written; Reject when nobody answers.
    assert re.fullmatch(
        r"Answer by: \d{4}-\d\d-\d\d \d\d:\d\d UTC \(in 1h 59m\); unanswered: Reject", deadline
    ), deadline
    assert "DAG: hitl_request · Task: approve_release" in lines
    assert f"Run: {hitl_run.run_id}" in lines
    assert not any("_options" in line for line in lines)  # an approval's page has its buttons


def test_a_choice_names_who_may_answer_and_links_each_option(hitl_run: Run) -> None:
    payload = request_to(hitl_run, hr.CHOOSER, "choose_region")
    text = payload["interactive"]["body"]["text"]
    base = page(hitl_run, "choose_region")
    assert payload["interactive"]["action"]["parameters"]["url"] == base
    assert "\nOptions: eu-west, us-east, ap-south\n" in text
    assert "\nWho may answer: Dana Ops, Lee\n" in text
    assert "\nAnswer by: no deadline (the task waits for an answer)\n" in text
    # The page preselects what ``_options`` holds: a JSON list, URL-encoded.
    assert text.endswith(
        "\nChoose:"
        f"\n• eu-west: {base}?_options=%5B%22eu-west%22%5D"
        f"\n• us-east: {base}?_options=%5B%22us-east%22%5D"
        f"\n• ap-south: {base}?_options=%5B%22ap-south%22%5D"
    ), text


def test_outside_the_window_the_readme_template_opens_the_page_through_its_button(
    hitl_run: Run,
) -> None:
    (payload,) = hitl_run.to(hr.CLOSED)  # the template reached it; free-form did not
    template = payload["template"]
    assert template["name"] == "airflow_approval"
    assert template["components"] == [
        {
            "type": "body",
            "parameters": [
                {"type": "text", "text": "Refresh the quarter's numbers?"},
                {"type": "text", "text": "Approve / Reject"},
            ],
        },
        {
            "type": "button",
            "sub_type": "url",
            "index": "0",
            # The page's path under [api] base_url: the template's URL ends in {{1}}.
            "parameters": [
                {"type": "text", "text": page(hitl_run, "approve_by_template")[len(BASE) + 1 :]}
            ],
        },
    ]


# -- a send that misses someone fails the task before it waits --------------------------------
def test_a_request_not_reaching_everyone_fails_the_task_after_trying_everyone(
    hitl_run: Run,
) -> None:
    assert hitl_run.states["approve_partly_sent"] == "failed"
    # The refused recipient did not stop the next one.
    assert [r.json["to"] for r in hitl_run.requests if "Drop the staging" in str(r.json)] == [
        digits(hr.CLOSED),
        digits(hr.APPROVER),
    ]
    assert request_to(hitl_run, hr.APPROVER, "approve_partly_sent")
    # The task failed on the WhatsApp notifier, before the next notifier (the wait) ran.
    assert sorted(hitl_run.reached_the_wait) == [
        "approve_by_template",
        "approve_release",
        "choose_region",
    ]
    assert not number_leaks(hitl_run.log, [hr.CLOSED, hr.APPROVER, hr.CHOOSER])


def test_an_invalid_rendered_recipient_fails_the_request_after_the_valid_one_got_it(
    emu: WhatsAppEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Called as the operator calls it, with the operator and its task instance."""
    from airflow.providers.standard.operators.hitl import ApprovalOperator

    from airflow_provider_whatsapp.notifications.whatsapp import HitlRequestNotSentError

    monkeypatch.delenv("AIRFLOW__API__BASE_URL", raising=False)
    set_connection(monkeypatch, emu.airflow_connection())
    emu.open_window(digits(hr.APPROVER))
    task = ApprovalOperator(task_id="gate", subject="Ship it?")
    ti = SimpleNamespace(dag_id="d", run_id="r1", task_id="gate", map_index=-1, try_number=1)
    context = {"task": task, "ti": ti, "task_instance": ti, "run_id": "r1", "bad": "+1 555"}
    notifier = WhatsAppNotifier(to=[hr.CLOSED, hr.APPROVER, "{{ bad }}"])

    with pytest.raises(HitlRequestNotSentError) as caught:
        notifier(context)

    error = str(caught.value)
    assert error.startswith(
        "WhatsApp request for an answer reached 1 of 3 recipient(s) in 'to'; the task fails "
        "before waiting: recipient 3 of 3 (+••••): has 4 digits"
    ), error
    assert "; +1••••••0203: [HTTP 400, code 131047]" in error  # refused: window closed
    assert not number_leaks(error, [hr.CLOSED, hr.APPROVER])
    # No [api] base_url: no link Airflow could not build, plain text that says where.
    (message,) = emu.messages
    assert message.type == "text"
    text = message.payload["text"]["body"]
    assert text.splitlines()[:2] == ["✋ Airflow needs your answer", "*Ship it?*"]
    assert text.endswith("\nAnswer in Airflow: Browse > Required actions")


def test_link_button_needs_a_base_url_and_refuses_before_sending(
    emu: WhatsAppEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.providers.standard.operators.hitl import ApprovalOperator

    from airflow_provider_whatsapp.client.errors import WhatsAppValidationError

    monkeypatch.delenv("AIRFLOW__API__BASE_URL", raising=False)
    set_connection(monkeypatch, emu.airflow_connection())
    ti = SimpleNamespace(dag_id="d", run_id="r1", task_id="gate", map_index=-1)
    context = {"task": ApprovalOperator(task_id="gate", subject="Ship?"), "ti": ti}
    notifier = WhatsAppNotifier(to=hr.CLOSED, template_name="airflow_approval", link_button=0)

    with pytest.raises(WhatsAppValidationError, match=r"link_button=0 needs .*\[api\] base_url"):
        notifier(context)
    assert emu.requests == []


# -- the pure parts --------------------------------------------------------------------------
def test_page_url_keeps_the_prefix_and_maps_like_the_ui() -> None:
    assert (
        hitl_page_url(
            "https://corp.example/airflow/", "d", "manual__2026-01-01T00:00:00+00:00", "t"
        )
        == "https://corp.example/airflow/dags/d/runs/manual__2026-01-01T00%3A00%3A00%2B00%3A00"
        "/tasks/t/required_actions"
    )
    assert hitl_page_url("http://h:8080", "d", "r", "t", 3, options=["50% off"]) == (
        # The page decodes _options once more after the query's own decoding.
        "http://h:8080/dags/d/runs/r/tasks/t/mapped/3/required_actions"
        "?_options=%5B%2250%2525%20off%22%5D"
    )


def test_deadline_from_the_summary_or_the_timeout_of_older_providers() -> None:
    at = "2026-12-07T20:00:00+00:00"
    summary = SimpleNamespace(hitl_summary={"timeout_datetime": at})
    assert hitl_deadline(summary, NOW) == datetime(2026, 12, 7, 20, tzinfo=timezone.utc)
    none = SimpleNamespace(hitl_summary={"timeout_datetime": None}, response_timeout=None)
    assert hitl_deadline(none, NOW) is None
    # Standard provider 1.12: the HITL timeout is execution_timeout.
    old = SimpleNamespace(hitl_summary={}, execution_timeout=timedelta(minutes=30))
    assert hitl_deadline(old, NOW) == NOW + timedelta(minutes=30)


def test_a_long_body_is_shortened_so_the_links_stay() -> None:
    from airflow.providers.standard.operators.hitl import HITLOperator

    task = HITLOperator(task_id="t", subject="Pick", options=["a", "b"], body="x" * 3000)
    ti = SimpleNamespace(dag_id="d", run_id="r", task_id="t", map_index=-1)
    text = hitl_message({"task": task, "ti": ti}, base_url="https://h", now=NOW, limit=1024)
    page = "https://h/dags/d/runs/r/tasks/t/required_actions"
    assert len(text) <= 1024
    assert "…\nOptions: a, b\n" in text
    assert text.endswith(
        "\nChoose:\n• a: "
        + page
        + "?_options=%5B%22a%22%5D\n• b: "
        + page
        + "?_options=%5B%22b%22%5D\nAnswer: "
        + page
    )
    # Links that would not fit whole are left out (the page's one stays), and a long
    # subject is shortened rather than the links cut.
    six = HITLOperator(task_id="t", subject="S" * 900, options=list("abcdef"), body="why")
    run = SimpleNamespace(dag_id="d" * 100, run_id="r" * 100, task_id="t", map_index=-1)
    text = hitl_message({"task": six, "ti": run}, base_url="https://h", now=NOW, limit=1024)
    assert len(text) <= 1024 and "_options" not in text and "\nwhy\n" in text
    assert text.splitlines()[1] == "*" + "S" * 199 + "…*"
    assert text.endswith(f"/runs/{'r' * 100}/tasks/t/required_actions")


def test_the_readme_template_is_lint_clean(tmp_path: Path) -> None:
    from airflow_provider_whatsapp.message_templates.cli import main

    (tmp_path / "airflow_approval.yaml").write_text(
        yaml.safe_dump(readme_template("airflow_approval")), encoding="utf-8"
    )
    assert main(["lint", str(tmp_path)]) == 0


def test_the_timeout_argument_follows_the_installed_standard_provider(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import airflow.providers.standard as standard

    from airflow_provider_whatsapp.version_compat import hitl_response_timeout

    wait = timedelta(hours=4)
    monkeypatch.setattr(standard, "__version__", "1.13.0")
    assert hitl_response_timeout(wait) == {"response_timeout": wait}
    monkeypatch.setattr(standard, "__version__", "1.12.0")  # Airflow 3.1's constraints
    assert hitl_response_timeout(wait) == {"execution_timeout": wait}


def test_entry_forms_name_their_fields_and_multiple_choices_get_one_link() -> None:
    from airflow.providers.standard.operators.hitl import HITLEntryOperator, HITLOperator
    from airflow.sdk import Param

    ti = SimpleNamespace(dag_id="d", run_id="r", task_id="t", map_index=2)
    entry = HITLEntryOperator(
        task_id="t", subject="Why the rerun?", params={"reason": Param("", type="string")}
    )
    lines = hitl_message({"task": entry, "ti": ti}, base_url="https://h/a", now=NOW).splitlines()
    assert "Options: OK" in lines and "Fields to fill: reason" in lines
    assert "DAG: d · Task: t [2]" in lines
    assert lines[-1] == "Answer: https://h/a/dags/d/runs/r/tasks/t/mapped/2/required_actions"
    several = HITLOperator(task_id="t", subject="Which?", options=["a", "b", "c"], multiple=True)
    text = hitl_message({"task": several, "ti": ti}, base_url="https://h/a", now=NOW)
    assert "\nOptions (one or more): a, b, c\n" in text
    assert "_options" not in text  # a link preselecting one of several answers would mislead


def test_a_text_that_cannot_render_sends_the_request_with_a_note(
    emu: WhatsAppEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.providers.standard.operators.hitl import ApprovalOperator

    monkeypatch.setenv("AIRFLOW__API__BASE_URL", BASE)
    set_connection(monkeypatch, emu.airflow_connection())
    emu.open_window(digits(hr.APPROVER))
    ti = SimpleNamespace(dag_id="d", run_id="r1", task_id="gate", map_index=-1, try_number=1)
    context = {"task": ApprovalOperator(task_id="gate", subject="Ship?"), "ti": ti}

    WhatsAppNotifier(to=hr.APPROVER, text="{{ no_such.thing }}")(context)

    (message,) = emu.messages
    interactive = message.payload["interactive"]
    assert interactive["action"]["parameters"]["url"] == (
        f"{BASE}/dags/d/runs/r1/tasks/gate/required_actions"
    )
    body = interactive["body"]["text"]
    assert body.startswith("✋ Airflow needs your answer\n*Ship?*\n")
    assert body.endswith(
        "(The notifier's text could not be rendered: UndefinedError: 'no_such' is undefined)"
    )
