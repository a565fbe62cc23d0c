# Copyright (c) ollama_lab.distributed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn a profile file in upstream's format into the configure role's base layer.

Upstream's training generator (``configuration-manager.go``) writes every
field of its structs: keys the node contract does not have (``api.debug``,
``p2p.discovery``, ``web.theme`` ...), Go zero values for whatever a profile
leaves unset (``scheduler.algorithm: ""``, ``consensus.heartbeat_time: 0s``)
and, in its templates, placeholder secrets. The collection validates its own
files with ``--strict``, so only what it knows may pass: this filter keeps
the keys the collection's defaults carry and lists every key it drops, with
the reason, for the role to show.
"""

from __future__ import annotations

import datetime
from typing import Any, Mapping

from ansible.errors import AnsibleFilterError

#: secrets come from vault (configure_jwt_secret, configure_api_keys), never from a profile file
SECRET_KEYS = ("security.jwt.secret", "security.api_keys")
#: the Go zero values upstream writes for a field its profile does not set
ZERO_VALUES = ("", 0, 0.0, "0s", None)


def _is_zero(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return value in ZERO_VALUES or value == [] or value == {}


def _plain(value: Any) -> Any:
    """YAML timestamps (upstream's metadata.created) as strings, recursively."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _walk(profile: Mapping, known: Mapping, prefix: str, dropped: list[str]) -> dict:
    layer: dict = {}
    for key, value in profile.items():
        dotted = prefix + str(key)
        if key not in known:
            dropped.append(f"{dotted}: not a key of the node contract the collection writes; dropped")
            continue
        default = known[key]
        if dotted in SECRET_KEYS:
            dropped.append(f"{dotted}: secrets come from configure_jwt_secret / configure_api_keys (vault); dropped")
            continue
        if isinstance(default, Mapping) and default and isinstance(value, Mapping):
            sub = _walk(value, default, dotted + ".", dropped)
            if sub:
                layer[key] = sub
            continue
        if _is_zero(value) and not _is_zero(default):
            dropped.append(f"{dotted}: {value!r} is upstream's unset value; the collection's value applies")
            continue
        layer[key] = _plain(value)
    return layer


def config_base_profile(profile: Any, defaults: Mapping, source: str = "configure_base_profile") -> dict:
    """Return ``{layer, dropped}``: the keys of ``profile`` that ``defaults`` knows, and notes on the rest."""
    if profile is None:
        profile = {}
    if not isinstance(profile, Mapping):
        raise AnsibleFilterError(
            f"{source}: found a {type(profile).__name__}, need a YAML mapping of config keys "
            "(a profile written by upstream's configuration-manager.go, for example)")
    if not isinstance(defaults, Mapping):
        raise AnsibleFilterError("config_base_profile: expected the role's defaults as the second argument")
    dropped: list[str] = []
    layer = _walk(profile, defaults, "", dropped)
    return {"layer": layer, "dropped": dropped}


class FilterModule:
    """Filters of the configure role's base profile layer."""

    def filters(self) -> dict[str, Any]:
        return {"config_base_profile": config_base_profile}
