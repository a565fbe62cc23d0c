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

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Constructable

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


class InventoryModule(BaseInventoryPlugin, Constructable):
    """Build one inventory host per node from a class description."""

    NAME = 'ollama_lab.distributed.classroom'

    def __init__(self) -> None:
        super().__init__()
        self._problems: list[str] = []

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

        self._problems = []
        class_name, settings, students = self._validate(config)
        if self._problems:
            raise AnsibleParserError('classroom inventory %s: %d problem(s) in the class description:\n  - %s'
                                     % (path, len(self._problems), '\n  - '.join(self._problems)))
        self.set_options(direct=config, var_options=self._vars)
        self._populate(class_name, settings, students)

    # -- validation -------------------------------------------------------

    def _problem(self, where: str, problem: str, found: Any, expected: str) -> None:
        value = plain(found)
        shown = 'nothing' if value is None else repr(value)
        self._problems.append('%s: %s (found %s, expected %s)' % (where, problem, shown, expected))

    def _unknown_keys(self, where: str, data: Mapping, allowed: tuple[str, ...], extra: str = '') -> None:
        for key in data:
            if key not in allowed and not (extra and str(key).startswith(extra)):
                path = '%s.%s' % (where, key) if where else str(key)
                self._problem(path, 'unknown key', key, 'one of ' + ', '.join(allowed) + (', %s*' % extra if extra else ''))

    def _int(self, where: str, value: Any, low: int, high: int) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self._problem(where, 'not an integer', value, 'an integer %d-%d' % (low, high))
            return None
        if not low <= value <= high:
            self._problem(where, 'out of range', value, 'an integer %d-%d' % (low, high))
            return None
        return int(value)

    def _choice(self, where: str, value: Any, choices: tuple[str, ...]) -> str | None:
        if value not in choices:
            self._problem(where, 'unknown value', value, ' or '.join(choices))
            return None
        return str(value)

    def _vars_map(self, where: str, value: Any, allow_computed: bool = False) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self._problem(where, 'not a mapping', value, 'a mapping of variable names to values')
            return {}
        good: dict[str, Any] = {}
        for key, val in value.items():
            self._check_var(where, key, allow_computed)
            good[str(key)] = val
        return good

    def _check_var(self, where: str, key: Any, allow_computed: bool = False) -> None:
        path = '%s.%s' % (where, key)
        if not isinstance(key, str) or not VAR_RE.match(key):
            self._problem(path, 'not a valid variable name', key, 'letters, digits and underscores')
        elif key in SECRET_VARS:
            self._problem(path, 'passwords do not belong in the class description', key,
                          'the variable in a vaulted group_vars file')
        elif key in COMPUTED_VARS and not allow_computed:
            self._problem(path, 'set by the plugin', key, 'a variable the plugin does not compute')

    def _validate(self, config: Mapping) -> tuple[str, dict[str, Any], list[Student]]:
        self._unknown_keys('', config, TOP_KEYS)

        class_name = config.get('class_name')
        if not isinstance(class_name, str) or not CLASS_RE.match(class_name):
            self._problem('class_name', 'missing or invalid', class_name, 'a name matching [a-z0-9][a-z0-9_-]{0,62}')
            class_name = ''

        settings = self._validate_defaults(config.get('defaults'))

        raw_students = config.get('students')
        students: list[Student] = []
        if not isinstance(raw_students, list) or not raw_students:
            self._problem('students', 'missing or empty', raw_students, 'a list of students')
        else:
            for position, entry in enumerate(raw_students, start=1):
                students.append(self._validate_student(position, entry, settings))
        self._check_ids(students)
        self._check_hosts(students, settings['nodes_per_student'])
        return str(class_name), settings, students

    def _validate_defaults(self, raw: Any) -> dict[str, Any]:
        settings: dict[str, Any] = {'topology': None, 'port_base': 8080, 'p2p_port_base': 4001,
                                    'profile': 'development', 'nodes_per_student': 3, 'vars': {}, 'connection': {}}
        if raw is None:
            return settings
        if not isinstance(raw, Mapping):
            self._problem('defaults', 'not a mapping', raw, 'a mapping')
            return settings
        self._unknown_keys('defaults', raw, DEFAULT_KEYS, extra='ansible_')
        if 'topology' in raw:
            settings['topology'] = self._choice('defaults.topology', raw['topology'], TOPOLOGIES) or False
        if 'profile' in raw:
            settings['profile'] = self._choice('defaults.profile', raw['profile'], PROFILES) or 'development'
        for key in ('port_base', 'p2p_port_base'):
            if key in raw:
                settings[key] = self._int('defaults.' + key, raw[key], MIN_PORT, 65535)
        if 'nodes_per_student' in raw:
            settings['nodes_per_student'] = self._int('defaults.nodes_per_student', raw['nodes_per_student'], 1, 32) or 3
        settings['vars'] = self._vars_map('defaults.vars', raw.get('vars'))
        for key, val in raw.items():
            if isinstance(key, str) and key.startswith('ansible_'):
                self._check_var('defaults', key)
                settings['connection'][key] = val
        return settings

    def _validate_student(self, position: int, entry: Any, settings: dict[str, Any]) -> Student:
        student = Student(label='students[#%d]' % position, position=position)
        if not isinstance(entry, Mapping):
            self._problem(student.label, 'not a mapping', entry, 'a mapping with id, topology and hosts')
            return student
        raw_id = entry.get('id')
        if isinstance(raw_id, str) and ID_RE.match(raw_id):
            student.id = str(raw_id)
            student.label = 'students[%s]' % student.id
        else:
            self._problem(student.label + '.id', 'missing or invalid id', raw_id,
                          'a stable id matching [a-z0-9][a-z0-9-]{0,30}')
        where = student.label
        self._unknown_keys(where, entry, STUDENT_KEYS)

        name = entry.get('name', student.id or '')
        if not isinstance(name, str):
            self._problem(where + '.name', 'not a string', name, 'a display name')
            name = student.id or ''
        student.name = str(name)

        if 'topology' in entry:
            student.topology = self._choice(where + '.topology', entry['topology'], TOPOLOGIES)
        elif settings['topology']:
            student.topology = settings['topology']
        elif settings['topology'] is None:  # False: an invalid defaults.topology, reported there
            self._problem(where + '.topology', 'missing (and no defaults.topology)', None, ' or '.join(TOPOLOGIES))

        profile = entry.get('profile', settings['profile'])
        student.profile = self._choice(where + '.profile', profile, PROFILES) if 'profile' in entry else profile

        nodes = settings['nodes_per_student']
        self._validate_hosts(student, entry.get('hosts'), nodes)
        self._validate_ports(student, entry, settings, nodes)
        student.vars = self._vars_map(where + '.vars', entry.get('vars'))
        return student

    def _validate_hosts(self, student: Student, hosts: Any, nodes: int) -> None:
        where = student.label + '.hosts'
        if not isinstance(hosts, list) or not all(isinstance(h, str) and HOST_RE.match(h) for h in hosts):
            self._problem(where, 'missing or invalid', hosts, 'a list of host names or addresses')
            return
        wanted = 1 if student.topology == 'single_host' else nodes
        if student.topology and len(hosts) != wanted:
            self._problem(where, 'wrong number of hosts for topology %s' % student.topology, hosts,
                          'exactly %d host%s' % (wanted, '' if wanted == 1 else 's'))
            return
        seen: set[str] = set()
        for host in hosts:
            if machine(host) in seen:
                self._problem(where, 'host used twice', host, 'a different host for each node')
                return
            seen.add(machine(host))
        if student.topology:
            student.hosts = [str(h) for h in hosts]

    def _validate_ports(self, student: Student, entry: Mapping, settings: dict[str, Any], nodes: int) -> None:
        where = student.label
        many = student.topology == 'single_host'
        for key, count, what in (('port_base', 2 * nodes if many else 2, 'api/web'),
                                 ('p2p_port_base', nodes if many else 1, 'p2p')):
            number = self._int(where + '.' + key, entry[key], MIN_PORT, 65535) if key in entry else settings[key]
            if number is None:
                continue  # reported above, or an invalid defaults.<key> reported there
            if student.topology and number + count - 1 > 65535:
                self._problem(where + '.' + key, '%s ports %d-%d exceed 65535' % (what, number, number + count - 1),
                              number, 'at most %d' % (65536 - count))
                continue
            setattr(student, key, number)
        api, p2p = student.api_ports(nodes), student.p2p_ports(nodes)
        if student.topology and api and p2p and api & p2p:
            self._problem(where + '.p2p_port_base', 'p2p ports %s overlap the api/web ports %s' % (span(p2p), span(api)),
                          student.p2p_port_base, 'a p2p_port_base outside %s' % span(api))
            student.p2p_port_base = None

    def _check_ids(self, students: list[Student]) -> None:
        first: dict[str, int] = {}
        for student in students:
            if student.id is None:
                continue
            if student.id in first:
                self._problem(student.label + '.id', 'duplicate id (also students[#%d])' % first[student.id], student.id,
                              'an id no other student has')
                student.id = None
            else:
                first[student.id] = student.position

    def _check_hosts(self, students: list[Student], nodes: int) -> None:
        """A vm_per_node host belongs to one student; single_host students may share with disjoint ports."""
        owners: dict[str, list[Student]] = {}
        for student in students:
            if student.id is None or not student.hosts:
                continue
            for host in student.hosts:
                key = machine(host)
                for other in owners.get(key, []):
                    self._clash(student, other, host, nodes)
                owners.setdefault(key, []).append(student)

    def _clash(self, student: Student, other: Student, host: str, nodes: int) -> None:
        where = student.label
        if 'vm_per_node' in (student.topology, other.topology):
            self._problem(where + '.hosts', 'host %s is already used by %s (%s)' % (host, other.label, other.topology), host,
                          'a host no other student uses; only single_host students may share a host')
            return
        theirs = other.api_ports(nodes) | other.p2p_ports(nodes)
        for key, mine, what in (('port_base', student.api_ports(nodes), 'api/web'),
                                ('p2p_port_base', student.p2p_ports(nodes), 'p2p')):
            if mine & theirs:
                self._problem(where + '.' + key,
                              '%s ports %s on host %s clash with %s ports %s' % (what, span(mine), host, other.label, span(theirs)),
                              getattr(student, key), 'a %s whose ports avoid %s' % (key, span(theirs)))

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
