# Copyright (c) ollama_lab.distributed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Merge and validate Ollama Distributed node configurations.

A node configuration is built in layers, lowest first:

1. ``defaults``        the node contract's defaults (role vars)
   ``base_profile``    ``configure_base_profile``, a profile file in upstream's
                       format, reduced to known keys by ``config_base_profile``
2. ``profile``         ``profiles[configure_profile]`` (role vars)
3. ``layout``          wiring from ``layout_node`` (id, addresses, dirs, ...)
4. ``overrides``       ``configure_overrides`` (group vars)
5. ``node_overrides``  ``configure_node_overrides`` (host vars)
6. secrets             ``configure_jwt_secret`` / ``configure_api_keys``

Dicts are merged key by key, lists (and every other value) are replaced, and
a ``None`` in a layer keeps the value of the layers below. The merge records
which layer set every key, so that each problem names the variable to fix.

Every problem is a string ``<host>: <variable>: <what is wrong>``.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any, Mapping, Sequence

from ansible.errors import AnsibleFilterError
from ansible_collections.ollama_lab.distributed.plugins.module_utils.typed import BOOL_NEED, plain, read_bool
from ansible_collections.ollama_lab.distributed.plugins.plugin_utils.config_rules import (
    LAB_ORIGIN_PROFILES,
    check_cluster_secrets,
    check_node_rules,
    lab_origins,
    layout_variable,
)

PROFILES = ("development", "testing", "production")
SECRET_KEYS = ("security.jwt.secret", "security.api_keys", "cluster.secret")
MIN_SECRET = 32

NODE_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,63}$")
HOSTPORT_RE = re.compile(r"^(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(?P<port>[0-9]+)$")
DURATION_RE = re.compile(r"^(?:[0-9]+(?:\.[0-9]+)?(?:ns|us|µs|ms|s|m|h))+$")
SIZE_RE = re.compile(r"^[0-9]+(?:\.[0-9]+)?\s*(?:B|KB|MB|GB|TB|K|M|G|T|KIB|MIB|GIB|TIB)?$", re.IGNORECASE)
URL_RE = re.compile(r"^https?://[^\s/]+(?:/\S*)?$")
WILDCARD_HOSTS = ("0.0.0.0", "::", "[::]", "")

# The node contract, section 2: dotted key -> kind. Kinds are checked by
# _check_value; "map" keys are free-form below them.
SCHEMA: dict[str, Any] = {
    "name": "str",
    "description": "str",
    "environment": ("enum", PROFILES),
    "node.id": "node_id",
    "node.tags": "strmap",
    "api.listen": "hostport",
    "api.advertise": "hostport?",
    "api.timeout": "duration",
    "api.tls.enabled": "bool",
    "api.tls.cert_file": "path?",
    "api.tls.key_file": "path?",
    "api.cors.enabled": "bool",
    "api.cors.origins": "strlist",
    "api.rate_limit.enabled": "bool",
    "api.rate_limit.requests_per_minute": ("int", 1, 1000000),
    "api.rate_limit.burst_size": ("int", 1, 1000000),
    "p2p.listen": "hostport",
    "p2p.advertise": "hostport?",
    "p2p.bootstrap": "hostportlist",
    "web.listen": "hostport?",
    "web.title": "str",
    "storage.data_dir": "path",
    "storage.models_dir": "path",
    "storage.cache_dir": "path",
    "storage.max_size": "size",
    "logging.level": ("enum", ("debug", "info", "warn", "error")),
    "logging.output": ("enum", ("console", "file", "both")),
    "logging.file": "path?",
    "consensus.bootstrap": "bool",
    "consensus.data_dir": "path",
    "consensus.heartbeat_time": "duration",
    "consensus.election_timeout": "duration",
    "cluster.expected_size": ("int", 0, 10000),
    "cluster.secret": "secret",
    "scheduler.algorithm": ("enum", ("round_robin", "least_loaded")),
    "scheduler.worker_count": ("int", 1, 1024),
    "scheduler.queue_size": ("int", 1, 1000000),
    "security.enable_auth": "bool",
    "security.api_keys": "secretlist",
    "security.jwt.secret": "secret",
    "security.jwt.expiration": "duration",
    "backend.ollama_url": "url?",
    "performance.monitoring_enabled": "bool",
    "performance.metrics_interval": "seconds",
    "metadata": "map",
}

