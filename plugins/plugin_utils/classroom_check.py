# Copyright (c) 2025, ollama_lab maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Validation of a class description for the classroom inventory plugin.

Every problem is collected (not raised) so that the plugin reports them all at once.
"""

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

from collections.abc import Mapping
from typing import Any

from ansible_collections.ollama_lab.distributed.plugins.plugin_utils.classroom_model import (
    CLASS_RE, COMPUTED_VARS, DEFAULT_KEYS, HOST_RE, ID_RE, MIN_PORT, PROFILES, SECRET_VARS, STUDENT_KEYS, TOP_KEYS,
    TOPOLOGIES, VAR_RE, Student, machine, plain, span)


class ClassroomCheck:
    """Check a class description; ``problems`` lists what is wrong, one line each."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def _problem(self, where: str, problem: str, found: Any, expected: str) -> None:
        value = plain(found)
        shown = 'nothing' if value is None else repr(value)
        self.problems.append('%s: %s (found %s, expected %s)' % (where, problem, shown, expected))

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

    def validate(self, config: Mapping) -> tuple[str, dict[str, Any], list[Student]]:
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
