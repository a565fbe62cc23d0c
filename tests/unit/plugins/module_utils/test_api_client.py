# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of plugins/module_utils/api.py against a real loopback HTTP server."""

from __future__ import annotations

import time
from typing import List

import pytest

from ansible_collections.ollama_lab.distributed.plugins.module_utils.api import (
    MAX_BACKOFF_SECONDS,
    NodeAPIError,
    NodeClient,
    connection_argument_spec,
    display_url,
)
from ansible_collections.ollama_lab.distributed.plugins.module_utils.api_poll import poll_until


class SleepRecorder:
    """Stands in for time.sleep so backoff is observable and tests stay fast."""

    def __init__(self) -> None:
        self.calls: List[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def client_for(url: str, **kwargs) -> NodeClient:
    kwargs.setdefault("timeout", 2.0)
    kwargs.setdefault("retries", 0)
    kwargs.setdefault("retry_delay", 0.0)
    return NodeClient(url, **kwargs)


def test_get_success_decodes_json_and_measures_latency(fake_node) -> None:
    fake_node.reply("GET", "/health", 200, {"status": "healthy", "node_id": "node1"})
    resp = client_for(fake_node.url + "/").get("/health")
    assert resp.status == 200
    assert resp.data == {"status": "healthy", "node_id": "node1"}
    assert resp.latency_ms >= 0
    assert resp.attempts == 1
    assert resp.url == fake_node.url + "/health"  # trailing slash of the base URL dropped


def test_post_sends_json_body_and_bearer_header(fake_node, token) -> None:
    fake_node.reply("POST", "/api/pull", 200, {"status": "success"})
    resp = client_for(fake_node.url, token=token).post("/api/pull", {"name": "tiny", "stream": False})
    assert resp.data == {"status": "success"}
    (req,) = fake_node.calls("POST", "/api/pull")
    assert req.headers["authorization"] == "Bearer " + token
    assert req.headers["content-type"] == "application/json"
    assert req.json == {"name": "tiny", "stream": False}


def test_state_changes_without_a_body_are_still_json(fake_node) -> None:
    # nodes answer 415 to a POST or DELETE that is not application/json, even an empty one
    fake_node.reply("POST", "/api/distributed/nodes/node2/drain", 200, {"status": "draining"})
    client_for(fake_node.url).post("/api/distributed/nodes/node2/drain")
    (req,) = fake_node.calls("POST", "/api/distributed/nodes/node2/drain")
    assert req.headers["content-type"] == "application/json"


def test_no_authorization_header_without_token(fake_node) -> None:
    fake_node.reply("GET", "/api/tags", 200, {"models": []})
    client_for(fake_node.url).get("/api/tags")
    (req,) = fake_node.calls("GET", "/api/tags")
    assert "authorization" not in req.headers


def test_empty_success_body_is_an_empty_dict(fake_node) -> None:
    fake_node.reply("DELETE", "/api/delete", 200, b"")
    resp = client_for(fake_node.url).delete("/api/delete", {"name": "tiny"})
    assert resp.status == 200 and resp.data == {}
    assert fake_node.calls("DELETE", "/api/delete")[0].json == {"name": "tiny"}


def test_retries_5xx_with_exponential_backoff_then_succeeds(fake_node) -> None:
    fake_node.reply("GET", "/api/tags", 503, {"error": "busy"})
    fake_node.reply("GET", "/api/tags", 500, {"error": "boom"})
    fake_node.reply("GET", "/api/tags", 200, {"models": [{"name": "tiny:latest"}]})
    sleeps = SleepRecorder()
    client = client_for(fake_node.url, retries=3, retry_delay=0.5, sleep=sleeps)
    resp = client.get("/api/tags")
    assert resp.data["models"][0]["name"] == "tiny:latest"
    assert resp.attempts == 3
    assert len(fake_node.calls("GET", "/api/tags")) == 3
    assert sleeps.calls == [0.5, 1.0]


def test_retry_exhaustion_reports_status_error_field_and_attempts(fake_node) -> None:
    fake_node.reply("GET", "/api/tags", 502, {"error": "backend unavailable", "timestamp": "t"})
    sleeps = SleepRecorder()
    client = client_for(fake_node.url, retries=2, retry_delay=1.0, sleep=sleeps)
    with pytest.raises(NodeAPIError) as info:
        client.get("/api/tags")
    err = info.value
    assert err.status == 502
    assert err.error == "backend unavailable"
    assert err.url == fake_node.url + "/api/tags"
    assert err.transient is True
    assert "HTTP 502" in err.message and "backend unavailable" in err.message
    assert "gave up after 3 attempts" in err.message
    assert len(fake_node.calls("GET", "/api/tags")) == 3
    assert sleeps.calls == [1.0, 2.0]


def test_backoff_is_bounded() -> None:
    client = NodeClient("http://127.0.0.1:1", retries=20, retry_delay=5.0)
    assert client.backoff(1) == 5.0
    assert client.backoff(2) == 10.0
    assert client.backoff(20) == MAX_BACKOFF_SECONDS


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 429])
def test_4xx_is_never_retried(fake_node, status: int) -> None:
    fake_node.reply("GET", "/api/tags", status, {"error": "nope %d" % status})
    sleeps = SleepRecorder()
    with pytest.raises(NodeAPIError) as info:
        client_for(fake_node.url, retries=3, sleep=sleeps).get("/api/tags")
    assert info.value.status == status
    assert info.value.transient is False
    assert "nope %d" % status in info.value.message
    assert len(fake_node.calls()) == 1 and sleeps.calls == []


