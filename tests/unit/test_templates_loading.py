"""load_template_files: folders of YAML and JSON, every shape, one bad file never stops the rest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from airflow_provider_whatsapp.message_templates.loading import (
    load_template_files,
    validate_templates,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "templates"
MIXED = DATA / "mixed_folder"


def test_mixed_folder() -> None:
    result = load_template_files(MIXED)
    assert sorted(t.key for t in result.templates) == [
        ("appointment_reminder", "pt_BR"),
        ("good_one", "en_US"),
        ("order_update", "en_US"),
        ("password_reset_code", "en"),
        ("spring_sale", "en_US"),
        ("welcome_back", "en"),
    ]
    assert [Path(f).name for f in result.files] == [
        "broken.yaml",
        "duplicate_a.yaml",
        "duplicate_b.json",
        "examples_shape.json",
        "marketing.yaml",
        "one_bad_one_good.yaml",
        "utility.json",
    ]
    assert not result.ok
    by_file = {(Path(e.path).name, e.template_name): e.reason for e in result.errors}
    assert set(by_file) == {
        ("broken.yaml", None),
        ("one_bad_one_good.yaml", "bad_one"),
        ("duplicate_a.yaml", "shipping_notice"),
        ("duplicate_b.json", "shipping_notice"),
    }
    assert by_file[("broken.yaml", None)].startswith("unreadable: while parsing a flow sequence")
    assert by_file[("one_bad_one_good.yaml", "bad_one")] == (
        "components[0](BODY): example.body_text is required: 1 value(s) for {{1}}; "
        "components[1](FOOTER).text: 62 characters, over the limit of 60"
    )
    assert (
        "'shipping_notice' (en_US) is defined 2 times"
        in by_file[("duplicate_a.yaml", "shipping_notice")]
    )


def test_sources_say_where_each_template_came_from() -> None:
    result = load_template_files(MIXED)
    assert Path(result.sources[("order_update", "en_US")]).name == "marketing.yaml"
    assert Path(result.sources[("welcome_back", "en")]).name == "examples_shape.json"


def test_yaml_values_are_normalised() -> None:
    result = load_template_files(MIXED / "marketing.yaml")
    spring = next(t for t in result.templates if t.name == "spring_sale")
    assert spring.category == "MARKETING"
    assert spring.component("BODY").text.endswith("until Sunday.")  # the block's newline is gone
    assert result.ok


def test_recursive_reads_sub_folders_and_multi_document_yaml() -> None:
    flat = {t.name for t in load_template_files(MIXED).templates}
    deep = {t.name for t in load_template_files(MIXED, recursive=True).templates}
    assert deep - flat == {"nested_one", "nested_two"}


def test_explicit_paths_and_a_missing_one(tmp_path: Path) -> None:
    result = load_template_files([MIXED / "utility.json", str(tmp_path / "missing.yaml")])
    assert [t.name for t in result.templates] == ["appointment_reminder"]
    assert [(Path(e.path).name, e.reason) for e in result.errors] == [
        ("missing.yaml", "no such file or folder")
    ]


def test_the_meta_examples_folder_loads_cleanly() -> None:
    result = load_template_files(DATA / "meta_examples")
    assert result.ok, result.error_summary()
    assert len(result.templates) == 13


def test_duplicates_inside_one_file(tmp_path: Path) -> None:
    one = {
        "name": "dup",
        "language": "en",
        "category": "UTILITY",
        "components": [{"type": "BODY", "text": "Hi."}],
    }
    other_language = one | {"language": "es"}
    (tmp_path / "dups.json").write_text(json.dumps([one, one, other_language]))
    result = load_template_files(tmp_path)
    assert [t.key for t in result.templates] == [("dup", "es")]
    assert len(result.errors) == 2


def test_dict_of_names_must_agree(tmp_path: Path) -> None:
    body = {
        "language": "en",
        "category": "UTILITY",
        "components": [{"type": "BODY", "text": "Hi."}],
    }
    (tmp_path / "t.json").write_text(json.dumps({"alpha": body, "beta": body | {"name": "gamma"}}))
    result = load_template_files(tmp_path)
    assert [t.name for t in result.templates] == ["alpha"]
    assert [(e.template_name, e.reason) for e in result.errors] == [
        ("beta", "is filed under 'beta' but its name is 'gamma'")
    ]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("", "holds no template"),
        ("just a string", "expected a template (a mapping with 'name')"),
        ("- 1\n- 2", "list item"),
    ],
)
def test_shapes_that_are_not_templates(tmp_path: Path, content: str, reason: str) -> None:
    (tmp_path / "odd.yaml").write_text(content)
    result = load_template_files(tmp_path / "odd.yaml")
    assert result.templates == []
    assert result.errors and all(e.reason.startswith(reason) for e in result.errors)


def test_missing_name_is_reported_by_the_model(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text("language: en\ncategory: UTILITY\ncomponents: []\n")
    (error,) = load_template_files(tmp_path).errors
    assert error.template_name is None
    assert "name: Field required" in error.reason


def test_empty_folder_and_wrong_suffix(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    assert [e.reason for e in load_template_files(tmp_path).errors] == [
        "holds no .yaml/.yml/.json file"
    ]
    assert [e.reason for e in load_template_files(tmp_path / "notes.txt").errors] == [
        "not a .yaml, .yml or .json file"
    ]


def test_validate_templates_in_memory() -> None:
    result = validate_templates(
        [{"name": "x", "language": "en", "category": "UTILITY", "components": []}],
        source="inline",
    )
    assert [str(e) for e in result.errors] == [
        "inline: template 'x': components: a template needs exactly 1 BODY component, got 0"
    ]
