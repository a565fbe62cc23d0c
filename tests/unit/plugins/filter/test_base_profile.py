# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for configure_base_profile: a profile in upstream's format as the lowest layer."""

from __future__ import annotations

import copy
import datetime
from pathlib import Path

import pytest
import yaml

from ansible.errors import AnsibleFilterError
from ansible_collections.ollama_lab.distributed.plugins.filter.base_profile import FilterModule, config_base_profile
from ansible_collections.ollama_lab.distributed.plugins.filter.config import config_build, config_problems
from ansible_collections.ollama_lab.distributed.plugins.filter.layout import node_layout

ROLE_VARS = yaml.safe_load(
    (Path(__file__).resolve().parents[4] / "roles" / "configure" / "vars" / "main.yml").read_text())
DEFAULTS = ROLE_VARS["__configure_defaults"]
PROFILES = ROLE_VARS["__configure_profiles"]
LAYOUT_DEFAULTS = {
    "api_port_base": 8080, "web_port_offset": 1, "p2p_port_base": 4001, "port_step": 2,
    "bind_address": "", "api_scheme": "http", "config_dir": "/etc/ollama-distributed",
    "data_root": "/var/lib/ollama-distributed", "log_dir": "/var/log/ollama-distributed",
    "service_manager": "systemd",
}

# The key set and values that upstream's configuration-manager.go (commit 381416809)
# writes for its testing profile: every field of its structs, Go zero values included.
UPSTREAM_TESTING = yaml.safe_load("""
name: testing
description: Testing environment configuration
environment: testing
api:
  listen: 127.0.0.1:9080
  debug: false
  timeout: 15s
  tls: {enabled: false, cert_file: "", key_file: ""}
  cors: {enabled: true, origins: ["http://localhost:*", "http://127.0.0.1:*"], methods: [], headers: []}
  rate_limit: {enabled: true, requests_per_minute: 100, burst_size: 10}
  middleware: []
p2p:
  listen: 127.0.0.1:4002
  bootstrap: []
  protocol: ""
  discovery: {method: "", interval: 0}
  security: {enable_tls: false, private_key: ""}
  limits: {max_connections: 0, max_streams: 0, max_message_size: 0}
web: {listen: 127.0.0.1:9081, enable_auth: true, static_dir: "", theme: "", title: Ollama Distributed - Testing}
storage: {data_dir: ./test-data, models_dir: ./test-data/models, cache_dir: "", temp_dir: "", max_size: 1GB, cleanup: true}
logging: {level: info, output: file, file: ./test-data/logs/test.log, max_size: "", max_backups: 0, max_age: 0,
          compress: false}
performance: {monitoring_enabled: true, metrics_interval: 10, optimization_enabled: true, profiler_enabled: false,
              memory_limit: "", cpu_limit: "", gc_target_percentage: 0}
consensus: {data_dir: "", bootstrap: false, bind_addr: "", election_timeout: 0s, heartbeat_time: 0s, max_log_entries: 0}
scheduler: {algorithm: "", load_balancing: "", worker_count: 0, queue_size: 0}
security:
  enable_auth: false
  jwt: {secret: "", expiration: 0s, algorithm: ""}
  encryption: {method: "", key_file: ""}
  certificates: {ca_file: "", cert_file: "", key_file: ""}
metadata: {created: 2025-09-03T11:37:03Z, created_by: training-manager, purpose: automated testing}
""")


def test_keeps_known_keys_and_names_every_dropped_one() -> None:
    out = config_base_profile(UPSTREAM_TESTING, DEFAULTS)
    layer, dropped = out["layer"], out["dropped"]
    assert layer["api"]["rate_limit"] == {"enabled": True, "requests_per_minute": 100, "burst_size": 10}
    assert layer["api"]["cors"] == {"enabled": True, "origins": ["http://localhost:*", "http://127.0.0.1:*"]}
    assert layer["logging"] == {"level": "info", "output": "file", "file": "./test-data/logs/test.log"}
    assert layer["metadata"]["created"] == "2025-09-03T11:37:03+00:00"  # a YAML timestamp, made a string
    assert "scheduler" not in layer and "consensus" in layer and "heartbeat_time" not in layer["consensus"]
    for note in (
        "api.debug: not a key of the node contract the collection writes; dropped",
        "api.cors.methods: not a key of the node contract the collection writes; dropped",
        "p2p.discovery: not a key of the node contract the collection writes; dropped",
        "web.theme: not a key of the node contract the collection writes; dropped",
        "security.encryption: not a key of the node contract the collection writes; dropped",
        "scheduler.algorithm: '' is upstream's unset value; the collection's value applies",
        "consensus.heartbeat_time: '0s' is upstream's unset value; the collection's value applies",
        "scheduler.worker_count: 0 is upstream's unset value; the collection's value applies",
        "security.jwt.secret: secrets come from configure_jwt_secret / configure_api_keys (vault); dropped",
    ):
        assert note in dropped
    assert not any(d.startswith(("api.rate_limit", "api.timeout", "storage.max_size")) for d in dropped)


