"""whatsapp-templates lint: the sync's rules on files, one line per problem, exit status."""

from __future__ import annotations

import copy
import io
import json
import re
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
import yaml

from airflow_provider_whatsapp.message_templates.cli import main
from airflow_provider_whatsapp.message_templates.loading import load_template_files

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data" / "templates"
CLI_MODULE = "airflow_provider_whatsapp.message_templates.cli"
EXAMPLES = REPO / "example_dags" / "templates"

GOOD: dict[str, Any] = {
    "name": "order_update",
    "language": "en_US",
    "category": "UTILITY",
    "components": [
        {
            "type": "HEADER",
            "format": "TEXT",
            "text": "Order {{1}}",
            "example": {"header_text": ["42"]},
        },
        {
            "type": "BODY",
            "text": "Hi {{1}}, your order {{2}} ships today.",
            "example": {"body_text": [["Ana", "42"]]},
        },
        {"type": "FOOTER", "text": "Reply STOP to opt out"},
        {
            "type": "BUTTONS",
            "buttons": [
                {"type": "QUICK_REPLY", "text": "Thanks"},
                {
                    "type": "URL",
                    "text": "Track",
                    "url": "https://example.com/t/{{1}}",
                    "example": ["42"],
                },
            ],
        },
    ],
}
HEADER, BODY, FOOTER, BUTTONS = (GOOD["components"][i] for i in range(4))


def run(*args: str | Path) -> tuple[int, list[str], str]:
    """main() in this process: exit status, problem lines, summary."""
    out, err = io.StringIO(), io.StringIO()
    status = main(["lint", *map(str, args)], out=out, err=err)
    return status, out.getvalue().splitlines(), err.getvalue()


