# Copyright (c) ollama_lab.distributed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compute where every node of an Ollama Distributed cluster lives.

One inventory host is one node. Nodes that share a machine get distinct
ports (the training scheme: API 8080/8082/8084, web 8081/8083/8085, p2p
4001-4003) and distinct directories. The result is what every role of the
collection reads as ``layout_node`` and ``layout_cluster``.
"""

from __future__ import annotations

import re
from typing import Any, Mapping, Sequence

from ansible.errors import AnsibleFilterError
from ansible_collections.ollama_lab.distributed.plugins.module_utils.typed import read_bool

NODE_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,63}$")

# Settings a host may override in its inventory; the role passes its defaults.
SETTINGS = (
    "api_port_base",
    "web_port_offset",
    "p2p_port_base",
    "port_step",
    "bind_address",
    "api_scheme",
    "config_dir",
    "data_root",
    "log_dir",
    "service_manager",
)


def _setting(hvars: Mapping[str, Any], defaults: Mapping[str, Any], name: str) -> Any:
    return hvars.get("layout_" + name, defaults.get(name))


def _machine(host: str, hvars: Mapping[str, Any]) -> str:
    if hvars.get("layout_machine"):
        return str(hvars["layout_machine"])
    if hvars.get("ansible_connection") == "local":
        return "localhost"
    return str(hvars.get("ansible_host") or host)


def _address(host: str, hvars: Mapping[str, Any]) -> str:
    if hvars.get("layout_address"):
        return str(hvars["layout_address"])
    if hvars.get("ansible_connection") == "local":
        return "127.0.0.1"
    return str(hvars.get("ansible_host") or host)


def _found_service_manager(hvars: Mapping[str, Any]) -> Any:
    facts = hvars.get("ansible_facts") or {}
    return facts.get("service_mgr") or hvars.get("ansible_service_mgr")


def _service_manager(hvars: Mapping[str, Any], wanted: str, machine_found: Any = None) -> str:
    """``wanted`` when it names one; else what the host's facts found, or another node of its
    machine's (``machine_found``: the layout role looks once per machine)."""
    if wanted in ("systemd", "supervisor"):
        return wanted
    found = _found_service_manager(hvars) or machine_found
    return "systemd" if found == "systemd" else "supervisor"


def machine_first(hosts: Sequence[str], hostvars: Mapping[str, Any], host: str) -> str:
    """The first of ``hosts`` on the machine of ``host`` (``host`` itself when none is): the node
    that looks at the machine for the others (the layout role's service manager lookup)."""
    mine = _machine(host, hostvars[host])
    return next((h for h in hosts if h == host or _machine(h, hostvars[h]) == mine), host)


def _port(value: Any, variable: str, host: str, problems: list[str]) -> int:
    try:
        port = int(value)
    except (TypeError, ValueError):
        problems.append(f"{host}: {variable}: found {value!r}, need a port number 1-65535")
        return 0
    if not 1 <= port <= 65535:
        problems.append(f"{host}: {variable}: found {port}, need a port number 1-65535")
    return port