def _inputs(base: dict, profile: str = "testing") -> list[dict]:
    hostvars = {f"node{i}": {"ansible_connection": "local"} for i in range(1, 4)}
    nodes = node_layout(hostvars, list(hostvars), LAYOUT_DEFAULTS)["nodes"]
    return [{"host": h, "cluster": "ollama_nodes", "node": nodes[h], "peers": list(nodes.values()),
             "profile": profile, "base_profile": copy.deepcopy(base), "overrides": {}, "node_overrides": {},
             "jwt_secret": "", "api_keys": [], "cluster_secret": "9c1e4b7a2f6d8e0b3a5c7d9f1e2b4c6a8d0f2e4b"}
            for h in hostvars]


def test_base_layer_sits_under_the_profile_layout_and_overrides() -> None:
    base = config_base_profile(UPSTREAM_TESTING, DEFAULTS)["layer"]
    inputs = _inputs(base)
    inputs[0]["overrides"] = {"api": {"rate_limit": {"burst_size": 20}}}
    assert config_problems(inputs, DEFAULTS, PROFILES) == []
    cfg = config_build(inputs[0], DEFAULTS, PROFILES)
    c = cfg["config"]
    assert c["api"]["rate_limit"] == {"enabled": False, "requests_per_minute": 100, "burst_size": 20}
    assert c["api"]["cors"]["origins"] == ["*"]  # configure_profile testing sets it
    assert c["web"]["title"] == "Ollama Distributed - Testing"
    # the layout wires addresses and paths over upstream's relative ones
    assert c["api"]["listen"] == "127.0.0.1:8080" and c["storage"]["data_dir"].startswith("/var/lib/ollama-distributed/")
    assert c["logging"]["file"].startswith("/var/log/ollama-distributed/")
    assert "debug" not in c["api"] and "discovery" not in c["p2p"]
    assert cfg["origins"]["api.rate_limit.requests_per_minute"] == "api.rate_limit.requests_per_minute (configure_base_profile)"
    assert c["metadata"]["created_by"] == "training-manager"


def test_problems_in_the_base_profile_name_it() -> None:
    bad = copy.deepcopy(UPSTREAM_TESTING)
    bad["api"]["rate_limit"]["requests_per_minute"] = "lots"
    base = config_base_profile(bad, DEFAULTS)["layer"]
    found = config_problems(_inputs(base), DEFAULTS, PROFILES)
    assert found and all("api.rate_limit.requests_per_minute (configure_base_profile)" in p for p in found)


def test_without_a_base_profile_nothing_changes() -> None:
    plain = _inputs({})
    for item in plain:
        del item["base_profile"]
    with_empty = _inputs(config_base_profile(None, DEFAULTS)["layer"])
    assert config_build(plain[1], DEFAULTS, PROFILES)["config"] == config_build(with_empty[1], DEFAULTS, PROFILES)["config"]


@pytest.mark.parametrize("value", [["a", "list"], "text", 3])
def test_a_profile_that_is_not_a_mapping_fails_naming_the_variable(value: object) -> None:
    with pytest.raises(AnsibleFilterError, match="configure_base_profile: found a .*, need a YAML mapping"):
        config_base_profile(value, DEFAULTS)


def test_filter_is_registered() -> None:
    assert FilterModule().filters()["config_base_profile"] is config_base_profile
    assert config_base_profile({"metadata": {"when": datetime.date(2025, 9, 3)}}, DEFAULTS)["layer"] == {
        "metadata": {"when": "2025-09-03"}}
