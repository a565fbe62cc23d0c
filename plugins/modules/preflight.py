#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) ollama_lab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
---
module: preflight
short_description: Check that a machine can run one or more Ollama Distributed nodes; changes nothing
version_added: 0.1.0
description:
  - Reads the machine once (C(/etc/os-release), C(/proc/meminfo), the CPUs this process may use, the Python
    running the module, commands on PATH, C(statvfs) of every path, C(/proc/net/tcp*) and C(/proc/<pid>/fd))
    and judges it for every node of O(nodes), each with its own thresholds. No facts are gathered and no
    command is run.
  - The checks are those of the validate role's prerequisites category (C(module_utils/host_checks.py)).
  - Per node - the OS family and version, the CPUs, the memory, the Python version, the required commands, the
    free space of every filesystem holding one of the node's paths, and every port of the node, which must be
    free or held by this node's own service (a process named in O(nodes[].own_process_names) started with
    C(--config) one of O(nodes[].own_config_files)); the same program started with another config file is a
    node of another cluster and fails the check.
  - "Each check is worded C(<variable>: found <x>, need <y>), the variable being O(variable_prefix) followed by
    the option that set the threshold, or the variable a port comes from."
  - A node whose input is out of range (O(nodes[].min_cpus) below 1, a port outside 1-65535, ...) is not checked;
    its C(input_problems) name each bad value.
author:
  - ollama_lab maintainers (@ollama-lab)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Only reads; runs the same in check mode and never reports a change.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  variable_prefix:
    description: Put before the option names in the messages (the preflight role passes C(preflight_)).
    type: str
    default: ''
  nodes:
    description: The nodes of this machine to check.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The node's name (its inventory host); the key of its result in RV(nodes).
        type: str
        required: true
      supported_os_families:
        description: OS families accepted (as C(ansible_facts.os_family) names them, for example C(Debian)).
        type: list
        elements: str
        default: [Debian]
      supported_os:
        description: OS versions accepted, each C(<distribution> <version>); the version matches the full or the
          major version (C(Debian 12) accepts Debian 12.7).
        type: list
        elements: str
        default: [Debian 12, Ubuntu 22.04, Ubuntu 24.04]
      os_version_strict:
        description: An OS version outside O(nodes[].supported_os) fails when true, warns when false.
        type: bool
        default: true
      min_cpus:
        description: CPUs this process may run on, at least (1 or more).
        type: int
        default: 2
      min_memory_mb:
        description: Total memory in MB, at least.
        type: int
        default: 4096
      min_disk_mb:
        description: Free MB on every filesystem holding one of O(nodes[].disk_paths) and O(nodes[].extra_disk_paths).
        type: int
        default: 2048
      disk_paths:
        description: Absolute paths the node writes to; they need not exist (the nearest existing parent is read).
        type: list
        elements: path
        default: []
      extra_disk_paths:
        description: Further absolute paths checked like O(nodes[].disk_paths).
        type: list
        elements: path
        default: []
      min_python_version:
        description: Oldest Python accepted, for example C(3.8).
        type: str
        default: '3.8'
      required_commands:
        description: Commands that must be on PATH (or in the usual C(bin) and C(sbin) folders).
        type: list
        elements: str
        default: [tar, gzip, curl]
      ports:
        description:
          - The node's TCP ports, each a port number, a pair C([port, variable]) or a mapping C({port, variable});
            C(variable) names the setting the port comes from in the messages (default O(variable_prefix)C(ports)).
        type: list
        elements: raw
        default: []
      own_process_names:
        description: Names (executable, command or argv[0] basename) of the node service's process.
        type: list
        elements: str
        default: [ollama-distributed]
      own_config_files:
        description: Config files of this node; a holder of the node's port is ours only when started with
          C(--config) one of them. Empty accepts any process named in O(nodes[].own_process_names).
        type: list
        elements: path
        default: []
'''

EXAMPLES = r'''
- name: Check this machine for one node
  ollama_lab.distributed.preflight:
    nodes:
      - name: "{{ inventory_hostname }}"
        min_memory_mb: 2048
        disk_paths: [/var/lib/ollama-distributed]
        ports:
          - {port: 8080, variable: layout_api_port_base}
          - {port: 4001, variable: layout_p2p_port_base}
        own_config_files: [/etc/ollama-distributed/node1.yaml]
  register: checked

