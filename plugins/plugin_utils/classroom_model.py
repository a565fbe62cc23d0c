# Copyright (c) 2025, ollama_lab maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The class description of the classroom inventory plugin: its keys, limits and roster entries.

Used by ``plugins/inventory/classroom.py`` and ``classroom_check``.
"""

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Nodes run as an unprivileged service user: no port below 1024.
MIN_PORT = 1024
TOPOLOGIES = ('vm_per_node', 'single_host')
PROFILES = ('development', 'testing', 'production')
ID_RE = re.compile(r'^[a-z0-9][a-z0-9-]{0,30}$')
CLASS_RE = re.compile(r'^[a-z0-9][a-z0-9_-]{0,62}$')
VAR_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*$')
HOST_RE = re.compile(r'^[A-Za-z0-9_.:%\[\]-]{1,253}$')
SECRET_VARS = frozenset(('ansible_password', 'ansible_ssh_pass', 'ansible_become_password', 'ansible_become_pass'))
COMPUTED_VARS = frozenset((
    'ansible_host', 'classroom_class_name', 'classroom_student_id', 'classroom_student_name',
    'classroom_topology', 'classroom_node_index', 'classroom_expected_size', 'layout_cluster_group',
    'layout_node_id', 'layout_address', 'layout_machine', 'layout_api_port', 'layout_web_port', 'layout_p2p_port',
    'layout_bootstrap', 'configure_profile',
))
CONSTRUCTABLE_KEYS = ('strict', 'compose', 'groups', 'keyed_groups', 'use_extra_vars', 'leading_separator')
TOP_KEYS = ('plugin', 'class_name', 'defaults', 'students') + CONSTRUCTABLE_KEYS
DEFAULT_KEYS = ('topology', 'port_base', 'p2p_port_base', 'profile', 'nodes_per_student', 'vars')
STUDENT_KEYS = ('id', 'name', 'topology', 'hosts', 'port_base', 'p2p_port_base', 'profile', 'vars')
LOOPBACK = frozenset(('localhost', 'localhost.localdomain', '127.0.0.1', '::1'))


@dataclass
class Student:
    """One validated roster entry (fields stay None when invalid)."""

    label: str
    position: int
    id: str | None = None
    name: str = ''
    topology: str | None = None
    hosts: list[str] = field(default_factory=list)
    port_base: int | None = None
    p2p_port_base: int | None = None
    profile: str | None = None
    vars: dict[str, Any] = field(default_factory=dict)

    def api_ports(self, nodes: int) -> set[int]:
        count = 2 * nodes if self.topology == 'single_host' else 2
        return set(range(self.port_base, self.port_base + count)) if self.port_base is not None else set()

    def p2p_ports(self, nodes: int) -> set[int]:
        count = nodes if self.topology == 'single_host' else 1
        return set(range(self.p2p_port_base, self.p2p_port_base + count)) if self.p2p_port_base is not None else set()


def plain(value: Any) -> Any:
    """Strip Ansible data tags so values print and compare as plain Python."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, Mapping):
        return {plain(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return str(value)


def span(ports: set[int]) -> str:
    """Show a port set as ranges: 8080-8085, 9000."""
    parts: list[str] = []
    for port in sorted(ports):
        if parts and port == int(parts[-1].split('-')[-1]) + 1:
            parts[-1] = '%s-%d' % (parts[-1].split('-')[0], port)
        else:
            parts.append(str(port))
    return ', '.join(parts)


def machine(host: str) -> str:
    """Key under which two host strings are the same machine."""
    key = host.strip('[]').rstrip('.').lower()
    return 'localhost' if key in LOOPBACK else key


def group_safe(name: str) -> str:
    return name.replace('-', '_')
