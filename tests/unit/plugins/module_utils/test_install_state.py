# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The install role's warm look (module_utils/install_state.py, module install_check)."""

from __future__ import annotations

import grp
import json
import os
import pwd
import subprocess
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from ansible_collections.ollama_lab.distributed.plugins.module_utils import install_state as st

ME = pwd.getpwuid(os.getuid()).pw_name
MY_GROUP = grp.getgrgid(os.getgid()).gr_name
SHA_A = 'a' * 40
SHA_B = 'b' * 40


def real_run(argv: List[str]) -> Tuple[int, str, str]:
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr


class Scripted:
    """A runner answering by argv[0] (and argv[1] for systemctl/supervisorctl)."""

    def __init__(self, answers: Dict[str, Tuple[int, str, str]]) -> None:
        self.answers = answers
        self.calls: List[List[str]] = []

    def __call__(self, argv: List[str]) -> Tuple[int, str, str]:
        self.calls.append(argv)
        for key in (' '.join(argv[:2]), argv[0]):
            if key in self.answers:
                return self.answers[key]
        return 127, '', 'not found'


@pytest.mark.parametrize('output,wanted,ok', [
    ('ollama-distributed version 0.1.0 (commit x)', '0.1.0', True),
    ('ollama-distributed version v0.1.0', '0.1.0', True),
    ('ollama-distributed version 0.1.0', 'v0.1.0', True),
    ('ollama-distributed version 0.1.0-dev', '0.1.0', False),
    ('ollama-distributed version 0.1.01', '0.1.0', False),
    ('', '0.1.0', False),
])
def test_version_is_matched_whole(output: str, wanted: str, ok: bool) -> None:
    assert st.version_matches(output, wanted) is ok


def test_a_full_commit_id_needs_no_git() -> None:
    run = Scripted({})
    assert st.resolve_ref(run, 'file:///nowhere', SHA_A) == SHA_A
    assert run.calls == []


@pytest.mark.parametrize('ref,listing,commit', [
    ('main', f'{SHA_A}\trefs/heads/main\n{SHA_B}\trefs/remotes/origin/main\n', SHA_A),
    ('v1', f'{SHA_A}\trefs/tags/v1\n{SHA_B}\trefs/tags/v1^{{}}\n', SHA_B),  # annotated: the peeled commit
    ('HEAD', f'{SHA_A}\tHEAD\n', SHA_A),
    ('x', f'{SHA_A}\trefs/heads/x\n{SHA_B}\trefs/tags/x\n', None),  # ambiguous
    ('gone', '', None),
])
def test_refs_are_resolved_like_a_checkout(ref: str, listing: str, commit: str) -> None:
    assert st.resolve_ref(Scripted({'git ls-remote': (0, listing, '')}), 'r', ref) == commit


def test_an_unreachable_repository_is_not_in_place() -> None:
    assert st.resolve_ref(Scripted({'git ls-remote': (128, '', 'fatal')}), 'r', 'main') is None


def test_a_real_repository_resolves(tmp_path: Path) -> None:
    repo = tmp_path / 'repo'
    env = dict(os.environ, GIT_AUTHOR_NAME='t', GIT_AUTHOR_EMAIL='t@x', GIT_COMMITTER_NAME='t',
               GIT_COMMITTER_EMAIL='t@x')
    subprocess.run(['git', 'init', '-q', '-b', 'main', str(repo)], check=True, env=env)
    subprocess.run(['git', '-C', str(repo), 'commit', '-q', '--allow-empty', '-m', 'one'], check=True, env=env)
    subprocess.run(['git', '-C', str(repo), 'tag', '-a', '-m', 'tag', 'v1'], check=True, env=env)
    head = subprocess.run(['git', '-C', str(repo), 'rev-parse', 'HEAD'], capture_output=True, text=True,
                          check=True).stdout.strip()
    url = 'file://' + str(repo)
    assert st.resolve_ref(real_run, url, 'main') == head
    assert st.resolve_ref(real_run, url, 'v1') == head
    assert st.resolve_ref(real_run, url, 'HEAD') == head
    assert st.resolve_ref(real_run, url, 'nope') is None


