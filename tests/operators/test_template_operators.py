"""Template operators against the emulator: create, delete, and the declarative sync.

Every test checks the exact requests the emulator received (method, path, query, JSON).
The last two run issue 4's done-when DAG (``tests/dags/template_sync_approval.py``).
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jinja2
import pytest

from airflow_provider_whatsapp.links.whatsapp_manager import MANAGER_URL
from airflow_provider_whatsapp.operators.templates import (
    SYNC_OUTCOMES,
    WhatsAppCreateTemplateOperator,
    WhatsAppDeleteTemplateOperator,
    WhatsAppSyncTemplatesOperator,
)
from airflow_provider_whatsapp.version_compat import AirflowException, AirflowFailException
from tests.helpers import FakeTI

pytestmark = pytest.mark.whatsapp_emulator(rate_limit=None)

DATA = Path(__file__).resolve().parents[1] / "data" / "template_sync"
ACCOUNT, PARTIAL = DATA / "account", DATA / "partial"
WABA = "200000000000001"
TEMPLATES_PATH = f"/whatsapp-business/v21.0/{WABA}/message_templates"
LINK_KEY = "_link_WhatsAppTemplateLink"

ORDER_SHIPPED = {
    "name": "order_shipped",
    "language": "en_US",
    "category": "UTILITY",
    "parameter_format": "NAMED",
    "components": [
        {
            "type": "BODY",
            "text": "Hi {{first_name}}, your order {{order_id}} has shipped.",
            "example": {
                "body_text_named_params": [
                    {"param_name": "first_name", "example": "Ana"},
                    {"param_name": "order_id", "example": "A-1001"},
                ]
            },
        },
        {"type": "FOOTER", "text": "Thanks for shopping with us"},
    ],
}
WELCOME_EN, WELCOME_PT = json.loads((ACCOUNT / "welcome.json").read_text())


def make_context(**extra: Any) -> dict[str, Any]:
    return {"ti": FakeTI(), **extra}


@pytest.fixture
def emulator(whatsapp_emulator, monkeypatch):  # type: ignore[no-untyped-def]
    """The emulator behind ``whatsapp_default``, with client retries off (fast failures)."""
    for name, value in whatsapp_emulator.connection_env(max_retries=0).items():
        monkeypatch.setenv(name, value)
    return whatsapp_emulator


def seed(emulator: Any, definition: dict[str, Any], status: str = "APPROVED") -> str:
    """Store ``definition`` on the account as already reviewed; returns its id."""
    return str(
        emulator.add_template(
            definition["name"],
            definition["language"],
            category=definition["category"],
            components=copy.deepcopy(definition["components"]),
            status=status,
            parameter_format=definition.get("parameter_format"),
        )
    )


def seed_account(emulator: Any) -> dict[tuple[str, str], str]:
    """The account already matching ``account/``: (name, language) -> id."""
    return {
        (d["name"], d["language"]): seed(emulator, d)
        for d in (ORDER_SHIPPED, WELCOME_EN, WELCOME_PT)
    }


def writes(emulator: Any, since: int = 0) -> list[Any]:
    """Write requests (anything but GET), from request number ``since`` on."""
    return [r for r in emulator.requests[since:] if r.method != "GET"]


def sync(emulator: Any, **kwargs: Any) -> tuple[dict[str, Any], FakeTI]:
    kwargs.setdefault("source", str(ACCOUNT))
    context = make_context()
    result = WhatsAppSyncTemplatesOperator(task_id="sync", **kwargs).execute(context)
    return result, context["ti"]


def by_name(result: dict[str, Any]) -> dict[tuple[str, str | None], dict[str, Any]]:
    return {(r["name"], r["language"]): r for r in result["results"]}


def nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in counts.items() if v}


# -- sync: create, idempotence, update, prune, dry run ------------------------------------


def test_sync_creates_missing_templates_then_changes_nothing(emulator: Any) -> None:
    result, ti = sync(emulator)

    posts = writes(emulator)
    assert [(r.method, r.path) for r in posts] == [("POST", TEMPLATES_PATH)] * 3
    assert [r.json for r in posts] == [ORDER_SHIPPED, WELCOME_EN, WELCOME_PT]
    gets = [r for r in emulator.requests if r.method == "GET"]
    assert [(r.path, r.query) for r in gets] == [(TEMPLATES_PATH, {"limit": "100"})]
    assert nonzero(result["counts"]) == {"created": 3}
    assert list(result["counts"]) == list(SYNC_OUTCOMES)
    ids = {(t["name"], t["language"]): t["id"] for t in emulator.templates}
    for key, entry in by_name(result).items():
        assert entry["action"] == "create" and entry["outcome"] == "created"
        assert entry["id"] == ids[key]
    assert result["plan"]["counts"]["create"] == 3
    assert result["plan_only"] is False
    assert ti.xcoms[LINK_KEY] == f"{MANAGER_URL}?asset_id={WABA}"
    json.dumps(result)  # XCom-safe

    # Run again: the templates (now PENDING review) match their files; nothing is sent.
    before = len(emulator.requests)
    again, _ = sync(emulator)
    assert writes(emulator, before) == []
    assert nonzero(again["counts"]) == {"unchanged": 3}
    assert all("PENDING" in r["reason"] for r in again["results"])


def test_a_template_created_meanwhile_by_another_sync_is_judged_not_failed(
    emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two syncs of one account at once (a scheduled and a triggered run): the other one
    creates the templates between our listing and our creates. The API refuses ours
    ("already exists"); that template is then judged as listed: the same is unchanged, a
    different one differs, and the task does not fail."""
    from airflow_provider_whatsapp.client import WhatsAppClient

    shipped_id = seed(emulator, ORDER_SHIPPED)
    seed(emulator, WELCOME_EN)
    edited = copy.deepcopy(WELCOME_PT)
    body = next(c for c in edited["components"] if c["type"] == "BODY")
    body["text"] += " (edited)"
    seed(emulator, edited)
    seed(emulator, {**WELCOME_PT, "name": "welcome_other"})
    # Our listing was taken before the other run created them: only welcome_other in it.
    listed = WhatsAppClient.list_templates
    monkeypatch.setattr(
        WhatsAppClient,
        "list_templates",
        lambda self, *a, **k: [t for t in listed(self, *a, **k) if t["name"] == "welcome_other"],
    )
    result, _ = sync(emulator)
    entries = by_name(result)
    assert nonzero(result["counts"]) == {"unchanged": 2, "differs": 1, "remote_only": 1}
    shipped = entries["order_shipped", "en_US"]
    assert shipped["outcome"] == "unchanged" and shipped["id"] == shipped_id
    assert shipped["reason"].startswith("created meanwhile by another run: ")
    assert entries["welcome", "pt_BR"]["outcome"] == "differs"


