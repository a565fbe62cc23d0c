# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""node_service through main(), against fake systemctl and supervisorctl that keep state."""

from __future__ import annotations

import socket
import time
from typing import Dict, List, Optional, Tuple

import pytest

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ollama_lab.distributed.plugins.module_utils import service
from ansible_collections.ollama_lab.distributed.plugins.module_utils.service import (
    NodeService,
    parse_supervisor_status,
)
from ansible_collections.ollama_lab.distributed.plugins.modules import node_service


class FakeManager:
    """systemd units or supervisord programs: name -> running (absent = not defined)."""

    def __init__(self, manager: str, services: Optional[Dict[str, bool]] = None,
                 pending: Optional[Dict[str, bool]] = None) -> None:
        self.manager = manager
        self.services = dict(services or {})
        self.pending = dict(pending or {})  # program files written but not read yet
        self.calls: List[List[str]] = []
        self.enabled: Dict[str, bool] = {}

    def __call__(self, argv: List[str]) -> Tuple[int, str, str]:
        self.calls.append(list(argv))
        if 'python' in argv[0]:  # service.SUPERVISOR_START_NOWAIT: startProcess(name, wait=False)
            return self.start_nowait(argv[-1])
        return self.systemctl(argv[1:]) if argv[0] == 'systemctl' else self.supervisorctl(argv[1:])

    def start_nowait(self, name: str) -> Tuple[int, str, str]:
        if name not in self.services:
            return 1, '', '%s: ERROR (BAD_NAME: %s)' % (name, name)
        self.services[name] = True
        return 0, '', ''

    def systemctl(self, args: List[str]) -> Tuple[int, str, str]:
        verb, name = args[0], (args[1] if len(args) > 1 else '')
        if verb == 'show':
            if name not in self.services:
                return 0, 'LoadState=not-found\nActiveState=inactive\nSubState=dead\nMainPID=0\n', ''
            up = self.services[name]
            return 0, ('LoadState=loaded\nActiveState=%s\nSubState=%s\nMainPID=%d\nUnitFileState=%s\n'
                       % ('active' if up else 'inactive', 'running' if up else 'dead', 42 if up else 0,
                          'enabled' if self.enabled.get(name, True) else 'disabled')), ''
        if verb == 'daemon-reload':
            self.services.update({k: self.services.get(k, False) for k in self.pending})
            self.pending.clear()
            return 0, '', ''
        if name not in self.services:
            return 5, '', 'Failed to %s %s: Unit %s not found.' % (verb, name, name)
        if verb in ('enable', 'disable'):
            self.enabled[name] = verb == 'enable'
            return 0, '', ''
        self.services[name] = verb in ('start', 'restart')
        return 0, '', ''

    def supervisorctl(self, args: List[str]) -> Tuple[int, str, str]:
        verb, name = args[0], (args[1] if len(args) > 1 else '')
        if verb == 'reread':
            return 0, ('%s: changed\n' % ' '.join(self.pending)) if self.pending else 'No config updates\n', ''
        if verb == 'update':
            if name in self.pending:
                self.pending.pop(name)
                self.services[name] = False  # update stops (or adds) the program
            return 0, '%s: updated process group\n' % name, ''
        if name not in self.services:
            return 4, '%s: ERROR (no such process)\n' % name, ''
        if verb == 'status':
            up = self.services[name]
            line = ('%s    RUNNING   pid 42, uptime 0:00:05' % name) if up else ('%s    STOPPED   Nov 30 08:00 PM' % name)
            return (0 if up else 3), line + '\n', ''
        if verb == 'start' and self.services[name]:
            return 1, '%s: ERROR (already started)\n' % name, ''
        if verb == 'stop' and not self.services[name]:
            return 1, '%s: ERROR (not running)\n' % name, ''
        self.services[name] = verb == 'start'
        return 0, '%s: %s\n' % (name, 'started' if verb == 'start' else 'stopped'), ''

    def drives(self) -> List[str]:
        return ['supervisord startProcess(wait=False)' if 'python' in c[0] else ' '.join(c[:2])
                for c in self.calls if c[1] not in ('show', 'status')]


@pytest.fixture
def fake(monkeypatch):
    holder: Dict[str, FakeManager] = {}

    def use(manager: FakeManager) -> FakeManager:
        holder['m'] = manager
        monkeypatch.setattr(AnsibleModule, 'get_bin_path', lambda self, name, *a, **kw: '/usr/bin/' + name)
        monkeypatch.setattr(AnsibleModule, 'run_command',
                            lambda self, argv, **kw: holder['m'](list(argv)))
        return manager

    return use


SUP = 'ollama-distributed-node1'
UNIT = 'ollama-distributed@node1.service'


