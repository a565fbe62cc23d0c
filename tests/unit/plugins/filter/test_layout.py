# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the node_layout filter."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.ollama_lab.distributed.plugins.filter.layout import machine_first, machine_nodes, node_layout

DEFAULTS = {
    "api_port_base": 8080, "web_port_offset": 1, "p2p_port_base": 4001, "port_step": 2,
    "bind_address": "", "api_scheme": "http", "config_dir": "/etc/ollama-distributed",
    "data_root": "/var/lib/ollama-distributed", "log_dir": "/var/log/ollama-distributed",
    "service_manager": "auto",
}


def local_hosts(n: int = 3) -> dict:
    return {f"node{i}": {"ansible_connection": "local", "ansible_facts": {"service_mgr": "sysvinit"}}
            for i in range(1, n + 1)}


def test_three_nodes_on_one_machine_follow_the_training_scheme() -> None:
    hv = local_hosts()
    result = node_layout(hv, list(hv), DEFAULTS)
    assert result["problems"] == []
    nodes = result["nodes"]
    assert [nodes[h]["api_port"] for h in hv] == [8080, 8082, 8084]
    assert [nodes[h]["web_port"] for h in hv] == [8081, 8083, 8085]
    assert [nodes[h]["p2p_port"] for h in hv] == [4001, 4002, 4003]
    assert [nodes[h]["machine_primary"] for h in hv] == [True, False, False]
    assert {nodes[h]["machine_primary_host"] for h in hv} == {"node1"}
    assert nodes["node1"]["bootstrap"] and not nodes["node2"]["bootstrap"]
    assert nodes["node1"]["bootstrap_peers"] == []
    assert nodes["node2"]["bootstrap_peers"] == ["127.0.0.1:4001", "127.0.0.1:4003"]
    assert nodes["node3"]["api_listen"] == "127.0.0.1:8084"
    assert nodes["node3"]["local_url"] == "http://127.0.0.1:8084"
    assert nodes["node2"]["service_manager"] == "supervisor"
    assert nodes["node2"]["service_name"] == "ollama-distributed-node2"
    assert nodes["node2"]["config_file"] == "/etc/ollama-distributed/node2.yaml"
    assert nodes["node2"]["models_dir"] == "/var/lib/ollama-distributed/node2/models"
    assert nodes["node2"]["log_file"] == "/var/log/ollama-distributed/node2.log"
    assert {n["expected_size"] for n in nodes.values()} == {3}


def test_one_node_per_machine_uses_base_ports_and_binds_everywhere() -> None:
    hv = {f"vm{i}": {"ansible_host": f"10.0.0.{i}", "ansible_facts": {"service_mgr": "systemd"}}
          for i in range(1, 4)}
    nodes = node_layout(hv, list(hv), DEFAULTS)["nodes"]
    assert {n["api_port"] for n in nodes.values()} == {8080}
    assert all(n["machine_primary"] for n in nodes.values())
    assert nodes["vm2"]["api_listen"] == "0.0.0.0:8080"
    assert nodes["vm2"]["api_url"] == "http://10.0.0.2:8080"
    assert nodes["vm2"]["local_url"] == "http://127.0.0.1:8080"
    assert nodes["vm3"]["bootstrap_peers"][0] == "10.0.0.1:4001"
    assert nodes["vm1"]["service_name"] == "ollama-distributed@vm1.service"


def test_explicit_bootstrap_ids_and_ports_win() -> None:
    hv = local_hosts()
    hv["node3"].update(layout_bootstrap=True, layout_node_id="boot", layout_api_port=9000)
    nodes = node_layout(hv, list(hv), DEFAULTS)["nodes"]
    assert nodes["node3"]["bootstrap"] and nodes["node3"]["id"] == "boot"
    assert nodes["node3"]["api_port"] == 9000 and nodes["node3"]["web_port"] == 9001
    assert nodes["node1"]["bootstrap_peers"][0] == "127.0.0.1:4003"


def test_primary_is_unique_per_machine_across_clusters() -> None:
    hv = {**{f"a{i}": {"ansible_host": "shared"} for i in range(3)},
          **{f"b{i}": {"ansible_host": "shared", "layout_api_port_base": 9080} for i in range(3)}}
    play = list(hv)
    a = node_layout(hv, ["a0", "a1", "a2"], DEFAULTS, play)["nodes"]
    b = node_layout(hv, ["b0", "b1", "b2"], DEFAULTS, play)["nodes"]
    assert [a[h]["machine_primary"] for h in a] == [True, False, False]
    assert not any(b[h]["machine_primary"] for h in b)
    assert {n["machine_primary_host"] for n in [*a.values(), *b.values()]} == {"a0"}
    assert [b[h]["api_port"] for h in b] == [9080, 9082, 9084]


def test_every_problem_is_reported_with_host_and_variable() -> None:
    hv = local_hosts()
    hv["node1"].update(layout_node_id="bad id!", layout_bootstrap=True)
    hv["node2"].update(layout_node_id="node3", layout_bootstrap=True, layout_api_port=70000)
    problems = node_layout(hv, list(hv), DEFAULTS)["problems"]
    assert "node1, node2: layout_bootstrap: true on 2 hosts" in problems[0]
    assert "node1: layout_node_id: found 'bad id!', need 1-63 characters of A-Z a-z 0-9 _ -" in problems
    assert "node2: layout_api_port: found 70000, need a port number 1-65535" in problems
    assert "node3: layout_node_id: 'node3' is already the id of node2, ids must be unique" in problems


