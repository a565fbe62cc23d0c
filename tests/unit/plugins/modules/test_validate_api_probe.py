# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The validate_api_probe module through main(), against a scripted loopback node."""

from __future__ import annotations

import socket

from ansible_collections.ollama_lab.distributed.plugins.module_utils import checks
from ansible_collections.ollama_lab.distributed.plugins.modules import validate_api_probe

HEALTH = {"status": "healthy", "timestamp": "t", "version": "0.1.0", "node_id": "n1", "uptime": "1m",
          "uptime_seconds": 60}
NODE = {"id": "n1", "address": "127.0.0.1:1", "status": "online"}
STATUS = {"node_id": "n1", "cluster_size": 1, "expected_size": 1, "connected_peers": 0, "leader": "n1",
          "is_leader": True, "term": 1, "health": "healthy", "last_update": "t", "nodes": [NODE]}


def _script(node, token, auth=True):
    """A node with auth on: protected routes answer 401 unless the token is right."""
    public = {"/health": HEALTH, "/api/v1/health": HEALTH, "/api/version": {"version": "0.1.0"},
              "/api/v1/version": {"version": "0.1.0"}}
    protected = {"/api/tags": {"models": [{"name": "tiny:latest"}]}, "/api/v1/models": {"models": []},
                 "/api/distributed/models": {"models": [], "total": 0},
                 "/api/distributed/status": STATUS, "/api/v1/cluster/status": STATUS,
                 "/api/v1/cluster/leader": {"leader": "n1", "term": 1},
                 "/api/distributed/nodes": {"nodes": [NODE], "total": 1}, "/api/v1/nodes": {"nodes": [NODE], "total": 1},
                 "/api/distributed/metrics": {"integration": {}, "inference": {}},
                 "/api/v1/metrics": {"node_id": "n1", "connected_peers": 0, "is_leader": True, "uptime_seconds": 1}}
    for path, body in public.items():
        node.reply("GET", path, 200, body)

    def guarded(body):
        def handler(rec):
            if auth and rec.headers.get("authorization") != "Bearer " + token:
                return 401, {"error": "unauthorized", "timestamp": "t"}
            return 200, body
        return handler

    for path, body in protected.items():
        node.handle("GET", path, guarded(body))

    def generate(rec):
        if auth and rec.headers.get("authorization") != "Bearer " + token:
            return 401, {"error": "unauthorized", "timestamp": "t"}
        if not isinstance(rec.json, dict):
            return 400, {"error": "request body must be a JSON object", "timestamp": "t"}
        return 200, {"model": rec.json.get("model"), "response": "hello", "done": True}

    node.handle("POST", "/api/generate", generate)


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_observes_routes_generate_security_performance_and_peers(fake_node, run_module, token) -> None:
    _script(fake_node, token)
    closed = _free_port()
    peers = [{"id": "n2", "host": "n2", "kind": "p2p", "target": "127.0.0.1:%d" % fake_node.port},
             {"id": "n3", "host": "n3", "kind": "p2p", "target": "127.0.0.1:%d" % closed}]
    run = run_module(validate_api_probe, {"url": fake_node.url, "token": token, "latency_requests": 5,
                                          "generate_requests": 2, "burst_requests": 12, "burst_concurrency": 4,
                                          "peers": peers})
    assert not run.failed and run["changed"] is False
    obs = run["observations"]
    routes = obs["api"]["routes"]
    assert set(routes) == set(checks.ROUTES)
    assert all(r["status"] == 200 for r in routes.values()), routes
    assert obs["api"]["generate"]["model"] == "tiny:latest" and obs["api"]["generate"]["data"]["done"] is True
    perf = obs["performance"]
    assert perf["health"]["count"] == 5 and perf["health"]["errors"] == 0 and perf["health"]["p95_ms"] is not None
    assert perf["generate"]["count"] == 2 and perf["generate"]["model"] == "tiny:latest"
    assert perf["burst"]["count"] == 12 and perf["burst"]["ok"] == 12 and perf["burst"]["concurrency"] == 4
    assert len(fake_node.calls("GET", "/health")) == 1 + 5 + 12  # routes, latency, burst
    # every protected route refused both without a token and with a wrong one
    assert {(p["method"], p["path"]) for p in obs["security"]["protected"]} == {
        ("GET", "/api/distributed/status"), ("GET", "/api/distributed/nodes"), ("GET", "/api/tags"),
        ("GET", "/api/v1/metrics"), ("POST", "/api/generate")}
    assert all(p["missing_token"] == 401 and p["wrong_token"] == 401 for p in obs["security"]["protected"])
    errors = dict((e["what"], e) for e in obs["security"]["errors"])
    assert errors["GET /api/validate-no-such-route"]["status"] == 404
    assert errors["POST /api/generate with a bad body"]["status"] == 400
    assert all(e["json_error"] for e in errors.values())
    assert [p["ok"] for p in obs["peers"]] == [True, False] and obs["peers"][1]["error"]
    # the token never shows
    assert token not in run.stdout
    # and the evaluators judge these observations green
    obs["config_doc"] = {"auth_enabled": True, "environment": "testing"}
    records = checks.eval_api(obs, checks.DEFAULT_SETTINGS) + checks.eval_security(obs, checks.DEFAULT_SETTINGS)
    by = dict((r["name"], r["status"]) for r in records)
    assert by["auth_required"] == "pass" and by["no_internal_leaks"] == "pass" and by["generate"] == "pass"
    assert by["health"] == by["models"] == by["cluster_status"] == by["nodes"] == by["metrics"] == "pass"


