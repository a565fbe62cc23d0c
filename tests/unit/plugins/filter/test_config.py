# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the config filters: layered merge, profiles, validation messages."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from ansible.errors import AnsibleFilterError
from ansible_collections.ollama_lab.distributed.plugins.filter.config import (
    FilterModule,
    config_build,
    config_merge,
    config_problems,
    config_redact,
    config_yaml,
)
from ansible_collections.ollama_lab.distributed.plugins.filter.layout import node_layout

ROLE_VARS = yaml.safe_load(
    (Path(__file__).resolve().parents[4] / "roles" / "configure" / "vars" / "main.yml").read_text())
DEFAULTS = ROLE_VARS["__configure_defaults"]
PROFILES = ROLE_VARS["__configure_profiles"]
GOOD_SECRET = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
GOOD_KEY = "k9Xq2LmP4vR7tY1wZ8bN3cF6hJ0dG5sAeQ"
CLUSTER_SECRET = "Qm7Zt2Rk9Lp4Xw8Vn3Bc6Hd1Fg5Js0AyEuTi"

LAYOUT_DEFAULTS = {
    "api_port_base": 8080, "web_port_offset": 1, "p2p_port_base": 4001, "port_step": 2,
    "bind_address": "", "api_scheme": "http", "config_dir": "/etc/ollama-distributed",
    "data_root": "/var/lib/ollama-distributed", "log_dir": "/var/log/ollama-distributed",
    "service_manager": "systemd",
}


def cluster(profile: str = "development", n: int = 3, **common: Any) -> list[dict]:
    """The role's per-host inputs for n local nodes laid out by the layout filter."""
    hostvars = {f"node{i}": {"ansible_connection": "local"} for i in range(1, n + 1)}
    nodes = node_layout(hostvars, list(hostvars), LAYOUT_DEFAULTS)["nodes"]
    inputs = []
    for host in hostvars:
        item = {
            "host": host, "cluster": "ollama_nodes", "node": nodes[host],
            "peers": [nodes[h] for h in hostvars], "profile": profile,
            "overrides": {}, "node_overrides": {}, "jwt_secret": "", "api_keys": [],
            "cluster_secret": CLUSTER_SECRET,
        }
        item.update(copy.deepcopy(common))
        inputs.append(item)
    return inputs


def problems(inputs: list[dict]) -> list[str]:
    return config_problems(inputs, DEFAULTS, PROFILES)


def built(item: dict) -> dict:
    return config_build(item, DEFAULTS, PROFILES)["config"]


# ---------------------------------------------------------------- merging

def test_merge_is_deep_and_replaces_lists() -> None:
    base = {"api": {"listen": "a:1", "cors": {"enabled": True, "origins": ["*", "x"]}}, "n": 1}
    layer = {"api": {"cors": {"origins": ["https://lab"]}}, "extra": {"k": "v"}}
    merged = config_merge(base, layer)
    assert merged == {"api": {"listen": "a:1", "cors": {"enabled": True, "origins": ["https://lab"]}},
                      "n": 1, "extra": {"k": "v"}}
    assert base["api"]["cors"]["origins"] == ["*", "x"]  # inputs untouched


def test_merge_ignores_none_and_applies_layers_in_order() -> None:
    merged = config_merge({"a": {"b": 1, "c": 2}}, {"a": {"b": 10, "c": None}}, {"a": {"b": 20}})
    assert merged == {"a": {"b": 20, "c": 2}}


def test_merge_rejects_non_dict_layers() -> None:
    with pytest.raises(AnsibleFilterError, match="layer 1 must be a dict"):
        config_merge({}, ["x"])