def test_connection_refused_names_the_url_and_says_nothing_listens(closed_url) -> None:
    sleeps = SleepRecorder()
    with pytest.raises(NodeAPIError) as info:
        client_for(closed_url, retries=2, retry_delay=0.1, sleep=sleeps).get("/health")
    err = info.value
    assert err.kind == "refused" and err.status is None
    assert closed_url + "/health" in err.message
    assert "nothing is listening" in err.message and "node running" in err.message
    assert "gave up after 3 attempts" in err.message
    assert sleeps.calls == [0.1, 0.2]


def test_timeout_when_the_server_is_slower_than_the_timeout(fake_node) -> None:
    fake_node.reply("GET", "/health", 200, {"status": "healthy"}, delay=3.0)
    started = time.monotonic()
    with pytest.raises(NodeAPIError) as info:
        client_for(fake_node.url, timeout=0.4).get("/health")
    assert time.monotonic() - started < 2.5
    err = info.value
    assert err.kind == "timeout" and err.transient
    assert "Timed out after 0.4s" in err.message and "/health" in err.message


def test_timeouts_are_retried_for_get_but_not_for_post(fake_node) -> None:
    fake_node.reply("GET", "/slow", 200, {}, delay=2.0)
    fake_node.reply("POST", "/slow", 200, {}, delay=2.0)
    sleeps = SleepRecorder()
    client = client_for(fake_node.url, timeout=0.3, retries=1, sleep=sleeps)
    with pytest.raises(NodeAPIError):
        client.get("/slow")
    with pytest.raises(NodeAPIError) as info:
        client.post("/slow", {"prompt": "x"})
    assert len(fake_node.calls("GET", "/slow")) == 2
    assert len(fake_node.calls("POST", "/slow")) == 1  # a generate/pull may still be running
    assert "gave up" not in info.value.message


def test_401_says_token_rejected_and_never_prints_it(fake_node, token) -> None:
    # even a server that echoes the token back must not make it leak
    fake_node.reply("GET", "/api/distributed/status", 401,
                    {"error": "invalid token %s" % token, "timestamp": "t"})
    with pytest.raises(NodeAPIError) as info:
        client_for(fake_node.url, token=token, retries=3).get("/api/distributed/status")
    err = info.value
    assert err.status == 401
    assert "401" in err.message and "token was rejected" in err.message
    assert token not in err.message and token not in str(err) and token not in repr(err.to_result())
    assert len(fake_node.calls()) == 1  # 401 is not retried


def test_401_without_token_says_it_was_missing(fake_node) -> None:
    fake_node.reply("GET", "/api/tags", 401, {"error": "missing bearer token"})
    with pytest.raises(NodeAPIError) as info:
        client_for(fake_node.url).get("/api/tags")
    assert "token was missing" in info.value.message
    assert "missing bearer token" in info.value.message


def test_404_message_names_the_route_and_error(fake_node) -> None:
    fake_node.reply("GET", "/api/distributed/nodes/ghost", 404, {"error": "node ghost not found"})
    with pytest.raises(NodeAPIError) as info:
        client_for(fake_node.url).get("/api/distributed/nodes/ghost")
    assert info.value.status == 404
    assert "404 Not Found" in info.value.message and "node ghost not found" in info.value.message
    assert "GET " + fake_node.url + "/api/distributed/nodes/ghost" in info.value.message


def test_non_json_success_body_is_an_error(fake_node) -> None:
    fake_node.reply("GET", "/health", 200, "<html>hello from a proxy</html>", content_type="text/html")
    with pytest.raises(NodeAPIError) as info:
        client_for(fake_node.url).get("/health")
    assert info.value.kind == "json" and info.value.status == 200
    assert "not JSON" in info.value.message and "hello from a proxy" in info.value.message


def test_non_json_error_body_is_quoted(fake_node) -> None:
    fake_node.reply("GET", "/health", 500, "Internal Server Error", content_type="text/plain")
    with pytest.raises(NodeAPIError) as info:
        client_for(fake_node.url).get("/health")
    assert info.value.status == 500 and info.value.error is None
    assert "HTTP 500" in info.value.message and "Internal Server Error" in info.value.message


