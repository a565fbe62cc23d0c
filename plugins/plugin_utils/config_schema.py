# Copyright (c) ollama_lab.distributed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The node contract of the config filters: its keys and kinds, and checking one value.

Used by ``plugins/filter/config.py`` (through ``config_layers`` and ``config_checks``).
"""

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

import json
import re
from typing import Any, Mapping

from ansible.errors import AnsibleFilterError
from ansible_collections.ollama_lab.distributed.plugins.module_utils.typed import BOOL_NEED


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
# check_value; "map" keys are free-form below them.
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


def is_map(value: Any) -> bool:
    return isinstance(value, Mapping)


def get_key(config: Mapping, dotted: str, default: Any = None) -> Any:
    value: Any = config
    for part in dotted.split("."):
        if not is_map(value) or part not in value:
            return default
        value = value[part]
    return value


def nest(dotted: str, value: Any) -> dict:
    result: dict = {}
    cur = result
    parts = dotted.split(".")
    for part in parts[:-1]:
        cur = cur.setdefault(part, {})
    cur[parts[-1]] = value
    return result


def show(value: Any) -> str:
    try:
        return json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return repr(value)


def parse_hostport(value: Any) -> tuple[str, int] | None:
    if not isinstance(value, str):
        return None
    match = HOSTPORT_RE.match(value)
    if not match:
        return None
    return match.group("host"), int(match.group("port"))


def duration_ok(value: Any) -> bool:
    return isinstance(value, str) and bool(DURATION_RE.match(value)) and any(c in "123456789" for c in value)


def duration_seconds(value: str) -> float:
    units = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
    total = 0.0
    for number, unit in re.findall(r"([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)", value):
        total += float(number) * units[unit]
    return total


def check_value(kind: Any, value: Any, secret: bool = False) -> str | None:
    """Return what is wrong with ``value`` for ``kind``, or None."""
    got = "a value" if secret else show(value)
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
        parsed = parse_hostport(value)
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
        if duration_ok(value):
            return None
        return f"found {got}, need a positive Go duration like 500ms, 30s or 24h"
    if base == "seconds":
        if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            return None
        if duration_ok(value):
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
        if is_map(value) and all(isinstance(v, (str, int, float)) and not isinstance(v, bool)
                                 for v in value.values()):
            return None
        return f"found {got}, need a mapping of names to strings"
    if base == "map":
        return None if is_map(value) else f"found {got}, need a mapping"
    if base == "secret":
        return None if isinstance(value, str) else "is not a string"
    if base == "secretlist":
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return None
        return "is not a list of strings"
    raise AnsibleFilterError(f"config filter: unknown schema kind {kind!r}")


def weak_reason(secret: str) -> str | None:
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
