"""Provider registration: what Airflow reads from ``get_provider_info()`` resolves and is valid."""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.resources
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from airflow.sdk import BaseHook, BaseNotifier, BaseOperator, BaseOperatorLink
from airflow.sdk.bases.sensor import BaseSensorOperator

import airflow_provider_whatsapp
from airflow_provider_whatsapp import get_provider_info
from airflow_provider_whatsapp.client.config import (
    DEFAULT_API_VERSION,
    DEFAULT_GATEWAY_URL,
    ClientConfig,
)
from airflow_provider_whatsapp.version_compat import AIRFLOW_V_3_2_PLUS

DISTRIBUTION = "airflow-provider-whatsapp"
REPO = Path(__file__).resolve().parents[1]
CONNECTION_EXTRAS = {
    "maton_connection",
    "phone_number_id",
    "waba_id",
    "api_version",
    "ctrl_host",
    "allow_insecure_http",
    "timeout",
    "rate_limit",
    "bulk_rate_share",
    "max_retries",
}


@pytest.fixture(scope="module")
def info() -> dict[str, Any]:
    return get_provider_info()


def resolve(path: str) -> Any:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def our_entry_points() -> list[importlib.metadata.EntryPoint]:
    return [
        ep
        for ep in importlib.metadata.entry_points(group="apache_airflow_provider")
        if ep.value.split(":")[0].split(".")[0] == "airflow_provider_whatsapp"
    ]


def test_package_name_is_the_installed_distribution(info: dict[str, Any]) -> None:
    [entry_point] = our_entry_points()
    assert entry_point.value == "airflow_provider_whatsapp:get_provider_info"
    assert entry_point.load() is get_provider_info
    assert entry_point.dist is not None
    assert entry_point.dist.metadata["Name"] == info["package-name"] == DISTRIBUTION
    # Airflow reserves this prefix (and checks where such packages live).
    assert not info["package-name"].startswith("apache-airflow-providers-")
    version = importlib.metadata.version(DISTRIBUTION)
    assert version == airflow_provider_whatsapp.__version__
    assert info["versions"][0] == version


def test_provider_info_matches_airflows_own_schema(info: dict[str, Any]) -> None:
    schema_file = importlib.resources.files("airflow") / "provider_info.schema.json"
    schema = json.loads(schema_file.read_text())
    jsonschema.validate(info, schema)
    json.dumps(info)  # plain JSON: Airflow caches it


def test_every_listed_module_imports_and_holds_what_it_says(info: dict[str, Any]) -> None:
    expectations = {"hooks": BaseHook, "operators": BaseOperator, "sensors": BaseSensorOperator}
    for section in ("hooks", "operators", "sensors", "triggers"):
        assert info[section], section
        for entry in info[section]:
            for module_name in entry["python-modules"]:
                module = importlib.import_module(module_name)
                base = expectations.get(section)
                if base is None:  # triggers: BaseTrigger lives outside airflow.sdk
                    from airflow.triggers.base import BaseTrigger

                    base = BaseTrigger
                ours = [
                    value
                    for value in vars(module).values()
                    if isinstance(value, type)
                    and issubclass(value, base)
                    and value.__module__ == module_name
                ]
                assert ours, f"{module_name} defines no {base.__name__}"
    for path in info["notifications"]:
        assert issubclass(resolve(path), BaseNotifier), path
    for path in info["extra-links"]:
        assert issubclass(resolve(path), BaseOperatorLink), path


def test_connection_type_resolves_to_the_hook(info: dict[str, Any]) -> None:
    from airflow_provider_whatsapp.hooks.whatsapp import WhatsAppHook

    [conn_type] = info["connection-types"]
    assert conn_type["connection-type"] == WhatsAppHook.conn_type == "whatsapp"
    assert resolve(conn_type["hook-class-name"]) is WhatsAppHook
    assert conn_type["hook-name"] == WhatsAppHook.hook_name
    behaviour = conn_type["ui-field-behaviour"]
    assert {"password", "host"}.isdisjoint(behaviour["hidden-fields"])
    assert behaviour["relabeling"]["password"] == "Maton API key"
    assert behaviour["placeholders"]["host"] == DEFAULT_GATEWAY_URL
    assert "MATON_API_KEY" in behaviour["placeholders"]["password"]


