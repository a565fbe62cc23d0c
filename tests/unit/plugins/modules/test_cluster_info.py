# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""End-to-end tests of the cluster_info module through main()."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from ansible_collections.ollama_lab.distributed.plugins.modules import cluster_info


def member(node_id: str, port: int, status: str = "online") -> Dict[str, Any]:
    return {"id": node_id, "address": "127.0.0.1:%d" % port, "p2p_address": "127.0.0.1:%d" % (port - 4079),
            "status": status, "last_seen": "2025-01-01T00:00:00Z", "tags": {}}


def cluster_status(size: int, leader: Optional[str] = "node1", nodes: Optional[List[Dict[str, Any]]] = None,
                   expected: int = 3) -> Dict[str, Any]:
    health = "healthy" if size == expected else ("degraded" if size * 2 > expected else "unhealthy")
    return {"node_id": "node1", "cluster_size": size, "expected_size": expected, "connected_peers": size - 1,
            "leader": leader, "is_leader": leader == "node1", "term": 2, "health": health,
            "last_update": "2025-01-01T00:00:00Z", "nodes": nodes or []}


THREE = [member("node1", 8080), member("node2", 8082), member("node3", 8084)]


def test_reads_status_nodes_and_leader(fake_node, run_module, token) -> None:
    fake_node.reply("GET", "/api/distributed/status", 200, cluster_status(3, nodes=THREE[:1]))
    fake_node.reply("GET", "/api/distributed/nodes", 200, {"nodes": THREE, "total": 3})
    run = run_module(cluster_info, {"url": fake_node.url, "token": token})
    assert not run.failed and run["changed"] is False
    assert run["cluster_size"] == 3 and run["expected_size"] == 3
    assert run["leader"] == "node1" and run["is_leader"] is True and run["term"] == 2
    assert run["leader_address"] == "127.0.0.1:8080"
    assert run["health"] == "healthy" and run["node_id"] == "node1" and run["connected_peers"] == 2
    assert [n["id"] for n in run["nodes"]] == ["node1", "node2", "node3"]  # from the member list
    assert run["status_endpoint"] == "/api/distributed/status"
    assert run["nodes_endpoint"] == "/api/distributed/nodes"
    assert all(r.headers["authorization"] == "Bearer " + token for r in fake_node.requests)
    assert token not in run.stdout


def test_falls_back_to_api_v1_routes_and_leader_endpoint(fake_node, run_module) -> None:
    status = cluster_status(1, nodes=THREE[:1])
    del status["leader"]  # upstream-like status without a leader field
    fake_node.reply("GET", "/api/v1/cluster/status", 200, status)
    fake_node.reply("GET", "/api/v1/nodes", 200, {"nodes": THREE[:1], "total": 1})
    fake_node.reply("GET", "/api/v1/cluster/leader", 200,
                    {"leader": "node1", "address": "10.0.0.1:8080", "term": 7})
    run = run_module(cluster_info, {"url": fake_node.url})
    assert not run.failed
    assert run["status_endpoint"] == "/api/v1/cluster/status" and run["nodes_endpoint"] == "/api/v1/nodes"
    assert run["leader"] == "node1" and run["leader_address"] == "10.0.0.1:8080" and run["term"] == 2
    assert run["cluster_size"] == 1
    assert [r.path for r in fake_node.calls("GET")][:2] == ["/api/distributed/status", "/api/v1/cluster/status"]


def test_uses_status_nodes_when_no_member_list_exists(fake_node, run_module) -> None:
    fake_node.reply("GET", "/api/distributed/status", 200, cluster_status(2, nodes=THREE[:2]))
    run = run_module(cluster_info, {"url": fake_node.url})
    assert not run.failed and run["nodes_endpoint"] is None
    assert [n["id"] for n in run["nodes"]] == ["node1", "node2"]


def test_check_mode_reads_too(fake_node, run_module) -> None:
    fake_node.reply("GET", "/api/distributed/status", 200, cluster_status(3, nodes=THREE))
    run = run_module(cluster_info, {"url": fake_node.url}, check_mode=True)
    assert not run.failed and run["cluster_size"] == 3 and run["changed"] is False