def test_layers_defaults_profile_layout_group_host_secrets() -> None:
    item = cluster("testing")[1]
    item["overrides"] = {"logging": {"level": "warn"}, "api": {"timeout": "20s"},
                         "node": {"tags": {"room": "a"}}}
    item["node_overrides"] = {"logging": {"level": "error"}, "node": {"tags": {"gpu": "yes"}}}
    item["jwt_secret"] = GOOD_SECRET
    result = config_build(item, DEFAULTS, PROFILES)
    cfg, origins = result["config"], result["origins"]
    assert cfg["logging"]["level"] == "error"                 # host vars beat group vars
    assert cfg["logging"]["output"] == "both"                 # profile
    assert cfg["api"]["timeout"] == "20s"                     # group vars beat profile
    assert cfg["api"]["rate_limit"]["requests_per_minute"] == 600  # contract default
    assert cfg["node"]["tags"] == {"room": "a", "gpu": "yes"}  # maps merge
    assert cfg["node"]["id"] == "node2"
    assert cfg["api"]["listen"] == "127.0.0.1:8082"
    assert cfg["p2p"]["bootstrap"] == ["127.0.0.1:4001", "127.0.0.1:4003"]
    assert cfg["consensus"]["bootstrap"] is False
    assert cfg["cluster"]["expected_size"] == 3
    assert cfg["storage"]["models_dir"] == "/var/lib/ollama-distributed/node2/models"
    assert cfg["logging"]["file"] == "/var/log/ollama-distributed/node2.log"
    assert cfg["security"]["jwt"]["secret"] == GOOD_SECRET
    assert origins["logging.level"] == "configure_node_overrides.logging.level"
    assert origins["api.timeout"] == "configure_overrides.api.timeout"
    assert origins["logging.output"] == "logging.output (configure_profile testing)"
    assert origins["api.listen"] == "layout_api_port_base"
    assert origins["api.rate_limit.burst_size"] == "api.rate_limit.burst_size (built-in default)"
    assert origins["security.jwt.secret"] == "configure_jwt_secret"
    assert result["problems"] == []


def test_overrides_replace_lists_and_beat_the_layout() -> None:
    item = cluster()[2]
    item["node_overrides"] = {"p2p": {"bootstrap": ["127.0.0.1:4001"]}, "api": {"listen": "0.0.0.0:9000"}}
    cfg = built(item)
    assert cfg["p2p"]["bootstrap"] == ["127.0.0.1:4001"]
    assert cfg["api"]["listen"] == "0.0.0.0:9000"


def test_redact_replaces_secrets_only() -> None:
    cfg = built(cluster("production", jwt_secret=GOOD_SECRET, api_keys=[GOOD_KEY, GOOD_KEY])[0])
    red = config_redact(cfg, "XX")
    assert red["security"]["jwt"]["secret"] == "XX"
    assert red["security"]["api_keys"] == ["XX", "XX"]
    assert cfg["security"]["jwt"]["secret"] == GOOD_SECRET
    assert red["api"] == cfg["api"]
    empty = config_redact(built(cluster()[0]), "XX")
    assert empty["security"]["jwt"]["secret"] == "" and empty["security"]["api_keys"] == []


def test_filters_are_registered() -> None:
    assert set(FilterModule().filters()) == {"config_merge", "config_build", "config_redact", "config_problems",
                                             "config_yaml"}


# ---------------------------------------------------------------- the file

def test_config_file_reads_back_as_the_config_in_the_contract_order() -> None:
    cfg = built(cluster("production", jwt_secret=GOOD_SECRET, api_keys=[GOOD_KEY])[0])
    cfg["node"]["tags"] = {"zone": "b", "gpu": True, "nested": {"list": [1, 2], "ü": "é"}}
    cfg["metadata"] = {"owner": "Zoë \"room 2\"", "multi": "line1\nline2"}
    cfg["description"] = 'quotes " and \\ and ünicode'
    text = config_yaml(cfg, "production", "/etc/ollama-distributed/node1.yaml")
    assert yaml.safe_load(text) == cfg
    assert text.startswith("# Ollama Distributed node node1 - profile production\n")
    assert text.endswith("\n") and not text.endswith("\n\n")
    assert "REDACTED" not in text
    sections = [line.split(":")[0] for line in text.splitlines() if line and line[0].isalpha()]
    assert sections == ["name", "description", "environment", "node", "api", "p2p", "web", "storage", "logging",
                        "consensus", "cluster", "scheduler", "security", "backend", "performance", "metadata"]
    assert sorted(sections) == sorted(DEFAULTS)
    assert "  tags:\n    gpu: true\n    nested:\n      list:\n      - 1\n" in text
    assert f'    secret: "{GOOD_SECRET}"' in text


def test_config_file_empty_maps_and_the_redacted_note() -> None:
    cfg = config_redact(built(cluster()[0]), "<redacted>")
    cfg["metadata"] = {}
    text = config_yaml(cfg, "development", "/etc/x/node1.yaml", True)
    assert "  tags: {}\n" in text and text.endswith("\nmetadata: {}\n")
    assert "# /etc/x/node1.yaml; this file only makes `--diff` readable.\n" in text
    assert yaml.safe_load(text) == cfg