def test_conn_fields_are_valid_schemas_for_the_design_extras(info: dict[str, Any]) -> None:
    fields = info["connection-types"][0]["conn-fields"]
    assert set(fields) == CONNECTION_EXTRAS
    code_defaults = {
        "api_version": DEFAULT_API_VERSION,
        "timeout": ClientConfig.timeout,
        "rate_limit": ClientConfig.rate_limit,
        "bulk_rate_share": ClientConfig.bulk_rate_share,
        "max_retries": ClientConfig.max_retries,
        "allow_insecure_http": ClientConfig.allow_insecure_http,
    }
    for name, field in fields.items():
        assert field["label"], name
        schema = field["schema"]
        validator_class = jsonschema.validators.validator_for(schema)
        validator_class.check_schema(schema)
        validator = validator_class(schema)
        assert validator.is_valid(None), f"{name}: an empty field must be allowed"
        if "default" in schema:
            assert validator.is_valid(schema["default"]), name
            assert schema["default"] == code_defaults[name], name
    # A pre-filled ctrl host would be saved into every new connection's extra and send
    # connection calls of an api.maton.ai gateway to the old ctrl.maton.ai.
    assert "default" not in fields["ctrl_host"]["schema"]
    string_fields = {"maton_connection", "phone_number_id", "waba_id", "api_version", "ctrl_host"}
    for name in string_fields:
        assert "string" in fields[name]["schema"]["type"], name
    # The form's types are the hook's: an integer field is read as one, a number as one.
    from airflow_provider_whatsapp.hooks.whatsapp import NUMERIC_EXTRAS

    for name, kind in NUMERIC_EXTRAS.items():
        wanted = "integer" if kind is int else "number"
        assert fields[name]["schema"]["type"] == [wanted, "null"], name
    assert jsonschema.Draft202012Validator(fields["max_retries"]["schema"]).is_valid(3)
    assert not jsonschema.Draft202012Validator(fields["max_retries"]["schema"]).is_valid(2.5)
    assert not jsonschema.Draft202012Validator(fields["timeout"]["schema"]).is_valid("soon")


def run_python(script: str) -> str:
    """``script`` in a fresh interpreter (Airflow's providers manager is a process-wide
    singleton); its stdout."""
    process = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        env=os.environ.copy(),
        text=True,
        timeout=120,
    )
    assert process.returncode == 0, process.stderr[-3000:]
    return process.stdout


CLI_SCRIPT = """
import json, sys
from airflow.__main__ import main
for name in ("list", "hooks", "widgets"):
    sys.argv = ["airflow", "providers", name, "-o", "json"]
    main()
    print("\\n@@END@@", flush=True)
# The link the providers page puts on the package name (the UI falls back to
# airflow.apache.org/docs/<package>/, which does not exist for a third-party provider).
from airflow.providers_manager import ProvidersManager
data = ProvidersManager().providers["airflow-provider-whatsapp"].data
print(json.dumps([data["documentation-url"]]), flush=True)
"""


def test_airflow_cli_lists_the_provider_its_hook_and_fields() -> None:
    """``airflow providers list/hooks/widgets`` through Airflow's CLI ``main`` (in one
    subprocess: a process per command would cost ~3 s each)."""
    chunks = run_python(CLI_SCRIPT).split("@@END@@")
    outputs = {}
    for name, chunk in zip(("list", "hooks", "widgets"), chunks):
        # Log lines (unit-test mode) may precede the JSON document on stdout.
        [document] = [line for line in chunk.splitlines() if line.startswith("[")]
        outputs[name] = json.loads(document)

    [listed] = [p for p in outputs["list"] if p["package_name"] == DISTRIBUTION]
    assert listed["version"] == airflow_provider_whatsapp.__version__
    [hook] = [h for h in outputs["hooks"] if h["connection_type"] == "whatsapp"]
    assert hook == {
        "connection_type": "whatsapp",
        "class": "airflow_provider_whatsapp.hooks.whatsapp.WhatsAppHook",
        "conn_id_attribute_name": "whatsapp_conn_id",
        "package_name": DISTRIBUTION,
        "hook_name": "WhatsApp Business (Maton)",
    }
    widgets = {
        w["connection_parameter_name"]
        for w in outputs["widgets"]
        if w.get("package_name") == DISTRIBUTION
    }
    # 3.1's CLI builds widgets with wtforms, which 3.1's constraints do not install (its UI
    # stands in its own: test_the_ui_draws_the_connection_form_with_every_extra)
    expected = CONNECTION_EXTRAS if AIRFLOW_V_3_2_PLUS else set()
    assert widgets == {f"extra__whatsapp__{name}" for name in expected}
    [documentation_url] = json.loads(chunks[3].strip().splitlines()[-1])
    # 3.1 keeps the space after the comma of "Documentation, <url>"; a browser drops it
    assert documentation_url.strip() == project_urls()["Documentation"]


def project_urls() -> dict[str, str]:
    """``[project.urls]`` as installed: the Project-URL metadata Airflow reads."""
    entries = importlib.metadata.metadata(DISTRIBUTION).get_all("Project-URL") or []
    return dict(tuple(part.strip() for part in entry.split(",", 1)) for entry in entries)