def test_open_protected_route_is_seen(fake_node, run_module, token) -> None:
    _script(fake_node, token, auth=False)
    run = run_module(validate_api_probe, {"url": fake_node.url, "sections": ["security"]})
    statuses = [(p["path"], p["missing_token"]) for p in run["observations"]["security"]["protected"]]
    assert ("/api/tags", 200) in statuses
    obs = dict(run["observations"], config_doc={"auth_enabled": True})
    rec = [r for r in checks.eval_security(obs, checks.DEFAULT_SETTINGS) if r["name"] == "auth_required"][0]
    assert rec["status"] == "fail" and "GET /api/tags with missing token answered 200" in rec["message"]


def test_no_model_skips_generate_with_a_reason(fake_node, run_module) -> None:
    fake_node.reply("GET", "/api/tags", 200, {"models": []})
    fake_node.reply("GET", "/health", 200, HEALTH)
    run = run_module(validate_api_probe, {"url": fake_node.url, "sections": ["generate", "performance"],
                                          "latency_requests": 2, "burst_requests": 0})
    obs = run["observations"]
    assert "no model on this node" in obs["api"]["generate"]["skipped"]
    assert "no model on this node" in obs["performance"]["generate"]["skipped"]
    assert obs["performance"]["burst"] is None
    assert not fake_node.calls("POST", "/api/generate")


def test_stopped_node_is_observed_not_crashed(closed_url, run_module) -> None:
    run = run_module(validate_api_probe, {"url": closed_url, "sections": ["routes", "performance"],
                                          "latency_requests": 2, "burst_requests": 3})
    assert not run.failed
    obs = run["observations"]
    assert obs["api"]["routes"]["health"]["status"] is None
    assert "Connection refused" in obs["api"]["routes"]["health"]["error"]
    assert obs["performance"]["health"]["errors"] == 2 and obs["performance"]["burst"]["ok"] == 0


def test_bad_input_fails_before_any_request(fake_node, run_module) -> None:
    run = run_module(validate_api_probe, {"url": fake_node.url, "burst_concurrency": 0})
    assert run.failed and "burst_concurrency must be between 1 and 200, got 0" in run["msg"]
    run = run_module(validate_api_probe, {"url": fake_node.url, "peers": [{"id": "x", "target": "nohost"}]})
    assert run.failed and "target as host:port" in run["msg"]
    assert fake_node.calls() == []
