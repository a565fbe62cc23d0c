# Copyright (c) ollama_lab.distributed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One node's config file as text: the merged config (``config_build``) section
by section, in the order of the node contract (section 2), with a comment
above each section.

Every value is written as JSON, which is valid YAML and keeps strings quoted;
the free-form maps (``node.tags``, ``metadata``) as block YAML. Rendered in
Python, not through a template lookup: a lookup copies every variable of the
host, twice per node and run.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

import yaml

from ansible_collections.ollama_lab.distributed.plugins.module_utils.typed import plain

#: (comment lines, section, keys) in the contract's order. A key is a dotted
#: path below the section; a nested dict of keys is written as a sub-block.
_SECTIONS: tuple[tuple[tuple[str, ...], str, tuple[Any, ...]], ...] = (
    (("Identity: unique in the cluster; free labels returned in the node record.",),
     "node", ("id", ("tags", "block"))),
    (("HTTP API: what clients and other nodes call.",),
     "api", ("listen", "advertise", "timeout", ("tls", ("enabled", "cert_file", "key_file")),
             ("cors", ("enabled", "origins")),
             ("rate_limit", ("enabled", "requests_per_minute", "burst_size")))),
    (("Node-to-node endpoint; bootstrap lists the peers contacted at start.",),
     "p2p", ("listen", "advertise", "bootstrap")),
    (("Optional status page (empty listen = off).",),
     "web", ("listen", "title")),
    (("State directories (owned by the service user) and the model store limit.",),
     "storage", ("data_dir", "models_dir", "cache_dir", "max_size")),
    (("Logging: level debug|info|warn|error, output console|file|both.",),
     "logging", ("level", "output", "file")),
    (("Membership: exactly one node of the cluster bootstraps it.",),
     "consensus", ("bootstrap", "data_dir", "heartbeat_time", "election_timeout")),
    (("Cluster size the health verdict expects (0 = largest size seen), and the",
      "secret every p2p request between members carries (configure_cluster_secret,",
      "generated once per cluster on the controller)."),
     "cluster", ("expected_size", "secret")),
    (("How generate requests pick a node: round_robin or least_loaded.",),
     "scheduler", ("algorithm", "worker_count", "queue_size")),
    (("Authentication (secrets come from vault: configure_jwt_secret, configure_api_keys).",),
     "security", ("enable_auth", "api_keys", ("jwt", ("secret", "expiration")))),
    (("A real Ollama server doing the inference (empty = built-in lab generator).",),
     "backend", ("ollama_url",)),
    (("Resource sampling.",),
     "performance", ("monitoring_enabled", "metrics_interval")),
)


def _json(value: Any) -> str:
    return json.dumps(value)


def _block(value: Any, indent: int) -> str:
    """A free-form map as block YAML below its key, or `` {}`` when empty."""
    if not value:
        return " {}"
    text = yaml.dump(value, Dumper=yaml.SafeDumper, indent=2, allow_unicode=True,
                     default_flow_style=False, sort_keys=True).strip()
    pad = " " * indent
    return "\n" + "\n".join(pad + line if line else line for line in text.split("\n"))


def _keys(lines: list[str], doc: Mapping[str, Any], keys: tuple[Any, ...], indent: int) -> None:
    pad = " " * indent
    for key in keys:
        if isinstance(key, str):
            lines.append(f"{pad}{key}: {_json(doc[key])}")
        elif key[1] == "block":
            lines.append(f"{pad}{key[0]}:{_block(doc[key[0]], indent + 2)}")
        else:
            lines.append(f"{pad}{key[0]}:")
            _keys(lines, doc[key[0]], key[1], indent + 2)


def config_yaml(config: Mapping[str, Any], profile: str, config_file: str, redacted: bool = False) -> str:
    """The config file of one node (``config``: what ``config_build`` returns
    as ``config``); ``redacted`` adds the note of the redacted copy beside
    ``config_file``."""
    c = plain(config)
    lines = [
        f"# Ollama Distributed node {c['node']['id']} - profile {profile}",
        "# Managed by Ansible (ollama_lab.distributed.configure): edit the inventory",
        "# (configure_overrides / configure_node_overrides), not this file.",
    ]
    if redacted:
        lines += [
            "# REDACTED COPY: secrets are replaced by a placeholder. The node reads",
            f"# {config_file}; this file only makes `--diff` readable.",
        ]
    lines += [f"{key}: {_json(c[key])}" for key in ("name", "description", "environment")]
    for comments, section, keys in _SECTIONS:
        lines += [""] + [f"# {line}" for line in comments] + [f"{section}:"]
        _keys(lines, c[section], keys, 2)
    lines += ["", "# Free-form notes.", f"metadata:{_block(c['metadata'], 2)}"]
    return "\n".join(lines) + "\n"