def test_sync_update_edits_differing_template_by_id(emulator: Any) -> None:
    seed(emulator, ORDER_SHIPPED)
    seed(emulator, WELCOME_PT)
    old_body = {"type": "BODY", "text": "Hi {{1}}!", "example": {"body_text": [["Ana"]]}}
    welcome_id = seed(emulator, {**WELCOME_EN, "components": [old_body]})

    reported, _ = sync(emulator)  # update=False: reported only
    assert writes(emulator) == []
    entry = by_name(reported)[("welcome", "en_US")]
    assert entry["outcome"] == "differs" and "update=True" in entry["reason"]
    assert nonzero(reported["counts"]) == {"differs": 1, "unchanged": 2}

    updated, _ = sync(emulator, update=True)
    [edit] = writes(emulator)
    assert (edit.method, edit.path) == ("POST", f"/whatsapp-business/v21.0/{welcome_id}")
    # An APPROVED template keeps its category: the edit carries components only.
    assert edit.json == {"components": WELCOME_EN["components"]}
    assert nonzero(updated["counts"]) == {"updated": 1, "unchanged": 2}
    assert by_name(updated)[("welcome", "en_US")]["id"] == welcome_id
    remote = {(t["name"], t["language"]): t for t in emulator.templates}
    assert remote[("welcome", "en_US")]["status"] == "PENDING"  # back to review
    assert remote[("welcome", "en_US")]["components"] == WELCOME_EN["components"]