# layout_node field -> config key (layer 3).
WIRING = (
    ("id", "node.id"),
    ("api_listen", "api.listen"),
    ("api_advertise", "api.advertise"),
    ("p2p_listen", "p2p.listen"),
    ("p2p_advertise", "p2p.advertise"),
    ("bootstrap_peers", "p2p.bootstrap"),
    ("web_listen", "web.listen"),
    ("data_dir", "storage.data_dir"),
    ("models_dir", "storage.models_dir"),
    ("cache_dir", "storage.cache_dir"),
    ("log_file", "logging.file"),
    ("bootstrap", "consensus.bootstrap"),
    ("consensus_dir", "consensus.data_dir"),
    ("expected_size", "cluster.expected_size"),
)
WIRED_FROM = {key: field for field, key in WIRING}

# Placeholders and words that make a secret guessable.
WEAK_SECRETS = (
    "changeme", "change-me", "change_me", "changethis", "change-this", "change_this",
    "replaceme", "replace-me", "replace_me", "your-secret", "your_secret", "yoursecret",
    "secret-key", "secret_key", "secretkey", "mysecret", "my-secret", "supersecret",
    "super-secret", "password", "passw0rd", "p@ssw0rd", "letmein", "qwerty", "example",
    "placeholder", "default", "dev-secret", "test-secret", "jwt-secret", "jwt_secret",
    "ollama-distributed", "${", "{{", "todo", "fixme",
)


# --------------------------------------------------------------------------
# merging

def _is_map(value: Any) -> bool:
    return isinstance(value, Mapping)


def _merge_into(base: dict, layer: Mapping, rank: int, origins: dict, prefix: str = "") -> None:
    for key, value in layer.items():
        key = str(key)
        dotted = prefix + key
        if value is None:
            continue
        if _is_map(value):
            if not _is_map(base.get(key)):
                base[key] = {}
                _forget(origins, dotted)
            else:
                base[key] = dict(base[key])
            _merge_into(base[key], value, rank, origins, dotted + ".")
            if not value:
                origins.setdefault(dotted, rank)
        else:
            base[key] = copy.deepcopy(value)
            _forget(origins, dotted)
            origins[dotted] = rank


def _forget(origins: dict, dotted: str) -> None:
    for key in [k for k in origins if k == dotted or k.startswith(dotted + ".")]:
        del origins[key]


def config_merge(base: Mapping, *layers: Mapping) -> dict:
    """Deep-merge ``layers`` onto ``base``: dicts merged, lists replaced, None ignored."""
    if not _is_map(base):
        raise AnsibleFilterError(f"config_merge: expected a dict, got {type(base).__name__}")
    result: dict = copy.deepcopy(dict(base))
    for index, layer in enumerate(layers):
        if layer is None:
            continue
        if not _is_map(layer):
            raise AnsibleFilterError(
                f"config_merge: layer {index + 1} must be a dict, got {type(layer).__name__}")
        _merge_into(result, layer, index, {})
    return result


def _get(config: Mapping, dotted: str, default: Any = None) -> Any:
    value: Any = config
    for part in dotted.split("."):
        if not _is_map(value) or part not in value:
            return default
        value = value[part]
    return value


def _nest(dotted: str, value: Any) -> dict:
    result: dict = {}
    cur = result
    parts = dotted.split(".")
    for part in parts[:-1]:
        cur = cur.setdefault(part, {})
    cur[parts[-1]] = value
    return result