def test_empty_group_is_an_error() -> None:
    with pytest.raises(AnsibleFilterError, match="no hosts"):
        node_layout({}, [], DEFAULTS)


def test_a_cluster_on_one_remote_machine_advertises_loopback() -> None:
    """Three nodes in one container bind to loopback, so they must advertise it."""
    hv = {f"n{i}": {"ansible_host": "box", "ansible_connection": "community.docker.docker"} for i in (1, 2, 3)}
    nodes = node_layout(hv, list(hv), DEFAULTS)["nodes"]
    assert {n["bind_address"] for n in nodes.values()} == {"127.0.0.1"}
    assert nodes["n2"]["p2p_advertise"] == "127.0.0.1:4002"
    assert nodes["n3"]["bootstrap_peers"] == ["127.0.0.1:4001", "127.0.0.1:4002"]
    assert nodes["n1"]["api_url"] == "http://127.0.0.1:8080"


def test_an_explicit_address_still_wins_on_loopback() -> None:
    hv = {f"n{i}": {"ansible_host": "box", "layout_address": "10.0.0.5"} for i in (1, 2)}
    nodes = node_layout(hv, list(hv), DEFAULTS)["nodes"]
    assert nodes["n1"]["p2p_advertise"] == "10.0.0.5:4001"


@pytest.mark.parametrize("spelling", ["false", "False", "no", "0", "off", "n", 0, False])
def test_layout_bootstrap_false_as_a_string_is_false(spelling) -> None:
    hv = local_hosts()
    hv["node3"]["layout_bootstrap"] = spelling
    result = node_layout(hv, list(hv), DEFAULTS)
    assert result["problems"] == []
    assert [h for h, n in result["nodes"].items() if n["bootstrap"]] == ["node1"]


@pytest.mark.parametrize("spelling", ["true", "True", "yes", "1", "on", 1, True])
def test_layout_bootstrap_true_as_a_string_is_true(spelling) -> None:
    hv = local_hosts()
    hv["node2"]["layout_bootstrap"] = spelling
    hv["node3"]["layout_bootstrap"] = "false"
    result = node_layout(hv, list(hv), DEFAULTS)
    assert result["problems"] == []
    assert [h for h, n in result["nodes"].items() if n["bootstrap"]] == ["node2"]


def test_layout_bootstrap_that_is_no_boolean_is_refused_by_name() -> None:
    hv = local_hosts()
    hv["node2"]["layout_bootstrap"] = "maybe"
    problems = node_layout(hv, list(hv), DEFAULTS)["problems"]
    assert len(problems) == 1
    assert problems[0].startswith('node2: layout_bootstrap: found "maybe", need true or false')


def test_the_service_manager_found_on_one_node_is_its_machines() -> None:
    # the layout role looked on the first node of each machine only
    hv = {"a1": {"ansible_host": "10.0.0.1", "ansible_facts": {"service_mgr": "systemd"}},
          "a2": {"ansible_host": "10.0.0.1"},
          "b1": {"ansible_host": "10.0.0.2"}}
    nodes = node_layout(hv, ["a1", "a2", "b1"], DEFAULTS)["nodes"]
    assert nodes["a2"]["service_manager"] == "systemd" and nodes["a2"]["service_name"].endswith(".service")
    assert nodes["b1"]["service_manager"] == "supervisor"  # nothing found on its machine


def test_machine_first_is_the_first_of_the_hosts_on_the_same_machine() -> None:
    hv = {"a1": {"ansible_host": "10.0.0.1"}, "b1": {"ansible_host": "10.0.0.2"},
          "a2": {"ansible_host": "10.0.0.1"}, "c1": {"layout_machine": "10.0.0.1"}, "l1": {"ansible_connection": "local"}}
    assert machine_first(["b1", "a1", "a2", "c1"], hv, "a2") == "a1"
    assert machine_first(["b1", "a1", "a2", "c1"], hv, "c1") == "a1"  # layout_machine names the machine
    assert machine_first(["a2", "a1"], hv, "a1") == "a2"
    assert machine_first(["b1"], hv, "a1") == "a1"  # none of them on its machine: itself
    assert machine_first(["l1", "a1"], hv, "l1") == "l1"


def test_machine_nodes_are_the_nodes_of_the_machine_still_in_the_play() -> None:
    cluster = [{"host": "a1", "machine": "m1"}, {"host": "b1", "machine": "m2"},
               {"host": "a2", "machine": "m1"}, {"host": "a3", "machine": "m1"}]
    play = ["a1", "b1", "a2", "a3"]
    assert [n["host"] for n in machine_nodes(cluster, "a2", play)] == ["a1", "a2", "a3"]
    assert [n["host"] for n in machine_nodes(cluster, "b1", play)] == ["b1"]
    # the first node failed earlier: the next one still in the play looks for the machine
    assert [n["host"] for n in machine_nodes(cluster, "a3", ["a2", "a3"])] == ["a2", "a3"]
    # the host always counts, also when Ansible left it out of the play's hosts
    assert [n["host"] for n in machine_nodes(cluster, "a3", [])] == ["a3"]
    with pytest.raises(AnsibleFilterError, match="not a node of this cluster"):
        machine_nodes(cluster, "z9", play)
    with pytest.raises(AnsibleFilterError, match="layout_cluster"):
        machine_nodes([{"id": "x"}], "x", play)