def test_sync_prune_deletes_remote_only_templates_by_id(emulator: Any) -> None:
    seed_account(emulator)
    legacy_id = seed(emulator, {**WELCOME_EN, "name": "legacy_promo"})
    spanish_id = seed(emulator, {**WELCOME_EN, "language": "es_ES"})

    kept, _ = sync(emulator)  # prune=False
    assert writes(emulator) == []
    assert nonzero(kept["counts"]) == {"unchanged": 3, "remote_only": 2}

    pruned, _ = sync(emulator, prune=True)
    deletes = writes(emulator)
    assert [(r.method, r.path, r.query) for r in deletes] == [
        ("DELETE", TEMPLATES_PATH, {"name": "legacy_promo", "hsm_id": legacy_id}),
        ("DELETE", TEMPLATES_PATH, {"name": "welcome", "hsm_id": spanish_id}),
    ]
    assert nonzero(pruned["counts"]) == {"unchanged": 3, "deleted": 2}
    # Deleting one language by id kept the others of that name.
    assert sorted((t["name"], t["language"]) for t in emulator.templates) == [
        ("order_shipped", "en_US"),
        ("welcome", "en_US"),
        ("welcome", "pt_BR"),
    ]


def test_plan_only_sends_no_write_request(emulator: Any) -> None:
    seed(emulator, ORDER_SHIPPED)
    seed(emulator, {**WELCOME_EN, "components": [{"type": "BODY", "text": "Old text"}]})
    seed(emulator, {**WELCOME_EN, "name": "legacy_promo"})
    op = WhatsAppSyncTemplatesOperator(
        task_id="sync", source=str(ACCOUNT), update=True, prune=True, plan_only="{{ params.dry }}"
    )
    op.render_template_fields({"params": {"dry": True}}, jinja2.Environment())
    assert op.plan_only == "True"  # rendered to text, read as a flag
    result = op.execute(make_context())

    assert {r.method for r in emulator.requests} == {"GET"}
    assert result["plan_only"] is True
    assert nonzero(result["counts"]) == {"planned": 3, "unchanged": 1}
    planned = {
        (r["name"], r["language"]): r["action"]
        for r in result["results"]
        if r["outcome"] == "planned"
    }
    assert planned == {
        ("legacy_promo", "en_US"): "delete",
        ("welcome", "en_US"): "update",
        ("welcome", "pt_BR"): "create",
    }


def test_airflows_own_dry_run_is_not_shadowed(emulator: Any) -> None:
    """``BaseOperator.dry_run()`` (log the template fields) works on the sync operator:
    its own "plan only" argument has a name of its own."""
    op = WhatsAppSyncTemplatesOperator(task_id="sync", source=str(ACCOUNT), plan_only=True)
    op.dry_run()
    assert emulator.requests == []


# -- sync: failures, budget ---------------------------------------------------------------