def test_waits_until_size_and_leader(fake_node, run_module) -> None:
    fake_node.reply("GET", "/api/distributed/status", 200, cluster_status(1, leader=None))
    fake_node.reply("GET", "/api/distributed/status", 200, cluster_status(2, leader="node1"))
    fake_node.reply("GET", "/api/distributed/status", 200, cluster_status(3, leader=None))
    fake_node.reply("GET", "/api/distributed/status", 200, cluster_status(3, leader="node2"))
    fake_node.reply("GET", "/api/distributed/nodes", 200, {"nodes": THREE, "total": 3})
    run = run_module(cluster_info, {"url": fake_node.url, "wait_for_size": 3, "wait_for_leader": True,
                                    "wait_timeout": 10, "wait_interval": 0.05})
    assert not run.failed
    assert run["attempts"] == 4 and run["cluster_size"] == 3 and run["leader"] == "node2"
    assert run["leader_address"] == "127.0.0.1:8082"


def test_wait_timeout_says_size_and_leader_last_seen(fake_node, run_module) -> None:
    fake_node.reply("GET", "/api/distributed/status", 200,
                    cluster_status(2, leader="", nodes=[member("node1", 8080), member("node2", 8082),
                                                        member("node3", 8084, "offline")]))
    run = run_module(cluster_info, {"url": fake_node.url, "wait_for_size": 3, "wait_for_leader": True,
                                    "wait_timeout": 0.4, "wait_interval": 0.1})
    assert run.failed
    assert "did not reach a size of at least 3 and a leader within 0.4s" in run["msg"]
    assert "cluster_size 2 (expected 3)" in run["msg"] and "leader None" in run["msg"]
    assert "node3=offline" in run["msg"] and "health degraded" in run["msg"]
    assert run["cluster_size"] == 2 and run["attempts"] >= 2


def test_wait_for_leader_only(fake_node, run_module) -> None:
    fake_node.reply("GET", "/api/distributed/status", 200, cluster_status(1, leader=None, expected=1))
    fake_node.reply("GET", "/api/distributed/status", 200, cluster_status(1, leader="node1", expected=1))
    run = run_module(cluster_info, {"url": fake_node.url, "wait_for_leader": True, "wait_interval": 0.05})
    assert not run.failed and run["leader"] == "node1" and run["attempts"] == 2


def test_wait_for_leader_id_waits_until_the_node_names_that_leader(fake_node, run_module) -> None:
    fake_node.reply("GET", "/api/distributed/status", 200, cluster_status(3, leader="node3"))
    fake_node.reply("GET", "/api/distributed/status", 200, cluster_status(3, leader="node2"))
    fake_node.reply("GET", "/api/distributed/nodes", 200, {"nodes": THREE, "total": 3})
    run = run_module(cluster_info, {"url": fake_node.url, "wait_for_size": 3, "wait_for_leader_id": "node2",
                                    "wait_timeout": 10, "wait_interval": 0.05})
    assert not run.failed and run["leader"] == "node2" and run["attempts"] == 2


def test_wait_for_leader_id_timeout_names_the_wanted_leader(fake_node, run_module) -> None:
    fake_node.reply("GET", "/api/distributed/status", 200, cluster_status(3, leader="node3"))
    run = run_module(cluster_info, {"url": fake_node.url, "wait_for_leader_id": "node2",
                                    "wait_timeout": 0.3, "wait_interval": 0.1})
    assert run.failed
    assert "did not reach the leader node2 within 0.3s" in run["msg"] and "leader 'node3'" in run["msg"]


def test_wait_on_unreachable_node_reports_the_error(closed_url, run_module) -> None:
    run = run_module(cluster_info, {"url": closed_url, "wait_for_size": 3, "wait_timeout": 0.3,
                                    "wait_interval": 0.1})
    assert run.failed
    assert "last error: Connection refused" in run["msg"] and "no status was ever read" in run["msg"]


def test_401_fails_without_showing_the_token(fake_node, run_module, token) -> None:
    fake_node.reply("GET", "/api/distributed/status", 401, {"error": "invalid or expired token"})
    run = run_module(cluster_info, {"url": fake_node.url, "token": token, "wait_for_size": 3,
                                    "wait_timeout": 30})
    assert run.failed and run["http_status"] == 401 and run.seconds < 5
    assert "token was rejected" in run["msg"] and "invalid or expired token" in run["msg"]
    assert token not in run.stdout


