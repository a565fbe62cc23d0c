"""Testinfra checks of the converged cluster, host by host.

molecule/cluster/verify.yml runs this file on the controller:

    pytest --hosts=ansible://ollama_nodes --ansible-inventory=<molecule inventory> \
        molecule/cluster/tests

with OLLAMA_LAB_LAYOUT naming a JSON file that maps each inventory host to
the node dict the layout role computed (ports, ids, paths, service name), and
OLLAMA_LAB_INSTALL_VERSION the version the scenario asked for. User, group
and binary path are the install role's defaults. The API side of the cluster is
checked by verify.yml with the collection's modules; this file checks what a
careful operator looks at on each machine.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

LAYOUT: dict[str, dict[str, Any]] = json.loads(Path(os.environ["OLLAMA_LAB_LAYOUT"]).read_text())
VERSION = os.environ["OLLAMA_LAB_INSTALL_VERSION"]
USER = GROUP = "ollama"
BINARY = "/usr/local/bin/ollama-distributed"

# What the hardened unit must end up with, as `systemctl show` reports it.
HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "CapabilityBoundingSet": "",
    "AmbientCapabilities": "",
    "Restart": "on-failure",
}


@pytest.fixture(name="node")
def fixture_node(host) -> dict[str, Any]:
    """The layout of the node on the host under test."""
    name = host.backend.get_hostname()
    assert name in LAYOUT, f"{name} is not in the layout of the cluster ({sorted(LAYOUT)})"
    return LAYOUT[name]


def unit_properties(host, unit: str, names: list[str]) -> dict[str, str]:
    """`systemctl show` of some properties, as a dict."""
    out = host.check_output("systemctl show %s -p %s", unit, ",".join(names))
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def test_service_runs_enabled_as_the_service_user(host, node):
    service = host.service(node["service_name"])
    assert service.is_running, f"{node['service_name']} is not running"
    assert service.is_enabled, f"{node['service_name']} is not enabled"
    pid = int(unit_properties(host, node["service_name"], ["MainPID"])["MainPID"])
    assert pid > 0
    process = host.process.get(pid=pid)
    assert process.user == USER, f"the node runs as {process.user}"
    assert f"--config {node['config_file']}" in process.args


def test_unit_is_hardened(host, node):
    found = unit_properties(host, node["service_name"], list(HARDENING))
    assert {name: found.get(name) for name in HARDENING} == HARDENING


def test_node_listens_on_its_ports(host, node):
    for listen in (node["api_listen"], node["p2p_listen"]):
        assert host.socket(f"tcp://{listen}").is_listening, f"nothing listens on {listen}"


def test_binary_reports_the_version_asked_for(host):
    link = host.file(BINARY)
    assert link.is_symlink
    assert VERSION in link.linked_to, f"{BINARY} -> {link.linked_to}"
    out = host.check_output("%s --version", BINARY)
    assert out.startswith(f"ollama-distributed version {VERSION}"), out


def test_config_file_is_private_to_root_and_the_service(host, node):
    config = host.file(node["config_file"])
    assert config.is_file
    assert (config.user, config.group) == ("root", GROUP)
    assert config.mode == 0o640, oct(config.mode)
    assert yaml.safe_load(config.content_string)["node"]["id"] == node["id"]


def test_state_directories_belong_to_the_service_user(host, node):
    for path in (node["data_dir"], node["models_dir"], node["consensus_dir"]):
        directory = host.file(path)
        assert directory.is_directory, f"{path} is missing"
        assert directory.user == USER, f"{path} belongs to {directory.user}"
        assert not directory.mode & 0o007, f"{path} is open to others ({oct(directory.mode)})"


def test_node_reaches_every_peer_p2p_address(host, node):
    for peer in LAYOUT.values():
        if peer["id"] == node["id"]:
            continue
        address, port = peer["p2p_advertise"].rsplit(":", 1)
        cmd = host.run("timeout 5 bash -c %s", f"exec 3<>/dev/tcp/{address}/{port}")
        assert cmd.rc == 0, f"{node['id']} cannot reach {peer['id']} at {peer['p2p_advertise']}: {cmd.stderr}"
