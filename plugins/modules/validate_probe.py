#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) ollama_lab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
---
module: validate_probe
short_description: Observe one Ollama Distributed node on its machine (system, binary, service, process, config, logs)
version_added: 0.1.0
description:
  - Runs on the machine of one node and reports what it sees, without judging it and without changing anything.
    The validate role turns the observations into checks (C(module_utils/checks.py)); the monitor role reads the
    system, service, process and log parts.
  - C(system) - OS, CPU count, memory, Python, free disk, load, required commands (read as the preflight module reads
    them, C(module_utils/host_observe.py)), and the Go toolchain against the C(go)
    directive of a C(go.mod) when O(go_mod) is set.
  - C(binary) - the node binary, its mode, C(--help) and C(--version).
  - C(service) - the systemd unit or supervisor program of the node, whether it is installed, enabled and active,
    its main pid and restart count.
  - C(process) - the node process (user, resident memory, age) and the TCP ports it listens on, read from
    C(/proc/<pid>/fd) and C(/proc/net/tcp*); a port held by another process is reported with that process.
  - C(config) - the config file's mode, owner and group, whether the service user can read it, and the result of
    C(ollama-distributed validate --config). The file content is never read or returned.
  - C(dirs) - whether each data directory exists and is writable by the service user.
  - C(logs) - error-level lines since the process started, from the systemd journal or from log files.
author:
  - ollama_lab maintainers (@ollama-lab)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Only reads; runs the same in check mode.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  sections:
    description: What to observe.
    type: list
    elements: str
    choices: [system, binary, service, process, config, dirs, logs]
    default: [system, binary, service, process, config, dirs, logs]
  binary:
    description: Path of the node binary.
    type: path
    default: /usr/local/bin/ollama-distributed
  command_timeout:
    description: Seconds any command run by the probe may take.
    type: float
    default: 15
  service_manager:
    description: What runs the node.
    type: str
    choices: [systemd, supervisor]
    required: true
  service_name:
    description: The systemd unit (C(ollama-distributed@<id>.service)) or supervisor program (C(ollama-distributed-<id>)).
    type: str
    required: true
  supervisor_program_file:
    description:
      - The supervisor program file, read for C(autostart) (the supervisor meaning of enabled).
      - Defaults to C(/etc/supervisor/conf.d/<service_name>.conf).
    type: path
  config_file:
    description: The node config file.
    type: path
  service_user:
    description: The account the node runs as.
    type: str
    default: ollama
  dirs:
    description: Directories the node must be able to write.
    type: list
    elements: path
    default: []
  ports:
    description: The TCP ports the node process must hold, each C({name, port}).
    type: list
    elements: dict
    default: []
  log_files:
    description:
      - Log files to scan (supervisor nodes; systemd nodes read the journal of O(service_name) and these files too).
      - Missing files are ignored.
    type: list
    elements: path
    default: []
  log_lines:
    description: How many of the most recent log lines to scan at most.
    type: int
    default: 1000
  log_window:
    description:
      - Only lines of the last this many seconds count; C(0) means since the node process started.
    type: int
    default: 0
  disk_path:
    description: The path whose file system must have free space (the data root); the nearest existing parent is used.
    type: path
    default: /var/lib
  required_commands:
    description: Commands that must be on the PATH.
    type: list
    elements: str
    default: []
  go_mod:
    description:
      - The C(go.mod) of the source a build uses; its C(go) directive is the minimum Go version needed.
      - Leave empty when no source build is configured (the Go check is then skipped).
    type: path
  go_binary:
    description: The Go toolchain used for the build.
    type: path
    default: go
'''

EXAMPLES = r'''
- name: Observe this node
  ollama_lab.distributed.validate_probe:
    service_manager: "{{ layout_node.service_manager }}"
    service_name: "{{ layout_node.service_name }}"
    config_file: "{{ layout_node.config_file }}"
    dirs: ["{{ layout_node.data_dir }}", "{{ layout_node.models_dir }}"]
    ports:
      - {name: api, port: "{{ layout_node.api_port }}"}
      - {name: p2p, port: "{{ layout_node.p2p_port }}"}
  register: node_observations

- name: Only resources and logs (monitoring)
  ollama_lab.distributed.validate_probe:
    sections: [system, service, process, logs]
    service_manager: supervisor
    service_name: ollama-distributed-node1
    log_files: [/var/log/ollama-distributed/node1.supervisor.log]
    log_window: 900
'''

RETURN = r'''
observations:
  description:
    - What was seen, one key per section (C(system), C(binary), C(service), C(process), C(config), C(dirs),
      C(logs)); see C(plugins/module_utils/checks.py) for the fields each check reads.
  returned: always
  type: dict
  sample:
    service: {manager: systemd, name: ollama-distributed@node1.service, installed: true, enabled: true,
              active: true, state: active/running, pid: 4242, restarts: 0}
    process: {pid: 4242, user: ollama, uid: 998, rss_mb: 14, uptime_seconds: 372.4,
              listening: [{address: 127.0.0.1, port: 8080}], others: {}}
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ollama_lab.distributed.plugins.module_utils.node_probe import Prober


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            sections=dict(type='list', elements='str', default=['system', 'binary', 'service', 'process', 'config',
                                                                'dirs', 'logs'],
                          choices=['system', 'binary', 'service', 'process', 'config', 'dirs', 'logs']),
            binary=dict(type='path', default='/usr/local/bin/ollama-distributed'),
            command_timeout=dict(type='float', default=15.0),
            service_manager=dict(type='str', required=True, choices=['systemd', 'supervisor']),
            service_name=dict(type='str', required=True),
            supervisor_program_file=dict(type='path'),
            config_file=dict(type='path'),
            service_user=dict(type='str', default='ollama'),
            dirs=dict(type='list', elements='path', default=[]),
            ports=dict(type='list', elements='dict', default=[]),
            log_files=dict(type='list', elements='path', default=[]),
            log_lines=dict(type='int', default=1000),
            log_window=dict(type='int', default=0),
            disk_path=dict(type='path', default='/var/lib'),
            required_commands=dict(type='list', elements='str', default=[]),
            go_mod=dict(type='path'),
            go_binary=dict(type='path', default='go'),
        ),
        supports_check_mode=True,
    )
    for item in module.params['ports']:
        try:
            port = int(item.get('port'))
        except (TypeError, ValueError):
            port = 0
        if not item.get('name') or not 1 <= port <= 65535:
            module.fail_json(msg='ports: each item needs a name and a port 1-65535, got %r' % (item,))
    if module.params['log_lines'] < 1 or module.params['log_window'] < 0:
        module.fail_json(msg='log_lines must be 1 or more and log_window 0 or more, got %r and %r'
                         % (module.params['log_lines'], module.params['log_window']))
    module.exit_json(changed=False, observations=Prober(module).collect())


if __name__ == '__main__':
    main()