- name: Fail with every failed check
  ansible.builtin.fail:
    msg: "{{ checked.nodes[inventory_hostname].failures | join('; ') }}"
  when: not checked.passed
'''

RETURN = r'''
passed:
  description: No check of any node failed and no node has an input problem.
  returned: always
  type: bool
  sample: true
nodes:
  description: The result of every node, by name.
  returned: always
  type: dict
  contains:
    passed:
      description: No check of this node failed (false too when its input has problems).
      type: bool
    input_problems:
      description: "Every input value out of range, C(<variable>: found <value>, need <what>); the node was not checked."
      type: list
      elements: str
    failures:
      description: The message of every failed check.
      type: list
      elements: str
    warnings:
      description: The message of every check that warns (an unsupported OS version when not strict, a value that
        could not be read).
      type: list
      elements: str
    checks:
      description: Every check, C({name, variable, status, found, need, message}); status is pass, warn or fail.
      type: list
      elements: dict
  sample:
    node1:
      passed: true
      input_problems: []
      failures: []
      warnings: []
      checks:
        - {name: cpus, variable: preflight_min_cpus, status: pass, found: 4 CPUs, need: at least 2,
           message: "preflight_min_cpus: found 4 CPUs, need at least 2"}
'''

from typing import Any, Dict

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ollama_lab.distributed.plugins.module_utils import host_checks, host_observe

NODE_SPEC: Dict[str, Any] = dict(
    name=dict(type='str', required=True),
    supported_os_families=dict(type='list', elements='str', default=['Debian']),
    supported_os=dict(type='list', elements='str', default=['Debian 12', 'Ubuntu 22.04', 'Ubuntu 24.04']),
    os_version_strict=dict(type='bool', default=True),
    min_cpus=dict(type='int', default=2),
    min_memory_mb=dict(type='int', default=4096),
    min_disk_mb=dict(type='int', default=2048),
    disk_paths=dict(type='list', elements='path', default=[]),
    extra_disk_paths=dict(type='list', elements='path', default=[]),
    min_python_version=dict(type='str', default='3.8'),
    required_commands=dict(type='list', elements='str', default=['tar', 'gzip', 'curl']),
    ports=dict(type='list', elements='raw', default=[]),
    own_process_names=dict(type='list', elements='str', default=['ollama-distributed']),
    own_config_files=dict(type='list', elements='path', default=[]),
)


def read_port(item: Any, variable: str) -> Dict[str, Any]:
    """``{port, variable}`` of a port number, a ``[port, variable]`` pair or a ``{port, variable}`` mapping."""
    if isinstance(item, dict):
        return dict(port=int(item['port']), variable=item.get('variable') or variable)
    if isinstance(item, (list, tuple)):
        return dict(port=int(item[0]), variable=(item[1] if len(item) > 1 else '') or variable)
    if isinstance(item, bool):
        raise TypeError('a boolean is no port')
    return dict(port=int(item), variable=variable)


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            variable_prefix=dict(type='str', default=''),
            nodes=dict(type='list', elements='dict', required=True, options=NODE_SPEC),
        ),
        supports_check_mode=True,
    )
    prefix = module.params['variable_prefix']
    results: Dict[str, Any] = {}
    valid = []
    for req in module.params['nodes']:
        try:
            req['ports'] = [read_port(item, prefix + 'ports') for item in req['ports']]
        except (KeyError, IndexError, TypeError, ValueError):
            module.fail_json(msg='nodes[%s].ports: found %r, need port numbers, [port, variable] pairs or '
                             '{port, variable} mappings' % (req['name'], req['ports']))
        problems = host_checks.input_problems(req, prefix)
        if problems:
            results[req['name']] = dict(passed=False, input_problems=problems, failures=[], warnings=[], checks=[])
        else:
            valid.append(req)
    if valid:
        seen = host_observe.machine(
            dict.fromkeys(p for req in valid for p in host_checks.disk_paths(req)),
            dict.fromkeys(c for req in valid for c in req['required_commands']))
        ports = host_observe.port_holders(p['port'] for req in valid for p in req['ports'])
        for req in valid:
            results[req['name']] = host_checks.judge(req, seen, ports, prefix)
    module.exit_json(changed=False, passed=all(r['passed'] for r in results.values()), nodes=results)


if __name__ == '__main__':
    main()