def test_partial_failure_applies_the_rest_then_fails_with_every_reason(
    emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file that fails to load, and a create the emulator refuses as a duplicate.

    ``taken_name`` is created by another writer between the sync's listing and its
    create (the listing is made to miss it), so the API answers "already exists": not a
    failure, the template is judged as listed (here: it differs from its file).
    """
    from airflow_provider_whatsapp.client import WhatsAppClient

    seed(emulator, {**WELCOME_EN, "name": "taken_name"})
    seed(emulator, {**WELCOME_EN, "name": "legacy_promo"})
    listed = WhatsAppClient.list_templates  # the descriptor; bound below per client
    monkeypatch.setattr(
        WhatsAppClient,
        "list_templates",
        lambda self, **f: [
            t for t in listed.__get__(self, WhatsAppClient)(**f) if t["name"] != "taken_name"
        ],
    )
    context = make_context()
    op = WhatsAppSyncTemplatesOperator(task_id="sync", source=str(PARTIAL), prune=True)
    with pytest.raises(AirflowFailException) as raised:
        op.execute(context)

    posts = writes(emulator)
    assert [(r.method, r.path, r.json["name"], r.status) for r in posts] == [
        ("POST", TEMPLATES_PATH, "payment_due", 200),
        ("POST", TEMPLATES_PATH, "taken_name", 400),
    ]
    assert posts[1].json == json.loads((PARTIAL / "taken.json").read_text())
    result = context["ti"].xcoms["return_value"]  # pushed before failing
    assert nonzero(result["counts"]) == {"created": 1, "failed": 1, "differs": 1, "skipped": 1}
    entries = by_name(result)
    assert entries[("payment_due", "en_US")]["outcome"] == "created"
    assert entries[("no_example", None)]["action"] == "load"
    assert "broken.yaml" in entries[("no_example", None)]["reason"]
    taken = entries[("taken_name", "en_US")]
    assert taken["outcome"] == "differs"
    assert taken["reason"].startswith("created meanwhile by another run: ")
    # A file failed to load: nothing is pruned (it might define the remote-only one).
    assert entries[("legacy_promo", "en_US")]["outcome"] == "skipped"
    message = str(raised.value)
    assert "1 template(s) not synced" in message
    assert "example.body_text is required" in message and "taken_name" not in message


def test_creation_budget_defers_the_rest_without_requests(emulator: Any) -> None:
    context = make_context()
    op = WhatsAppSyncTemplatesOperator(task_id="sync", source=str(ACCOUNT), max_creations=1)
    with pytest.raises(AirflowException) as raised:
        op.execute(context)

    # Deferred creations are transient: a plain AirflowException lets retries continue.
    assert type(raised.value) is AirflowException
    assert [r.json["name"] for r in writes(emulator)] == ["order_shipped"]
    result = context["ti"].xcoms["return_value"]
    assert nonzero(result["counts"]) == {"created": 1, "deferred": 2}
    deferred = [r for r in result["results"] if r["outcome"] == "deferred"]
    assert all("budget of 1" in r["reason"] for r in deferred)


def test_account_creation_limit_stops_creating(
    emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The API's own hourly limit (error 4) defers this template and every later one."""
    from airflow_provider_whatsapp.testing import graph

    monkeypatch.setattr(graph, "HOURLY_TEMPLATE_CREATIONS", 1)
    context = make_context()
    with pytest.raises(AirflowException) as raised:
        WhatsAppSyncTemplatesOperator(task_id="sync", source=str(ACCOUNT)).execute(context)

    assert type(raised.value) is AirflowException
    assert [(r.json["name"], r.status) for r in writes(emulator)] == [
        ("order_shipped", 200),
        ("welcome", 400),
    ]
    result = context["ti"].xcoms["return_value"]
    assert nonzero(result["counts"]) == {"created": 1, "deferred": 2}
    hit, rest = (r for r in result["results"] if r["outcome"] == "deferred")
    assert "code 4" in hit["reason"] and "at most 1 message templates" in hit["reason"]
    assert rest["reason"].startswith("the account's creation limit was reached: ")


def test_a_name_being_deleted_cannot_be_synced(emulator: Any) -> None:
    seed(emulator, ORDER_SHIPPED)
    seed(emulator, WELCOME_PT)
    seed(emulator, WELCOME_EN, status="PENDING_DELETION")
    context = make_context()
    with pytest.raises(AirflowFailException, match=r"welcome \(en_US\): failed: .*rename it"):
        WhatsAppSyncTemplatesOperator(task_id="sync", source=str(ACCOUNT)).execute(context)
    assert writes(emulator) == []
    result = context["ti"].xcoms["return_value"]
    assert nonzero(result["counts"]) == {"unchanged": 2, "failed": 1}
    assert by_name(result)[("welcome", "en_US")]["action"] == "blocked"


def test_relative_source_is_found_beside_the_dag_file(emulator: Any, tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "welcome.json").write_text(json.dumps(WELCOME_EN))
    dag = SimpleNamespace(fileloc=str(tmp_path / "my_dag.py"))
    op = WhatsAppSyncTemplatesOperator(task_id="sync", source="templates", plan_only=True)
    result = op.execute(make_context(dag=dag))
    assert result["results"] == [
        {
            "name": "welcome",
            "language": "en_US",
            "action": "create",
            "outcome": "planned",
            "reason": "not on the account: will be created",
            "id": None,
        }
    ]


# -- create / delete -------------------------------------------------------------------------


@pytest.mark.parametrize("given", ["dict", "yaml file"])
def test_create_template(emulator: Any, given: str) -> None:
    definition: Any = ORDER_SHIPPED if given == "dict" else str(ACCOUNT / "order_shipped.yaml")
    context = make_context()
    result = WhatsAppCreateTemplateOperator(task_id="create", definition=definition).execute(
        context
    )

    [post] = writes(emulator)
    assert (post.method, post.path, post.json) == ("POST", TEMPLATES_PATH, ORDER_SHIPPED)
    [stored] = emulator.templates
    assert result == {
        "id": stored["id"],
        "status": "PENDING",
        "category": "UTILITY",
        "name": "order_shipped",
        "language": "en_US",
    }
    link = context["ti"].xcoms[LINK_KEY]
    assert link == f"{MANAGER_URL}?asset_id={WABA}&id={stored['id']}&name=order_shipped"


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        (
            {**WELCOME_EN, "components": [{"type": "BODY", "text": "Hello {{1}}, welcome."}]},
            "example.body_text is required",
        ),
        (str(ACCOUNT / "welcome.json"), "holds 2 templates"),
        (str(DATA / "README.md"), "not a .json/.yaml/.yml file"),
    ],
)
def test_create_template_refuses_bad_definitions_before_any_request(
    emulator: Any, definition: Any, expected: str
) -> None:
    with pytest.raises(AirflowFailException, match=expected):
        WhatsAppCreateTemplateOperator(task_id="create", definition=definition).execute(
            make_context()
        )
    assert emulator.requests == []


