#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) ollama_lab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
---
module: install_check
short_description: Tell whether the install of Ollama Distributed nodes is in place (read-only)
version_added: 0.3.0
description:
  - The install role's warm path. One look at everything the role makes sure of on a host, the
    service account, the directories with their owner and mode, the binary of the wanted version,
    the recorded build, the stable link and the service definition; when all is as wanted, the
    role skips its install steps whole.
  - The machine's part (account, O(directories), binary, build, link) is looked at once; O(service)
    is one node's service, O(nodes) the own parts of several nodes of the machine (their directories
    and services), so that one run answers for every node of a cluster on one machine.
  - Any doubt counts as not in place (a file that cannot be read, a git ref whose commit cannot be
    told without fetching); the install steps then decide, as on a first run.
  - Never changes anything.
author:
  - ollama_lab maintainers (@ollama-lab)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Only reads, the same in check mode.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  user:
    description: The service account that must exist.
    type: str
  group:
    description: The service group that must exist.
    type: str
  directories:
    description: Directories that must exist with this owner, group and mode.
    type: list
    elements: dict
    default: []
    suboptions: &directory_options
      path:
        description: Absolute path.
        type: path
        required: true
      owner:
        description: Owning user name.
        type: str
        required: true
      group:
        description: Owning group name.
        type: str
        required: true
      mode:
        description: Octal mode, such as C(0750).
        type: str
        required: true
  binary:
    description: The versioned binary; C(<binary> --version) must print O(version).
    type: path
  version:
    description: The wanted version (a leading C(v) is ignored on either side). Required with O(binary).
    type: str
  build_info:
    description: The recorded build, which must equal O(build_info.content).
    type: dict
    suboptions:
      path:
        description: The C(build-info.json) next to the binary.
        type: path
        required: true
      content:
        description: The wanted record (without C(commit) when O(build_info.source) is given).
        type: dict
        required: true
      source:
        description:
          - A git source whose commit completes the wanted record; a full commit id is used as it
            is, another ref is resolved with C(git ls-remote).
        type: dict
        suboptions:
          repo:
            description: The repository URL.
            type: str
            required: true
          ref:
            description: Branch, tag, commit or C(HEAD).
            type: str
            required: true
  link:
    description: A symbolic link that must point at O(link.target).
    type: dict
    suboptions:
      path:
        description: The link.
        type: path
        required: true
      target:
        description: What it must point at.
        type: path
        required: true
  service:
    description:
      - The node's service. Its definition file is read and returned (the caller compares it with
        what it would write); the service must be known to its manager, and enabled under systemd.
    type: dict
    suboptions: &service_options
      name:
        description: The systemd unit or supervisord program name.
        type: str
        required: true
      manager:
        description: The service manager.
        type: str
        required: true
        choices: [systemd, supervisor]
      definition:
        description: The unit or program file.
        type: path
        required: true
  nodes:
    description:
      - Several nodes of this machine, each with its own directories and service (as
        O(directories) and O(service)); each is answered under RV(nodes) by its O(nodes[].host).
    type: list
    elements: dict
    suboptions:
      host:
        description: The node's inventory host, the key of its answer in RV(nodes).
        type: str
        required: true
      directories:
        description: The node's own directories, with this owner, group and mode.
        type: list
        elements: dict
        default: []
        suboptions: *directory_options
      service:
        description: The node's service, as O(service).
        type: dict
        suboptions: *service_options
'''

EXAMPLES = r'''
- name: Look once for the machine and two of its nodes
  ollama_lab.distributed.install_check:
    user: ollama
    group: ollama
    directories:
      - {path: /var/lib/ollama-distributed, owner: ollama, group: ollama, mode: "0750"}
    binary: /opt/ollama-distributed/versions/0.1.0/ollama-distributed
    version: 0.1.0
    link:
      path: /usr/local/bin/ollama-distributed
      target: /opt/ollama-distributed/versions/0.1.0/ollama-distributed
    nodes:
      - host: node1
        directories: [{path: /var/lib/ollama-distributed/node1, owner: ollama, group: ollama, mode: "0750"}]
        service: {name: ollama-distributed-node1, manager: supervisor,
                  definition: /etc/supervisor/conf.d/ollama-distributed-node1.conf}
      - host: node2
        directories: [{path: /var/lib/ollama-distributed/node2, owner: ollama, group: ollama, mode: "0750"}]
        service: {name: ollama-distributed-node2, manager: supervisor,
                  definition: /etc/supervisor/conf.d/ollama-distributed-node2.conf}
  register: found

