# Copyright (c) ollama_lab.distributed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rules of the config filters that tie keys, nodes and the inventory together.

Used by ``plugins/filter/config.py``. These are the mistakes that pass every
check of a single value: a loopback listen with an address other nodes
cannot reach, a privileged port, an expected size that is not the group's
size, production with no way for a client to get a token, a missing or
unshared cluster secret. Each message names the variable the operator set
(``layout_api_port_base``, not ``layout_node.api_listen``).
"""

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

from typing import Any, Callable, Mapping, Optional, Sequence

from ansible_collections.ollama_lab.distributed.plugins.plugin_utils.config_schema import MIN_SECRET, get_key, parse_hostport

PRIVILEGED_BELOW = 1024
# Profiles whose CORS origins are the lab's own URLs (not "*").
LAB_ORIGIN_PROFILES = ("development",)

# config key -> (layout field whose variable set it)
_LAYOUT_VARS = {
    "api.listen": "api_port",
    "web.listen": "web_port",
    "p2p.listen": "p2p_port",
    "api.advertise": "address",
    "p2p.advertise": "address",
    "node.id": "layout_node_id",
    "p2p.bootstrap": "layout_bootstrap",
    "consensus.bootstrap": "layout_bootstrap",
    "cluster.expected_size": "layout_cluster_group",
    "storage.data_dir": "layout_data_root",
    "storage.models_dir": "layout_data_root",
    "storage.cache_dir": "layout_data_root",
    "consensus.data_dir": "layout_data_root",
    "logging.file": "layout_log_dir",
}
_DEFAULT_SOURCES = {
    "api_port": "layout_api_port_base",
    "web_port": "layout_api_port_base + layout_web_port_offset",
    "p2p_port": "layout_p2p_port_base",
    "address": "ansible_host",
    "bind_address": "layout_bind_address",
}


def layout_variable(node: Mapping[str, Any], dotted: str) -> str:
    """The inventory variable behind a config key that the layout wired."""
    if dotted == "api.cors.origins":
        return "api.cors.origins (configure_profile development: the lab's own API and web URLs)"
    name = _LAYOUT_VARS.get(dotted)
    if name is None:
        return f"layout_node ({dotted})"
    if name.startswith("layout_"):
        return name
    sources = node.get("variables") or {}
    return str(sources.get(name) or _DEFAULT_SOURCES[name])


def lab_origins(peers: Sequence[Mapping[str, Any]]) -> list[str]:
    """The browser origins of a lab: every node's API and web URL (127.0.0.1 also as localhost)."""
    origins: list[str] = []
    for peer in peers:
        for key in ("api_url", "web_url"):
            url = str(peer.get(key) or "")
            if not url:
                continue
            for one in (url, url.replace("://127.0.0.1:", "://localhost:")):
                if one not in origins:
                    origins.append(one)
    return origins


def _loopback(host: str) -> bool:
    return host.startswith("127.") or host in ("::1", "[::1]", "localhost")


def check_node_rules(built: Any, valid: Mapping[str, bool], weak_reason: Callable[[str], Optional[str]]) -> None:
    """Add the problems of one node (``built`` is config_layers.Built) that tie keys together."""
    cfg = built.config
    for kind in ("api", "web", "p2p"):
        listen = parse_hostport(get_key(cfg, f"{kind}.listen")) if valid.get(f"{kind}.listen") else None
        if listen and 0 < listen[1] < PRIVILEGED_BELOW:
            built.problem(f"{kind}.listen",
                          f"found {kind} port {listen[1]}, need {PRIVILEGED_BELOW}-65535: the node runs as an "
                          "unprivileged service user and cannot bind a port below 1024")
        advertise = parse_hostport(get_key(cfg, f"{kind}.advertise")) if valid.get(f"{kind}.advertise") else None
        if listen and advertise and _loopback(listen[0]) and not _loopback(advertise[0]):
            built.problem(f"{kind}.advertise",
                          f"found {kind} advertise address {advertise[0]}, but the node listens on {listen[0]} "
                          f"(loopback only, {built.var(kind + '.listen').split(' ')[0]} / layout_bind_address), "
                          "so no other machine can reach it; need a loopback advertise address, or "
                          "layout_bind_address set to 0.0.0.0 or to this machine's address")
    _check_expected_size(built, valid)
    _check_production_keys(built, valid)
    _check_cluster_secret(built, valid, weak_reason)


def _check_expected_size(built: Any, valid: Mapping[str, bool]) -> None:
    size = built.node.get("expected_size")
    value = get_key(built.config, "cluster.expected_size")
    if not valid.get("cluster.expected_size") or not isinstance(size, int) or value in (0, size):
        return
    built.problem("cluster.expected_size",
                  f"found {value}, but cluster {built.cluster or '?'} has {size} node(s) (the hosts of its "
                  "layout_cluster_group); need it unset (the layout sets the group's size) or "
                  f"{size}; a wrong size makes health report a whole cluster degraded or a broken one healthy")


def _check_production_keys(built: Any, valid: Mapping[str, bool]) -> None:
    cfg = built.config
    production = built.profile == "production" or cfg.get("environment") == "production"
    if not (production and valid.get("security.enable_auth") and valid.get("security.api_keys")):
        return
    secret = get_key(cfg, "security.jwt.secret")
    if cfg["security"]["enable_auth"] is True and secret and not cfg["security"]["api_keys"]:
        built.problems.append(
            f"{built.host}: configure_api_keys: found no API key, but the production profile has "
            "authentication on: clients get a token only in exchange for an API key "
            "(POST /api/v1/auth/token), so nobody could use the cluster; need at least one key of "
            f"{MIN_SECRET} or more characters (openssl rand -hex 32) from ansible-vault")


def _check_cluster_secret(built: Any, valid: Mapping[str, bool],
                          weak_reason: Callable[[str], Optional[str]]) -> None:
    if not valid.get("cluster.secret"):
        return
    secret = get_key(built.config, "cluster.secret") or ""
    if secret == "":
        built.problems.append(
            f"{built.host}: configure_cluster_secret: is empty, need a random string of at least {MIN_SECRET} "
            "characters shared by every node of the cluster (the configure role generates one per cluster "
            "on the controller unless you set it, from ansible-vault)")
    elif len(secret) < MIN_SECRET:
        built.problem("cluster.secret", f"the cluster secret has {len(secret)} characters, need at least {MIN_SECRET}")
    else:
        reason = weak_reason(secret)
        if reason:
            built.problem("cluster.secret", f"the cluster secret is a known weak secret ({reason}); "
                                            "generate one with openssl rand -hex 32 and keep it in ansible-vault")


def check_cluster_secrets(clusters: Mapping[str, Sequence[Any]]) -> list[str]:
    """Every node of one cluster carries the same cluster secret (values never shown)."""
    problems = []
    for cluster, members in clusters.items():
        holders: dict[str, list[str]] = {}
        for one in members:
            secret = get_key(getattr(one, "config", {}), "cluster.secret")
            if isinstance(secret, str) and secret and hasattr(one, "origins"):
                holders.setdefault(secret, []).append(one.host)
        if len(holders) > 1:
            hosts = ", ".join(h for group in holders.values() for h in group)
            problems.append(
                f"{hosts}: configure_cluster_secret: {len(holders)} different values in cluster {cluster}, "
                "need one value shared by every node (set it for the whole group, not per host)")
    return problems
