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

The filters are implemented in ``plugins/plugin_utils``: ``config_schema``
(the node contract, checking one value), ``config_layers`` (merging, building,
redacting), ``config_checks`` (checking a node and a cluster) and
``config_rules`` (the rules that tie keys, nodes and the inventory together)
and ``config_text`` (the config file as text).

They are imported on first use: Ansible loads every filter file of the
collection, in every worker process, to resolve any one of its filters.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any, Callable

_PLUGIN_UTILS = "ansible_collections.ollama_lab.distributed.plugins.plugin_utils."


def _on_use(module: str, name: str) -> Callable[..., Any]:
    """``plugin_utils.<module>.<name>``, imported when the filter is first called."""

    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(import_module(_PLUGIN_UTILS + module), name)(*args, **kwargs)

    call.__name__ = name
    return call


config_merge = _on_use("config_layers", "config_merge")
config_build = _on_use("config_layers", "config_build")
config_redact = _on_use("config_layers", "config_redact")
config_problems = _on_use("config_checks", "config_problems")
config_yaml = _on_use("config_text", "config_yaml")


class FilterModule:
    """The configuration filters."""

    def filters(self) -> dict[str, Any]:
        return {
            "config_merge": config_merge,
            "config_build": config_build,
            "config_redact": config_redact,
            "config_problems": config_problems,
            "config_yaml": config_yaml,
        }
