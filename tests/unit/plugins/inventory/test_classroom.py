# Copyright (c) 2025, ollama_lab maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of the ollama_lab.distributed.classroom inventory plugin, parsed as ansible-inventory does."""

from __future__ import annotations

import copy
import importlib
from pathlib import Path
from typing import Any

import pytest
import yaml

from ansible import constants as C
from ansible.errors import AnsibleParserError
from ansible.inventory.data import InventoryData
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import inventory_loader

REPO_ROOT = Path(__file__).resolve().parents[4]
EXAMPLE_FILE = REPO_ROOT / "inventories" / "classroom" / "example.classroom.yml"
FQCN = "ollama_lab.distributed.classroom"
MAGIC = {"inventory_file", "inventory_dir", "inventory_hostname", "inventory_hostname_short", "group_names"}


# -- helpers ------------------------------------------------------------------


def plugin_module() -> Any:
    return importlib.import_module("ansible_collections.ollama_lab.distributed.plugins.inventory.classroom")


def write(tmp_path: Path, data: Any, name: str = "class.classroom.yml") -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return str(path)


def load(path: str, monkeypatch: pytest.MonkeyPatch, enabled: tuple[str, ...] = (FQCN,)) -> InventoryManager:
    """Parse a source with the real InventoryManager, the way ansible-inventory does."""
    monkeypatch.setattr(C, "INVENTORY_ENABLED", list(enabled))
    manager = InventoryManager(loader=DataLoader(), sources=[path])
    assert path in manager._inventory.processed_sources, "the source was not parsed"
    return manager


def hostvars(manager: InventoryManager, host: str) -> dict[str, Any]:
    return {k: v for k, v in manager.get_host(host).get_vars().items() if k not in MAGIC}


def groups_of(manager: InventoryManager, host: str) -> list[str]:
    return sorted(g.name for g in manager.get_host(host).get_groups() if g.name != "all")


def members(manager: InventoryManager, group: str) -> list[str]:
    return [h.name for h in manager.groups[group].get_hosts()]


def children(manager: InventoryManager, group: str) -> list[str]:
    return sorted(g.name for g in manager.groups[group].child_groups)


def problems(path: str) -> list[str]:
    """Parse with the plugin itself and return the problem lines of its single error."""
    plugin = inventory_loader.get(FQCN)
    assert plugin.verify_file(path)
    with pytest.raises(AnsibleParserError) as info:
        plugin.parse(InventoryData(), DataLoader(), path, cache=False)
    head, dummy, rest = str(info.value.message).partition("\n  - ")
    lines = rest.split("\n  - ")
    assert head == "classroom inventory %s: %d problem(s) in the class description:" % (path, len(lines))
    return lines


def node_vars(class_name: str, student: str, name: str, topology: str, k: int, host: str,
              api: int, p2p: int, size: int = 3, profile: str = "development", **extra: Any) -> dict[str, Any]:
    out = {
        "ansible_host": host,
        "classroom_class_name": class_name,
        "classroom_student_id": student,
        "classroom_student_name": name,
        "classroom_topology": topology,
        "classroom_node_index": k,
        "classroom_expected_size": size,
        "layout_cluster_group": "student_" + student.replace("-", "_"),
        "layout_node_id": "%s-node%d" % (student, k),
        "layout_address": host,
        "layout_machine": host.lower(),
        "layout_api_port": api,
        "layout_web_port": api + 1,
        "layout_p2p_port": p2p,
        "layout_bootstrap": k == 1,
        "configure_profile": profile,
    }
    if topology == "single_host" and host.lower() not in ("localhost", "127.0.0.1", "::1"):
        out["layout_bind_address"] = "0.0.0.0"
    out.update(extra)
    return out


def base_class(*students: dict[str, Any], **defaults: Any) -> dict[str, Any]:
    return {"plugin": FQCN, "class_name": "demo", "defaults": defaults, "students": list(students)}


def vm(sid: str, *hosts: str, **more: Any) -> dict[str, Any]:
    return dict(id=sid, topology="vm_per_node", hosts=list(hosts), **more)


def single(sid: str, host: str, **more: Any) -> dict[str, Any]:
    return dict(id=sid, topology="single_host", hosts=[host], **more)


# -- the committed example and the EXAMPLES --------------------------------------