def test_rejects_a_size_below_one(fake_node, run_module) -> None:
    run = run_module(cluster_info, {"url": fake_node.url, "wait_for_size": 0})
    assert run.failed and "wait_for_size must be 1 or more" in run["msg"]
    assert fake_node.requests == []


def test_waits_for_health_read_from_the_health_route(fake_node, run_module) -> None:
    fake_node.reply("GET", "/health", 503, {"status": "unhealthy", "version": "0.1.0"})
    fake_node.reply("GET", "/health", 200, {"status": "degraded", "version": "0.1.0"})
    fake_node.reply("GET", "/health", 200, {"status": "healthy", "version": "0.1.0"})
    fake_node.reply("GET", "/api/distributed/status", 200, cluster_status(3, leader="node1"))
    fake_node.reply("GET", "/api/distributed/nodes", 200, {"nodes": THREE, "total": 3})
    run = run_module(cluster_info, {"url": fake_node.url, "wait_for_size": 3, "wait_for_leader": True,
                                    "wait_for_health": ["healthy"], "wait_timeout": 10, "wait_interval": 0.05})
    assert not run.failed and run["attempts"] == 3
    assert run["status"] == "healthy" and run["version"] == "0.1.0" and run["cluster_size"] == 3


def test_health_wait_timeout_names_the_health_last_seen(fake_node, run_module) -> None:
    fake_node.reply("GET", "/health", 200, {"status": "degraded"})
    fake_node.reply("GET", "/api/distributed/status", 200, cluster_status(2, leader="node1"))
    run = run_module(cluster_info, {"url": fake_node.url, "wait_for_health": ["healthy"],
                                    "wait_timeout": 0.3, "wait_interval": 0.1})
    assert run.failed and "health healthy" in run["msg"] and "health status degraded" in run["msg"]


def test_read_health_without_waiting(fake_node, run_module) -> None:
    fake_node.reply("GET", "/api/v1/health", 200, {"status": "healthy", "version": "v2"})
    fake_node.reply("GET", "/api/distributed/status", 200, cluster_status(3))
    run = run_module(cluster_info, {"url": fake_node.url, "read_health": True})
    assert not run.failed and run["attempts"] == 1 and run["status"] == "healthy" and run["version"] == "v2"


def test_also_read_reads_the_other_nodes_in_the_same_run(fake_node, closed_url, run_module, token) -> None:
    fake_node.reply("GET", "/health", 200, {"status": "healthy", "version": "0.1.0"})
    fake_node.reply("GET", "/api/distributed/status", 200, cluster_status(3, nodes=THREE))
    run = run_module(cluster_info, {"url": fake_node.url, "token": token, "read_health": True,
                                    "also_read": {"node2": fake_node.url, "node3": closed_url}})
    assert not run.failed and run["status"] == "healthy" and run["cluster_size"] == 3
    assert run["readings"]["node2"]["status"] == "healthy" and run["readings"]["node2"]["leader"] == "node1"
    # a node that does not answer is a reading with its error, not a failed module
    assert run["readings"]["node3"]["failed"] is True and "Connection refused" in run["readings"]["node3"]["msg"]
    assert all(r.headers["authorization"] == "Bearer " + token for r in fake_node.requests)
    assert token not in run.stdout


def test_also_read_is_returned_when_the_first_node_fails(fake_node, closed_url, run_module) -> None:
    fake_node.reply("GET", "/api/distributed/status", 200, cluster_status(3, nodes=THREE))
    run = run_module(cluster_info, {"url": closed_url, "retries": 0, "also_read": {"node2": fake_node.url}})
    assert run.failed and "Connection refused" in run["msg"]
    assert run["readings"]["node2"]["cluster_size"] == 3


def test_also_read_refuses_to_wait(fake_node, run_module) -> None:
    run = run_module(cluster_info, {"url": fake_node.url, "wait_for_leader": True,
                                    "also_read": {"node2": fake_node.url}})
    assert run.failed and "also_read is for a single reading" in run["msg"]
    assert fake_node.requests == []