def test_directories_are_checked_for_owner_group_and_mode(tmp_path: Path) -> None:
    d = tmp_path / 'd'
    d.mkdir(mode=0o750)
    d.chmod(0o750)
    spec = dict(path=str(d), owner=ME, group=MY_GROUP, mode='0750')
    assert st.check_directory(spec) is None
    d.chmod(0o755)
    assert st.check_directory(spec) == f'{d} has mode 0755 (wanted {ME}:{MY_GROUP} 0750)'
    assert 'missing' in st.check_directory(dict(spec, path=str(tmp_path / 'none')))
    f = tmp_path / 'f'
    f.write_text('')
    assert 'not a directory' in st.check_directory(dict(spec, path=str(f)))
    other = 'nobody' if ME != 'nobody' else 'root'
    assert f'owner {ME}' in st.check_directory(dict(spec, owner=other, mode='0755'))


def test_accounts() -> None:
    assert st.check_accounts(ME, MY_GROUP) == []
    assert st.check_accounts('no-such-user-x', 'no-such-group-x') == [
        'group no-such-group-x is missing', 'user no-such-user-x is missing']


def test_build_info_compares_the_whole_record(tmp_path: Path) -> None:
    info = tmp_path / 'build-info.json'
    wanted = {'method': 'source', 'version': '0.1.0', 'repo': 'r', 'ref': 'main'}
    info.write_text(json.dumps(dict(wanted, commit=SHA_A)))
    run = Scripted({'git ls-remote': (0, f'{SHA_A}\trefs/heads/main\n', '')})
    assert st.check_build_info(run, str(info), wanted, {'repo': 'r', 'ref': 'main'}) is None
    moved = Scripted({'git ls-remote': (0, f'{SHA_B}\trefs/heads/main\n', '')})
    assert st.check_build_info(moved, str(info), wanted, {'repo': 'r', 'ref': 'main'}) == (
        f'{info} records another build (commit differ)')
    assert 'version' in st.check_build_info(run, str(info), dict(wanted, version='0.2.0', commit=SHA_A), None)
    assert 'missing' in st.check_build_info(run, str(tmp_path / 'none.json'), wanted, None)
    assert 'cannot be told' in st.check_build_info(Scripted({}), str(info), wanted, {'repo': 'r', 'ref': 'main'})


def test_binary_and_link(tmp_path: Path) -> None:
    binary = tmp_path / 'ollama-distributed'
    binary.write_text('#!/bin/sh\necho "ollama-distributed version 0.1.0"\n')
    binary.chmod(0o755)
    assert st.check_binary(real_run, str(binary), '0.1.0') is None
    assert 'wanted version 0.2.0' in st.check_binary(real_run, str(binary), '0.2.0')
    assert 'missing' in st.check_binary(real_run, str(tmp_path / 'none'), '0.1.0')
    link = tmp_path / 'link'
    assert 'not a link' in st.check_link(str(link), str(binary))
    link.symlink_to(binary)
    assert st.check_link(str(link), str(binary)) is None
    assert 'points at' in st.check_link(str(link), str(tmp_path / 'other'))


def _program(tmp_path: Path) -> Path:
    program = tmp_path / 'ollama-distributed-n1.conf'
    program.write_text('[program:ollama-distributed-n1]\n')
    return program


def test_look_in_place_under_supervisord(tmp_path: Path) -> None:
    program = _program(tmp_path)
    run = Scripted({'supervisorctl status': (3, 'ollama-distributed-n1   STOPPED   Not started\n', '')})
    found = st.look(run, dict(user=ME, group=MY_GROUP, directories=[],
                              service=dict(name='ollama-distributed-n1', manager='supervisor',
                                           definition=str(program))))
    assert found == dict(in_place=True, differences=[], definition='[program:ollama-distributed-n1]\n',
                         systemd_version=None, running=False)


def test_look_names_every_difference(tmp_path: Path) -> None:
    run = Scripted({'supervisorctl status': (4, 'ollama-distributed-n1: ERROR (no such process)\n', '')})
    missing_dir = dict(path=str(tmp_path / 'd'), owner=ME, group=MY_GROUP, mode='0750')
    found = st.look(run, dict(user='no-such-user-x', directories=[missing_dir],
                              binary=str(tmp_path / 'bin'), version='0.1.0',
                              link=dict(path=str(tmp_path / 'l'), target=str(tmp_path / 'bin')),
                              service=dict(name='ollama-distributed-n1', manager='supervisor',
                                           definition=str(tmp_path / 'p.conf'))))
    assert found['in_place'] is False
    assert found['definition'] is None
    assert len(found['differences']) == 6, found['differences']
    assert 'not known to supervisor' in found['differences'][-1]