class _Built:
    """One node's merged configuration and where each key came from."""

    LAYERS = ("defaults", "base_profile", "profile", "layout", "overrides", "node_overrides", "jwt_secret", "api_keys",
              "cluster_secret")

    def __init__(self, node_input: Mapping, defaults: Mapping, profiles: Mapping) -> None:
        self.host = str(node_input.get("host") or _get(node_input, "node.host") or "?")
        self.node = node_input.get("node") or {}
        self.cluster = str(node_input.get("cluster") or "")
        self.profile = node_input.get("profile")
        self.problems: list[str] = []
        self.origins: dict[str, int] = {}
        self.config: dict = {}

        profile_layer: Mapping = {}
        if self.profile not in PROFILES or not _is_map(profiles.get(self.profile)):
            self.problems.append(
                f"{self.host}: configure_profile: found {_show(self.profile)}, "
                f"need one of {', '.join(PROFILES)}")
        else:
            profile_layer = profiles[self.profile]

        wiring: dict = {}
        for field, key in WIRING:
            if field in self.node and self.node[field] is not None:
                wiring = config_merge(wiring, _nest(key, self.node[field]))
        if self.profile in LAB_ORIGIN_PROFILES:
            wiring = config_merge(wiring, _nest("api.cors.origins", lab_origins(node_input.get("peers") or [])))

        base = node_input.get("base_profile")
        layers: list[Mapping] = [defaults, base if _is_map(base) else {}, profile_layer, wiring]
        for name in ("overrides", "node_overrides"):
            value = node_input.get(name)
            if value is None:
                value = {}
            if not _is_map(value):
                self.problems.append(
                    f"{self.host}: configure_{name}: found {_show(value)}, need a dict of config keys")
                value = {}
            layers.append(value)
        secret = node_input.get("jwt_secret")
        layers.append({"security": {"jwt": {"secret": secret}}} if secret not in (None, "") else {})
        keys = node_input.get("api_keys")
        layers.append({"security": {"api_keys": keys}} if keys not in (None, []) else {})
        cluster_secret = node_input.get("cluster_secret")
        layers.append({"cluster": {"secret": cluster_secret}} if cluster_secret not in (None, "") else {})

        for rank, layer in enumerate(layers):
            _merge_into(self.config, layer, rank, self.origins)
        self._read_booleans()

    def _read_booleans(self) -> None:
        # "false", "no", "0" (quoted YAML, INI, -e) are booleans, not true strings.
        for key, kind in SCHEMA.items():
            value = _get(self.config, key, _Missing)
            if kind != "bool" or value is _Missing or isinstance(value, bool):
                continue
            wanted, _problem = read_bool(value, key)
            parent = _get(self.config, key.rsplit(".", 1)[0]) if "." in key else self.config
            if wanted is not None and _is_map(parent):
                parent[key.rsplit(".", 1)[-1]] = wanted

    # which variable set a key ------------------------------------------------
    def rank_of(self, dotted: str) -> int:
        if dotted in self.origins:
            return self.origins[dotted]
        ranks = [r for k, r in self.origins.items() if k.startswith(dotted + ".")]
        if ranks:
            return max(ranks)
        parts = dotted.split(".")
        while parts:
            parts.pop()
            parent = ".".join(parts)
            if parent in self.origins:
                return self.origins[parent]
        return 0

    def var(self, dotted: str) -> str:
        """The variable that set ``dotted`` (``index`` appended for list items)."""
        layer = self.LAYERS[self.rank_of(dotted)]
        if layer == "defaults":
            return f"{dotted} (built-in default)"
        if layer == "profile":
            return f"{dotted} (configure_profile {self.profile})"
        if layer == "base_profile":
            return f"{dotted} (configure_base_profile)"
        if layer == "layout":
            return layout_variable(self.node, dotted)
        if layer in ("overrides", "node_overrides"):
            return f"configure_{layer}.{dotted}"
        return f"configure_{layer}"

    def problem(self, dotted: str, text: str) -> None:
        self.problems.append(f"{self.host}: {self.var(dotted)}: {text}")

    def problem_item(self, dotted: str, index: int, text: str) -> None:
        self.problems.append(f"{self.host}: {self.var(dotted)}[{index}]: {text}")


def _show(value: Any) -> str:
    try:
        return json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return repr(value)


def config_build(node_input: Mapping, defaults: Mapping, profiles: Mapping) -> dict:
    """Merge one node's layers; return ``{config, origins, problems}``.

    ``problems`` holds only the problems found while merging (bad profile, a
    layer that is not a dict); :func:`config_problems` checks everything.
    """
    if not _is_map(node_input):
        raise AnsibleFilterError("config_build: expected the node input dict")
    built = _Built(plain(node_input), plain(defaults or {}), plain(profiles or {}))
    return {
        "config": built.config,
        "origins": {k: built.var(k) for k in sorted(built.origins)},
        "problems": built.problems,
    }


def config_redact(config: Mapping, placeholder: str = "<redacted>") -> dict:
    """Return a copy of ``config`` with the JWT secret and API keys replaced by ``placeholder``."""
    if not _is_map(config):
        raise AnsibleFilterError("config_redact: expected a config dict")
    result = copy.deepcopy(dict(config))
    security = result.get("security")
    if _is_map(security):
        security = dict(security)
        result["security"] = security
        if _is_map(security.get("jwt")):
            security["jwt"] = dict(security["jwt"])
            if security["jwt"].get("secret") not in (None, ""):
                security["jwt"]["secret"] = placeholder
        if isinstance(security.get("api_keys"), list):
            security["api_keys"] = [placeholder] * len(security["api_keys"])
    if _is_map(result.get("cluster")) and result["cluster"].get("secret") not in (None, ""):
        result["cluster"] = dict(result["cluster"], secret=placeholder)
    return result


# --------------------------------------------------------------------------
# checking one value