def test_delete_template_every_language_or_one(emulator: Any) -> None:
    ids = seed_account(emulator)

    one = WhatsAppDeleteTemplateOperator(task_id="d1", template_name="welcome", language="pt_BR")
    assert one.execute(make_context()) == {"name": "welcome", "language": "pt_BR", "deleted": True}
    every = WhatsAppDeleteTemplateOperator(task_id="d2", template_name="{{ params.name }}")
    every.render_template_fields({"params": {"name": "order_shipped"}}, jinja2.Environment())
    assert every.execute(make_context())["deleted"] is True

    assert [(r.method, r.path, r.query) for r in writes(emulator)] == [
        ("DELETE", TEMPLATES_PATH, {"name": "welcome", "hsm_id": ids[("welcome", "pt_BR")]}),
        ("DELETE", TEMPLATES_PATH, {"name": "order_shipped"}),
    ]
    assert [(t["name"], t["language"]) for t in emulator.templates] == [("welcome", "en_US")]


def test_delete_missing_template(emulator: Any) -> None:
    gone = WhatsAppDeleteTemplateOperator(task_id="d", template_name="nope", missing_ok=True)
    assert gone.execute(make_context()) == {"name": "nope", "language": None, "deleted": False}
    strict = WhatsAppDeleteTemplateOperator(task_id="d", template_name="nope")
    with pytest.raises(AirflowFailException, match="template 'nope' in any language"):
        strict.execute(make_context())


