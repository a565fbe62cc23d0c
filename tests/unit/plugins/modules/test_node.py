# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""End-to-end tests of the node module through main(), against a stateful fake cluster."""

from __future__ import annotations

from typing import Any, Dict, Tuple

import pytest

from ansible_collections.ollama_lab.distributed.plugins.modules import node


class Members:
    """Member records behind one route family; drain/uncordon change them like a real node."""

    def __init__(self, fake_node, family: str = "/api/distributed/nodes", **statuses: str) -> None:
        self.status = dict(statuses)
        self.fake = fake_node
        fake_node.handle("GET", family, lambda req: (200, {"nodes": [self.record(i) for i in self.status],
                                                           "total": len(self.status)}))
        for node_id in self.status:
            fake_node.handle("GET", "%s/%s" % (family, node_id), self._get(node_id))
            fake_node.handle("POST", "%s/%s/drain" % (family, node_id), self._set(node_id, "draining"))
            fake_node.handle("POST", "%s/%s/uncordon" % (family, node_id), self._set(node_id, "online"))

    def record(self, node_id: str) -> Dict[str, Any]:
        return {"id": node_id, "address": "127.0.0.1:8082", "status": self.status[node_id], "tags": {}}

    def _get(self, node_id: str):
        return lambda req: (200, self.record(node_id))

    def _set(self, node_id: str, status: str):
        def handler(req) -> Tuple[int, Dict[str, Any]]:
            if self.status[node_id] != "offline":
                self.status[node_id] = status
            return 200, {"node_id": node_id, "status": status}
        return handler

    def posts(self):
        return self.fake.calls("POST")


def test_drain_then_idempotent(fake_node, run_module, token) -> None:
    members = Members(fake_node, node1="online", node2="online")
    args = {"url": fake_node.url, "token": token, "node_id": "node2", "state": "drained"}

    first = run_module(node, args)
    assert not first.failed and first["changed"] is True
    assert first["previous_status"] == "online" and first["status"] == "draining"
    assert first["node"]["status"] == "draining" and first["endpoint"] == "/api/distributed/nodes/node2"
    assert members.status["node2"] == "draining" and members.status["node1"] == "online"
    assert [r.path for r in members.posts()] == ["/api/distributed/nodes/node2/drain"]
    assert members.posts()[0].headers["authorization"] == "Bearer " + token

    second = run_module(node, args)
    assert not second.failed and second["changed"] is False and second["status"] == "draining"
    assert len(members.posts()) == 1  # nothing sent the second time
    assert token not in first.stdout and token not in second.stdout


def test_uncordon_then_idempotent(fake_node, run_module) -> None:
    members = Members(fake_node, node2="draining")
    args = {"url": fake_node.url, "node_id": "node2", "state": "online"}
    first = run_module(node, args, diff=True)
    assert first["changed"] is True and first["status"] == "online"
    assert first["diff"] == {"before": {"status": "draining"}, "after": {"status": "online"}}
    assert [r.path for r in members.posts()] == ["/api/distributed/nodes/node2/uncordon"]
    second = run_module(node, args)
    assert second["changed"] is False and len(members.posts()) == 1


@pytest.mark.parametrize("state, start, predicted", [("drained", "online", "draining"),
                                                     ("online", "draining", "online")])
def test_check_mode_predicts_without_posting(fake_node, run_module, state, start, predicted) -> None:
    members = Members(fake_node, node3=start)
    run = run_module(node, {"url": fake_node.url, "node_id": "node3", "state": state}, check_mode=True)
    assert not run.failed and run["changed"] is True
    assert run["previous_status"] == start and run["status"] == predicted
    assert members.posts() == [] and members.status["node3"] == start


def test_check_mode_unchanged_when_already_there(fake_node, run_module) -> None:
    members = Members(fake_node, node3="draining")
    run = run_module(node, {"url": fake_node.url, "node_id": "node3", "state": "drained"}, check_mode=True)
    assert run["changed"] is False and members.posts() == []


def test_offline_member_is_not_uncordoned_and_warns(fake_node, run_module) -> None:
    members = Members(fake_node, node3="offline")
    run = run_module(node, {"url": fake_node.url, "node_id": "node3", "state": "online"})
    assert not run.failed and run["changed"] is False
    assert any("is offline: uncordon cannot bring it online" in w for w in run.warnings)
    assert members.posts() == []


def test_unknown_node_fails_naming_it_and_the_known_members(fake_node, run_module) -> None:
    Members(fake_node, node1="online", node2="online")
    run = run_module(node, {"url": fake_node.url, "node_id": "ghost", "state": "drained"})
    assert run.failed and run["http_status"] == 404 and run["node_id"] == "ghost"
    assert "No member with node_id 'ghost'" in run["msg"]
    assert "known members: node1, node2" in run["msg"]
    assert fake_node.calls("POST") == []


def test_api_v1_family_is_used_when_distributed_routes_are_missing(fake_node, run_module) -> None:
    members = Members(fake_node, family="/api/v1/nodes", node2="online")
    run = run_module(node, {"url": fake_node.url, "node_id": "node2", "state": "drained"})
    assert run["changed"] is True and run["endpoint"] == "/api/v1/nodes/node2"
    assert [r.path for r in members.posts()] == ["/api/v1/nodes/node2/drain"]


def test_node_id_is_quoted_in_the_path(fake_node, run_module) -> None:
    run = run_module(node, {"url": fake_node.url, "node_id": "a/b", "state": "drained"})
    assert run.failed
    assert fake_node.requests[0].path == "/api/distributed/nodes/a%2Fb"


def test_server_error_on_drain_fails_with_the_error_field(fake_node, run_module) -> None:
    Members(fake_node, node2="online")
    fake_node.handle("POST", "/api/distributed/nodes/node2/drain",
                     lambda req: (500, {"error": "consensus unavailable"}))
    run = run_module(node, {"url": fake_node.url, "node_id": "node2", "state": "drained", "retries": 1,
                            "retry_delay": 0})
    assert run.failed and run["http_status"] == 500
    assert "consensus unavailable" in run["msg"] and "gave up after 2 attempts" in run["msg"]
