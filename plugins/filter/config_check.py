# Copyright (c) ollama_lab.distributed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check every node of a play at once: one Python computation, run once.

The configure role collects each node's compact input (its layers), then one
task (``run_once``) hands all of them to :func:`config_check_play`, which
checks every cluster of the play with ``config_problems`` and builds each
node's redacted configuration. Each host then reads its own entry: no task
walks every host's hostvars in Jinja.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from ansible.errors import AnsibleFilterError
from ansible_collections.ollama_lab.distributed.plugins.module_utils.typed import plain

MISSING = "failed before its configuration could be checked (see its error above)"


def config_check_play(inputs: Sequence[Any], hosts: Sequence[str], defaults: Mapping, profiles: Mapping,
                      placeholder: str = "<redacted>") -> dict[str, Any]:
    """Return ``{"problems": {host: [...]}, "configs": {host: redacted config}}``.

    ``inputs`` holds one entry per host of ``hosts`` (``None`` for a host that
    failed before its input was collected). A host's problems are those of
    its whole cluster, so a broken node stops its cluster only, never another
    cluster of the play (a classroom).
    """
    # Imported here, not at the top: see plugins/filter/config.py.
    from ansible_collections.ollama_lab.distributed.plugins.plugin_utils.config_checks import config_problems
    from ansible_collections.ollama_lab.distributed.plugins.plugin_utils.config_layers import config_build, config_redact

    if len(inputs) != len(hosts):
        raise AnsibleFilterError("config_check_play: expected one input per host")
    inputs, hosts, defaults, profiles = plain(inputs), plain(hosts), plain(defaults), plain(profiles)
    by_cluster: dict[str, list[Mapping]] = {}
    cluster_of: dict[str, str] = {}
    members: dict[str, list[str]] = {}
    for host, node_input in zip(hosts, inputs):
        if node_input is None:
            continue
        if not isinstance(node_input, Mapping):
            raise AnsibleFilterError(f"config_check_play: the input of {host} is not a dict")
        cluster = str(node_input.get("cluster") or "")
        by_cluster.setdefault(cluster, []).append(node_input)
        cluster_of[host] = cluster
        peers = [str(p.get("host")) for p in node_input.get("peers") or [] if isinstance(p, Mapping)]
        members.setdefault(cluster, peers)
    play = set(hosts)
    found: dict[str, list[str]] = {}
    for cluster, cluster_inputs in by_cluster.items():
        missing = [h for h in members.get(cluster, []) if h in play and h not in cluster_of]
        found[cluster] = [f"{h}: {MISSING}" for h in missing] + config_problems(cluster_inputs, defaults, profiles)
    problems = {host: found[cluster_of[host]] for host in cluster_of}
    configs = {
        host: config_redact(config_build(node_input, defaults, profiles)["config"], placeholder)
        for host, node_input in zip(hosts, inputs) if node_input is not None
    }
    return {"problems": problems, "configs": configs}


class FilterModule:
    """The play-wide configuration check."""

    def filters(self) -> dict[str, Any]:
        return {"config_check_play": config_check_play}
