# Copyright (c) ollama_lab.distributed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A node's own part of an install: its directories and its service definition.

The install role makes these for every node (``apply.yml``) and its warm look
(``install_check`` with ``nodes``) checks them for every node of a cluster on
one machine in one run; both read them from here, computed from the nodes'
layout entries (``layout_cluster``), so that no node needs another's facts.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from ansible.errors import AnsibleFilterError

#: the layout keys of a node's own directories, in the order they are made
NODE_DIR_KEYS = ('node_root', 'data_dir', 'models_dir', 'cache_dir', 'consensus_dir')
NODE_DIR_MODE = '0750'


def _definition(node: Mapping[str, Any], unit_path: str, program_dir: str) -> str:
    manager = node['service_manager']
    if manager == 'systemd':
        return unit_path
    if manager == 'supervisor':
        return '%s/%s.conf' % (program_dir.rstrip('/'), node['service_name'])
    raise AnsibleFilterError('install_nodes: node %s has service_manager %r; wanted systemd or supervisor'
                             % (node.get('host'), manager))


def install_nodes(nodes: Sequence[Mapping[str, Any]], user: str, group: str,
                  unit_path: str, program_dir: str) -> list[dict[str, Any]]:
    """Per layout node: ``host``, ``directories`` (path, owner, group, mode) and ``service``
    (name, manager, definition), as ``install_check``'s ``nodes`` option takes them."""
    if not isinstance(nodes, Sequence) or isinstance(nodes, (str, bytes)):
        raise AnsibleFilterError('install_nodes: wanted a list of layout nodes, got %s' % type(nodes).__name__)
    parts = []
    for node in nodes:
        missing = [key for key in ('host', 'service_name', 'service_manager') + NODE_DIR_KEYS if key not in node]
        if missing:
            raise AnsibleFilterError('install_nodes: layout node %s lacks %s' % (node.get('host'), ', '.join(missing)))
        parts.append({
            'host': node['host'],
            'directories': [{'path': node[key], 'owner': user, 'group': group, 'mode': NODE_DIR_MODE}
                            for key in NODE_DIR_KEYS],
            'service': {'name': node['service_name'], 'manager': node['service_manager'],
                        'definition': _definition(node, unit_path, program_dir)},
        })
    return parts


class FilterModule:
    """The install role's filters."""

    def filters(self) -> dict[str, Any]:
        return {'install_nodes': install_nodes}
