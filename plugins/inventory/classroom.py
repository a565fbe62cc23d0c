# Copyright (c) 2025, ollama_lab maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: classroom
short_description: One Ollama Distributed cluster per student, from a class description
version_added: 0.1.0
author:
  - ollama_lab maintainers (@ollama-lab)
description:
  - Reads one YAML class description (a file whose name ends in C(classroom.yml) or C(classroom.yaml))
    and builds one inventory host per Ollama Distributed node, one group per student cluster and
    groups for the whole class.
  - Each node becomes the host C(<student id>-node<k>) (k = 1 .. O(defaults.nodes_per_student)).
  - "Groups: C(student_<id>) per student (hyphens become underscores), children of C(classroom) and
    C(classroom_<class_name>); C(topology_vm_per_node) and C(topology_single_host) hold the nodes of
    each topology."
  - "Host variables: C(ansible_host), the connection variables of O(defaults) and the C(vars) of
    O(defaults) and of the student; C(classroom_class_name), C(classroom_student_id),
    C(classroom_student_name), C(classroom_topology), C(classroom_node_index) (k),
    C(classroom_expected_size) (= O(defaults.nodes_per_student)); the inputs of the
    C(ollama_lab.distributed.layout) role C(layout_cluster_group) (the student group),
    C(layout_node_id) (C(<student id>-node<k>)), C(layout_address) (the host; C(127.0.0.1) for
    C(localhost), C(127.0.0.1) or C(::1)), C(layout_machine) (the host in lower case, C(localhost) for
    those three, so the layout role sees shared machines exactly as the plugin does),
    C(layout_api_port), C(layout_web_port) (api + 1), C(layout_p2p_port),
    C(layout_bootstrap) (true on node 1); and C(configure_profile). A C(single_host) student on a host
    other than the controller also gets C(layout_bind_address=0.0.0.0) (its nodes advertise the host's
    address to each other and to the student; the student's API key protects them), which
    O(defaults.vars) or O(students[].vars) may override."
  - "Ports: a C(vm_per_node) student's nodes all use the student's port bases (one node per host).
    A C(single_host) student's node k gets api = port_base + 2(k-1), web = api + 1 and
    p2p = p2p_port_base + (k-1), the training scheme 8080/8082/8084, 8081/8083/8085, 4001-4003."
  - Nothing a student gets depends on the position of the student in the roster, so adding,
    removing or reordering students never changes the hosts, ports or variables of the others.
    Hosts are added to the inventory sorted by student id.
  - "Several C(single_host) students may share one host when their ports do not overlap (give each
    its own O(students[].port_base) and O(students[].p2p_port_base)). A C(vm_per_node) host belongs
    to one student only. C(localhost), C(127.0.0.1) and C(::1) count as the same host; host names
    are compared without case."
  - "The plugin checks the whole description first and fails with one error listing every problem,
    one per line, as C(<path>: <problem> (found <value>, expected <what>)), where the path is for
    example C(class_name), C(defaults.port_base) or C(students[alice].hosts). A student without a
    usable id is named by its position in the list, counting from 1: C(students[#3])."
  - The plugin creates no credentials and refuses password variables (C(ansible_password),
    C(ansible_ssh_pass), C(ansible_become_password), C(ansible_become_pass)); keep those in a
    vaulted C(group_vars) file. Node tokens and keys are created by the roles and stay on the controller.
options:
  plugin:
    description: Marks the file as a source for this plugin.
    required: true
    type: str
    choices: [ollama_lab.distributed.classroom]
  class_name:
    description:
      - Name of the class, C([a-z0-9][a-z0-9_-]{0,62}).
      - Gives the group C(classroom_<class_name>) (hyphens become underscores) and the host variable C(classroom_class_name).
    required: true
    type: str
  defaults:
    description:
      - Values for every student that does not set its own.
      - Besides the suboptions below, any connection variable C(ansible_*) (for example C(ansible_user),
        C(ansible_port), C(ansible_connection), C(ansible_ssh_private_key_file), C(ansible_become)) is
        set on every node, except C(ansible_host) (the plugin sets it) and password variables.
    type: dict
    default: {}
    suboptions:
      topology:
        description: Topology of students that do not set one. Without it every student must set O(students[].topology).
        type: str
        choices: [vm_per_node, single_host]
      port_base:
        description: API port of the first node (web = api + 1), 1024-65535.
        type: int
        default: 8080
      p2p_port_base:
        description: P2P port of the first node, 1024-65535.
        type: int
        default: 4001
      profile:
        description: Configuration profile, set as C(configure_profile).
        type: str
        choices: [development, testing, production]
        default: development
      nodes_per_student:
        description: Nodes in each student cluster (1-32); also C(classroom_expected_size).
        type: int
        default: 3
      vars:
        description: Extra host variables for every node; a student's O(students[].vars) win.
        type: dict
        default: {}
  students:
    description: The roster. The order does not matter.
    required: true
    type: list
    elements: dict
    suboptions:
      id:
        description:
          - Stable id chosen by the instructor, C([a-z0-9][a-z0-9-]{0,30}), unique in the class.
          - Never change it once the student's cluster exists; host names and node ids derive from it.
        required: true
        type: str
      name:
        description: Display name, set as C(classroom_student_name). Defaults to the id.
        type: str
      topology:
        description:
          - C(vm_per_node) puts each node on its own host; O(students[].hosts) lists exactly
            O(defaults.nodes_per_student) hosts, node k on the k-th.
          - C(single_host) puts every node on one host; O(students[].hosts) lists exactly one host.
          - Defaults to O(defaults.topology).
        type: str
        choices: [vm_per_node, single_host]
      hosts:
        description: Host names or addresses (used as C(ansible_host) and C(layout_address)).
        required: true
        type: list
        elements: str
      port_base:
        description: API port base for this student; defaults to O(defaults.port_base).
        type: int
      p2p_port_base:
        description: P2P port base for this student; defaults to O(defaults.p2p_port_base).
        type: int
      profile:
        description: Profile for this student; defaults to O(defaults.profile).
        type: str
        choices: [development, testing, production]
      vars:
        description:
          - Extra host variables for this student's nodes (for example C(ansible_user) or C(layout_data_root)).
          - May not set the variables the plugin computes, nor password variables.
        type: dict
extends_documentation_fragment:
  - ansible.builtin.constructed
notes:
  - With the default C(enable_plugins) list the C(auto) plugin loads this plugin from the C(plugin) key;
    with a custom list add C(ollama_lab.distributed.classroom) (or C(auto)) to it.
"""

EXAMPLES = r"""
# inventories/classroom/example.classroom.yml
# alice: one node per VM (8080, 4001 on each);
# bob: three nodes on one host (8080/8082/8084, 4001-4003)
plugin: ollama_lab.distributed.classroom
class_name: llm-ops-2025
defaults:
  ansible_user: student
  profile: development
  nodes_per_student: 3
students:
  - id: alice
    name: Alice Martin
    topology: vm_per_node
    hosts: [10.10.1.11, 10.10.1.12, 10.10.1.13]
  - id: bob
    name: Bob Okafor
    topology: single_host
    hosts: [10.10.2.20]
---
# lab.classroom.yml: two students share one host with their own port ranges
plugin: ollama_lab.distributed.classroom
class_name: evening
defaults:
  topology: single_host
  ansible_user: ubuntu
  ansible_ssh_private_key_file: ~/.ssh/classroom
students:
  - id: carol
    hosts: [lab1.example.org]
  - id: dave
    hosts: [lab1.example.org]
    port_base: 8180       # 8180-8185
    p2p_port_base: 4101   # 4101-4103
    profile: testing
    vars:
      layout_data_root: /srv/dave
keyed_groups:
  - key: configure_profile
    prefix: profile
---
# local.classroom.yml: one student on the controller itself
plugin: ollama_lab.distributed.classroom
class_name: selfstudy
defaults:
  ansible_connection: local
students:
  - id: me
    topology: single_host
    hosts: [localhost]
"""

from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Constructable
from ansible_collections.ollama_lab.distributed.plugins.plugin_utils.classroom_check import ClassroomCheck
# The option keys are re-exported next to the DOCUMENTATION they must match.
from ansible_collections.ollama_lab.distributed.plugins.plugin_utils.classroom_model import (  # pylint: disable=unused-import
    COMPUTED_VARS, CONSTRUCTABLE_KEYS, DEFAULT_KEYS, STUDENT_KEYS, TOP_KEYS, TOPOLOGIES, Student, group_safe, machine,
    plain)


class InventoryModule(BaseInventoryPlugin, Constructable):
    """Build one inventory host per node from a class description."""

    NAME = 'ollama_lab.distributed.classroom'

    def verify_file(self, path: str) -> bool:
        return bool(super().verify_file(path)) and str(path).endswith(('classroom.yml', 'classroom.yaml'))

    def parse(self, inventory: Any, loader: Any, path: str, cache: bool = True) -> None:
        super().parse(inventory, loader, path, cache)
        try:
            config = self.loader.load_from_file(path, cache='none', trusted_as_template=True)
        except Exception as exc:
            raise AnsibleParserError('classroom inventory %s: cannot read it: %s' % (path, exc)) from exc
        if not isinstance(config, Mapping):
            raise AnsibleParserError('classroom inventory %s: expected a YAML mapping (found %s)' % (path, type(plain(config)).__name__))
        if config.get('plugin') not in (getattr(self, '_redirected_names', None) or [self.NAME]):
            raise AnsibleParserError('Incorrect plugin name in file: %s' % config.get('plugin', 'none found'))

        check = ClassroomCheck()
        class_name, settings, students = check.validate(config)
        if check.problems:
            raise AnsibleParserError('classroom inventory %s: %d problem(s) in the class description:\n  - %s'
                                     % (path, len(check.problems), '\n  - '.join(check.problems)))
        self.set_options(direct=config, var_options=self._vars)
        self._populate(class_name, settings, students)

    # -- output -----------------------------------------------------------

    def _populate(self, class_name: str, settings: dict[str, Any], students: list[Student]) -> None:
        nodes = settings['nodes_per_student']
        class_group = self.inventory.add_group('classroom')
        named_group = self.inventory.add_group('classroom_' + group_safe(class_name))
        for topology in TOPOLOGIES:
            self.inventory.add_group('topology_' + topology)
        strict = self.get_option('strict')

        for student in sorted(students, key=lambda s: str(s.id)):
            group = self.inventory.add_group('student_' + group_safe(str(student.id)))
            self.inventory.add_child(class_group, group)
            self.inventory.add_child(named_group, group)
            for index in range(1, nodes + 1):
                host = self._node_host(student, index)
                node = '%s-node%d' % (student.id, index)
                self.inventory.add_host(node, group=group)
                self.inventory.add_child('topology_' + str(student.topology), node)
                api = int(student.port_base or 0) + (2 * (index - 1) if student.topology == 'single_host' else 0)
                p2p = int(student.p2p_port_base or 0) + (index - 1 if student.topology == 'single_host' else 0)
                hostvars: dict[str, Any] = {}
                if student.topology == 'single_host' and machine(host) != 'localhost':
                    # the three nodes advertise the host's address to each other: they must listen on it
                    hostvars['layout_bind_address'] = '0.0.0.0'
                hostvars.update(settings['connection'])
                hostvars.update(settings['vars'])
                hostvars.update(student.vars)
                hostvars.update({
                    'ansible_host': host,
                    'classroom_class_name': class_name,
                    'classroom_student_id': student.id,
                    'classroom_student_name': student.name,
                    'classroom_topology': student.topology,
                    'classroom_node_index': index,
                    'classroom_expected_size': nodes,
                    'layout_cluster_group': group,
                    'layout_node_id': node,
                    'layout_address': '127.0.0.1' if machine(host) == 'localhost' else host,
                    'layout_machine': machine(host),
                    'layout_api_port': api,
                    'layout_web_port': api + 1,
                    'layout_p2p_port': p2p,
                    'layout_bootstrap': index == 1,
                    'configure_profile': student.profile,
                })
                for key, value in hostvars.items():
                    self.inventory.set_variable(node, key, value)
                self._construct(node, strict)

    @staticmethod
    def _node_host(student: Student, index: int) -> str:
        return student.hosts[0] if student.topology == 'single_host' else student.hosts[index - 1]

    def _construct(self, node: str, strict: bool) -> None:
        hostvars = self.inventory.get_host(node).get_vars()
        self._set_composite_vars(self.get_option('compose'), hostvars, node, strict=strict)
        self._add_host_to_composed_groups(self.get_option('groups'), hostvars, node, strict=strict)
        self._add_host_to_keyed_groups(self.get_option('keyed_groups'), hostvars, node, strict=strict)