@pytest.mark.parametrize('manager,name', [('supervisor', SUP), ('systemd', UNIT)])
def test_start_then_idempotent(fake, run_module, manager, name) -> None:
    m = fake(FakeManager(manager, {name: False}))
    args = {'name': name, 'manager': manager, 'state': 'started'}
    first = run_module(node_service, args)
    assert not first.failed and first['changed'] and first['action'] == 'started'
    assert first['running'] is True and first['was_running'] is False
    second = run_module(node_service, args)
    assert not second.failed and not second['changed'] and second['action'] == 'none'
    assert len(m.drives()) == 1


@pytest.mark.parametrize('manager,name', [('supervisor', SUP), ('systemd', UNIT)])
def test_try_restart_leaves_a_stopped_node_stopped(fake, run_module, manager, name) -> None:
    m = fake(FakeManager(manager, {name: False}))
    args = {'name': name, 'manager': manager, 'state': 'restarted', 'only_if_running': True}
    res = run_module(node_service, args)
    assert not res['changed'] and res['running'] is False and m.drives() == []
    m.services[name] = True
    res = run_module(node_service, args)
    assert res['changed'] and res['action'] == 'restarted' and res['running'] is True


def test_stop_of_an_undefined_service_does_nothing(fake, run_module) -> None:
    m = fake(FakeManager('supervisor'))
    res = run_module(node_service, {'name': SUP, 'manager': 'supervisor', 'state': 'stopped'})
    assert not res.failed and not res['changed'] and res['defined'] is False and m.drives() == []


def test_start_of_an_undefined_service_fails_naming_it(fake, run_module) -> None:
    fake(FakeManager('systemd'))
    res = run_module(node_service, {'name': UNIT, 'manager': 'systemd', 'state': 'started'})
    assert res.failed and UNIT in res['msg'] and 'install the node first' in res['msg']


def test_check_mode_reports_a_start_of_an_undefined_service(fake, run_module) -> None:
    m = fake(FakeManager('supervisor'))
    res = run_module(node_service, {'name': SUP, 'manager': 'supervisor', 'state': 'started'},
                     check_mode=True, diff=True)
    assert not res.failed and res['changed'] and res['action'] == 'started' and 'would start' in res['msg']
    assert res['diff'] == {'before': SUP + ': stopped\n', 'after': SUP + ': running\n'}
    assert m.drives() == []


def test_check_mode_drives_nothing(fake, run_module) -> None:
    m = fake(FakeManager('systemd', {UNIT: True}))
    res = run_module(node_service, {'name': UNIT, 'manager': 'systemd', 'state': 'stopped'}, check_mode=True)
    assert res['changed'] and res['action'] == 'stopped' and res['running'] is False
    assert m.services[UNIT] is True and m.drives() == []


def test_changed_program_of_a_running_node_is_loaded_and_started_again(fake, run_module) -> None:
    m = fake(FakeManager('supervisor', {SUP: True}, pending={SUP: True}))
    res = run_module(node_service, {'name': SUP, 'manager': 'supervisor', 'definition_changed': True})
    assert not res.failed and res['changed'] and res['action'] == 'restarted' and res['running'] is True
    assert m.drives() == ['supervisorctl reread', 'supervisorctl update', 'supervisorctl start']


def test_new_program_is_added_but_not_started(fake, run_module) -> None:
    m = fake(FakeManager('supervisor', pending={SUP: True}))
    res = run_module(node_service, {'name': SUP, 'manager': 'supervisor', 'definition_changed': True})
    assert res['changed'] and res['action'] == 'reloaded' and res['defined'] and not res['running']
    assert m.services == {SUP: False}


def test_changed_unit_is_reloaded_without_a_restart(fake, run_module) -> None:
    m = fake(FakeManager('systemd', {UNIT: True}))
    res = run_module(node_service, {'name': UNIT, 'manager': 'systemd', 'definition_changed': True})
    assert res['changed'] and res['action'] == 'reloaded' and res['running']
    assert m.drives() == ['systemctl daemon-reload']


def test_a_refused_command_fails_with_what_the_manager_said(run_module, fake) -> None:
    m = fake(FakeManager('supervisor', {SUP: False}))
    m.supervisorctl = lambda args: ((0, SUP + '    STOPPED', '') if args[0] == 'status'
                                    else (7, '', SUP + ': ERROR (spawn error)'))
    res = run_module(node_service, {'name': SUP, 'manager': 'supervisor', 'state': 'started'})
    assert res.failed and 'spawn error' in res['msg']