# ---------------------------------------------------------------- profiles

def test_development_profile() -> None:
    cfg = built(cluster("development")[0])
    assert cfg["environment"] == "development"
    assert cfg["logging"]["level"] == "debug" and cfg["logging"]["output"] == "console"
    assert cfg["security"]["enable_auth"] is False
    assert cfg["api"]["cors"] == {"enabled": True, "origins": [
        "http://127.0.0.1:8080", "http://localhost:8080", "http://127.0.0.1:8081", "http://localhost:8081",
        "http://127.0.0.1:8082", "http://localhost:8082", "http://127.0.0.1:8083", "http://localhost:8083",
        "http://127.0.0.1:8084", "http://localhost:8084", "http://127.0.0.1:8085", "http://localhost:8085"]}
    assert cfg["storage"]["max_size"] == "10GB"
    assert problems(cluster("development")) == []


def test_testing_profile() -> None:
    cfg = built(cluster("testing")[0])
    assert cfg["environment"] == "testing"
    assert cfg["logging"]["level"] == "info" and cfg["logging"]["output"] == "both"
    assert cfg["security"]["enable_auth"] is False
    assert problems(cluster("testing")) == []
    with_auth = cluster("testing", overrides={"security": {"enable_auth": True}}, jwt_secret=GOOD_SECRET)
    assert problems(with_auth) == []


def test_production_profile() -> None:
    inputs = cluster("production", jwt_secret=GOOD_SECRET, api_keys=[GOOD_KEY])
    cfg = built(inputs[0])
    assert cfg["environment"] == "production"
    assert cfg["logging"]["level"] == "warn" and cfg["logging"]["output"] == "file"
    assert cfg["security"]["enable_auth"] is True
    assert cfg["api"]["rate_limit"]["enabled"] is True
    assert cfg["api"]["tls"]["enabled"] is False
    assert cfg["scheduler"]["algorithm"] == "least_loaded"
    assert cfg["performance"]["monitoring_enabled"] is True
    assert problems(inputs) == []


def test_production_with_tls() -> None:
    tls = {"api": {"tls": {"enabled": True, "cert_file": "/etc/ssl/n.crt", "key_file": "/etc/ssl/n.key"}}}
    assert problems(cluster("production", jwt_secret=GOOD_SECRET, api_keys=[GOOD_KEY], overrides=tls)) == []
    tls["api"]["tls"]["key_file"] = ""
    assert problems(cluster("production", n=1, jwt_secret=GOOD_SECRET, api_keys=[GOOD_KEY], overrides=tls)) == [
        "node1: configure_overrides.api.tls.key_file: is empty, need an absolute path when api.tls.enabled is true",
    ]


# ---------------------------------------------------------------- problems, one node

