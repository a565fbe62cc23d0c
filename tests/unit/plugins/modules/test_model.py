# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""End-to-end tests of the model module through main(), against a stateful fake node."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest

from ansible_collections.ollama_lab.distributed.plugins.modules import model


class Store:
    """A node's model list; pull adds (if available somewhere), delete removes."""

    def __init__(self, fake_node, installed: List[str], available: List[str], list_path: str = "/api/tags") -> None:
        self.installed = list(installed)
        self.available = set(available) | set(installed)
        self.fake = fake_node
        fake_node.handle("GET", list_path, lambda req: (200, {"models": [self.record(n) for n in self.installed]}))
        fake_node.handle("POST", "/api/pull", self._pull)
        fake_node.handle("DELETE", "/api/delete", self._delete)

    @staticmethod
    def record(name: str) -> Dict[str, Any]:
        return {"name": name, "size": 1024, "digest": "sha256:" + name.encode().hex(),
                "modified_at": "2025-01-01T00:00:00Z",
                "details": {"format": "gguf", "family": "tiny", "parameter_size": "1M",
                            "quantization_level": "Q4_0"}}

    def _pull(self, req):
        name = req.json["name"]
        full = name if ":" in name else name + ":latest"
        if full not in self.available:
            return 404, {"error": "model %s not found on any peer or backend" % name}
        self.installed.append(full)
        return 200, {"status": "success"}

    def _delete(self, req):
        name = req.json["name"]
        if name not in self.installed:
            return 404, {"error": "model not found"}
        self.installed.remove(name)
        return 200, {}

    def changes(self):
        return self.fake.calls("POST") + self.fake.calls("DELETE")


def test_pull_when_missing_then_idempotent(fake_node, run_module, token) -> None:
    store = Store(fake_node, installed=[], available=["tiny:latest"])
    args = {"url": fake_node.url, "token": token, "name": "tiny"}
    first = run_module(model, args)
    assert not first.failed and first["changed"] is True
    assert first["model"]["name"] == "tiny:latest" and first["pull_status"] == "success"
    (pull,) = fake_node.calls("POST", "/api/pull")
    assert pull.json == {"name": "tiny", "stream": False}
    assert pull.headers["authorization"] == "Bearer " + token

    second = run_module(model, args)
    assert not second.failed and second["changed"] is False
    assert second["model"]["digest"] == first["model"]["digest"]
    assert "pull_status" not in second.result
    assert len(store.changes()) == 1
    assert token not in first.stdout and token not in second.stdout


def test_tagged_and_untagged_names_are_the_same_model(fake_node, run_module) -> None:
    store = Store(fake_node, installed=["tiny:latest"], available=[])
    run = run_module(model, {"url": fake_node.url, "name": "tiny"})
    assert run["changed"] is False and run["model"]["name"] == "tiny:latest"
    assert store.changes() == []


def test_absent_deletes_then_idempotent(fake_node, run_module) -> None:
    store = Store(fake_node, installed=["tiny:latest", "other:1b"], available=[])
    args = {"url": fake_node.url, "name": "tiny", "state": "absent"}
    first = run_module(model, args, diff=True)
    assert first["changed"] is True and first["model"] is None
    assert first["diff"]["before"]["present"] is True and first["diff"]["after"]["present"] is False
    assert fake_node.calls("DELETE", "/api/delete")[0].json == {"name": "tiny:latest"}
    assert store.installed == ["other:1b"]
    second = run_module(model, args)
    assert second["changed"] is False and len(store.changes()) == 1


@pytest.mark.parametrize("state, installed", [("present", []), ("absent", ["tiny:latest"])])
def test_check_mode_reports_without_changing(fake_node, run_module, state, installed) -> None:
    store = Store(fake_node, installed=installed, available=["tiny:latest"])
    run = run_module(model, {"url": fake_node.url, "name": "tiny", "state": state}, check_mode=True)
    assert not run.failed and run["changed"] is True and run["model"] is None
    assert store.changes() == [] and store.installed == installed


def test_check_mode_unchanged_when_present(fake_node, run_module) -> None:
    store = Store(fake_node, installed=["tiny:latest"], available=[])
    run = run_module(model, {"url": fake_node.url, "name": "tiny:latest"}, check_mode=True)
    assert run["changed"] is False and run["model"]["name"] == "tiny:latest" and store.changes() == []


def test_pull_of_an_unknown_model_fails_clearly(fake_node, run_module) -> None:
    Store(fake_node, installed=[], available=[])
    run = run_module(model, {"url": fake_node.url, "name": "nosuch:7b"})
    assert run.failed and run["http_status"] == 404 and run["name"] == "nosuch:7b"
    assert "Cannot pull model 'nosuch:7b'" in run["msg"]
    assert "not found on any peer or backend" in run["msg"]


def test_pull_that_does_not_list_the_model_fails(fake_node, run_module) -> None:
    fake_node.reply("GET", "/api/tags", 200, {"models": []})
    fake_node.reply("POST", "/api/pull", 200, {"status": "success"})
    run = run_module(model, {"url": fake_node.url, "name": "tiny"})
    assert run.failed and "does not list the model afterwards" in run["msg"]


def test_api_v1_models_list_is_used_when_tags_is_missing(fake_node, run_module) -> None:
    Store(fake_node, installed=["tiny:latest"], available=[], list_path="/api/v1/models")
    run = run_module(model, {"url": fake_node.url, "name": "tiny"})
    assert not run.failed and run["changed"] is False and run["endpoint"] == "/api/v1/models"


