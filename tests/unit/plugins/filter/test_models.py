# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the models role's filters: the declared list and each node's plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.ollama_lab.distributed.plugins.filter.models import (
    FilterModule, models_canonical, models_declared, models_file_name, models_names, models_plan)

ROOT = Path(__file__).resolve().parents[4]
LAB_MANIFEST = ROOT / "roles" / "models" / "files" / "lab-tiny.json"


def manifest(tmp_path: Path, name: str, filename: str = "m.json") -> Path:
    path = tmp_path / filename
    path.write_text(json.dumps({"name": name, "size": 1024, "details": {"family": "tiny"}}))
    return path


def test_names_follow_the_node() -> None:
    assert models_canonical("tiny") == "tiny:latest"
    assert models_canonical(" llama3.2:1b ") == "llama3.2:1b"
    assert models_canonical("registry.local:5000/lib/tiny") == "registry.local:5000/lib/tiny:latest"
    assert models_file_name("tiny") == "tiny_latest.json"
    assert models_file_name("lib/llama3.2:1b") == "lib_llama3.2_1b.json"
    assert set(FilterModule().filters()) == {"models_canonical", "models_file_name", "models_declared", "models_names", "models_plan"}


def test_declared_models_are_normalised(tmp_path: Path) -> None:
    src = manifest(tmp_path, "lab-tiny:latest")
    out = models_declared(["tiny", {"name": "lab-tiny", "source": "m.json"}, {"name": "old:1b", "state": "absent"}],
                          [str(tmp_path / "nowhere"), str(tmp_path)])
    assert [d["canonical"] for d in out] == ["tiny:latest", "lab-tiny:latest", "old:1b"]
    assert [d["state"] for d in out] == ["present", "present", "absent"]
    assert out[0]["manifest"] is None and out[0]["source"] is None
    assert out[1]["source_path"] == str(src.resolve()) and out[1]["manifest"]["size"] == 1024
    assert out[1]["file"] == "lab-tiny_latest.json"
    assert models_declared(None) == [] and models_declared([]) == []


def test_an_absent_model_needs_no_readable_source(tmp_path: Path) -> None:
    out = models_declared([{"name": "gone", "state": "absent", "source": "/nonexistent.json"}])
    assert out[0]["manifest"] is None


@pytest.mark.parametrize("declared, words", [
    ("tiny", "models_list must be a list"),
    ([{"name": ""}], "models_list[0]: name '' is not a model name"),
    ([{"name": "bad name"}], "expected something like tiny or llama3.2:1b"),
    ([{"name": "tiny", "state": "gone"}], "models_list[0] (tiny): state 'gone' is not one of present, absent"),
    ([{"name": "tiny", "stat": "absent"}], "unknown key(s) stat; expected only name, state, source"),
    (["tiny", {"name": "tiny:latest", "state": "absent"}], "models_list[1] (tiny:latest): declared twice (also as tiny)"),
    ([{"name": "tiny", "source": "/nonexistent/m.json"}], "source '/nonexistent/m.json' is not a file on the controller"),
    ([{"name": "tiny", "source": 3}], "source 3 is not a path"),
    ([42], "models_list[0]: 42 is not a model"),
])
def test_bad_declarations_fail_naming_the_variable_and_the_item(declared, words) -> None:
    with pytest.raises(AnsibleFilterError) as err:
        models_declared(declared)
    assert words in str(err.value)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    with pytest.raises(AnsibleFilterError) as err:
        models_declared([{"name": "a", "state": "x"}, {"name": "b b"}], var="seat_models")
    text = str(err.value)
    assert "seat_models[0] (a): state 'x'" in text and "seat_models[1]: name 'b b'" in text


def test_a_source_must_describe_the_declared_model(tmp_path: Path) -> None:
    manifest(tmp_path, "other")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(AnsibleFilterError) as err:
        models_declared([{"name": "tiny", "source": "m.json"}, {"name": "t2", "source": "bad.json"}], [str(tmp_path)])
    text = str(err.value)
    assert "describes model 'other'; expected its \"name\" to be 'tiny:latest'" in text
    assert "bad.json is not a readable JSON manifest" in text


def test_the_shipped_lab_manifest_is_valid() -> None:
    (lab,) = models_declared([{"name": "lab-tiny", "source": "lab-tiny.json"}], [str(LAB_MANIFEST.parent)])
    assert lab["canonical"] == "lab-tiny:latest" and lab["manifest"]["size"] > 0
    assert lab["manifest"]["details"]["family"]


DECLARED = models_declared(["a", "b:1b", {"name": "old", "state": "absent"}])


def names(items) -> list[str]:
    return [d["canonical"] for d in items]


def test_the_seed_node_brings_in_what_no_member_has_and_the_others_pull_it() -> None:
    seed = models_plan(DECLARED, [], ["b:1b"], seed=True)
    assert names(seed["seed"]) == ["a:latest"] and names(seed["pull"]) == ["b:1b"] and seed["delete"] == []
    other = models_plan(DECLARED, [], ["b:1b"], seed=False)
    assert other["seed"] == [] and names(other["pull"]) == ["a:latest", "b:1b"]


def test_absent_models_are_deleted_where_present_and_nothing_else() -> None:
    plan = models_plan(DECLARED, ["a:latest", "b:1b", "old:latest", "mine:7b"], ["a", "b:1b", "old", "mine:7b"], True)
    assert plan == {"delete": ["old:latest"], "seed": [], "pull": []}


def test_purge_deletes_every_model_not_declared_present() -> None:
    plan = models_plan(DECLARED, ["a", "mine:7b", "old"], ["a", "mine:7b", "old"], purge=True)
    assert plan["delete"] == ["mine:7b", "old:latest"] and names(plan["pull"]) == ["b:1b"]
    assert models_plan([], ["x"], ["x"], purge=True)["delete"] == ["x:latest"]


def test_a_converged_node_has_nothing_to_do() -> None:
    assert models_plan(DECLARED, ["a", "b:1b"], ["a", "b:1b"], True) == {"delete": [], "seed": [], "pull": []}


def test_names_of_a_state_read_no_file_and_skip_bad_items() -> None:
    declared = ["a", {"name": "b:1b", "source": "/nonexistent.json"}, {"name": "c", "state": "absent"}, 7, {"x": 1}, "a:latest"]
    assert models_names(declared) == ["a:latest", "b:1b"]
    assert models_names(declared, "absent") == ["c:latest"]
    assert models_names(None) == [] and models_names("a") == []