@pytest.mark.parametrize("override, message", [
    ({"logging": {"level": "verbose"}},
     "configure_node_overrides.logging.level: found \"verbose\", need one of debug, info, warn, error"),
    ({"logging": {"output": "syslog"}},
     "configure_node_overrides.logging.output: found \"syslog\", need one of console, file, both"),
    ({"scheduler": {"algorithm": "random"}},
     "configure_node_overrides.scheduler.algorithm: found \"random\", need one of round_robin, least_loaded"),
    ({"environment": "staging"},
     "configure_node_overrides.environment: found \"staging\", need one of development, testing, production"),
    ({"api": {"cors": {"enabled": "maybe"}}},
     "configure_node_overrides.api.cors.enabled: found \"maybe\", need true or false (also yes/no, on/off, 1/0, "
     "as a string or not)"),
    ({"scheduler": {"worker_count": 0}},
     "configure_node_overrides.scheduler.worker_count: found 0, need a whole number 1-1024"),
    ({"scheduler": {"queue_size": "100"}},
     "configure_node_overrides.scheduler.queue_size: found \"100\", need a whole number 1-1000000"),
    ({"cluster": {"expected_size": -1}},
     "configure_node_overrides.cluster.expected_size: found -1, need a whole number 0-10000"),
    ({"api": {"timeout": "30"}},
     "configure_node_overrides.api.timeout: found \"30\", need a positive Go duration like 500ms, 30s or 24h"),
    ({"consensus": {"heartbeat_time": "0s"}},
     "configure_node_overrides.consensus.heartbeat_time: found \"0s\", need a positive Go duration like 500ms, 30s or 24h"),
    ({"consensus": {"election_timeout": "600ms"}},
     "configure_node_overrides.consensus.election_timeout: 600ms is less than twice consensus.heartbeat_time "
     "(500ms); members would flap offline"),
    ({"storage": {"max_size": "ten gigs"}},
     "configure_node_overrides.storage.max_size: found \"ten gigs\", need a size like 500MB or 10GB"),
    ({"storage": {"data_dir": "data"}},
     "configure_node_overrides.storage.data_dir: found \"data\", need an absolute path"),
    ({"api": {"listen": "8080"}},
     "configure_node_overrides.api.listen: found \"8080\", need host:port (like 127.0.0.1:8080)"),
    ({"api": {"listen": "127.0.0.1:0"}},
     "configure_node_overrides.api.listen: found \"127.0.0.1:0\", port 0 is not in 1-65535"),
    ({"p2p": {"listen": "127.0.0.1:70000"}},
     "configure_node_overrides.p2p.listen: found \"127.0.0.1:70000\", port 70000 is not in 1-65535"),
    ({"node": {"id": "node 1"}},
     "configure_node_overrides.node.id: found \"node 1\", need 1-63 characters of A-Z a-z 0-9 _ -"),
    ({"backend": {"ollama_url": "localhost:11434"}},
     "configure_node_overrides.backend.ollama_url: found \"localhost:11434\", need an http:// or https:// URL, "
     "or an empty string"),
    ({"performance": {"metrics_interval": 0}},
     "configure_node_overrides.performance.metrics_interval: found 0, need a number of seconds (1 or more) "
     "or a duration like 10s"),
    ({"api": {"cors": {"origins": "*"}}},
     "configure_node_overrides.api.cors.origins: found \"*\", need a list of strings"),
    ({"logging": {"output": "file", "file": ""}},
     "configure_node_overrides.logging.file: is empty, need an absolute path when logging.output is file"),
    ({"api": {"listn": "127.0.0.1:8080"}},
     "configure_node_overrides.api.listn: unknown key; known keys of api: advertise, cors, listen, rate_limit, "
     "timeout, tls"),
    ({"bogus": 1},
     "configure_node_overrides.bogus: unknown key; known top-level keys: api, backend, cluster, consensus, "
     "description, environment, logging, metadata, name, node, p2p, performance, scheduler, security, "
     "storage, web"),
    ({"api": {"tls": True}},
     "configure_node_overrides.api.tls: found true, need a mapping of keys"),
])
def test_one_bad_value_gives_one_exact_problem(override: dict, message: str) -> None:
    inputs = cluster(n=1)
    inputs[0]["node_overrides"] = override
    assert problems(inputs) == ["node1: " + message]


def test_bad_profile_and_bad_layer_types() -> None:
    inputs = cluster(n=1, profile="staging", overrides=["logging"])
    assert problems(inputs) == [
        "node1: configure_profile: found \"staging\", need one of development, testing, production",
        "node1: configure_overrides: found [\"logging\"], need a dict of config keys",
    ]


def test_auth_without_jwt_secret() -> None:
    inputs = cluster("testing", n=1, overrides={"security": {"enable_auth": True}})
    assert problems(inputs) == [
        "node1: configure_jwt_secret: security.enable_auth is true but no JWT secret is set; give a random "
        "string of at least 32 characters from ansible-vault (openssl rand -hex 32)",
    ]


def test_auth_with_short_jwt_secret() -> None:
    inputs = cluster("testing", n=1, overrides={"security": {"enable_auth": True}}, jwt_secret="x7Gq2")
    assert problems(inputs) == [
        "node1: configure_jwt_secret: the JWT secret has 5 characters, need at least 32 when "
        "security.enable_auth is true",
    ]


def test_short_api_key() -> None:
    inputs = cluster("development", n=1, api_keys=[GOOD_KEY, "short-key"])
    assert problems(inputs) == ["node1: configure_api_keys[1]: the API key has 9 characters, need at least 32"]


def test_production_with_auth_off() -> None:
    inputs = cluster("production", n=1, jwt_secret=GOOD_SECRET, overrides={"security": {"enable_auth": False}})
    assert problems(inputs) == [
        "node1: configure_overrides.security.enable_auth: authentication is off, but the production profile "
        "needs security.enable_auth: true (use the testing profile for an open lab)",
    ]