def _parse_hostport(value: Any) -> tuple[str, int] | None:
    if not isinstance(value, str):
        return None
    match = HOSTPORT_RE.match(value)
    if not match:
        return None
    return match.group("host"), int(match.group("port"))


def _duration_ok(value: Any) -> bool:
    return isinstance(value, str) and bool(DURATION_RE.match(value)) and any(c in "123456789" for c in value)


def _duration_seconds(value: str) -> float:
    units = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
    total = 0.0
    for number, unit in re.findall(r"([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)", value):
        total += float(number) * units[unit]
    return total


def _check_value(kind: Any, value: Any, secret: bool = False) -> str | None:
    """Return what is wrong with ``value`` for ``kind``, or None."""
    got = "a value" if secret else _show(value)
    if isinstance(kind, tuple) and kind[0] == "enum":
        if value not in kind[1]:
            return f"found {got}, need one of {', '.join(kind[1])}"
        return None
    if isinstance(kind, tuple) and kind[0] == "int":
        low, high = kind[1], kind[2]
        if not isinstance(value, int) or isinstance(value, bool):
            return f"found {got}, need a whole number {low}-{high}"
        if not low <= value <= high:
            return f"found {value}, need a whole number {low}-{high}"
        return None
    optional = kind.endswith("?")
    base = kind.rstrip("?")
    if optional and value == "":
        return None
    if base == "str":
        return None if isinstance(value, str) else f"found {got}, need a string"
    if base == "bool":
        return None if isinstance(value, bool) else f"found {got}, need {BOOL_NEED}"
    if base == "node_id":
        if isinstance(value, str) and NODE_ID_RE.match(value):
            return None
        return f"found {got}, need 1-63 characters of A-Z a-z 0-9 _ -"
    if base == "hostport":
        parsed = _parse_hostport(value)
        if parsed is None:
            return f"found {got}, need host:port (like 127.0.0.1:8080)"
        if not 1 <= parsed[1] <= 65535:
            return f"found {got}, port {parsed[1]} is not in 1-65535"
        return None
    if base == "hostportlist":
        if not isinstance(value, list):
            return f"found {got}, need a list of host:port"
        return None  # items are checked one by one
    if base == "path":
        if isinstance(value, str) and value.startswith("/"):
            return None
        if value == "":
            return "is empty, need an absolute path"
        return f"found {got}, need an absolute path"
    if base == "duration":
        if _duration_ok(value):
            return None
        return f"found {got}, need a positive Go duration like 500ms, 30s or 24h"
    if base == "seconds":
        if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            return None
        if _duration_ok(value):
            return None
        return f"found {got}, need a number of seconds (1 or more) or a duration like 10s"
    if base == "size":
        if isinstance(value, str) and SIZE_RE.match(value.strip()):
            return None
        return f"found {got}, need a size like 500MB or 10GB"
    if base == "url":
        if isinstance(value, str) and URL_RE.match(value):
            return None
        return f"found {got}, need an http:// or https:// URL, or an empty string"
    if base == "strlist":
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return None
        return f"found {got}, need a list of strings"
    if base == "strmap":
        if _is_map(value) and all(isinstance(v, (str, int, float)) and not isinstance(v, bool)
                                  for v in value.values()):
            return None
        return f"found {got}, need a mapping of names to strings"
    if base == "map":
        return None if _is_map(value) else f"found {got}, need a mapping"
    if base == "secret":
        return None if isinstance(value, str) else "is not a string"
    if base == "secretlist":
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return None
        return "is not a list of strings"
    raise AnsibleFilterError(f"config filter: unknown schema kind {kind!r}")


def _weak_reason(secret: str) -> str | None:
    low = secret.lower()
    for word in WEAK_SECRETS:
        if word in low:
            return "it contains a well-known placeholder or default word"
    if len(set(secret)) < 8:
        return f"it uses only {len(set(secret))} distinct characters"
    if len(secret) > 1 and secret in (secret + secret)[1:-1]:
        return "it is one short pattern repeated"
    steps = [ord(b) - ord(a) for a, b in zip(secret, secret[1:])]
    if steps and sum(1 for s in steps if s in (-1, 0, 1)) >= 0.75 * len(steps):
        return "it is mostly a run of consecutive characters"
    return None


# --------------------------------------------------------------------------
# checking one node

def _unknown_keys(built: _Built, value: Any, prefix: str = "") -> None:
    if not _is_map(value):
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