- name: Install on node2 only when something it needs is missing (the machine's part included)
  ansible.builtin.debug:
    msg: "{{ found.nodes.node2.differences }}"
  when: not found.nodes.node2.in_place

- name: One node alone (service instead of nodes)
  ollama_lab.distributed.install_check:
    service: {name: ollama-distributed@n1.service, manager: systemd,
              definition: /etc/systemd/system/ollama-distributed@.service}
'''

RETURN = r'''
in_place:
  description:
    - Everything asked about is as wanted, every node of O(nodes) included (the service definitions'
      content is the caller's to compare).
  returned: always
  type: bool
  sample: true
differences:
  description: What is not as wanted, one sentence each (the machine's part, O(service), then every node of O(nodes)).
  returned: always
  type: list
  elements: str
  sample: ["/usr/local/bin/ollama-distributed is not a link"]
definition:
  description: The content of the service definition file, null when it is missing or O(service) not given.
  returned: always
  type: str
running:
  description: Whether the service of O(service) runs (false when it is not known to its manager).
  returned: when O(service) is given
  type: bool
  sample: false
systemd_version:
  description: The systemd version (the unit template depends on it), null under supervisord.
  returned: always
  type: int
  sample: 252
nodes:
  description:
    - Per host of O(nodes), whether that node's install is in place (the machine's part and its own).
  returned: when O(nodes) is given
  type: dict
  contains:
    in_place:
      description: The machine's part and this node's directories and service are as wanted.
      type: bool
    differences:
      description: What is not as wanted for this node, the machine's part first.
      type: list
      elements: str
    definition:
      description: The content of this node's service definition file, null when it is missing or not asked for.
      type: str
    running:
      description: Whether this node's service runs (false when it is not known to its manager or not asked for).
      type: bool
  sample:
    node1: {in_place: true, differences: [], definition: "[program:ollama-distributed-node1]\n"}
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ollama_lab.distributed.plugins.module_utils.install_state import look
from ansible_collections.ollama_lab.distributed.plugins.module_utils.service import module_runner

_PATH_SPEC = dict(path=dict(type='path', required=True), target=dict(type='path', required=True))
_DIRECTORIES = dict(type='list', elements='dict', default=[], options=dict(
    path=dict(type='path', required=True), owner=dict(type='str', required=True),
    group=dict(type='str', required=True), mode=dict(type='str', required=True)))
_SERVICE = dict(type='dict', options=dict(
    name=dict(type='str', required=True),
    manager=dict(type='str', required=True, choices=['systemd', 'supervisor']),
    definition=dict(type='path', required=True)))


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            user=dict(type='str'),
            group=dict(type='str'),
            directories=_DIRECTORIES,
            binary=dict(type='path'),
            version=dict(type='str'),
            build_info=dict(type='dict', options=dict(
                path=dict(type='path', required=True),
                content=dict(type='dict', required=True),
                source=dict(type='dict', options=dict(repo=dict(type='str', required=True),
                                                      ref=dict(type='str', required=True))))),
            link=dict(type='dict', options=_PATH_SPEC),
            service=_SERVICE,
            nodes=dict(type='list', elements='dict', options=dict(
                host=dict(type='str', required=True), directories=_DIRECTORIES, service=_SERVICE)),
        ),
        required_by=dict(binary=('version',)),
        supports_check_mode=True,
    )

    hosts = [node['host'] for node in module.params['nodes'] or []]
    twice = sorted(set(h for h in hosts if hosts.count(h) > 1))
    if twice:
        module.fail_json(msg='nodes: each host once; found %s more than once' % ', '.join(twice))
    # a missing command (supervisorctl before the install) answers 127: not installed
    module.exit_json(changed=False, **look(module_runner(module), module.params))


if __name__ == '__main__':
    main()