@pytest.mark.parametrize("secret, reason", [
    ("changeme-changeme-changeme-changeme", "it contains a well-known placeholder or default word"),
    ("your-secret-key-here-make-it-long-enough", "it contains a well-known placeholder or default word"),
    ("My-Super-PASSWORD-for-the-lab-2025-ok", "it contains a well-known placeholder or default word"),
    ("${JWT_SECRET}-------------------------", "it contains a well-known placeholder or default word"),
    ("a" * 40, "it uses only 1 distinct characters"),
    ("abcd1234" * 5, "it is one short pattern repeated"),
    ("abcdefghijklmnopqrstuvwxyz0123456789", "it is mostly a run of consecutive characters"),
])
def test_known_weak_jwt_secrets(secret: str, reason: str) -> None:
    inputs = cluster("production", n=1, jwt_secret=secret, api_keys=[GOOD_KEY])
    assert problems(inputs) == [
        f"node1: configure_jwt_secret: the JWT secret is a known weak secret ({reason}); generate one with "
        "openssl rand -hex 32 and keep it in ansible-vault",
    ]


def test_weak_api_key_in_production_and_secret_never_in_messages() -> None:
    weak = "password-password-password-password"
    inputs = cluster("production", n=1, jwt_secret=GOOD_SECRET, api_keys=[weak])
    found = problems(inputs)
    assert found == [
        "node1: configure_api_keys[0]: the API key is a known weak secret (it contains a well-known "
        "placeholder or default word); generate one with openssl rand -hex 32",
    ]
    bad_type = cluster("production", n=1, api_keys=[GOOD_KEY],
                       node_overrides={"security": {"jwt": {"secret": 12345}}})
    assert problems(bad_type) == ["node1: configure_node_overrides.security.jwt.secret: is not a string"]


def test_weak_secret_tolerated_when_auth_off_outside_production() -> None:
    assert problems(cluster("development", jwt_secret="changeme")) == []


# ---------------------------------------------------------------- problems, whole cluster

def test_port_clash_between_nodes_on_one_machine() -> None:
    inputs = cluster()
    inputs[1]["node_overrides"] = {"api": {"listen": "127.0.0.1:8080"}}
    assert problems(inputs) == [
        "node2: configure_node_overrides.api.listen: port 8080 also used by node1 (api) on machine localhost",
    ]


def test_port_clash_across_kinds_and_with_wildcard_bind() -> None:
    inputs = cluster()
    inputs[2]["node_overrides"] = {"web": {"listen": "0.0.0.0:4002"}}
    assert problems(inputs) == [
        "node3: configure_node_overrides.web.listen: port 4002 also used by node2 (p2p) on machine localhost",
    ]


def test_port_clash_within_one_node() -> None:
    inputs = cluster(n=1)
    inputs[0]["overrides"] = {"web": {"listen": "127.0.0.1:8080"}}
    assert problems(inputs) == [
        "node1: configure_overrides.web.listen: port 8080 also used by node1 (api) on machine localhost",
    ]


def test_same_port_on_different_machines_is_fine() -> None:
    hostvars = {f"n{i}": {"ansible_host": f"10.0.0.{i}"} for i in (1, 2)}
    nodes = node_layout(hostvars, list(hostvars), LAYOUT_DEFAULTS)["nodes"]
    inputs = [{"host": h, "cluster": "c", "node": nodes[h], "peers": list(nodes.values()),
               "profile": "development", "cluster_secret": CLUSTER_SECRET} for h in hostvars]
    assert problems(inputs) == []


def test_port_clash_with_a_node_outside_the_play() -> None:
    inputs = cluster()[1:]  # node1 not in the play (--limit)
    inputs[0]["node_overrides"] = {"web": {"listen": "127.0.0.1:8081"}}
    assert problems(inputs) == [
        "node2: configure_node_overrides.web.listen: port 8081 also used by node1 (web) on machine localhost",
    ]


def test_duplicate_node_ids() -> None:
    inputs = cluster()
    inputs[2]["node_overrides"] = {"node": {"id": "node1"}}
    assert problems(inputs) == [
        "node3: configure_node_overrides.node.id: node id \"node1\" is also used by node1 in cluster "
        "ollama_nodes; node ids must be unique",
    ]


def test_duplicate_node_id_blames_the_override_not_the_earlier_host() -> None:
    inputs = cluster()
    inputs[1]["node_overrides"] = {"node": {"id": "node3"}}
    assert problems(inputs) == [
        "node2: configure_node_overrides.node.id: node id \"node3\" is also used by node3 in cluster "
        "ollama_nodes; node ids must be unique",
    ]


