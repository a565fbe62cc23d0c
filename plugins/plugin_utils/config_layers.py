# Copyright (c) ollama_lab.distributed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Merging the layers of a node configuration and recording which layer set each key.

Used by ``plugins/filter/config.py``; see its docstring for the layers.
"""

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

import copy
from typing import Mapping

from ansible.errors import AnsibleFilterError
from ansible_collections.ollama_lab.distributed.plugins.module_utils.typed import plain, read_bool
from ansible_collections.ollama_lab.distributed.plugins.plugin_utils.config_rules import LAB_ORIGIN_PROFILES, lab_origins, layout_variable
from ansible_collections.ollama_lab.distributed.plugins.plugin_utils.config_schema import PROFILES, SCHEMA, WIRING, get_key, is_map, nest, show


class _MissingType:
    def __repr__(self) -> str:
        return "<missing>"


MISSING = _MissingType()


def _merge_into(base: dict, layer: Mapping, rank: int, origins: dict, prefix: str = "") -> None:
    for key, value in layer.items():
        key = str(key)
        dotted = prefix + key
        if value is None:
            continue
        if is_map(value):
            if not is_map(base.get(key)):
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
    if not is_map(base):
        raise AnsibleFilterError(f"config_merge: expected a dict, got {type(base).__name__}")
    result: dict = copy.deepcopy(dict(base))
    for index, layer in enumerate(layers):
        if layer is None:
            continue
        if not is_map(layer):
            raise AnsibleFilterError(
                f"config_merge: layer {index + 1} must be a dict, got {type(layer).__name__}")
        _merge_into(result, layer, index, {})
    return result


class Built:
    """One node's merged configuration and where each key came from."""

    LAYERS = ("defaults", "base_profile", "profile", "layout", "overrides", "node_overrides", "jwt_secret", "api_keys",
              "cluster_secret")

    def __init__(self, node_input: Mapping, defaults: Mapping, profiles: Mapping) -> None:
        self.host = str(node_input.get("host") or get_key(node_input, "node.host") or "?")
        self.node = node_input.get("node") or {}
        self.cluster = str(node_input.get("cluster") or "")
        self.profile = node_input.get("profile")
        self.problems: list[str] = []
        self.origins: dict[str, int] = {}
        self.config: dict = {}

        profile_layer: Mapping = {}
        if self.profile not in PROFILES or not is_map(profiles.get(self.profile)):
            self.problems.append(
                f"{self.host}: configure_profile: found {show(self.profile)}, "
                f"need one of {', '.join(PROFILES)}")
        else:
            profile_layer = profiles[self.profile]

        wiring: dict = {}
        for field, key in WIRING:
            if field in self.node and self.node[field] is not None:
                wiring = config_merge(wiring, nest(key, self.node[field]))
        if self.profile in LAB_ORIGIN_PROFILES:
            wiring = config_merge(wiring, nest("api.cors.origins", lab_origins(node_input.get("peers") or [])))

        base = node_input.get("base_profile")
        layers: list[Mapping] = [defaults, base if is_map(base) else {}, profile_layer, wiring]
        for name in ("overrides", "node_overrides"):
            value = node_input.get(name)
            if value is None:
                value = {}
            if not is_map(value):
                self.problems.append(
                    f"{self.host}: configure_{name}: found {show(value)}, need a dict of config keys")
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
            value = get_key(self.config, key, MISSING)
            if kind != "bool" or value is MISSING or isinstance(value, bool):
                continue
            wanted, _problem = read_bool(value, key)
            parent = get_key(self.config, key.rsplit(".", 1)[0]) if "." in key else self.config
            if wanted is not None and is_map(parent):
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


def config_build(node_input: Mapping, defaults: Mapping, profiles: Mapping) -> dict:
    """Merge one node's layers; return ``{config, origins, problems}``.

    ``problems`` holds only the problems found while merging (bad profile, a
    layer that is not a dict); :func:`config_problems` checks everything.
    """
    if not is_map(node_input):
        raise AnsibleFilterError("config_build: expected the node input dict")
    built = Built(plain(node_input), plain(defaults or {}), plain(profiles or {}))
    return {
        "config": built.config,
        "origins": {k: built.var(k) for k in sorted(built.origins)},
        "problems": built.problems,
    }


def config_redact(config: Mapping, placeholder: str = "<redacted>") -> dict:
    """Return a copy of ``config`` with the JWT secret and API keys replaced by ``placeholder``."""
    if not is_map(config):
        raise AnsibleFilterError("config_redact: expected a config dict")
    result = copy.deepcopy(dict(config))
    security = result.get("security")
    if is_map(security):
        security = dict(security)
        result["security"] = security
        if is_map(security.get("jwt")):
            security["jwt"] = dict(security["jwt"])
            if security["jwt"].get("secret") not in (None, ""):
                security["jwt"]["secret"] = placeholder
        if isinstance(security.get("api_keys"), list):
            security["api_keys"] = [placeholder] * len(security["api_keys"])
    if is_map(result.get("cluster")) and result["cluster"].get("secret") not in (None, ""):
        result["cluster"] = dict(result["cluster"], secret=placeholder)
    return result