def _check_node(built: _Built) -> None:
    cfg = built.config
    _unknown_keys(built, cfg)
    valid: dict[str, bool] = {}
    bad_parents: set[str] = set()
    for key, kind in SCHEMA.items():
        value = _get(cfg, key, _Missing)
        parents = [".".join(key.split(".")[:i]) for i in range(1, key.count(".") + 1)]
        bad = next((p for p in parents if not _is_map(_get(cfg, p, {}))), None)
        if bad:
            if bad not in bad_parents:
                bad_parents.add(bad)
                built.problem(bad, f"found {_show(_get(cfg, bad))}, need a mapping of keys")
            valid[key] = False
            continue
        if value is _Missing:
            value = None
        text = _check_value(kind, value, secret=key in SECRET_KEYS)
        valid[key] = text is None
        if text:
            built.problem(key, text)
    # list items
    bootstrap = _get(cfg, "p2p.bootstrap")
    if valid.get("p2p.bootstrap"):
        for index, item in enumerate(bootstrap):
            text = _check_value("hostport", item)
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
        heartbeat = _duration_seconds(cfg["consensus"]["heartbeat_time"])
        election = _duration_seconds(cfg["consensus"]["election_timeout"])
        if election < 2 * heartbeat:
            built.problem("consensus.election_timeout",
                          f"{cfg['consensus']['election_timeout']} is less than twice consensus.heartbeat_time "
                          f"({cfg['consensus']['heartbeat_time']}); members would flap offline")
    _check_security(built, valid)
    check_node_rules(built, valid, _weak_reason)


def _check_security(built: _Built, valid: Mapping[str, bool]) -> None:
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
            reason = _weak_reason(secret)
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
                reason = _weak_reason(key)
                if reason:
                    built.problem_item("security.api_keys", index,
                                       f"the API key is a known weak secret ({reason}); "
                                       "generate one with openssl rand -hex 32")


class _MissingType:
    def __repr__(self) -> str:
        return "<missing>"


_Missing = _MissingType()


# --------------------------------------------------------------------------
# checking the cluster

class _Peer:
    """A node of the cluster that is not in this play: only its layout is known."""

    def __init__(self, node: Mapping, cluster: str) -> None:
        self.host = str(node.get("host") or node.get("id"))
        self.node = node
        self.cluster = cluster
        wired = [_nest(key, node[field]) for field, key in WIRING if node.get(field) is not None]
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
        if not _is_map(node_input):
            raise AnsibleFilterError("config_problems: every node input must be a dict")
        one = _Built(node_input, defaults or {}, profiles or {})
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
        if isinstance(one, _Built):
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
        if not isinstance(one, _Built):
            return (False, 0)
        return (True, max((one.rank_of(name) for name in dotted), default=0))
    return sorted(built, key=key)


def _check_ids(built: Sequence[Any]) -> list[str]:
    problems = []
    for cluster, members in _clusters(built).items():
        seen: dict[str, str] = {}
        for one in _peers_first(members, "node.id"):
            node_id = _get(one.config, "node.id")
            if not isinstance(node_id, str) or not node_id:
                continue
            if node_id in seen:
                problems.append(f"{one.host}: {one.var('node.id')}: node id {_show(node_id)} is also used by "
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
            parsed = _parse_hostport(_get(one.config, f"{kind}.listen"))
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
            advertise = _get(one.config, "p2p.advertise") or _get(one.config, "p2p.listen")
            if isinstance(advertise, str) and advertise:
                addresses.append(advertise)
        for one in members:
            if not isinstance(one, _Built):
                continue
            entries = _get(one.config, "p2p.bootstrap")
            if not isinstance(entries, list):
                continue
            for index, entry in enumerate(entries):
                if isinstance(entry, str) and _parse_hostport(entry) and entry not in addresses:
                    problems.append(
                        f"{one.host}: {one.var('p2p.bootstrap')}[{index}]: {entry} is not the p2p address "
                        f"of any node of cluster {cluster} (known: {', '.join(addresses)})")
        members = sorted(members, key=lambda one: one.node.get("index", 0))
        starters = [one.host for one in members if _get(one.config, "consensus.bootstrap") is True]
        if len(starters) != 1:
            where = ", ".join(one.host for one in members)
            problems.append(
                f"{where}: consensus.bootstrap: true on {len(starters)} nodes of cluster {cluster} "
                f"({', '.join(starters) or 'none'}), need exactly one (set layout_bootstrap on one host "
                "and do not override consensus.bootstrap)")
    return problems


class FilterModule:
    """The configuration filters."""

    def filters(self) -> dict[str, Any]:
        return {
            "config_merge": config_merge,
            "config_build": config_build,
            "config_redact": config_redact,
            "config_problems": config_problems,
        }