def test_port_clash_blames_the_override_not_the_earlier_host() -> None:
    inputs = cluster()
    inputs[0]["node_overrides"] = {"web": {"listen": "127.0.0.1:8082"}}
    assert problems(inputs) == [
        "node1: configure_node_overrides.web.listen: port 8082 also used by node2 (api) on machine localhost",
    ]


def test_bootstrap_entry_pointing_nowhere() -> None:
    inputs = cluster()
    inputs[1]["node_overrides"] = {"p2p": {"bootstrap": ["127.0.0.1:4001", "10.9.9.9:4001"]}}
    assert problems(inputs) == [
        "node2: configure_node_overrides.p2p.bootstrap[1]: 10.9.9.9:4001 is not the p2p address of any node "
        "of cluster ollama_nodes (known: 127.0.0.1:4001, 127.0.0.1:4002, 127.0.0.1:4003)",
    ]


def test_bad_bootstrap_entry_format() -> None:
    inputs = cluster()
    inputs[1]["overrides"] = {"p2p": {"bootstrap": ["/ip4/127.0.0.1/tcp/4001"]}}
    found = problems(inputs)
    assert "node2: configure_overrides.p2p.bootstrap[0]: found \"/ip4/127.0.0.1/tcp/4001\", need host:port " \
           "(like 127.0.0.1:8080)" in found


def test_exactly_one_bootstrap_node() -> None:
    inputs = cluster()
    inputs[2]["node_overrides"] = {"consensus": {"bootstrap": True}}
    assert problems(inputs) == [
        "node1, node2, node3: consensus.bootstrap: true on 2 nodes of cluster ollama_nodes (node1, node3), "
        "need exactly one (set layout_bootstrap on one host and do not override consensus.bootstrap)",
    ]


def test_every_problem_reported_at_once() -> None:
    inputs = cluster("production", jwt_secret="changeme", api_keys=[GOOD_KEY])
    inputs[0]["overrides"] = {"security": {"enable_auth": False}}
    inputs[1]["node_overrides"] = {"api": {"listen": "127.0.0.1:8080"}, "logging": {"level": "loud"}}
    found = problems(inputs)
    assert found == [
        "node1: configure_overrides.security.enable_auth: authentication is off, but the production profile "
        "needs security.enable_auth: true (use the testing profile for an open lab)",
        "node1: configure_jwt_secret: the JWT secret is a known weak secret (it contains a well-known "
        "placeholder or default word); generate one with openssl rand -hex 32 and keep it in ansible-vault",
        "node2: configure_node_overrides.logging.level: found \"loud\", need one of debug, info, warn, error",
        "node2: configure_jwt_secret: the JWT secret has 8 characters, need at least 32 when "
        "security.enable_auth is true",
        "node3: configure_jwt_secret: the JWT secret has 8 characters, need at least 32 when "
        "security.enable_auth is true",
        "node2: configure_node_overrides.api.listen: port 8080 also used by node1 (api) on machine localhost",
    ]
    assert all("changeme" not in p for p in found)


def test_problems_needs_a_list() -> None:
    with pytest.raises(AnsibleFilterError):
        config_problems("node1", DEFAULTS, PROFILES)


# ---------------------------------------------------------------- issue 13: careless and hostile input

@pytest.mark.parametrize("spelling, wanted", [("false", False), ("no", False), ("0", False), ("False", False),
                                              ("true", True), ("yes", True), ("On", True), (1, True)])
def test_booleans_given_as_strings_are_booleans(spelling: Any, wanted: bool) -> None:
    item = cluster(n=1, overrides={"api": {"rate_limit": {"enabled": spelling}}})[0]
    assert built(item)["api"]["rate_limit"]["enabled"] is wanted
    assert problems([item]) == []


def test_privileged_ports_are_refused_naming_the_inventory_variable() -> None:
    hostvars = {"node1": {"ansible_connection": "local"}}
    nodes = node_layout(hostvars, ["node1"], dict(LAYOUT_DEFAULTS, api_port_base=80))["nodes"]
    item = dict(cluster(n=1)[0], node=nodes["node1"], peers=[nodes["node1"]])
    assert problems([item]) == [
        "node1: layout_api_port_base: found api port 80, need 1024-65535: the node runs as an unprivileged "
        "service user and cannot bind a port below 1024",
        "node1: layout_api_port_base + layout_web_port_offset: found web port 81, need 1024-65535: the node "
        "runs as an unprivileged service user and cannot bind a port below 1024",
    ]
    item["node_overrides"] = {"p2p": {"listen": "127.0.0.1:443"}}
    assert "node1: configure_node_overrides.p2p.listen: found p2p port 443" in problems([item])[2]