def test_pull_timeout_is_used_for_the_pull_and_not_retried_without_pull_retries(fake_node, run_module) -> None:
    fake_node.reply("GET", "/api/tags", 200, {"models": []})
    fake_node.reply("POST", "/api/pull", 200, {"status": "success"}, delay=3.0)
    run = run_module(model, {"url": fake_node.url, "name": "big", "pull_timeout": 0.3, "timeout": 5,
                             "retries": 3, "pull_retries": 0})
    assert run.failed and "Timed out after 0.3s" in run["msg"] and "/api/pull" in run["msg"]
    assert len(fake_node.calls("POST", "/api/pull")) == 1
    assert run.seconds < 2.5


def test_401_on_listing_fails_without_the_token(fake_node, run_module, token) -> None:
    fake_node.reply("GET", "/api/tags", 401, {"error": "unauthorized"})
    run = run_module(model, {"url": fake_node.url, "name": "tiny", "token": token})
    assert run.failed and "token was rejected" in run["msg"] and token not in run.stdout
    assert fake_node.calls("POST") == []


class Flaky(Store):
    """A store whose first pulls fail with the given statuses (None: a slow answer that times out)."""

    def __init__(self, fake_node, failures: List[Any], **kwargs: Any) -> None:
        super().__init__(fake_node, **kwargs)
        self.failures = list(failures)
        fake_node.handle("POST", "/api/pull", self._flaky_pull)

    def _flaky_pull(self, req):
        if self.failures:
            status = self.failures.pop(0)
            return status, {"error": "scripted failure %d" % status}
        return self._pull(req)


FAST = {"pull_retry_delay": 0.01}


def test_pull_retries_404_and_5xx_with_backoff_until_it_succeeds(fake_node, run_module) -> None:
    # A model seeded on a peer is announced at the next heartbeat: the first pulls may answer 404.
    store = Flaky(fake_node, [404, 502], installed=[], available=["tiny:latest"])
    run = run_module(model, dict(FAST, url=fake_node.url, name="tiny", pull_retries=3))
    assert not run.failed and run["changed"] is True, run.result
    assert run["pull_attempts"] == 3 and run["pull_status"] == "success"
    assert len(fake_node.calls("POST", "/api/pull")) == 3
    assert store.installed == ["tiny:latest"] and run["models"] == ["tiny:latest"]


def test_pull_gives_up_after_pull_retries(fake_node, run_module) -> None:
    Flaky(fake_node, [404] * 10, installed=[], available=["tiny:latest"])
    run = run_module(model, dict(FAST, url=fake_node.url, name="tiny", pull_retries=2))
    assert run.failed and run["http_status"] == 404
    assert "Cannot pull model 'tiny'" in run["msg"] and "gave up after 3 pulls" in run["msg"]
    assert len(fake_node.calls("POST", "/api/pull")) == 3


@pytest.mark.parametrize("status", [400, 401, 507])
def test_pull_failures_that_retrying_cannot_fix_fail_at_once(fake_node, run_module, status) -> None:
    Flaky(fake_node, [status] * 5, installed=[], available=["tiny:latest"])
    run = run_module(model, dict(FAST, url=fake_node.url, name="tiny", pull_retries=5))
    assert run.failed and run["http_status"] == status
    assert len(fake_node.calls("POST", "/api/pull")) == 1


def test_backoff_doubles_between_pulls(fake_node, run_module) -> None:
    Flaky(fake_node, [503, 503], installed=[], available=["tiny:latest"])
    run = run_module(model, dict(url=fake_node.url, name="tiny", pull_retries=2, pull_retry_delay=0.4))
    assert not run.failed and run["pull_attempts"] == 3
    assert run.seconds >= 0.4 + 0.8  # 0.4 s, then 0.8 s


def test_a_timed_out_pull_that_the_node_finished_is_not_sent_again(fake_node, run_module) -> None:
    # The first listing is empty; the pull times out, but the node finished it: the next listing has the model.
    listings = [{"models": []}, {"models": [Store.record("big:latest")]}]
    fake_node.handle("GET", "/api/tags", lambda req: (200, listings.pop(0) if len(listings) > 1 else listings[0]))
    fake_node.reply("POST", "/api/pull", 200, {"status": "success"}, delay=2.0)
    run = run_module(model, dict(FAST, url=fake_node.url, name="big", pull_timeout=0.3, pull_retries=3))
    assert not run.failed and run["changed"] is True, run.result
    assert run["pull_status"] == "present" and run["pull_attempts"] == 1
    assert len(fake_node.calls("POST", "/api/pull")) == 1
    assert run["model"]["name"] == "big:latest"


def test_models_lists_every_model_of_the_node(fake_node, run_module) -> None:
    Store(fake_node, installed=["b:1b", "a"], available=[])
    run = run_module(model, {"url": fake_node.url, "name": "a:latest"})
    assert run["changed"] is False and run["models"] == ["a:latest", "b:1b"]
    gone = run_module(model, {"url": fake_node.url, "name": "b:1b", "state": "absent"}, check_mode=True)
    # check mode sends nothing: the list is the node's list as it is
    assert gone["changed"] is True and gone["models"] == ["a:latest", "b:1b"] and gone["model"] is None


@pytest.mark.parametrize("args, words", [({"pull_retries": -1}, "pull_retries must be between 0 and 20"),
                                         ({"pull_retries": 21}, "got 21"),
                                         ({"pull_retry_delay": -1.0}, "pull_retry_delay must be zero or more")])
def test_bad_pull_retry_options_fail_before_any_request(fake_node, run_module, args, words) -> None:
    Store(fake_node, installed=[], available=["tiny:latest"])
    run = run_module(model, dict(args, url=fake_node.url, name="tiny"))
    assert run.failed and words in run["msg"]
    assert fake_node.calls("GET") == [] and fake_node.calls("POST") == []
