# Copyright (c) ollama_lab.distributed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checking merged node configurations: each node on its own, then the nodes of a cluster together.

Used by ``plugins/filter/config.py``.
"""

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

from typing import Any, Mapping, Sequence

from ansible.errors import AnsibleFilterError
from ansible_collections.ollama_lab.distributed.plugins.module_utils.typed import plain
from ansible_collections.ollama_lab.distributed.plugins.plugin_utils.config_layers import MISSING, Built, config_merge
from ansible_collections.ollama_lab.distributed.plugins.plugin_utils.config_rules import check_cluster_secrets, check_node_rules, layout_variable
from ansible_collections.ollama_lab.distributed.plugins.plugin_utils.config_schema import (
    MIN_SECRET, SCHEMA, SECRET_KEYS, WILDCARD_HOSTS, WIRING, check_value, duration_seconds, get_key, is_map, nest,
    parse_hostport, show, weak_reason)


def _unknown_keys(built: Built, value: Any, prefix: str = "") -> None:
    if not is_map(value):
        return
    sections = sorted({k.split(".")[0] for k in SCHEMA}) if not prefix else sorted(
        {k[len(prefix):].split(".")[0] for k in SCHEMA if k.startswith(prefix)})
    for key in value:
        dotted = prefix + str(key)
        if dotted in SCHEMA:
            continue
        if any(k.startswith(dotted + ".") for k in SCHEMA):
            _unknown_keys(built, value[key], dotted + ".")
            continue
        where = f"known keys of {prefix[:-1]}" if prefix else "known top-level keys"
        built.problem(dotted, f"unknown key; {where}: {', '.join(sections)}")


def _check_node(built: Built) -> None:
    cfg = built.config
    _unknown_keys(built, cfg)
    valid: dict[str, bool] = {}
    bad_parents: set[str] = set()
    for key, kind in SCHEMA.items():
        value = get_key(cfg, key, MISSING)
        parents = [".".join(key.split(".")[:i]) for i in range(1, key.count(".") + 1)]
        bad = next((p for p in parents if not is_map(get_key(cfg, p, {}))), None)
        if bad:
            if bad not in bad_parents:
                bad_parents.add(bad)
                built.problem(bad, f"found {show(get_key(cfg, bad))}, need a mapping of keys")
            valid[key] = False
            continue
        if value is MISSING:
            value = None
        text = check_value(kind, value, secret=key in SECRET_KEYS)
        valid[key] = text is None
        if text:
            built.problem(key, text)
    # list items
    bootstrap = get_key(cfg, "p2p.bootstrap")
    if valid.get("p2p.bootstrap"):
        for index, item in enumerate(bootstrap):
            text = check_value("hostport", item)
            if text:
                built.problem_item("p2p.bootstrap", index, text)
    # rules that tie keys together
    if valid["api.tls.enabled"] and cfg["api"]["tls"]["enabled"]:
        for name in ("cert_file", "key_file"):
            if cfg["api"]["tls"][name] in ("", None) and valid[f"api.tls.{name}"]:
                built.problem(f"api.tls.{name}", "is empty, need an absolute path when api.tls.enabled is true")
    if valid["logging.output"] and cfg["logging"]["output"] in ("file", "both"):
        if valid["logging.file"] and cfg["logging"]["file"] == "":
            built.problem("logging.file", f"is empty, need an absolute path when logging.output is {cfg['logging']['output']}")
    if valid["consensus.heartbeat_time"] and valid["consensus.election_timeout"]:
        heartbeat = duration_seconds(cfg["consensus"]["heartbeat_time"])
        election = duration_seconds(cfg["consensus"]["election_timeout"])
        if election < 2 * heartbeat:
            built.problem("consensus.election_timeout",
                          f"{cfg['consensus']['election_timeout']} is less than twice consensus.heartbeat_time "
                          f"({cfg['consensus']['heartbeat_time']}); members would flap offline")
    _check_security(built, valid)
    check_node_rules(built, valid, weak_reason)


def _check_security(built: Built, valid: Mapping[str, bool]) -> None:
    cfg = built.config
    auth = valid["security.enable_auth"] and cfg["security"]["enable_auth"] is True
    production = built.profile == "production" or cfg.get("environment") == "production"
    if production and valid["security.enable_auth"] and not auth:
        built.problem("security.enable_auth",
                      "authentication is off, but the production profile needs security.enable_auth: true "
                      "(use the testing profile for an open lab)")
    if valid["security.jwt.secret"]:
        secret = cfg["security"]["jwt"]["secret"]
        if auth and secret == "":
            built.problems.append(
                f"{built.host}: configure_jwt_secret: security.enable_auth is true but no JWT secret is set; "
                f"give a random string of at least {MIN_SECRET} characters from ansible-vault "
                "(openssl rand -hex 32)")
        elif auth and len(secret) < MIN_SECRET:
            built.problem("security.jwt.secret",
                          f"the JWT secret has {len(secret)} characters, need at least {MIN_SECRET} "
                          "when security.enable_auth is true")
        elif secret and (auth or production):
            reason = weak_reason(secret)
            if reason:
                built.problem("security.jwt.secret",
                              f"the JWT secret is a known weak secret ({reason}); "
                              "generate one with openssl rand -hex 32 and keep it in ansible-vault")
    if valid["security.api_keys"]:
        for index, key in enumerate(cfg["security"]["api_keys"]):
            if len(key) < MIN_SECRET:
                built.problem_item("security.api_keys", index,
                                   f"the API key has {len(key)} characters, need at least {MIN_SECRET}")
            elif auth or production:
                reason = weak_reason(key)
                if reason:
                    built.problem_item("security.api_keys", index,
                                       f"the API key is a known weak secret ({reason}); "
                                       "generate one with openssl rand -hex 32")


class _Peer:
    """A node of the cluster that is not in this play: only its layout is known."""

    def __init__(self, node: Mapping, cluster: str) -> None:
        self.host = str(node.get("host") or node.get("id"))
        self.node = node
        self.cluster = cluster
        wired = [nest(key, node[field]) for field, key in WIRING if node.get(field) is not None]
        self.config = config_merge({}, *wired)

    def var(self, dotted: str) -> str:
        return layout_variable(self.node, dotted)


def config_problems(node_inputs: Sequence[Mapping], defaults: Mapping, profiles: Mapping) -> list[str]:
    """Check every node of every cluster in ``node_inputs``; return all problems."""
    if not isinstance(node_inputs, (list, tuple)):
        raise AnsibleFilterError("config_problems: expected a list of node inputs")
    node_inputs, defaults, profiles = plain(node_inputs), plain(defaults), plain(profiles)
    problems: list[str] = []
    built: list[Any] = []
    hosts: set[str] = set()
    for node_input in node_inputs:
        if not is_map(node_input):
            raise AnsibleFilterError("config_problems: every node input must be a dict")
        one = Built(node_input, defaults or {}, profiles or {})
        _check_node(one)
        built.append(one)
        hosts.add(one.host)
    # nodes of the same clusters that are not in the play (e.g. --limit)
    for node_input in node_inputs:
        for peer in node_input.get("peers") or []:
            host = str(peer.get("host") or peer.get("id"))
            if host not in hosts:
                built.append(_Peer(peer, str(node_input.get("cluster") or "")))
                hosts.add(host)
    for one in built:
        if isinstance(one, Built):
            problems.extend(one.problems)
    problems.extend(_check_ids(built))
    problems.extend(_check_ports(built))
    problems.extend(_check_bootstrap(built))
    problems.extend(check_cluster_secrets(_clusters(built)))
    return problems


def _clusters(built: Sequence[Any]) -> dict[str, list[Any]]:
    result: dict[str, list[Any]] = {}
    for one in built:
        result.setdefault(one.cluster, []).append(one)
    return result


def _peers_first(built: Sequence[Any], *dotted: str) -> list[Any]:
    # Nodes outside the play come first, then nodes whose ``dotted`` value
    # comes from a lower layer (the layout before an override), so that a
    # clash is reported on the node and the variable that caused it. The
    # sort is stable: inventory order otherwise.
    def key(one: Any) -> tuple[bool, int]:
        if not isinstance(one, Built):
            return (False, 0)
        return (True, max((one.rank_of(name) for name in dotted), default=0))
    return sorted(built, key=key)


def _check_ids(built: Sequence[Any]) -> list[str]:
    problems = []
    for cluster, members in _clusters(built).items():
        seen: dict[str, str] = {}
        for one in _peers_first(members, "node.id"):
            node_id = get_key(one.config, "node.id")
            if not isinstance(node_id, str) or not node_id:
                continue
            if node_id in seen:
                problems.append(f"{one.host}: {one.var('node.id')}: node id {show(node_id)} is also used by "
                                f"{seen[node_id]} in cluster {cluster}; node ids must be unique")
            else:
                seen[node_id] = one.host
    return problems


def _check_ports(built: Sequence[Any]) -> list[str]:
    problems = []
    used: dict[tuple[str, int], list[tuple[str, str, str]]] = {}
    for one in _peers_first(built, "api.listen", "web.listen", "p2p.listen"):
        machine = str(one.node.get("machine") or one.host)
        for kind in ("api", "web", "p2p"):
            parsed = parse_hostport(get_key(one.config, f"{kind}.listen"))
            if parsed is None or not 1 <= parsed[1] <= 65535:
                continue
            bind, port = parsed
            clash = next((u for u in used.get((machine, port), [])
                          if u[2] == bind or u[2] in WILDCARD_HOSTS or bind in WILDCARD_HOSTS), None)
            if clash:
                problems.append(f"{one.host}: {one.var(kind + '.listen')}: port {port} also used by "
                                f"{clash[0]} ({clash[1]}) on machine {machine}")
            used.setdefault((machine, port), []).append((one.host, kind, bind))
    return problems


def _check_bootstrap(built: Sequence[Any]) -> list[str]:
    problems = []
    for cluster, members in _clusters(built).items():
        addresses = []
        for one in members:
            advertise = get_key(one.config, "p2p.advertise") or get_key(one.config, "p2p.listen")
            if isinstance(advertise, str) and advertise:
                addresses.append(advertise)
        for one in members:
            if not isinstance(one, Built):
                continue
            entries = get_key(one.config, "p2p.bootstrap")
            if not isinstance(entries, list):
                continue
            for index, entry in enumerate(entries):
                if isinstance(entry, str) and parse_hostport(entry) and entry not in addresses:
                    problems.append(
                        f"{one.host}: {one.var('p2p.bootstrap')}[{index}]: {entry} is not the p2p address "
                        f"of any node of cluster {cluster} (known: {', '.join(addresses)})")
        members = sorted(members, key=lambda one: one.node.get("index", 0))
        starters = [one.host for one in members if get_key(one.config, "consensus.bootstrap") is True]
        if len(starters) != 1:
            where = ", ".join(one.host for one in members)
            problems.append(
                f"{where}: consensus.bootstrap: true on {len(starters)} nodes of cluster {cluster} "
                f"({', '.join(starters) or 'none'}), need exactly one (set layout_bootstrap on one host "
                "and do not override consensus.bootstrap)")
    return problems