def check_example_inventory(manager: InventoryManager) -> None:
    assert sorted(manager.hosts) == ["alice-node1", "alice-node2", "alice-node3", "bob-node1", "bob-node2", "bob-node3"]
    assert children(manager, "classroom") == ["student_alice", "student_bob"]
    assert children(manager, "classroom_llm_ops_2025") == ["student_alice", "student_bob"]
    assert members(manager, "student_alice") == ["alice-node1", "alice-node2", "alice-node3"]
    assert members(manager, "student_bob") == ["bob-node1", "bob-node2", "bob-node3"]
    assert members(manager, "topology_vm_per_node") == ["alice-node1", "alice-node2", "alice-node3"]
    assert members(manager, "topology_single_host") == ["bob-node1", "bob-node2", "bob-node3"]
    assert groups_of(manager, "bob-node2") == ["classroom", "classroom_llm_ops_2025", "student_bob", "topology_single_host"]
    common = dict(ansible_user="student")
    for k, host in enumerate(["10.10.1.11", "10.10.1.12", "10.10.1.13"], start=1):
        assert hostvars(manager, "alice-node%d" % k) == node_vars(
            "llm-ops-2025", "alice", "Alice Martin", "vm_per_node", k, host, 8080, 4001, **common)
    for k, (api, p2p) in enumerate([(8080, 4001), (8082, 4002), (8084, 4003)], start=1):
        assert hostvars(manager, "bob-node%d" % k) == node_vars(
            "llm-ops-2025", "bob", "Bob Okafor", "single_host", k, "10.10.2.20", api, p2p, **common)


def test_committed_example_file(monkeypatch: pytest.MonkeyPatch) -> None:
    check_example_inventory(load(str(EXAMPLE_FILE), monkeypatch))


def test_committed_example_through_the_default_auto_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the stock enable_plugins list, 'auto' loads the plugin from the file's plugin key."""
    check_example_inventory(load(str(EXAMPLE_FILE), monkeypatch, enabled=("host_list", "script", "auto", "yaml", "ini")))


def examples() -> list[str]:
    return list(plugin_module().EXAMPLES.split("\n---\n"))


def test_examples_are_valid_yaml_and_the_first_is_the_committed_file() -> None:
    docs = examples()
    assert len(docs) == 3
    assert yaml.safe_load(docs[0]) == yaml.safe_load(EXAMPLE_FILE.read_text(encoding="utf-8"))


def test_example_1_is_the_example_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    check_example_inventory(load(write(tmp_path, examples()[0]), monkeypatch))


def test_example_2_two_students_share_a_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    manager = load(write(tmp_path, examples()[1], "lab.classroom.yml"), monkeypatch)
    conn = dict(ansible_user="ubuntu", ansible_ssh_private_key_file="~/.ssh/classroom")
    for k in (1, 2, 3):
        assert hostvars(manager, "carol-node%d" % k) == node_vars(
            "evening", "carol", "carol", "single_host", k, "lab1.example.org", 8078 + 2 * k, 4000 + k, **conn)
        assert hostvars(manager, "dave-node%d" % k) == node_vars(
            "evening", "dave", "dave", "single_host", k, "lab1.example.org", 8178 + 2 * k, 4100 + k,
            profile="testing", layout_data_root="/srv/dave", **conn)
    assert members(manager, "profile_development") == ["carol-node1", "carol-node2", "carol-node3"]
    assert members(manager, "profile_testing") == ["dave-node1", "dave-node2", "dave-node3"]
    assert members(manager, "topology_vm_per_node") == []