def test_accept_status_returns_the_body_without_retrying(fake_node) -> None:
    fake_node.reply("GET", "/health", 503, {"status": "unhealthy"})
    resp = client_for(fake_node.url, retries=3).get("/health", accept_status=(503,))
    assert resp.status == 503 and resp.data["status"] == "unhealthy"
    assert len(fake_node.calls()) == 1


def test_get_first_falls_back_only_on_404(fake_node) -> None:
    fake_node.reply("GET", "/api/v1/cluster/status", 200, {"cluster_size": 1})
    path, resp = client_for(fake_node.url).get_first(["/api/distributed/status", "/api/v1/cluster/status"])
    assert path == "/api/v1/cluster/status" and resp.data == {"cluster_size": 1}
    fake_node.reply("GET", "/api/distributed/status", 401, {"error": "no"})
    with pytest.raises(NodeAPIError) as info:
        client_for(fake_node.url).get_first(["/api/distributed/status", "/api/v1/cluster/status"])
    assert info.value.status == 401


def test_credentials_in_url_are_not_displayed(closed_url) -> None:
    url = closed_url.replace("http://", "http://admin:hunter2@")
    assert display_url(url) == closed_url
    with pytest.raises(NodeAPIError) as info:
        client_for(url).get("/health")
    assert "hunter2" not in info.value.message and "hunter2" not in (info.value.url or "")


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(url="127.0.0.1:8080"), "http:// or https://"),
    (dict(url="http://x", timeout=0), "timeout"),
    (dict(url="http://x", retries=-1), "retries"),
    (dict(url="http://x", retries=99), "retries"),
    (dict(url="http://x", retry_delay=-1), "retry_delay"),
])
def test_bad_options_are_rejected(kwargs, fragment: str) -> None:
    url = kwargs.pop("url")
    with pytest.raises(ValueError, match=fragment):
        NodeClient(url, **kwargs)


def test_connection_argument_spec_is_shared_and_token_is_no_log() -> None:
    spec = connection_argument_spec()
    assert set(spec) == {"url", "token", "timeout", "validate_certs", "ca_path", "retries", "retry_delay"}
    assert spec["token"]["no_log"] is True
    spec["url"]["required"] = False  # a copy: callers may change it freely
    assert connection_argument_spec()["url"]["required"] is True


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: List[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_poll_until_returns_when_the_predicate_holds() -> None:
    clock = FakeClock()
    values = iter([1, 2, 3, 4])
    result = poll_until(lambda: next(values), lambda v: v >= 3, timeout=60, interval=5,
                        sleep=clock.sleep, clock=clock, first_delay=5)
    assert result.ok and result.value == 3 and result.attempts == 3 and result.error is None
    assert clock.sleeps == [5, 5]


def test_poll_until_times_out_with_the_last_observation() -> None:
    clock = FakeClock()
    result = poll_until(lambda: {"size": 2}, lambda v: v["size"] == 3, timeout=10, interval=4,
                        sleep=clock.sleep, clock=clock, first_delay=4)
    assert not result.ok and result.value == {"size": 2}
    assert clock.sleeps == [4, 4, 2]  # never sleeps past the deadline
    assert result.attempts == 4 and result.elapsed == 10


def test_poll_until_polls_soon_at_first_then_every_interval() -> None:
    clock = FakeClock()
    result = poll_until(lambda: 0, lambda v: False, timeout=3, interval=1, sleep=clock.sleep, clock=clock)
    assert not result.ok
    assert clock.sleeps[:6] == [0.05, 0.1, 0.2, 0.4, 0.8, 1]  # doubling from 0.05 s up to the interval
    assert abs(sum(clock.sleeps) - 3) < 1e-9  # and never past the deadline


def test_poll_until_treats_transient_errors_as_observations_and_raises_others() -> None:
    clock = FakeClock()
    seq = iter([NodeAPIError("refused", kind="refused", transient=True), {"status": "healthy"}])

    def fetch():
        item = next(seq)
        if isinstance(item, Exception):
            raise item
        return item

    result = poll_until(fetch, lambda v: v["status"] == "healthy", timeout=10, interval=1,
                        sleep=clock.sleep, clock=clock)
    assert result.ok and result.attempts == 2

    def unauthorized():
        raise NodeAPIError("401", status=401)

    with pytest.raises(NodeAPIError):
        poll_until(unauthorized, lambda v: True, timeout=10, interval=1, sleep=clock.sleep, clock=clock)


def test_poll_until_keeps_the_last_error_when_it_never_answers() -> None:
    clock = FakeClock()

    def refused():
        raise NodeAPIError("Connection refused", kind="refused", transient=True)

    result = poll_until(refused, lambda v: True, timeout=3, interval=1, sleep=clock.sleep, clock=clock)
    assert not result.ok and result.value is None
    assert result.error is not None and "refused" in result.error.message