def test_project_urls_point_at_the_docs_site_and_the_repository() -> None:
    """Airflow's providers page links ``Documentation`` (Project-URL metadata): the site
    built from docs/, published as the repository's GitHub Pages; the changelog is the
    repository's."""
    urls = project_urls()
    assert set(urls) >= {"Documentation", "Source", "Changelog"}
    owner, name = urls["Source"].removeprefix("https://github.com/").split("/")
    assert urls["Documentation"] == f"https://{owner}.github.io/{name}/"
    changelog = urls["Changelog"].removeprefix(urls["Source"] + "/blob/main/")
    assert (REPO / changelog).is_file(), urls[
        "Changelog"
    ]  # the link leads to a file of the repository


def test_a_dag_file_import_loads_no_client_hook_or_models() -> None:
    """What a DAG file imports (operators, sensor, notifier) defers the hook, the client,
    the models, the template and bulk machinery and phonenumbers to execution: parse cost
    stays Airflow's.
    (Timings live in ``benchmarks/parse_cost.py``; this checks the structure.)"""
    modules = [
        "airflow_provider_whatsapp.operators.bulk",
        "airflow_provider_whatsapp.operators.media",
        "airflow_provider_whatsapp.operators.messages",
        "airflow_provider_whatsapp.operators.profile",
        "airflow_provider_whatsapp.operators.templates",
        "airflow_provider_whatsapp.sensors.template_status",
        "airflow_provider_whatsapp.notifications.whatsapp",
        "airflow_provider_whatsapp.notifications.deadline",
    ]
    # pydantic, httpx and tenacity come with airflow.sdk itself: what guards our models is
    # that none of our modules built on them is loaded.
    deferred = [
        "airflow_provider_whatsapp.hooks.whatsapp",
        "airflow_provider_whatsapp.client",
        "airflow_provider_whatsapp.client.errors",
        "airflow_provider_whatsapp.client.config",
        "airflow_provider_whatsapp.messages",
        "airflow_provider_whatsapp.messages.phone",
        "airflow_provider_whatsapp.messages.base",
        "airflow_provider_whatsapp.messages.media_files",
        "airflow_provider_whatsapp.message_templates.definition",  # the package itself is a docstring
        "airflow_provider_whatsapp.message_templates.status",
        "airflow_provider_whatsapp.message_templates.sync",
        "airflow_provider_whatsapp.message_templates.loading",
        "airflow_provider_whatsapp.account.profile",
        "airflow_provider_whatsapp.bulk.record",
        "airflow_provider_whatsapp.bulk.recipients",
        "airflow_provider_whatsapp.bulk.sender",
        "airflow_provider_whatsapp.bulk.fanout",
        "airflow_provider_whatsapp.notifications.formatting",
        "airflow_provider_whatsapp.limits",
        "airflow_provider_whatsapp.operators._shape",
        "airflow_provider_whatsapp.triggers.template_status",
        "phonenumbers",
        "tenacity",
    ]
    code = (
        "import sys, airflow.sdk\n"
        "before = set(sys.modules)\n"
        f"for name in {modules!r}: __import__(name)\n"
        f"print(sorted(m for m in {deferred!r} if m in sys.modules and m not in before))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=os.environ
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


FORM_SCRIPT = """
import json
from airflow.api_fastapi.core_api.services.ui.connections import HookMetaService
[meta] = [m for m in HookMetaService.hook_meta_data() if m.connection_type == "whatsapp"]
print("@@FORM@@" + json.dumps(meta.model_dump(mode="json")))
"""


def test_the_ui_draws_the_connection_form_with_every_extra() -> None:
    """What the UI's connection form is drawn from (its hook metadata service): 3.1 builds
    it from the hook's ``get_connection_form_widgets`` / ``get_ui_field_behaviour``, 3.2+
    from provider info ``conn-fields``; either way every extra is there, labelled."""
    [line] = [x for x in run_python(FORM_SCRIPT).splitlines() if x.startswith("@@FORM@@")]
    meta = json.loads(line.removeprefix("@@FORM@@"))
    conn_fields = airflow_provider_whatsapp.get_provider_info()["connection-types"][0][
        "conn-fields"
    ]
    extra = meta["extra_fields"]
    assert set(extra) == set(CONNECTION_EXTRAS)
    for name, field in extra.items():
        assert field["schema"]["title"] == conn_fields[name]["label"], name
        assert "null" in field["schema"]["type"], name  # every extra is optional
    assert "integer" in extra["max_retries"]["schema"]["type"]
    assert extra["phone_number_id"]["description"] == conn_fields["phone_number_id"]["description"]
    standard = meta["standard_fields"]
    assert standard["password"]["title"] == "Maton API key"
    assert standard["host"]["placeholder"] == DEFAULT_GATEWAY_URL
    assert standard["login"]["hidden"] is True
