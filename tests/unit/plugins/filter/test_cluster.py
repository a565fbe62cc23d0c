# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the cluster role's filters (cluster_report, cluster_all_running)."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.ollama_lab.distributed.plugins.filter.cluster import cluster_all_running, cluster_report


def node(i: int, bootstrap: bool = False) -> dict:
    return {"host": f"node{i}", "id": f"node{i}", "bootstrap": bootstrap, "expected_size": 3,
            "api_url": f"http://127.0.0.1:{8078 + 2 * i}", "local_url": f"http://127.0.0.1:{8078 + 2 * i}",
            "web_url": f"http://127.0.0.1:{8079 + 2 * i}", "service_manager": "supervisor",
            "service_name": f"ollama-distributed-node{i}"}


CLUSTER = [node(1, True), node(2), node(3)]


def seen(status: str = "healthy", size: int = 3, leader: str = "node1", **extra) -> dict:
    return dict(status=status, cluster_size=size, expected_size=3, leader=leader, term=2, version="0.1.0",
                changed=False, **extra)


def healthy() -> dict:
    return {n["host"]: {"_cluster_seen": seen()} for n in CLUSTER}


def test_a_healthy_cluster_agrees_and_rolls_its_leader_last() -> None:
    hv = healthy()
    hv["node1"]["_cluster_seen"] = seen(leader="node2")
    hv["node2"]["_cluster_seen"] = seen(leader="node2")
    hv["node3"]["_cluster_seen"] = seen(leader="node2")
    report = cluster_report(CLUSTER, hv, ["healthy"], "ollama_nodes")
    assert report["agreed"] and report["whole"] and report["leader"] == "node2"
    assert [n["id"] for n in report["order"]] == ["node1", "node3", "node2"]
    assert report["lines"][0] == "cluster ollama_nodes: healthy, 3/3 nodes answer, leader node2"
    assert report["lines"][2] == ("node2        healthy       leader size 3/3  api http://127.0.0.1:8082"
                                  "  web http://127.0.0.1:8083  (supervisor ollama-distributed-node2)")
    assert report["lines"][1].startswith("node1        healthy              size 3/3")


def test_a_stopped_node_is_named_stopped_and_the_cluster_is_not_whole() -> None:
    hv = healthy()
    hv["node1"]["_cluster_seen"] = seen(status="degraded", size=2)
    hv["node2"]["_cluster_seen"] = seen(status="degraded", size=2)
    hv["node3"] = {"_cluster_seen": {"failed": True, "msg": "Connection refused"},
                   "_cluster_service": {"defined": True, "running": False, "was_running": False}}
    report = cluster_report(CLUSTER, hv)
    assert not report["whole"] and not report["agreed"]
    assert report["lines"][0] == "cluster ollama_nodes: degraded, 2/3 nodes answer, leader node1"
    assert report["lines"][3].startswith("node3        stopped              size ?/3")
    assert "error" not in report["lines"][3]  # a stopped service is reason enough
    assert report["failure_lines"][2] == "node3 (http://127.0.0.1:8084): health stopped, size ?/3, leader none"


def test_a_node_without_a_service_is_not_installed_and_one_that_fails_says_why() -> None:
    hv = healthy()
    hv["node2"] = {"_cluster_seen": {"failed": True, "msg": "Timed out"},
                   "_cluster_service": {"defined": True, "running": True, "was_running": True}}
    hv["node3"] = {"_cluster_seen": {"failed": True, "msg": "refused"},
                   "_cluster_service": {"defined": False, "running": False}}
    report = cluster_report(CLUSTER, hv)
    assert report["views"][1]["status"] == "down" and report["views"][1]["error"] == "Timed out"
    assert report["views"][2]["status"] == "not-installed"
    assert report["lines"][0] == "cluster ollama_nodes: unhealthy, 1/3 nodes answer, leader node1"


def test_disagreement_is_shown_and_a_missing_host_is_unknown() -> None:
    hv = healthy()
    hv["node2"]["_cluster_seen"] = seen(leader="node2")
    del hv["node3"]
    report = cluster_report(CLUSTER, hv, ["healthy"], "class")
    assert report["leaders"] == ["node1", "node2"] and not report["whole"]
    assert report["lines"][0].endswith("leader node1 / node2 (DISAGREEMENT)")
    assert " sees leader node2" in report["lines"][2]
    assert report["views"][2]["status"] == "unknown"
    assert report["failure_lines"][2].endswith("; host failed earlier in the play")


def test_a_node_left_out_of_the_play_is_named_so() -> None:
    hv = healthy()
    del hv["node3"]
    report = cluster_report(CLUSTER, hv, ["healthy"], "class", ["node1", "node2"])
    assert not report["whole"]
    assert report["failure_lines"][2].endswith(
        "; not in this play (--limit or the hosts pattern left it out); the cluster role needs every node of a cluster")


def test_sizes_below_the_expected_size_are_not_agreed() -> None:
    hv = healthy()
    for h in hv:
        hv[h]["_cluster_seen"] = seen(size=2)
    report = cluster_report(CLUSTER, hv)
    assert report["whole"] and not report["agreed"]


def test_all_running_reads_the_service_each_node_registered() -> None:
    hv = {"node1": {"_cluster_service": {"running": True, "was_running": True}},
          "node2": {"_cluster_service": {"running": True, "was_running": True}},
          "node3": {"_cluster_service": {"running": True, "was_running": False}}}
    assert not cluster_all_running(CLUSTER, hv)
    hv["node3"]["_cluster_service"]["was_running"] = True
    assert cluster_all_running(CLUSTER, hv)


def test_bad_input_is_named() -> None:
    with pytest.raises(AnsibleFilterError, match="layout_cluster"):
        cluster_report([{"id": "x"}], {})


def test_nodes_take_the_readings_of_their_machine_reader() -> None:
    hv = {"node1": {"_cluster_seen": seen(readings={"node2": seen(),
                                                    "node3": {"failed": True, "msg": "Connection refused"}})},
          "node2": {"_cluster_seen": {"skipped": True}},
          "node3": {"_cluster_seen": {"skipped": True},
                    "_cluster_service": {"defined": True, "running": True, "was_running": True}}}
    report = cluster_report(CLUSTER, hv)
    assert [v["status"] for v in report["views"]] == ["healthy", "healthy", "down"]
    assert report["views"][2]["error"] == "Connection refused"
    assert report["unanswered"] == ["node3"] and not report["whole"]
    # a node's own later reading (the wait after a start) wins over the reader's first one
    hv["node3"]["_cluster_seen"] = seen()
    report = cluster_report(CLUSTER, hv)
    assert report["agreed"] and report["unanswered"] == []
