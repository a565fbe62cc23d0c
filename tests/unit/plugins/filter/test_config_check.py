# Copyright (c) ollama_lab.distributed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the play-wide config_check_play filter."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.ollama_lab.distributed.plugins.filter.config_check import config_check_play

from ansible_collections.ollama_lab.distributed.plugins.filter.layout import node_layout
from test_config import CLUSTER_SECRET, DEFAULTS, LAYOUT_DEFAULTS, PROFILES


def seat(names: list[str], group: str, machine: str) -> list[dict]:
    hostvars = {h: {"layout_machine": machine} for h in names}
    nodes = node_layout(hostvars, names, LAYOUT_DEFAULTS)["nodes"]
    return [{"host": h, "cluster": group, "node": nodes[h], "peers": [nodes[n] for n in names],
             "profile": "development", "cluster_secret": CLUSTER_SECRET} for h in names]


def two_clusters() -> tuple[list, list[str]]:
    inputs = seat(["node1", "node2"], "seat_a", "m1") + seat(["node1b", "node2b"], "seat_b", "m2")
    return inputs, [i["host"] for i in inputs]


def test_each_host_gets_its_own_clusters_problems_and_a_redacted_config() -> None:
    inputs, hosts = two_clusters()
    inputs[2]["node_overrides"] = {"logging": {"level": "loud"}}
    result = config_check_play(inputs, hosts, DEFAULTS, PROFILES, "XX")
    assert result["problems"]["node1"] == [] and result["problems"]["node2"] == []
    bad = ['node1b: configure_node_overrides.logging.level: found "loud", need one of debug, info, warn, error']
    assert result["problems"]["node1b"] == bad and result["problems"]["node2b"] == bad
    assert result["configs"]["node1"]["cluster"]["secret"] == "XX"
    assert CLUSTER_SECRET not in repr(result)


def test_a_host_that_failed_earlier_stops_its_cluster_only() -> None:
    inputs, hosts = two_clusters()
    inputs[3] = None
    result = config_check_play(inputs, hosts, DEFAULTS, PROFILES)
    assert result["problems"]["node1b"] == [
        "node2b: failed before its configuration could be checked (see its error above)"]
    assert result["problems"]["node1"] == []
    assert "node2b" not in result["configs"]


def test_inputs_and_hosts_must_match() -> None:
    with pytest.raises(AnsibleFilterError):
        config_check_play([None], [], DEFAULTS, PROFILES)