def test_example_3_local_student(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    manager = load(write(tmp_path, examples()[2], "local.classroom.yml"), monkeypatch)
    assert sorted(manager.hosts) == ["me-node1", "me-node2", "me-node3"]
    assert hostvars(manager, "me-node3") == node_vars(
        "selfstudy", "me", "me", "single_host", 3, "localhost", 8084, 4003,
        ansible_connection="local", layout_address="127.0.0.1")


# -- file selection and output details --------------------------------------------


@pytest.mark.parametrize("name, wanted", [
    ("classroom.yml", True), ("x.classroom.yaml", True), ("myclassroom.yml", True),
    ("classroom.yml.bak", False), ("hosts.yml", False), ("classroom.json", False),
])
def test_verify_file(tmp_path: Path, name: str, wanted: bool) -> None:
    path = write(tmp_path, base_class(vm("a", "h1", "h2", "h3")), name)
    assert inventory_loader.get(FQCN).verify_file(path) is wanted


def test_hyphenated_ids_class_name_and_nodes_per_student(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = base_class(single("team-7", "box"), vm("x-1", "v1", "v2", "v3", "v4", "v5"), nodes_per_student=5)
    data["class_name"] = "spring-2026"
    manager = load(write(tmp_path, data), monkeypatch)
    assert children(manager, "classroom_spring_2026") == ["student_team_7", "student_x_1"]
    assert members(manager, "student_team_7") == ["team-7-node%d" % k for k in range(1, 6)]
    assert [hostvars(manager, "team-7-node%d" % k)["layout_api_port"] for k in range(1, 6)] == [8080, 8082, 8084, 8086, 8088]
    assert [hostvars(manager, "team-7-node%d" % k)["layout_p2p_port"] for k in range(1, 6)] == [4001, 4002, 4003, 4004, 4005]
    assert hostvars(manager, "x-1-node5") == node_vars("spring-2026", "x-1", "x-1", "vm_per_node", 5, "v5", 8080, 4001, size=5)


def test_defaults_vars_student_vars_and_compose(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = base_class(
        single("a", "h", vars={"ansible_user": "alice", "layout_bind_address": "0.0.0.0"}, port_base=9000, p2p_port_base=5000),
        topology="single_host", ansible_user="student", ansible_port=2222, profile="production",
        vars={"layout_data_root": "/srv/lab", "ansible_user": "ignored"})
    data["compose"] = {"node_url": "'http://' ~ layout_address ~ ':' ~ layout_api_port"}
    data["groups"] = {"bootstrap_nodes": "layout_bootstrap"}
    manager = load(write(tmp_path, data), monkeypatch)
    assert hostvars(manager, "a-node2") == node_vars(
        "demo", "a", "a", "single_host", 2, "h", 9002, 5001, profile="production", ansible_user="alice",
        ansible_port=2222, layout_bind_address="0.0.0.0", layout_data_root="/srv/lab", node_url="http://h:9002")
    assert members(manager, "bootstrap_nodes") == ["a-node1"]


def test_nothing_secret_in_the_inventory(monkeypatch: pytest.MonkeyPatch) -> None:
    manager = load(str(EXAMPLE_FILE), monkeypatch)
    for host in manager.hosts:
        for key in hostvars(manager, host):
            assert not any(word in key for word in ("pass", "token", "secret", "key")), key


def test_documentation_lists_every_accepted_key() -> None:
    mod = plugin_module()
    options = yaml.safe_load(mod.DOCUMENTATION)["options"]
    assert set(options) | set(mod.CONSTRUCTABLE_KEYS) == set(mod.TOP_KEYS)
    assert set(options["defaults"]["suboptions"]) == set(mod.DEFAULT_KEYS)
    assert set(options["students"]["suboptions"]) == set(mod.STUDENT_KEYS)
    for var in mod.COMPUTED_VARS:
        assert var in mod.DOCUMENTATION, var


# -- stability when the roster changes -------------------------------------------

ROSTER = [
    vm("alice", "10.0.0.1", "10.0.0.2", "10.0.0.3"),
    single("bob", "10.0.1.1"),
    single("carol", "10.0.1.1", port_base=8180, p2p_port_base=4101),
    vm("dave", "10.0.0.4", "10.0.0.5", "10.0.0.6", profile="testing"),
]


def snapshot(manager: InventoryManager, sid: str) -> dict[str, Any]:
    hosts = members(manager, "student_" + sid)
    return {"hosts": hosts, "vars": {h: hostvars(manager, h) for h in hosts},
            "groups": {h: groups_of(manager, h) for h in hosts}}


@pytest.mark.parametrize("change", ["append", "prepend", "insert", "reverse", "remove"])
def test_roster_changes_never_touch_the_others(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str) -> None:
    before = load(write(tmp_path, base_class(*copy.deepcopy(ROSTER)), "before.classroom.yml"), monkeypatch)
    erin = single("erin", "10.0.1.1", port_base=8280, p2p_port_base=4201)
    roster = copy.deepcopy(ROSTER)
    if change == "append":
        roster.append(erin)
    elif change == "prepend":
        roster.insert(0, erin)
    elif change == "insert":
        roster.insert(2, erin)
    elif change == "reverse":
        roster.reverse()
    else:
        roster.pop(1)
    after = load(write(tmp_path, base_class(*roster), "after.classroom.yml"), monkeypatch)
    kept = [s["id"] for s in roster if s["id"] != "erin"]
    for sid in kept:
        assert snapshot(after, sid) == snapshot(before, sid), sid
    if change in ("append", "prepend", "insert"):
        assert [hostvars(after, "erin-node%d" % k)["layout_api_port"] for k in (1, 2, 3)] == [8280, 8282, 8284]
        assert children(after, "classroom") == ["student_alice", "student_bob", "student_carol", "student_dave",
                                                "student_erin"]
    if change == "remove":
        assert "bob-node1" not in after.hosts and "student_bob" not in after.groups


def test_hosts_are_added_in_student_id_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    forward = load(write(tmp_path, base_class(*ROSTER), "a.classroom.yml"), monkeypatch)
    backward = load(write(tmp_path, base_class(*reversed(ROSTER)), "b.classroom.yml"), monkeypatch)
    assert list(forward.hosts) == list(backward.hosts)
    assert list(forward.hosts)[0] == "alice-node1"


# -- validation: every problem, one message ------------------------------------------

ERRORS = {
    "missing id": (
        base_class({"topology": "vm_per_node", "hosts": ["a", "b", "c"]}),
        ["students[#1].id: missing or invalid id (found nothing, expected a stable id matching [a-z0-9][a-z0-9-]{0,30})"]),
    "invalid id": (
        base_class(vm("Alice", "a", "b", "c")),
        ["students[#1].id: missing or invalid id (found 'Alice', expected a stable id matching [a-z0-9][a-z0-9-]{0,30})"]),
    "numeric id": (
        base_class(vm(7, "a", "b", "c")),  # type: ignore[arg-type]
        ["students[#1].id: missing or invalid id (found 7, expected a stable id matching [a-z0-9][a-z0-9-]{0,30})"]),
    "duplicate id": (
        base_class(vm("alice", "a", "b", "c"), single("bob", "d"), single("alice", "e")),
        ["students[alice].id: duplicate id (also students[#1]) (found 'alice', expected an id no other student has)"]),
    "unknown topology": (
        base_class({"id": "alice", "topology": "mesh", "hosts": ["a"]}),
        ["students[alice].topology: unknown value (found 'mesh', expected vm_per_node or single_host)"]),
    "missing topology": (
        base_class({"id": "alice", "hosts": ["a"]}),
        ["students[alice].topology: missing (and no defaults.topology) (found nothing, expected vm_per_node or single_host)"]),
    "too few vm hosts": (
        base_class(vm("alice", "a", "b")),
        ["students[alice].hosts: wrong number of hosts for topology vm_per_node (found ['a', 'b'], expected exactly 3 hosts)"]),
    "two single_host hosts": (
        base_class(vm("alice", "a", "b", "c"), {"id": "bob", "hosts": ["d", "e"]}, topology="single_host"),
        ["students[bob].hosts: wrong number of hosts for topology single_host (found ['d', 'e'], expected exactly 1 host)"]),
    "hosts missing": (
        base_class({"id": "alice", "topology": "vm_per_node"}),
        ["students[alice].hosts: missing or invalid (found nothing, expected a list of host names or addresses)"]),
    "host with a space": (
        base_class(single("alice", "my host")),
        ["students[alice].hosts: missing or invalid (found ['my host'], expected a list of host names or addresses)"]),
    "host twice in one student": (
        base_class(vm("alice", "a", "b", "A")),
        ["students[alice].hosts: host used twice (found 'A', expected a different host for each node)"]),
    "host of two vm students": (
        base_class(vm("alice", "a", "b", "c"), vm("bob", "d", "c", "e")),
        ["students[bob].hosts: host c is already used by students[alice] (vm_per_node) (found 'c', "
         "expected a host no other student uses; only single_host students may share a host)"]),
    "host of a vm and a single_host student": (
        base_class(single("bob", "localhost"), vm("alice", "a", "127.0.0.1", "c")),
        ["students[alice].hosts: host 127.0.0.1 is already used by students[bob] (single_host) (found '127.0.0.1', "
         "expected a host no other student uses; only single_host students may share a host)"]),
    "single_host port clash": (
        base_class(single("bob", "h"), single("carol", "H")),
        ["students[carol].port_base: api/web ports 8080-8085 on host H clash with students[bob] ports 4001-4003, 8080-8085 "
         "(found 8080, expected a port_base whose ports avoid 4001-4003, 8080-8085)",
         "students[carol].p2p_port_base: p2p ports 4001-4003 on host H clash with students[bob] ports 4001-4003, 8080-8085 "
         "(found 4001, expected a p2p_port_base whose ports avoid 4001-4003, 8080-8085)"]),
    "single_host partial overlap": (
        base_class(single("bob", "h"), single("carol", "h", port_base=8084, p2p_port_base=4101)),
        ["students[carol].port_base: api/web ports 8084-8089 on host h clash with students[bob] ports 4001-4003, 8080-8085 "
         "(found 8084, expected a port_base whose ports avoid 4001-4003, 8080-8085)"]),
    "api port of one is the p2p port of another": (
        base_class(single("bob", "h"), single("carol", "h", port_base=4000, p2p_port_base=5001)),
        ["students[carol].port_base: api/web ports 4000-4005 on host h clash with students[bob] ports 4001-4003, 8080-8085 "
         "(found 4000, expected a port_base whose ports avoid 4001-4003, 8080-8085)"]),
    "api and p2p ports of one student overlap": (
        base_class(single("bob", "h", port_base=4000)),
        ["students[bob].p2p_port_base: p2p ports 4001-4003 overlap the api/web ports 4000-4005 "
         "(found 4001, expected a p2p_port_base outside 4000-4005)"]),
    "port zero": (
        base_class(single("bob", "h", port_base=0)),
        ["students[bob].port_base: out of range (found 0, expected an integer 1024-65535)"]),
    "privileged port": (
        base_class(single("bob", "h", port_base=80)),
        ["students[bob].port_base: out of range (found 80, expected an integer 1024-65535)"]),
    "port too high": (
        base_class(vm("alice", "a", "b", "c", p2p_port_base=70000)),
        ["students[alice].p2p_port_base: out of range (found 70000, expected an integer 1024-65535)"]),
    "port not a number": (
        base_class(vm("alice", "a", "b", "c", port_base="8080"), p2p_port_base=True),
        ["defaults.p2p_port_base: not an integer (found True, expected an integer 1024-65535)",
         "students[alice].port_base: not an integer (found '8080', expected an integer 1024-65535)"]),
    "port range past 65535": (
        base_class(single("bob", "h", port_base=65532)),
        ["students[bob].port_base: api/web ports 65532-65537 exceed 65535 (found 65532, expected at most 65530)"]),
    "defaults port range past 65535": (
        base_class(single("bob", "h"), p2p_port_base=65534),
        ["students[bob].p2p_port_base: p2p ports 65534-65536 exceed 65535 (found 65534, expected at most 65533)"]),
    "unknown profile": (
        base_class(vm("alice", "a", "b", "c", profile="staging")),
        ["students[alice].profile: unknown value (found 'staging', expected development or testing or production)"]),
    "unknown default profile and topology": (
        base_class(vm("alice", "a", "b", "c"), {"id": "bob", "hosts": ["d"]}, profile="prod", topology="cluster"),
        ["defaults.topology: unknown value (found 'cluster', expected vm_per_node or single_host)",
         "defaults.profile: unknown value (found 'prod', expected development or testing or production)"]),
    "unknown keys": (
        dict(base_class(vm("alice", "a", "b", "c", colour="red"), port=1), extra=True),
        ["extra: unknown key (found 'extra', expected one of plugin, class_name, defaults, students, strict, compose, "
         "groups, keyed_groups, use_extra_vars, leading_separator)",
         "defaults.port: unknown key (found 'port', expected one of topology, port_base, p2p_port_base, profile, "
         "nodes_per_student, vars, ansible_*)",
         "students[alice].colour: unknown key (found 'colour', expected one of id, name, topology, hosts, port_base, "
         "p2p_port_base, profile, vars)"]),
    "class_name": (
        dict(base_class(vm("alice", "a", "b", "c")), class_name="Class 1"),
        ["class_name: missing or invalid (found 'Class 1', expected a name matching [a-z0-9][a-z0-9_-]{0,62})"]),
    "no students": (
        base_class(),
        ["students: missing or empty (found [], expected a list of students)"]),
    "student not a mapping": (
        base_class("alice"),  # type: ignore[arg-type]
        ["students[#1]: not a mapping (found 'alice', expected a mapping with id, topology and hosts)"]),
    "nodes_per_student": (
        base_class(vm("alice", "a", "b", "c"), nodes_per_student=0),
        ["defaults.nodes_per_student: out of range (found 0, expected an integer 1-32)"]),
    "name": (
        base_class(vm("alice", "a", "b", "c", name=["A"])),
        ["students[alice].name: not a string (found ['A'], expected a display name)"]),
    "vars the plugin sets": (
        base_class(vm("alice", "a", "b", "c", vars={"layout_api_port": 1, "2bad": 1}), ansible_host="x"),
        ["defaults.ansible_host: set by the plugin (found 'ansible_host', expected a variable the plugin does not compute)",
         "students[alice].vars.layout_api_port: set by the plugin (found 'layout_api_port', "
         "expected a variable the plugin does not compute)",
         "students[alice].vars.2bad: not a valid variable name (found '2bad', expected letters, digits and underscores)"]),
    "passwords": (
        base_class(vm("alice", "a", "b", "c", vars={"ansible_become_password": "x"}), ansible_password="x"),
        ["defaults.ansible_password: passwords do not belong in the class description "
         "(found 'ansible_password', expected the variable in a vaulted group_vars file)",
         "students[alice].vars.ansible_become_password: passwords do not belong in the class description "
         "(found 'ansible_become_password', expected the variable in a vaulted group_vars file)"]),
    "vars not a mapping": (
        base_class(vm("alice", "a", "b", "c", vars=["x"]), vars="y"),
        ["defaults.vars: not a mapping (found 'y', expected a mapping of variable names to values)",
         "students[alice].vars: not a mapping (found ['x'], expected a mapping of variable names to values)"]),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_validation_error(tmp_path: Path, case: str) -> None:
    data, expected = ERRORS[case]
    assert problems(write(tmp_path, data)) == expected


def test_all_problems_are_reported_together(tmp_path: Path) -> None:
    data = base_class(vm("alice", "a", "b"), single("alice", "h", profile="x"), {"hosts": ["z"]},
                      single("bob", "h", port_base=0))
    assert problems(write(tmp_path, data)) == [
        "students[alice].hosts: wrong number of hosts for topology vm_per_node (found ['a', 'b'], expected exactly 3 hosts)",
        "students[alice].profile: unknown value (found 'x', expected development or testing or production)",
        "students[#3].id: missing or invalid id (found nothing, expected a stable id matching [a-z0-9][a-z0-9-]{0,30})",
        "students[#3].topology: missing (and no defaults.topology) (found nothing, expected vm_per_node or single_host)",
        "students[bob].port_base: out of range (found 0, expected an integer 1024-65535)",
        "students[alice].id: duplicate id (also students[#1]) (found 'alice', expected an id no other student has)",
    ]


def test_single_host_students_may_share_a_host_with_distinct_ports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = base_class(single("bob", "h"), single("carol", "h", port_base=8086, p2p_port_base=4004))
    manager = load(write(tmp_path, data), monkeypatch)
    assert [hostvars(manager, "carol-node%d" % k)["layout_api_port"] for k in (1, 2, 3)] == [8086, 8088, 8090]
    assert {hostvars(manager, h)["layout_machine"] for h in manager.hosts} == {"h"}


def test_a_broken_file_fails_in_ansible_inventory_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(C, "INVENTORY_ENABLED", [FQCN])
    monkeypatch.setattr(C, "INVENTORY_ANY_UNPARSED_IS_FAILED", True)
    path = write(tmp_path, base_class(vm("alice", "a")))
    with pytest.raises(Exception, match="Completely failed to parse inventory source"):
        InventoryManager(loader=DataLoader(), sources=[path])


@pytest.mark.parametrize("text, message", [
    ("- just a list\n", "expected a YAML mapping (found list)"),
    ("plugin: something.else\n", "Incorrect plugin name in file: something.else"),
])
def test_not_a_class_description(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(AnsibleParserError, match=message.replace("(", r"\(").replace(")", r"\)")):
        inventory_loader.get(FQCN).parse(InventoryData(), DataLoader(), path, cache=False)
