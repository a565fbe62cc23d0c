# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""End-to-end tests of the health module through main()."""

from __future__ import annotations

from ansible_collections.ollama_lab.distributed.plugins.modules import health

HEALTHY = {"status": "healthy", "timestamp": "2025-01-01T00:00:00Z", "version": "0.1.0 (reference)",
           "node_id": "node1", "uptime": "42s", "uptime_seconds": 42.5}


def test_reads_health_once(fake_node, run_module, token) -> None:
    fake_node.reply("GET", "/health", 200, HEALTHY)
    run = run_module(health, {"url": fake_node.url, "token": token})
    assert run.rc == 0 and not run.failed
    assert run["changed"] is False
    assert run["status"] == "healthy" and run["node_id"] == "node1"
    assert run["version"] == "0.1.0 (reference)" and run["uptime_seconds"] == 42.5
    assert run["http_status"] == 200 and run["endpoint"] == "/health" and run["attempts"] == 1
    assert isinstance(run["latency_ms"], float)
    assert fake_node.calls("GET", "/health")[0].headers["authorization"] == "Bearer " + token
    assert token not in run.stdout


def test_503_unhealthy_is_an_observation_not_an_error(fake_node, run_module) -> None:
    fake_node.reply("GET", "/health", 503, dict(HEALTHY, status="unhealthy"))
    run = run_module(health, {"url": fake_node.url, "retries": 3})
    assert not run.failed
    assert run["status"] == "unhealthy" and run["http_status"] == 503
    assert len(fake_node.calls()) == 1  # an accepted 503 is not retried


def test_falls_back_to_api_v1_health_like_upstream(fake_node, run_module) -> None:
    fake_node.reply("GET", "/api/v1/health", 200, HEALTHY)
    run = run_module(health, {"url": fake_node.url})
    assert run["status"] == "healthy" and run["endpoint"] == "/api/v1/health"


def test_check_mode_reads_too(fake_node, run_module) -> None:
    fake_node.reply("GET", "/health", 200, HEALTHY)
    run = run_module(health, {"url": fake_node.url}, check_mode=True)
    assert not run.failed and run["status"] == "healthy" and run["changed"] is False


def test_waits_through_unhealthy_and_degraded_until_healthy(fake_node, run_module) -> None:
    fake_node.reply("GET", "/health", 503, dict(HEALTHY, status="unhealthy"))
    fake_node.reply("GET", "/health", 200, dict(HEALTHY, status="degraded"))
    fake_node.reply("GET", "/health", 200, HEALTHY)
    run = run_module(health, {"url": fake_node.url, "wait_for": ["healthy"], "wait_timeout": 10,
                              "wait_interval": 0.05})
    assert not run.failed and run["status"] == "healthy"
    assert run["attempts"] == 3


def test_wait_accepts_any_listed_status(fake_node, run_module) -> None:
    fake_node.reply("GET", "/health", 200, dict(HEALTHY, status="degraded"))
    run = run_module(health, {"url": fake_node.url, "wait_for": ["healthy", "degraded"],
                              "wait_interval": 0.05})
    assert not run.failed and run["status"] == "degraded" and run["attempts"] == 1


def test_wait_timeout_says_what_was_last_seen(fake_node, run_module) -> None:
    fake_node.reply("GET", "/health", 200, dict(HEALTHY, status="degraded"))
    run = run_module(health, {"url": fake_node.url, "wait_for": ["healthy"], "wait_timeout": 0.5,
                              "wait_interval": 0.1})
    assert run.failed
    assert "did not reach status healthy within 0.5s" in run["msg"]
    assert "last seen: status 'degraded' (HTTP 200)" in run["msg"]
    assert run["status"] == "degraded" and run["attempts"] >= 2
    assert run.seconds < 5


def test_wait_on_a_node_that_never_starts_reports_the_refusal(closed_url, run_module) -> None:
    run = run_module(health, {"url": closed_url, "wait_for": ["healthy"], "wait_timeout": 0.4,
                              "wait_interval": 0.1, "retries": 5})
    assert run.failed
    assert "did not reach status healthy" in run["msg"]
    assert "nothing is listening" in run["msg"] and closed_url in run["msg"]
    assert "no answer was ever read" in run["msg"]
    assert run.seconds < 5  # per-poll retries are off while waiting


def test_connection_refused_without_wait_fails_clearly(closed_url, run_module) -> None:
    run = run_module(health, {"url": closed_url, "retries": 0})
    assert run.failed and run["url"] == closed_url + "/health"
    assert "Connection refused" in run["msg"] and "nothing is listening" in run["msg"]
    assert run["http_status"] is None


def test_401_while_waiting_fails_at_once_without_the_token(fake_node, run_module, token) -> None:
    fake_node.reply("GET", "/health", 401, {"error": "bad token"})
    run = run_module(health, {"url": fake_node.url, "token": token, "wait_for": ["healthy"],
                              "wait_timeout": 30, "wait_interval": 0.05})
    assert run.failed and run["http_status"] == 401
    assert "token was rejected" in run["msg"]
    assert run.seconds < 5
    assert token not in run.stdout


def test_bad_url_fails_with_a_clear_message(run_module) -> None:
    run = run_module(health, {"url": "localhost:8080"})
    assert run.failed and "Invalid connection options" in run["msg"] and "http://" in run["msg"]