@pytest.mark.parametrize(
    ("name", "language", "looked_for"),
    [
        ("nope", None, "template 'nope' in any language"),
        ("nope", "en_US", "template 'nope' in language 'en_US'"),
        ("welcome", "fr_FR", "template 'welcome' in language 'fr_FR'"),  # other languages exist
    ],
)
def test_deleting_a_missing_template_says_what_was_looked_for_and_where(
    emulator: Any, name: str, language: str | None, looked_for: str
) -> None:
    """Not "check the phone_number_id / waba_id / id": the name, the language, the WABA."""
    from airflow_provider_whatsapp.client.errors import TemplateNotFoundError

    seed_account(emulator)
    before = [(t["name"], t["language"]) for t in emulator.templates]
    strict = WhatsAppDeleteTemplateOperator(task_id="d", template_name=name, language=language)
    with pytest.raises(AirflowFailException) as failure:
        strict.execute(make_context())
    text = str(failure.value)
    assert f"{looked_for} does not exist in WhatsApp Business account (waba_id) '{WABA}'" in text
    assert "phone_number_id" not in text
    assert isinstance(failure.value.__cause__, TemplateNotFoundError)
    assert [(t["name"], t["language"]) for t in emulator.templates] == before
    if language is None:  # Graph's own "can't be found": its codes are kept
        assert text.startswith("[HTTP 400, code 100/2593002] ")


def test_deleting_from_an_unknown_waba_names_that_waba_even_with_missing_ok(emulator: Any) -> None:
    """A wrong waba_id is a setting to fix, not "nothing to delete"."""
    ids = seed_account(emulator)
    for language in (None, "en_US"):
        lenient = WhatsAppDeleteTemplateOperator(
            task_id="d", template_name="welcome", language=language, waba_id="999", missing_ok=True
        )
        with pytest.raises(AirflowFailException, match="'999' does not exist") as failure:
            lenient.execute(make_context())
        assert "waba_id" in str(failure.value)
    assert {(t["name"], t["language"]) for t in emulator.templates} == set(ids)


# -- issue 4's done-when: sync a folder, then wait (deferred) for approval -----------------


@pytest.mark.dag
@pytest.mark.whatsapp_emulator(rate_limit=None, review_delay=0, review_after_reads=1)
def test_sync_then_approval_dag_runs_green(
    airflow_db: Path, whatsapp_emulator_connection: Any
) -> None:
    from tests.dags.template_sync_approval import dag

    dr = dag.test()

    assert dr.state == "success"
    states = {(ti.task_id, ti.map_index): ti.state for ti in dr.get_task_instances()}
    assert states == {
        ("sync_templates", -1): "success",
        ("to_wait_for", -1): "success",
        ("wait_for_approval", 0): "success",
        ("wait_for_approval", 1): "success",
    }
    assert [(r.method, r.json["name"]) for r in writes(whatsapp_emulator_connection)] == [
        ("POST", "release_notice"),
        ("POST", "release_rollback"),
    ]
    assert {t["name"]: t["status"] for t in whatsapp_emulator_connection.templates} == {
        "release_notice": "APPROVED",
        "release_rollback": "APPROVED",
    }
    # Each sensor found its template PENDING and deferred: the trigger polled again.
    polls = Counter(
        r.query.get("name") for r in whatsapp_emulator_connection.requests if r.method == "GET"
    )
    assert (polls["release_notice"], polls["release_rollback"]) == (2, 2)


@pytest.mark.dag
@pytest.mark.whatsapp_emulator(
    rate_limit=None,
    review_delay=0,
    review_after_reads=1,
    reject_templates={"release_rollback": "PROMOTIONAL"},
)
def test_sync_then_approval_dag_fails_with_the_rejection_reason(
    airflow_db: Path, whatsapp_emulator_connection: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    from tests.dags.template_sync_approval import dag

    dr = dag.test()

    assert dr.state == "failed"
    states = {(ti.task_id, ti.map_index): ti.state for ti in dr.get_task_instances()}
    assert states[("sync_templates", -1)] == "success"
    assert sorted(s for (task, _), s in states.items() if task == "wait_for_approval") == [
        "failed",
        "success",
    ]
    log = capfd.readouterr().out
    assert "template 'release_rollback' (en_US) is REJECTED: reason PROMOTIONAL" in log