def write(folder: Path, name: str, *templates: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    data: Any = templates[0] if len(templates) == 1 else list(templates)
    if name.endswith(".json"):
        path.write_text(json.dumps(data))
    else:
        path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def changed(**edits: Any) -> dict[str, Any]:
    """GOOD with top-level keys replaced and components edited: ``BODY={...}`` merges."""
    data = copy.deepcopy(GOOD)
    for key, value in edits.items():
        if key in ("HEADER", "BODY", "FOOTER", "BUTTONS"):
            index = ("HEADER", "BODY", "FOOTER", "BUTTONS").index(key)
            data["components"][index] = {**data["components"][index], **value}
        else:
            data[key] = value
    return data


def test_good_files_exit_0(tmp_path: Path) -> None:
    path = write(tmp_path, "order.yaml", GOOD)
    status, lines, summary = run(path)
    assert (status, lines) == (0, [])
    assert summary.strip() == "1 template(s) in 1 file(s): OK"


def test_the_shipped_examples_and_meta_examples_are_clean() -> None:
    status, lines, summary = run(EXAMPLES, DATA / "meta_examples")
    assert (status, lines) == (0, []), lines
    assert summary.startswith("16 template(s)")


NO_EXAMPLE: dict[str, Any] = {"example": None}


@pytest.mark.parametrize(
    ("template", "field", "message"),
    [
        pytest.param(
            changed(BODY={"text": "{{1}}, your order {{2}} ships today."}),
            "components[1](BODY)",
            "text must not start or end with a placeholder",
            id="body-starts-with-placeholder",
        ),
        pytest.param(
            changed(BODY={"text": "Hi {{1}}, your order ships on {{2}}"}),
            "components[1](BODY)",
            "text must not start or end with a placeholder",
            id="body-ends-with-placeholder",
        ),
        pytest.param(
            changed(BODY={"text": "Hi {{1}}, your order {{3}} ships today."}),
            "components[1](BODY)",
            "text placeholders must run {{1}}..{{2}} without gaps, found {{1}}, {{3}}",
            id="placeholder-gap",
        ),
        pytest.param(
            changed(BODY={"text": "Hi {{1}}, your order {{order_id}} ships today."}),
            "components[1](BODY)",
            "text mixes {{1}}-style and named placeholders",
            id="mixed-placeholders",
        ),
        pytest.param(
            changed(
                BODY={
                    "text": "Hi {{first_name}}, your order ships today.",
                    "example": {
                        "body_text_named_params": [{"param_name": "first_name", "example": "Ana"}]
                    },
                }
            ),
            "components[1](BODY).text",
            "has named placeholders {{first_name}}: set parameter_format: NAMED",
            id="named-without-parameter-format",
        ),
        pytest.param(
            changed(BODY={"example": None}),
            "components[1](BODY)",
            "example.body_text is required: 2 value(s) for {{1}}, {{2}}",
            id="body-example-missing",
        ),
        pytest.param(
            changed(HEADER={"example": None}),
            "components[0](HEADER)",
            "example.header_text is required: 1 value(s) for {{1}}",
            id="header-example-missing",
        ),
        pytest.param(
            changed(HEADER={"text": "H" * 61, "example": None}),
            "components[0](HEADER).text",
            "61 characters, over the limit of 60",
            id="header-length",
        ),
        pytest.param(
            changed(BODY={"text": "B" * 1025, "example": None}),
            "components[1](BODY).text",
            "1025 characters, over the limit of 1024",
            id="body-length",
        ),
        pytest.param(
            changed(FOOTER={"text": "F" * 61}),
            "components[2](FOOTER).text",
            "61 characters, over the limit of 60",
            id="footer-length",
        ),
        pytest.param(
            changed(category="PROMOTION"),
            "category",
            "Input should be 'AUTHENTICATION', 'MARKETING' or 'UTILITY'",
            id="category",
        ),
        pytest.param(
            changed(BUTTONS={"buttons": [{"type": "QUICK_REPLY", "text": "T" * 26}]}),
            "components[3](BUTTONS).buttons[0](QUICK_REPLY).text",
            "26 characters, over the limit of 25",
            id="button-text-length",
        ),
        pytest.param(
            changed(
                BUTTONS={
                    "buttons": [
                        {"type": "QUICK_REPLY", "text": "Yes"},
                        {"type": "PHONE_NUMBER", "text": "Call", "phone_number": "+15551234567"},
                        {"type": "QUICK_REPLY", "text": "No"},
                    ]
                }
            ),
            "components[3](BUTTONS)",
            "QUICK_REPLY buttons must be grouped together",
            id="quick-replies-interleaved",
        ),
        pytest.param(
            changed(
                BUTTONS={
                    "buttons": [
                        {
                            "type": "URL",
                            "text": "Go",
                            "url": "https://e.com/{{1}}/x",
                            "example": ["1"],
                        }
                    ]
                }
            ),
            "components[3](BUTTONS).buttons[0](URL)",
            "url takes one placeholder, {{1}}, at its very end",
            id="url-placeholder-not-at-end",
        ),
        pytest.param(
            changed(BUTTONS={"buttons": [{"type": "OTP", "otp_type": "COPY_CODE"}]}),
            "components[3](BUTTONS)",
            "OTP buttons are for AUTHENTICATION templates",
            id="otp-outside-authentication",
        ),
        pytest.param(
            changed(message_send_ttl_seconds=10),
            "message_send_ttl_seconds",
            "10 is outside 30..43200, the range of UTILITY templates",
            id="ttl-range",
        ),
        pytest.param(
            changed(name="Order Update"),
            "name",
            "must match ^[a-z0-9_]{1,512}$",
            id="name",
        ),
    ],
)
def test_each_rule_gives_its_line(
    tmp_path: Path, template: dict[str, Any], field: str, message: str
) -> None:
    path = write(tmp_path, "order.yaml", template)
    status, lines, summary = run(path)
    assert status == 1
    (line,) = lines
    label = f"{path}:{template['name']}(en_US): {field}: "
    assert line.startswith(label), line
    assert message in line[len(label) :], line
    assert summary.strip() == "1 problem(s) in 1 file(s)"


def test_every_problem_of_a_template_has_its_own_line(tmp_path: Path) -> None:
    bad = changed(HEADER={"text": "H" * 61, "example": None}, FOOTER={"text": "F" * 61})
    path = write(tmp_path, "order.json", bad, changed(name="other_one"))
    status, lines, _ = run(path)
    assert status == 1
    assert lines == [
        f"{path}:order_update(en_US): components[0](HEADER).text: "
        "61 characters, over the limit of 60",
        f"{path}:order_update(en_US): components[2](FOOTER).text: "
        "61 characters, over the limit of 60",
    ]


def test_duplicate_name_and_language_across_files(tmp_path: Path) -> None:
    first = write(tmp_path, "a.yaml", GOOD)
    second = write(tmp_path / "more", "b.json", changed(language="en-US"))  # same, spelt so
    write(tmp_path, "c.yaml", changed(language="pt_BR"))  # another language: fine
    status, lines, _ = run(first, second, tmp_path / "c.yaml")
    assert status == 1
    reason = f"'order_update' (en_US) is defined 2 times: {first}, {second}"
    assert lines == [
        f"{first}:order_update(en_US): name: {reason}",
        f"{second}:order_update(en_US): name: {reason}",
    ]


def test_a_folder_and_recursive(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD)
    write(tmp_path, "b.yaml", changed(name="second", BODY={"example": None}))
    nested = write(tmp_path / "deeper", "c.yml", changed(name="third", category="PROMO"))
    (tmp_path / "notes.txt").write_text("not a template: ignored in a folder")
    status, lines, summary = run(tmp_path)
    assert status == 1
    assert lines == [
        f"{tmp_path / 'b.yaml'}:second(en_US): components[1](BODY): "
        "example.body_text is required: 2 value(s) for {{1}}, {{2}}"
    ]
    assert summary.strip() == "1 problem(s) in 2 file(s)"
    status, lines, _ = run("--recursive", tmp_path)
    assert status == 1 and len(lines) == 2
    assert lines[1].startswith(f"{nested}:third(en_US): category: ")


def test_file_level_problems_and_exit_codes(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\ncomponents: [unclosed\n")
    (tmp_path / "empty.yaml").write_text("")
    status, lines, _ = run(broken, tmp_path / "empty.yaml")
    assert status == 1
    assert lines[0].startswith(f"{broken}: unreadable: ")
    assert lines[1] == f"{tmp_path / 'empty.yaml'}: holds no template"
    # a path that does not exist is a usage error (exit 2), as documented, not a problem
    status, lines, summary = run(broken, tmp_path / "missing.yaml")
    assert (status, lines) == (2, [])
    assert f"error: no such file or folder: {tmp_path / 'missing.yaml'}" in summary
    with pytest.raises(SystemExit) as usage:
        main(["lint"], err=io.StringIO())
    assert usage.value.code == 2


def lint_process(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The CLI as pre-commit runs it: its own process, paths relative to the repository."""
    return subprocess.run(
        [sys.executable, "-m", CLI_MODULE, "lint", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


@pytest.mark.parametrize(
    "args",
    [
        ("good/", "good/order_update.yaml"),  # a folder and a file in it
        ("good/order_update.yaml", "good/", "good/order_update.yaml"),
        ("good", "./good/order_update.yaml", "good/../good/order_update.yaml"),
    ],
)
def test_a_file_given_twice_is_no_duplicate_of_itself(tmp_path: Path, args: tuple[str]) -> None:
    write(tmp_path / "good", "order_update.yaml", GOOD)
    write(tmp_path / "good", "other.yaml", changed(name="other"))
    done = lint_process(*args, cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, ""), done.stdout + done.stderr[-2000:]
    assert done.stderr.strip() == "2 template(s) in 2 file(s): OK"
    loaded = load_template_files([tmp_path / "good", tmp_path / "good" / "order_update.yaml"])
    assert loaded.ok and len(loaded.templates) == 2  # the sync's loader, the same


def test_a_real_duplicate_is_still_found_next_to_a_repeated_file(tmp_path: Path) -> None:
    write(tmp_path / "good", "order_update.yaml", GOOD)
    write(tmp_path / "good", "copy.json", GOOD)
    done = lint_process("good/", "good/order_update.yaml", cwd=tmp_path)
    assert done.returncode == 1
    reason = "'order_update' (en_US) is defined 2 times: good/copy.json, good/order_update.yaml"
    assert done.stdout.splitlines() == [
        f"good/copy.json:order_update(en_US): name: {reason}",
        f"good/order_update.yaml:order_update(en_US): name: {reason}",
    ]


def test_a_missing_path_exits_2_naming_it(tmp_path: Path) -> None:
    """README: exit 2 on a usage error; a mistyped path is one, not a template problem."""
    write(tmp_path / "good", "order_update.yaml", GOOD)
    done = lint_process("good/", "god/order_update.yaml", cwd=tmp_path)
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stdout == ""
    assert "whatsapp-templates lint: error: no such file or folder: god/order_update.yaml" in (
        done.stderr
    )
    assert done.stderr.startswith("usage: whatsapp-templates lint ")


def test_the_lint_reports_exactly_what_the_sync_loader_finds() -> None:
    """One rule book: every loader error (what the sync operator refuses) is a lint line."""
    loaded = load_template_files(DATA / "mixed_folder")
    status, lines, _ = run(DATA / "mixed_folder")
    assert status == 1 and loaded.errors
    assert {(e.path, e.template_name) for e in loaded.errors} == {
        (line.split(":")[0], (re.match(r"[^:]+:(\w+)\(", line) or [None, None])[1])
        for line in lines
    }
    assert sum(max(1, len(e.issues)) for e in loaded.errors) == len(lines)


def test_console_script_and_module_run_without_airflow_or_httpx(tmp_path: Path) -> None:
    (script,) = entry_points(group="console_scripts", name="whatsapp-templates")
    assert script.load() is main
    path = write(tmp_path / "templates", "order.yaml", changed(BODY={"example": None}))
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", CLI_MODULE, "lint", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stderr[-2000:]
    assert done.stdout.startswith(f"{path}:order_update(en_US): components[1](BODY): ")
    imported = {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "airflow_provider_whatsapp.message_templates.definition" in imported  # the rules ran
    assert not {m for m in imported if m == "airflow" or m.startswith("airflow.")}
    assert not {m for m in imported if m.split(".")[0] in ("httpx", "httpcore", "anyio")}


def test_pre_commit_hook_file_names_the_entry() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    (hook,) = (h for h in hooks if h["id"] == "whatsapp-templates-lint")
    command, subcommand = hook["entry"].split()
    assert (command, subcommand) == ("whatsapp-templates", "lint")
    assert entry_points(group="console_scripts", name=command)
    assert hook["language"] == "python" and hook["name"]
    files = re.compile(hook["files"])
    assert files.search("templates/order.yaml") and files.search("dags/templates/a.json")
    assert not files.search("dags/order.py") and not files.search(".pre-commit-config.yaml")