def test_look_under_systemd_wants_the_instance_enabled(tmp_path: Path) -> None:
    unit = _program(tmp_path)
    show = 'LoadState=loaded\nActiveState=inactive\nSubState=dead\nUnitFileState={}\n'
    for state, in_place in (('enabled', True), ('disabled', False)):
        run = Scripted({'systemctl show': (0, show.format(state), ''),
                        'systemctl --version': (0, 'systemd 252 (252.30-1~deb12u2)\n+PAM\n', '')})
        found = st.look(run, dict(service=dict(name='ollama-distributed@n1.service', manager='systemd',
                                               definition=str(unit))))
        assert found['in_place'] is in_place
        assert found['systemd_version'] == 252


def test_the_module_only_reads_also_in_check_mode(tmp_path: Path, run_module) -> None:
    from ansible_collections.ollama_lab.distributed.plugins.modules import install_check

    d = tmp_path / 'd'
    d.mkdir()
    d.chmod(0o750)
    args = dict(user=ME, group=MY_GROUP, directories=[dict(path=str(d), owner=ME, group=MY_GROUP, mode='0750')],
                build_info=dict(path=str(tmp_path / 'build-info.json'), content={'version': '0.1.0'}))
    for check_mode in (False, True):
        res = run_module(install_check, args, check_mode=check_mode)
        assert res.rc == 0 and res.result['changed'] is False
        assert res.result['in_place'] is False
        assert res.result['differences'] == [f'{tmp_path}/build-info.json is missing or unreadable']
    (tmp_path / 'build-info.json').write_text('{"version": "0.1.0"}\n')
    assert run_module(install_check, args).result['in_place'] is True
    bad = run_module(install_check, dict(args, binary=str(tmp_path / 'b')))
    assert bad.rc == 1 and 'version' in bad.result['msg']


@pytest.mark.parametrize('manager,command', [('supervisor', 'supervisorctl'), ('systemd', 'systemctl')])
def test_a_fresh_machine_without_its_service_manager_is_not_in_place(
        tmp_path: Path, run_module, monkeypatch, manager: str, command: str) -> None:
    """Before the install put supervisord there, its supervisorctl is missing: not installed, no failure."""
    from ansible.module_utils.basic import AnsibleModule
    from ansible_collections.ollama_lab.distributed.plugins.modules import install_check

    real = AnsibleModule.get_bin_path
    monkeypatch.setattr(AnsibleModule, 'get_bin_path',
                        lambda self, name, *a, **kw: None if name == command else real(self, name, *a, **kw))
    res = run_module(install_check, dict(service=dict(name='ollama-distributed-n1', manager=manager,
                                                      definition=str(tmp_path / 'n1.conf'))))
    assert res.rc == 0 and res.result['in_place'] is False
    assert any('not known to %s' % manager in d for d in res.result['differences']), res.result['differences']


def _node(tmp_path: Path, host: str, manager: str = 'supervisor') -> Dict:
    root = tmp_path / host
    root.mkdir(mode=0o750, exist_ok=True)
    root.chmod(0o750)
    definition = tmp_path / ('%s.conf' % host)
    definition.write_text('[program:ollama-distributed-%s]\n' % host)
    return dict(host=host, directories=[dict(path=str(root), owner=ME, group=MY_GROUP, mode='0750')],
                service=dict(name='ollama-distributed-%s' % host, manager=manager, definition=str(definition)))


def supervisor_knows_all(argv: List[str]) -> Tuple[int, str, str]:
    """supervisorctl status <name>: every program known, stopped."""
    assert argv[:2] == ['supervisorctl', 'status'], argv
    return 3, '%s   STOPPED   Not started\n' % argv[2], ''


def test_several_nodes_are_answered_each_with_the_machine_looked_at_once(tmp_path: Path) -> None:
    binary = tmp_path / 'ollama-distributed'
    binary.write_text('#!/bin/sh\necho "ollama-distributed version 0.1.0"\n')
    binary.chmod(0o755)
    calls: List[List[str]] = []

    def run(argv: List[str]) -> Tuple[int, str, str]:
        calls.append(argv)
        return real_run(argv) if argv[0] == str(binary) else supervisor_knows_all(argv)

    nodes = [_node(tmp_path, 'n1'), _node(tmp_path, 'n2'), _node(tmp_path, 'n3')]
    found = st.look(run, dict(user=ME, group=MY_GROUP, binary=str(binary), version='0.1.0', nodes=nodes))
    assert found['in_place'] is True and found['differences'] == []
    assert found['definition'] is None and found['systemd_version'] is None
    assert found['nodes'] == {h: dict(in_place=True, differences=[], definition='[program:ollama-distributed-%s]\n' % h,
                                      running=False) for h in ('n1', 'n2', 'n3')}
    assert [c[0] for c in calls].count(str(binary)) == 1  # the machine's binary asked once
    assert [c[1] for c in calls if c[0] == 'supervisorctl'] == ['status'] * 3  # every node's service