@pytest.mark.parametrize('line,state,running', [
    ('ollama-distributed-node1   RUNNING   pid 1, uptime 1 day, 0:00:01', 'RUNNING', True),
    ('ollama-distributed-node1   STARTING', 'STARTING', True),
    ('ollama-distributed-node1   BACKOFF   Exited too quickly', 'BACKOFF', True),
    ('ollama-distributed-node1   FATAL     Exited too quickly', 'FATAL', False),
    ('ollama-distributed-node1: ERROR (no such process)', None, False),
    ('unix:///var/run/supervisor.sock no such file', None, False),
])
def test_one_meaning_of_running_under_supervisord(line, state, running) -> None:
    svc = NodeService(lambda argv: (0, line, ''), 'supervisor', SUP)
    st = svc.query()
    assert st.state == state and st.running is running and st.defined is (state is not None)
    if state == 'RUNNING':
        assert parse_supervisor_status(line)['uptime_seconds'] == 86401


@pytest.mark.parametrize('active,running', [('active', True), ('activating', True), ('reloading', True),
                                            ('deactivating', False), ('failed', False), ('inactive', False)])
def test_one_meaning_of_running_under_systemd(active, running) -> None:
    svc = NodeService(lambda argv: (0, 'LoadState=loaded\nActiveState=%s\nSubState=x\n' % active, ''),
                      'systemd', UNIT)
    assert svc.query().running is running


def test_no_supervisorctl_means_not_defined(monkeypatch, run_module) -> None:
    monkeypatch.setattr(AnsibleModule, 'get_bin_path', lambda self, name, *a, **kw: None)
    res = run_module(node_service, {'name': SUP, 'manager': 'supervisor', 'state': 'stopped'})
    assert not res.failed and not res['changed'] and res['defined'] is False
    assert 'supervisorctl: command not found' in res['detail']


def test_stop_and_disable_a_unit_then_idempotent(fake, run_module) -> None:
    m = fake(FakeManager('systemd', {UNIT: True}))
    args = {'name': UNIT, 'manager': 'systemd', 'state': 'stopped', 'enabled': False}
    first = run_module(node_service, args)
    assert first['changed'] and first['action'] == 'stopped' and first['enabled'] is False
    assert m.drives() == ['systemctl stop', 'systemctl disable']
    second = run_module(node_service, args)
    assert not second['changed'] and len(m.drives()) == 2


@pytest.fixture
def listener():
    """A TCP port that accepts connections, as a started node's API does."""
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    sock.listen(8)
    yield 'http://127.0.0.1:%d' % sock.getsockname()[1]
    sock.close()


@pytest.fixture
def closed_url():
    """A port nothing listens on."""
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return 'http://127.0.0.1:%d' % port


@pytest.fixture
def supervisor_python(monkeypatch):
    monkeypatch.setattr(service, 'supervisor_python', lambda: '/usr/bin/python3')


@pytest.mark.parametrize('manager,name,drive', [
    ('supervisor', SUP, 'supervisord startProcess(wait=False)'), ('systemd', UNIT, 'systemctl start')])
def test_start_with_ready_url_returns_when_the_port_listens(
        fake, run_module, supervisor_python, listener, manager, name, drive) -> None:
    m = fake(FakeManager(manager, {name: False}))
    res = run_module(node_service, {'name': name, 'manager': manager, 'state': 'started', 'ready_url': listener})
    assert not res.failed and res['action'] == 'started' and res['running'] is True
    assert 0 <= res['ready_seconds'] < 1
    assert m.drives() == [drive]


def test_restart_with_ready_url_does_not_wait_supervisords_start_delay(
        fake, run_module, supervisor_python, listener) -> None:
    m = fake(FakeManager('supervisor', {SUP: True}))
    res = run_module(node_service, {'name': SUP, 'manager': 'supervisor', 'state': 'restarted',
                                    'ready_url': listener})
    assert not res.failed and res['action'] == 'restarted' and 'ready_seconds' in res.result
    assert m.drives() == ['supervisorctl stop', 'supervisord startProcess(wait=False)']


def test_without_the_supervisor_library_start_falls_back_to_supervisorctl(
        fake, run_module, supervisor_python, listener) -> None:
    m = fake(FakeManager('supervisor', {SUP: False}))
    m.start_nowait = lambda name: (3, '', '')
    res = run_module(node_service, {'name': SUP, 'manager': 'supervisor', 'state': 'started', 'ready_url': listener})
    assert not res.failed and res['running'] is True
    assert m.drives() == ['supervisord startProcess(wait=False)', 'supervisorctl start']