def test_loopback_listen_with_an_address_other_machines_would_dial() -> None:
    hostvars = {"node1": {"ansible_connection": "local", "layout_address": "10.0.0.5"}}
    nodes = node_layout(hostvars, ["node1"], LAYOUT_DEFAULTS)["nodes"]
    item = dict(cluster(n=1)[0], node=nodes["node1"], peers=[nodes["node1"]])
    found = problems([item])
    assert len(found) == 2
    assert found[0].startswith("node1: layout_address: found api advertise address 10.0.0.5, but the node "
                               "listens on 127.0.0.1 (loopback only")
    assert found[1].startswith("node1: layout_address: found p2p advertise address 10.0.0.5")


def test_expected_size_other_than_the_group_size() -> None:
    inputs = cluster(overrides={"cluster": {"expected_size": 5}})
    assert problems(inputs)[0] == (
        "node1: configure_overrides.cluster.expected_size: found 5, but cluster ollama_nodes has 3 node(s) "
        "(the hosts of its layout_cluster_group); need it unset (the layout sets the group's size) or 3; a "
        "wrong size makes health report a whole cluster degraded or a broken one healthy")
    assert problems(cluster(overrides={"cluster": {"expected_size": 3}})) == []


def test_production_with_a_jwt_secret_but_no_api_key() -> None:
    assert problems(cluster("production", n=1, jwt_secret=GOOD_SECRET)) == [
        "node1: configure_api_keys: found no API key, but the production profile has authentication on: "
        "clients get a token only in exchange for an API key (POST /api/v1/auth/token), so nobody could use "
        "the cluster; need at least one key of 32 or more characters (openssl rand -hex 32) from ansible-vault",
    ]


def test_every_config_carries_the_cluster_secret_and_redacts_it() -> None:
    for profile in ("development", "testing"):
        cfg = built(cluster(profile)[0])
        assert cfg["cluster"]["secret"] == CLUSTER_SECRET
        assert config_redact(cfg, "XX")["cluster"] == {"expected_size": 3, "secret": "XX"}
    cfg = built(cluster("production", jwt_secret=GOOD_SECRET, api_keys=[GOOD_KEY])[0])
    assert cfg["cluster"]["secret"] == CLUSTER_SECRET
    assert config_build(cluster()[0], DEFAULTS, PROFILES)["origins"]["cluster.secret"] == "configure_cluster_secret"


@pytest.mark.parametrize("secret, message", [
    ("", "node1: configure_cluster_secret: is empty, need a random string of at least 32 characters shared by "
         "every node of the cluster (the configure role generates one per cluster on the controller unless you "
         "set it, from ansible-vault)"),
    ("Zx81kQ", "node1: configure_cluster_secret: the cluster secret has 6 characters, need at least 32"),
    ("changeme" * 5, "node1: configure_cluster_secret: the cluster secret is a known weak secret (it contains a "
                     "well-known placeholder or default word); generate one with openssl rand -hex 32 and keep "
                     "it in ansible-vault"),
])
def test_missing_short_or_weak_cluster_secret(secret: str, message: str) -> None:
    found = problems(cluster(n=1, cluster_secret=secret))
    assert found == [message]
    assert all(secret not in p for p in found if secret)


def test_cluster_secret_differs_between_nodes() -> None:
    inputs = cluster()
    inputs[2]["cluster_secret"] = GOOD_SECRET
    found = problems(inputs)
    assert found == ["node1, node2, node3: configure_cluster_secret: 2 different values in cluster ollama_nodes, "
                     "need one value shared by every node (set it for the whole group, not per host)"]
    assert GOOD_SECRET not in found[0] and CLUSTER_SECRET not in found[0]


def test_production_keeps_cors_off_and_development_allows_only_the_lab() -> None:
    dev = built(cluster("development")[0])["api"]["cors"]["origins"]
    assert "*" not in dev and "http://127.0.0.1:8081" in dev
    prod = built(cluster("production", jwt_secret=GOOD_SECRET, api_keys=[GOOD_KEY])[0])["api"]["cors"]
    assert prod == {"enabled": False, "origins": []}