def test_a_node_answer_holds_its_own_and_its_machines_differences(tmp_path: Path) -> None:
    n1, n2 = _node(tmp_path, 'n1'), _node(tmp_path, 'n2')
    (tmp_path / 'n2').rmdir()
    run = supervisor_knows_all
    found = st.look(run, dict(nodes=[n1, n2]))
    assert found['nodes']['n1']['in_place'] is True
    assert found['nodes']['n2'] == dict(in_place=False, differences=[f'{tmp_path}/n2 is missing'],
                                        definition='[program:ollama-distributed-n2]\n', running=False)
    assert found['in_place'] is False and found['differences'] == [f'{tmp_path}/n2 is missing']
    # a machine difference (the link) is every node's: each takes the install steps (and restarts)
    found = st.look(run, dict(link=dict(path=str(tmp_path / 'l'), target='/x'), nodes=[n1]))
    assert found['nodes']['n1'] == dict(in_place=False, differences=[f'{tmp_path}/l is not a link'],
                                        definition='[program:ollama-distributed-n1]\n', running=False)


def test_a_missing_definition_or_unknown_service_is_the_nodes_own(tmp_path: Path) -> None:
    n1 = _node(tmp_path, 'n1')
    Path(n1['service']['definition']).unlink()
    found = st.look(Scripted({'supervisorctl status': (4, 'n1: ERROR (no such process)\n', '')}), dict(nodes=[n1]))
    assert found['nodes']['n1']['definition'] is None
    assert len(found['nodes']['n1']['differences']) == 2, found['nodes']['n1']['differences']
    assert 'not known to supervisor' in found['nodes']['n1']['differences'][1]


def test_nodes_under_systemd_read_the_version_once(tmp_path: Path) -> None:
    show = 'LoadState=loaded\nActiveState=inactive\nSubState=dead\nUnitFileState=enabled\n'
    run = Scripted({'systemctl show': (0, show, ''),
                    'systemctl --version': (0, 'systemd 247 (247.3-7)\n', '')})
    found = st.look(run, dict(nodes=[_node(tmp_path, 'n1', 'systemd'), _node(tmp_path, 'n2', 'systemd')]))
    assert found['systemd_version'] == 247 and found['in_place'] is True
    assert run.calls.count(['systemctl', '--version']) == 1


def test_the_module_takes_nodes_and_refuses_a_host_twice(tmp_path: Path, run_module, monkeypatch) -> None:
    from ansible.module_utils.basic import AnsibleModule
    from ansible_collections.ollama_lab.distributed.plugins.modules import install_check

    real = AnsibleModule.get_bin_path
    monkeypatch.setattr(AnsibleModule, 'get_bin_path',
                        lambda self, name, *a, **kw: None if name == 'supervisorctl' else real(self, name, *a, **kw))
    n1 = _node(tmp_path, 'n1')
    res = run_module(install_check, dict(user=ME, nodes=[n1, dict(host='n2')]), check_mode=True)
    assert res.rc == 0 and res.result['changed'] is False
    assert res.result['nodes']['n2'] == dict(in_place=True, differences=[], definition=None, running=False)
    assert res.result['nodes']['n1']['in_place'] is False  # supervisorctl missing: not known
    twice = run_module(install_check, dict(nodes=[n1, dict(host='n1')]))
    assert twice.rc == 1 and 'n1 more than once' in twice.result['msg']


def test_each_node_answer_says_whether_its_service_runs(tmp_path: Path) -> None:
    """The install role restarts on a new binary only the nodes that ran when it looked."""
    def run(argv: List[str]) -> Tuple[int, str, str]:
        if argv[2] == 'ollama-distributed-n1':
            return 0, 'ollama-distributed-n1   RUNNING   pid 42, uptime 0:01:00\n', ''
        return supervisor_knows_all(argv)

    found = st.look(run, dict(nodes=[_node(tmp_path, 'n1'), _node(tmp_path, 'n2')]))
    assert found['nodes']['n1']['running'] is True and found['nodes']['n2']['running'] is False
    one = st.look(run, dict(service=_node(tmp_path, 'n1')['service']))
    assert one['running'] is True
