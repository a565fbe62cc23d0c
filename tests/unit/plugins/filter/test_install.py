# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the install_nodes filter (a node's own part of an install)."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.ollama_lab.distributed.plugins.filter.install import FilterModule, install_nodes
from ansible_collections.ollama_lab.distributed.plugins.filter.layout import node_layout

UNIT = '/etc/systemd/system/ollama-distributed@.service'
PROGRAMS = '/etc/supervisor/conf.d'
DEFAULTS = {
    "api_port_base": 8080, "web_port_offset": 1, "p2p_port_base": 4001, "port_step": 2,
    "bind_address": "", "api_scheme": "http", "config_dir": "/etc/ollama-distributed",
    "data_root": "/var/lib/ollama-distributed", "log_dir": "/var/log/ollama-distributed",
    "service_manager": "supervisor",
}


def layout(manager: str) -> list:
    hv = {f"node{i}": {"ansible_connection": "local"} for i in (1, 2)}
    nodes = node_layout(hv, list(hv), dict(DEFAULTS, service_manager=manager))["nodes"]
    return [nodes[h] for h in hv]


def test_the_nodes_of_a_real_layout_under_supervisord() -> None:
    parts = install_nodes(layout('supervisor'), 'ollama', 'ollama', UNIT, PROGRAMS)
    assert [p['host'] for p in parts] == ['node1', 'node2']
    root = '/var/lib/ollama-distributed/node1'
    assert parts[0]['directories'] == [
        {'path': path, 'owner': 'ollama', 'group': 'ollama', 'mode': '0750'}
        for path in (root, root + '/data', root + '/models', root + '/cache', root + '/consensus')]
    assert parts[1]['service'] == {'name': 'ollama-distributed-node2', 'manager': 'supervisor',
                                   'definition': '/etc/supervisor/conf.d/ollama-distributed-node2.conf'}


def test_systemd_nodes_share_the_template_unit() -> None:
    parts = install_nodes(layout('systemd'), 'u', 'g', UNIT, PROGRAMS + '/')
    assert [p['service']['definition'] for p in parts] == [UNIT, UNIT]
    assert parts[0]['service']['name'] == 'ollama-distributed@node1.service'


def test_bad_input_is_refused_naming_the_node() -> None:
    node = dict(layout('supervisor')[0])
    with pytest.raises(AnsibleFilterError, match="node node1 has service_manager 'auto'"):
        install_nodes([dict(node, service_manager='auto')], 'u', 'g', UNIT, PROGRAMS)
    del node['models_dir']
    with pytest.raises(AnsibleFilterError, match='node1 lacks models_dir'):
        install_nodes([node], 'u', 'g', UNIT, PROGRAMS)
    with pytest.raises(AnsibleFilterError, match='wanted a list'):
        install_nodes('node1', 'u', 'g', UNIT, PROGRAMS)


def test_the_filter_is_registered() -> None:
    assert FilterModule().filters()['install_nodes'] is install_nodes