def test_a_node_that_dies_while_starting_fails_at_once_with_its_state(
        fake, run_module, supervisor_python, closed_url) -> None:
    m = fake(FakeManager('supervisor', {SUP: False}))
    fatal = SUP + '    FATAL     Exited too quickly (process log may have details)'
    status = m.supervisorctl
    m.supervisorctl = lambda args: (0, fatal, '') if args[0] == 'status' and m.services[SUP] else status(args)
    started = time.monotonic()
    res = run_module(node_service, {'name': SUP, 'manager': 'supervisor', 'state': 'started',
                                    'ready_url': closed_url, 'ready_timeout': 30})
    assert res.failed and time.monotonic() - started < 5
    assert 'stopped while starting (FATAL)' in res['msg'] and 'Exited too quickly' in res['msg']
    assert closed_url.split('//')[1] in res['msg']


def test_a_running_node_that_never_listens_fails_at_the_timeout(fake, run_module, closed_url) -> None:
    fake(FakeManager('systemd', {UNIT: False}))
    res = run_module(node_service, {'name': UNIT, 'manager': 'systemd', 'state': 'started',
                                    'ready_url': closed_url, 'ready_timeout': 1})
    assert res.failed and 'did not accept connections within 1s' in res['msg']


def test_a_bad_ready_url_fails_before_any_change(fake, run_module) -> None:
    m = fake(FakeManager('systemd', {UNIT: False}))
    res = run_module(node_service, {'name': UNIT, 'manager': 'systemd', 'state': 'started',
                                    'ready_url': '127.0.0.1:8080'})
    assert res.failed and "ready_url: found '127.0.0.1:8080'" in res['msg'] and m.drives() == []


def test_check_mode_and_read_wait_for_nothing(fake, run_module, closed_url) -> None:
    m = fake(FakeManager('systemd', {UNIT: False}))
    res = run_module(node_service, {'name': UNIT, 'manager': 'systemd', 'state': 'started',
                                    'ready_url': closed_url}, check_mode=True)
    assert not res.failed and res['changed'] and 'ready_seconds' not in res.result and m.drives() == []
    res = run_module(node_service, {'name': UNIT, 'manager': 'systemd', 'ready_url': closed_url})
    assert not res.failed and 'ready_seconds' not in res.result


@pytest.mark.parametrize('shebang,python', [
    ('#!/usr/bin/python3\n', '/usr/bin/python3'),
    ('#!/usr/bin/env python3\n', 'python3'),
    ('#!/bin/sh\n', None),
])
def test_supervisor_python_is_supervisorctls_interpreter(tmp_path, monkeypatch, shebang, python) -> None:
    ctl = tmp_path / 'supervisorctl'
    ctl.write_text(shebang + 'from supervisor.supervisorctl import main\n')
    ctl.chmod(0o755)
    monkeypatch.setenv('PATH', str(tmp_path))
    assert service.supervisor_python() == python


def test_a_joiner_starts_once_the_node_it_starts_after_listens(fake, run_module, listener) -> None:
    m = fake(FakeManager('systemd', {UNIT: False}))
    peer = listener.split('//')[1]
    res = run_module(node_service, {'name': UNIT, 'manager': 'systemd', 'state': 'started',
                                    'start_after': [peer], 'ready_url': listener})
    assert not res.failed and res['action'] == 'started' and 0 <= res['waited_seconds'] < 1
    assert m.drives() == ['systemctl start']


def test_a_joiner_whose_bootstrap_never_listens_is_not_started(fake, run_module, closed_url) -> None:
    m = fake(FakeManager('systemd', {UNIT: False}))
    peer = closed_url.split('//')[1]
    res = run_module(node_service, {'name': UNIT, 'manager': 'systemd', 'state': 'started',
                                    'start_after': [peer], 'ready_timeout': 1})
    assert res.failed and 'was not started: %s, which it starts after, did not accept' % peer in res['msg']
    assert m.drives() == [] and res['running'] is False


def test_a_running_node_does_not_wait_for_what_it_starts_after(fake, run_module, closed_url) -> None:
    fake(FakeManager('systemd', {UNIT: True}))
    res = run_module(node_service, {'name': UNIT, 'manager': 'systemd', 'state': 'started',
                                    'start_after': [closed_url.split('//')[1]], 'ready_timeout': 1})
    assert not res.failed and not res['changed'] and 'waited_seconds' not in res.result


@pytest.mark.parametrize('peer', ['node1', 'node1:', ':4001', 'node1:p2p'])
def test_a_bad_start_after_address_fails_before_any_change(fake, run_module, peer) -> None:
    m = fake(FakeManager('systemd', {UNIT: False}))
    res = run_module(node_service, {'name': UNIT, 'manager': 'systemd', 'state': 'started', 'start_after': [peer]})
    assert res.failed and 'start_after: found %r; need host:port' % peer in res['msg'] and m.drives() == []
