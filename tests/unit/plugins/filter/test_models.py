# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the models role's filters: the declared list and each node's plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.ollama_lab.distributed.plugins.filter.models import (
    FilterModule, models_canonical, models_cluster_plan, models_declared, models_file_name, models_names, models_plan)

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
    assert set(FilterModule().filters()) == {"models_canonical", "models_file_name", "models_declared", "models_names",
                                             "models_plan", "models_cluster_plan"}


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


def _listing(*models: str) -> dict:
    """What the models role registers from a node that answered (_models_seen)."""
    return {"_models_seen": {"changed": False, "models": list(models)}}


CLUSTER = ["n1", "n2", "n3"]


def test_the_cluster_plan_seeds_on_the_first_node_that_listed_and_the_others_pull() -> None:
    declared = models_declared(["tiny", {"name": "old", "state": "absent"}])
    hostvars = {"n1": {"_models_seen": {"failed": True, "msg": "down"}}, "n2": _listing("old:latest"), "n3": _listing()}
    plans = {h: models_cluster_plan(hostvars, h, CLUSTER, CLUSTER, declared) for h in CLUSTER}
    # n1 did not answer: nothing to do there, and n2 (the first that listed) seeds.
    assert plans["n1"] == {"delete": [], "seed": [], "pull": [], "seed_host": "n2", "listed": ["n2", "n3"],
                           "models": None, "work": False}
    assert plans["n2"]["seed_host"] == "n2" and plans["n2"]["delete"] == ["old:latest"]
    assert [d["canonical"] for d in plans["n2"]["seed"]] == ["tiny:latest"] and plans["n2"]["pull"] == []
    assert plans["n3"]["seed"] == [] and [d["canonical"] for d in plans["n3"]["pull"]] == ["tiny:latest"]
    assert plans["n2"]["work"] and plans["n3"]["work"] and plans["n3"]["models"] == []


def test_a_converged_cluster_has_no_work_and_no_second_listing_is_needed() -> None:
    declared = models_declared(["tiny"])
    hostvars = {h: _listing("tiny:latest", "other:1b") for h in CLUSTER}
    for host in CLUSTER:
        plan = models_cluster_plan(hostvars, host, CLUSTER, CLUSTER, declared)
        assert plan["work"] is False and plan["seed_host"] == "n1" and plan["listed"] == CLUSTER
    # With purge on, the undeclared model is work.
    assert models_cluster_plan(hostvars, "n3", CLUSTER, CLUSTER, declared, True)["delete"] == ["other:1b"]


def test_the_cluster_plan_reads_only_nodes_still_in_the_play() -> None:
    declared = models_declared(["tiny"])
    # n1 left the play (failed earlier); its listing from an earlier run must not count.
    hostvars = {"n1": _listing("tiny:latest"), "n2": _listing(), "n3": _listing()}
    plan = models_cluster_plan(hostvars, "n2", CLUSTER, ["n2", "n3"], declared)
    assert plan["seed_host"] == "n2" and plan["listed"] == ["n2", "n3"]
    assert [d["canonical"] for d in plan["seed"]] == ["tiny:latest"] and plan["pull"] == []
    assert models_cluster_plan(hostvars, "n3", CLUSTER, [], declared)["seed_host"] == ""