def node_layout(
    hostvars: Mapping[str, Mapping[str, Any]],
    cluster_hosts: Sequence[str],
    defaults: Mapping[str, Any],
    play_hosts: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Return ``{"nodes": {host: node}, "problems": [...]}`` for one cluster.

    ``hostvars`` is Ansible's hostvars, ``cluster_hosts`` the cluster group in
    inventory order, ``defaults`` the layout role's settings (see SETTINGS),
    ``play_hosts`` every host of the play, used to pick one primary node per
    machine even when several clusters share a machine.
    """
    if not cluster_hosts:
        raise AnsibleFilterError("node_layout: the cluster group has no hosts")
    problems: list[str] = []
    machines: dict[str, int] = {}
    nodes: dict[str, dict[str, Any]] = {}
    ids: dict[str, str] = {}

    bootstraps = []
    for host in cluster_hosts:
        wanted, problem = read_bool(hostvars[host].get("layout_bootstrap", False), "layout_bootstrap")
        if problem:
            problems.append(f"{host}: {problem}")
        elif wanted:
            bootstraps.append(host)
    if len(bootstraps) > 1:
        problems.append(
            f"{', '.join(bootstraps)}: layout_bootstrap: true on {len(bootstraps)} hosts, "
            "need it on exactly one host of the cluster (or on none: the first host bootstraps)"
        )
    bootstrap_host = bootstraps[0] if bootstraps else cluster_hosts[0]
    one_machine = len({_machine(h, hostvars[h]) for h in cluster_hosts}) == 1
    # the service manager found on each machine (looked for on one node of it)
    machine_found: dict[str, Any] = {}
    for host in cluster_hosts:
        if _found_service_manager(hostvars[host]):
            machine_found.setdefault(_machine(host, hostvars[host]), _found_service_manager(hostvars[host]))

    for index, host in enumerate(cluster_hosts):
        hvars = hostvars[host]
        node_id = str(hvars.get("layout_node_id", host))
        if not NODE_ID_RE.match(node_id):
            problems.append(
                f"{host}: layout_node_id: found {node_id!r}, need 1-63 characters of A-Z a-z 0-9 _ -"
            )
        if node_id in ids:
            problems.append(f"{host}: layout_node_id: {node_id!r} is already the id of {ids[node_id]}, ids must be unique")
        ids.setdefault(node_id, host)

        machine = _machine(host, hvars)
        slot = machines.get(machine, 0)
        machines[machine] = slot + 1

        setting = {name: _setting(hvars, defaults, name) for name in SETTINGS}
        step = int(setting["port_step"])
        api_port = _port(hvars.get("layout_api_port", int(setting["api_port_base"]) + step * slot),
                         "layout_api_port", host, problems)
        web_port = _port(hvars.get("layout_web_port", api_port + int(setting["web_port_offset"])),
                         "layout_web_port", host, problems)
        p2p_port = _port(hvars.get("layout_p2p_port", int(setting["p2p_port_base"]) + slot),
                         "layout_p2p_port", host, problems)
        bind = setting["bind_address"] or ("127.0.0.1" if one_machine else "0.0.0.0")
        # Nodes that listen on loopback only are reachable there only: they
        # advertise the loopback address unless the inventory says otherwise.
        loopback_only = bind.startswith("127.") or bind == "::1"
        address = bind if loopback_only and not hvars.get("layout_address") else _address(host, hvars)
        local_host = "127.0.0.1" if bind in ("0.0.0.0", "::") else bind
        node_root = f"{setting['data_root']}/{node_id}"
        nodes[host] = {
            "host": host,
            "id": node_id,
            "index": index,
            "machine": machine,
            "machine_index": slot,
            "address": address,
            "bind_address": bind,
            "api_port": api_port,
            "web_port": web_port,
            "p2p_port": p2p_port,
            "api_listen": f"{bind}:{api_port}",
            "api_advertise": f"{address}:{api_port}",
            "api_url": f"{setting['api_scheme']}://{address}:{api_port}",
            "local_url": f"{setting['api_scheme']}://{local_host}:{api_port}",
            "web_listen": f"{bind}:{web_port}",
            "web_url": f"http://{address}:{web_port}",
            "p2p_listen": f"{bind}:{p2p_port}",
            "p2p_advertise": f"{address}:{p2p_port}",
            "bootstrap": host == bootstrap_host,
            # The inventory variable behind each computed value, for messages.
            "variables": {
                "api_port": "layout_api_port" if "layout_api_port" in hvars else "layout_api_port_base",
                "web_port": ("layout_web_port" if "layout_web_port" in hvars
                             else "layout_api_port_base + layout_web_port_offset"),
                "p2p_port": "layout_p2p_port" if "layout_p2p_port" in hvars else "layout_p2p_port_base",
                "address": ("layout_address" if hvars.get("layout_address")
                            else "layout_bind_address" if loopback_only else "ansible_host"),
            },
            "expected_size": len(cluster_hosts),
            "service_manager": _service_manager(hvars, str(setting["service_manager"]), machine_found.get(machine)),
            "config_file": f"{setting['config_dir']}/{node_id}.yaml",
            "node_root": node_root,
            "data_dir": f"{node_root}/data",
            "models_dir": f"{node_root}/models",
            "cache_dir": f"{node_root}/cache",
            "consensus_dir": f"{node_root}/consensus",
            "log_file": f"{setting['log_dir']}/{node_id}.log",
        }

    for node in nodes.values():
        unit = node["id"]
        node["service_name"] = (
            f"ollama-distributed@{unit}.service" if node["service_manager"] == "systemd"
            else f"ollama-distributed-{unit}"
        )
        if node["bootstrap"]:
            node["bootstrap_peers"] = []
        else:
            first = nodes[bootstrap_host]["p2p_advertise"]
            others = [n["p2p_advertise"] for h, n in nodes.items()
                      if h != bootstrap_host and n is not node]
            node["bootstrap_peers"] = [first] + others

    # One primary node per machine across the whole play, so host-level work
    # (packages, user, binary) runs once per machine.
    primaries: dict[str, str] = {}
    for host in dict.fromkeys(list(play_hosts or []) + list(cluster_hosts)):
        primary = primaries.setdefault(_machine(host, hostvars[host]), host)
        if host in nodes:
            nodes[host]["machine_primary"] = primary == host
            nodes[host]["machine_primary_host"] = primary
    return {"nodes": nodes, "problems": problems}


def machine_nodes(cluster: Sequence[Mapping[str, Any]], host: str, play_hosts: Sequence[str]) -> list[Any]:
    """The layout nodes of ``cluster`` (``layout_cluster``) on the machine of ``host`` that are still in
    the play, in order; ``host`` always counts (Ansible may leave it out of ``play_hosts`` after a
    rescued failure). The first of them looks at the machine for the others."""
    if not isinstance(cluster, Sequence) or not all(isinstance(n, Mapping) and "host" in n for n in cluster):
        raise AnsibleFilterError("machine_nodes: expected layout_cluster, a list of layout nodes")
    mine = next((n for n in cluster if n["host"] == host), None)
    if mine is None:
        raise AnsibleFilterError(f"machine_nodes: {host} is not a node of this cluster")
    return [n for n in cluster
            if n.get("machine") == mine.get("machine") and (n["host"] == host or n["host"] in play_hosts)]


class FilterModule:
    """The layout filters."""

    def filters(self) -> dict[str, Any]:
        return {"node_layout": node_layout, "machine_first": machine_first, "machine_nodes": machine_nodes}
