# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The validate_probe module through main(): a real process holding real ports, a stand-in
supervisorctl and binary on PATH, real files with real modes."""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ansible_collections.ollama_lab.distributed.plugins.module_utils import checks
from ansible_collections.ollama_lab.distributed.plugins.modules import validate_probe

LISTENER = """
import socket, sys, time
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('127.0.0.1', 0)); s.listen(1); socks.append(s)
print(' '.join(str(s.getsockname()[1]) for s in socks), flush=True)
time.sleep(60)
"""


@pytest.fixture
def listener():
    """Start a process holding listening sockets; yields (pid, [ports]) per call."""
    procs = []

    def start(count: int):
        proc = subprocess.Popen([sys.executable, '-c', LISTENER, str(count)], stdout=subprocess.PIPE, text=True)
        procs.append(proc)
        ports = [int(p) for p in proc.stdout.readline().split()]
        return proc.pid, ports

    yield start
    for proc in procs:
        proc.kill()
        proc.wait()


def _exe(path: Path, text: str) -> Path:
    path.write_text('#!/bin/sh\n' + text)
    path.chmod(0o755)
    return path


@pytest.fixture
def node_env(tmp_path, monkeypatch, listener):
    """A supervisor node: supervisorctl reports our listener as RUNNING; a binary answering --version."""
    pid, ports = listener(2)
    bindir = tmp_path / 'bin'
    bindir.mkdir()
    _exe(bindir / 'supervisorctl', 'echo "ollama-distributed-t1   RUNNING   pid %d, uptime 0:10:05"\n' % pid)
    binary = _exe(bindir / 'ollama-distributed', '''case "$1" in
  --help) echo "Usage: ollama-distributed <command>";;
  --version) echo "ollama-distributed version 0.1.0 (reference)";;
  validate) echo "configuration OK";;
esac
''')
    monkeypatch.setenv('PATH', '%s:%s' % (bindir, os.environ.get('PATH', '')))
    program = tmp_path / 'program.conf'
    program.write_text('[program:ollama-distributed-t1]\nautostart=false\n')
    config = tmp_path / 't1.yaml'
    config.write_text('node: {id: t1}\n')
    config.chmod(0o640)
    data = tmp_path / 'data'
    data.mkdir()
    log = tmp_path / 't1.log'
    now = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())
    log.write_text('{"level":"info","msg":"started","time":"%s"}\n'
                   '{"level":"error","msg":"peer gone","time":"%s"}\n'
                   '{"level":"error","msg":"old error","time":"2001-01-01T00:00:00Z"}\n' % (now, now))
    gomod = tmp_path / 'go.mod'
    gomod.write_text('module example.org/x\n\ngo 1.19\n')
    user = pwd.getpwuid(os.getuid()).pw_name
    args = dict(service_manager='supervisor', service_name='ollama-distributed-t1', binary=str(binary),
                supervisor_program_file=str(program), config_file=str(config), service_user=user,
                dirs=[str(data), str(tmp_path / 'missing')], log_files=[str(log)], disk_path=str(data),
                required_commands=['sh', 'no-such-command-xyz'], go_mod=str(gomod), go_binary='no-such-go',
                ports=[dict(name='api', port=ports[0]), dict(name='p2p', port=ports[1])])
    return dict(args=args, pid=pid, ports=ports, config=config, user=user)


def test_observes_a_running_supervisor_node(node_env, run_module) -> None:
    run = run_module(validate_probe, node_env['args'])
    assert not run.failed and run['changed'] is False
    obs = run['observations']
    svc = obs['service']
    assert svc['installed'] and svc['active'] and svc['pid'] == node_env['pid'] and svc['uptime_seconds'] == 605
    assert svc['enabled'] is False and svc['enabled_state'] == 'autostart=false'
    proc = obs['process']
    assert proc['pid'] == node_env['pid'] and proc['user'] == node_env['user'] and proc['rss_mb'] is not None
    assert sorted(p['port'] for p in proc['listening']) == sorted(node_env['ports'])
    assert obs['binary']['executable'] and obs['binary']['version']['stdout'].startswith('ollama-distributed version')
    assert obs['config']['mode'] == '0640' and obs['config']['validate']['rc'] == 0
    assert [d['exists'] for d in obs['dirs']] == [True, False]
    assert obs['system']['commands']['sh'] and obs['system']['commands']['no-such-command-xyz'] is None
    assert obs['system']['go_mod']['go'] == '1.19' and obs['system']['go']['error'] == 'not found'
    # only error lines since the process started count (the 2001 one does not)
    assert obs['logs']['count'] == 1 and 'peer gone' in obs['logs']['samples'][0]

    settings = dict(checks.DEFAULT_SETTINGS, service_user=node_env['user'], expected_version='0.1.0',
                    ports=node_env['args']['ports'], required_commands=['sh'])
    by = dict(('%s/%s' % (r['category'], r['name']), r) for r in checks.evaluate_node(obs, settings))
    assert by['startup/ports_bound']['status'] == 'pass'
    assert by['installation/binary_version']['status'] == 'pass'
    assert by['startup/no_log_errors']['status'] == 'fail'
    assert by['prerequisites/go_version']['status'] == 'fail'
    assert 'expected Go 1.19 or newer' in by['prerequisites/go_version']['message']


def test_log_lines_from_the_first_second_count_when_the_probe_is_slow(node_env, run_module, monkeypatch) -> None:
    """The process start is fixed when the process is read, not when the logs are: a probe
    whose other checks take over a second still counts the lines logged right at the start."""
    slow_config = validate_probe.Prober.config

    def config(self):
        time.sleep(1.5)
        return slow_config(self)

    monkeypatch.setattr(validate_probe.Prober, 'config', config)
    obs = run_module(validate_probe, dict(node_env['args'], sections=['process', 'config', 'logs']))['observations']
    assert obs['logs']['count'] == 1 and 'peer gone' in obs['logs']['samples'][0]


def test_port_held_by_another_process_is_named(node_env, listener, run_module) -> None:
    other_pid, other_ports = listener(1)
    args = dict(node_env['args'], sections=['service', 'process'],
                ports=[dict(name='api', port=node_env['ports'][0]), dict(name='p2p', port=other_ports[0])])
    obs = run_module(validate_probe, args)['observations']
    assert list(obs['process']['others']) == [str(other_ports[0])]
    assert obs['process']['others'][str(other_ports[0])].startswith('pid %d python' % other_pid)
    rec = checks.eval_startup(obs, dict(checks.DEFAULT_SETTINGS, service_user=node_env['user'], ports=args['ports']))
    ports = [r for r in rec if r['name'] == 'ports_bound'][0]
    assert ports['status'] == 'fail'
    assert 'p2p port %d is held by another process (pid %d' % (other_ports[0], other_pid) in ports['message']


def test_world_readable_config_is_seen(node_env, run_module) -> None:
    node_env['config'].chmod(0o644)
    obs = run_module(validate_probe, dict(node_env['args'], sections=['config']))['observations']
    assert obs['config']['mode'] == '0644'
    recs = checks.eval_configuration(obs, dict(checks.DEFAULT_SETTINGS, service_user=node_env['user']))
    perm = [r for r in recs if r['name'] == 'file_permissions'][0]
    assert perm['status'] == 'fail' and 'readable by everyone (mode 0644)' in perm['message']


def test_stopped_program(node_env, tmp_path, run_module) -> None:
    _exe(tmp_path / 'bin' / 'supervisorctl', 'echo "ollama-distributed-t1   STOPPED   Nov 24 08:00 PM"; exit 3\n')
    obs = run_module(validate_probe, dict(node_env['args'], sections=['service', 'process']))['observations']
    assert obs['service']['installed'] and obs['service']['active'] is False and obs['process']['pid'] is None
    assert checks.service_down(obs)


def test_unknown_program_is_not_installed(node_env, tmp_path, run_module) -> None:
    _exe(tmp_path / 'bin' / 'supervisorctl', 'echo "ollama-distributed-t1: ERROR (no such process)"; exit 4\n')
    obs = run_module(validate_probe, dict(node_env['args'], sections=['service']))['observations']
    assert obs['service']['installed'] is False and 'no such process' in obs['service']['detail']


def test_bad_ports_fail_before_probing(node_env, run_module) -> None:
    run = run_module(validate_probe, dict(node_env['args'], ports=[dict(name='api', port=70000)]))
    assert run.failed and 'ports: each item needs a name and a port 1-65535' in run['msg']


def test_ports_found_as_the_process_owner_when_root_may_not_read_fds(node_env, run_module, monkeypatch) -> None:
    """In a container root lacks CAP_SYS_PTRACE: the descriptors are read as the process owner instead."""
    real_readlink = os.readlink
    fd_dir = '/proc/%d/fd/' % node_env['pid']

    def readlink(path, *args, **kwargs):
        # what a container's root sees: the fd directory lists, its links do not resolve
        if str(path).startswith(fd_dir):
            raise PermissionError(13, 'Permission denied', path)
        return real_readlink(path, *args, **kwargs)

    monkeypatch.setattr(os, 'readlink', readlink)
    obs = run_module(validate_probe, dict(node_env['args'], sections=['service', 'process']))['observations']
    assert obs['process']['fd_access'] == 'as %s' % node_env['user']
    assert sorted(p['port'] for p in obs['process']['listening']) == sorted(node_env['ports'])
