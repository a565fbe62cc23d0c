# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""host_observe reads the machine, host_checks judges it: for the preflight module and for validate's
prerequisites category alike (real listening processes for the port checks)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any, Dict, Iterator, List

import pytest

from ansible_collections.ollama_lab.distributed.plugins.module_utils import checks, host_checks, host_observe

LISTENER = ("import socket,sys,time\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen()\n"
            "print(s.getsockname()[1],flush=True)\ntime.sleep(60)\n")
DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n'
UBUNTU = 'NAME="Ubuntu"\nVERSION_ID="22.04"\nID=ubuntu\nID_LIKE=debian\nPRETTY_NAME="Ubuntu 22.04.4 LTS"\n'
MINT = 'NAME="Linux Mint"\nVERSION_ID="21.3"\nID=linuxmint\nID_LIKE="ubuntu debian"\n'
ODD = 'NAME="Odd OS"\nVERSION_ID="7"\nID=odd\nID_LIKE="rhel fedora"\n'


def request(**over: Any) -> Dict[str, Any]:
    req: Dict[str, Any] = dict(name='n1', supported_os_families=['Debian'], supported_os=['Debian 12', 'Ubuntu 22.04'],
                               os_version_strict=True, min_cpus=2, min_memory_mb=4096, min_disk_mb=2048,
                               disk_paths=['/var/lib/x'], extra_disk_paths=['/opt'], min_python_version='3.8',
                               required_commands=['tar'], ports=[], own_process_names=['ollama-distributed'],
                               own_config_files=['/etc/x/n1.yaml'])
    req.update(over)
    return req


def seen(**over: Any) -> Dict[str, Any]:
    out: Dict[str, Any] = dict(os=host_observe.os_info(DEBIAN, '12.7\n'), cpus=4, memory=dict(total_mb=8000),
                               python=dict(version='3.11.2', executable='/usr/bin/python3'),
                               commands={'tar': '/usr/bin/tar'},
                               disks=[dict(path='/var/lib/x', checked='/var/lib', device=1, free_mb=50000),
                                      dict(path='/opt', checked='/opt', device=2, free_mb=100)])
    out.update(over)
    return out


# -- reading the machine -------------------------------------------------------

def test_os_release_read_as_ansible_facts_name_it() -> None:
    debian = host_observe.os_info(DEBIAN, '12.7\n')
    assert (debian['name'], debian['version'], debian['major'], debian['family']) == ('Debian', '12.7', '12', 'Debian')
    assert host_observe.os_info(DEBIAN, 'trixie/sid\n')['version'] == '12'
    ubuntu = host_observe.os_info(UBUNTU, '')
    assert (ubuntu['name'], ubuntu['version'], ubuntu['major'], ubuntu['family']) == ('Ubuntu', '22.04', '22', 'Debian')
    assert host_observe.os_info(MINT, '')['family'] == 'Debian'
    assert host_observe.os_info(ODD, '')['family'] == 'RedHat'
    assert host_observe.os_info(ODD, '')['name'] == 'Odd OS'


def test_this_machine_is_read_without_facts(tmp_path) -> None:
    found = host_observe.machine([str(tmp_path / 'not' / 'yet'), str(tmp_path)], ['sh', 'no-such-command-x'])
    assert found['cpus'] >= 1 and found['memory']['total_mb'] > 0
    assert found['python']['version'].startswith('%d.%d.' % sys.version_info[:2])
    assert found['commands'] == {'sh': found['commands']['sh'], 'no-such-command-x': ''} and found['commands']['sh']
    missing, existing = found['disks']
    assert missing['checked'] == str(tmp_path) and missing['device'] == existing['device']
    assert missing['free_mb'] is not None


# -- judging --------------------------------------------------------------------

def test_os_entries_match_full_or_major_version_or_the_name_alone() -> None:
    debian = host_observe.os_info(DEBIAN, '12.7\n')
    assert host_checks.os_matches(debian, 'Debian 12') and host_checks.os_matches(debian, 'Debian 12.7')
    assert host_checks.os_matches(debian, 'debian') and not host_checks.os_matches(debian, 'Debian 11')
    assert not host_checks.os_matches(debian, 'ubuntu')
    item = host_checks.os_version(debian, ['Ubuntu 24.04'], False, 'v')
    assert (item['status'], item['found'], item['need']) == ('warn', 'Debian 12.7', 'one of Ubuntu 24.04')
    assert host_checks.os_version(debian, ['Ubuntu 24.04'], True, 'v')['status'] == 'fail'


def test_every_failed_check_is_worded_with_its_variable() -> None:
    result = host_checks.judge(request(min_cpus=8, required_commands=['tar', 'nope']), seen(), {}, 'preflight_')
    assert not result['passed']
    assert result['failures'] == [
        'preflight_min_cpus: found 4 CPUs, need at least 8',
        'preflight_required_commands: found nope missing, need tar, nope on PATH',
        'preflight_min_disk_mb: found 100 MB free on the filesystem of /opt (for /opt), need at least 2048 MB',
    ]
    assert [c['name'] for c in result['checks']] == ['os_family', 'os_version', 'cpus', 'memory', 'python',
                                                     'commands', 'disk', 'disk']
    memory = result['checks'][3]
    assert memory['message'] == 'preflight_min_memory_mb: found 8000 MB, need at least 4096 MB'


def test_paths_on_one_filesystem_are_one_check_with_the_least_free_space() -> None:
    disks = [dict(path='/a', checked='/a', device=7, free_mb=900), dict(path='/b', checked='/', device=7, free_mb=800),
             dict(path='/c', checked='/c', device=None, free_mb=None, error='gone')]
    one, unread = host_checks.disks(disks, 850, 'min')
    assert one['status'] == 'fail' and one['found'] == '800 MB free on the filesystem of /a (for /a, /b)'
    assert unread['status'] == 'warn' and unread['found'].endswith(': gone')


def test_recommended_thresholds_warn() -> None:
    assert host_checks.cpus(1, 1, 'v', recommended=2)['status'] == 'warn'
    assert host_checks.cpus(2, 1, 'v', recommended=2)['status'] == 'pass'
    assert host_checks.memory(None, 1, 'v')['status'] == 'warn'
    assert host_checks.python(dict(version='3.6.9'), '3.8', 'v')['status'] == 'fail'
    assert host_checks.python(dict(version='3.10.1'), '3.8', 'v')['status'] == 'pass'


def test_out_of_range_input_names_the_variable_and_the_value() -> None:
    bad = request(min_cpus=0, min_memory_mb=-1, ports=[dict(port=70000, variable='preflight_ports'),
                                                       dict(port=0, variable='preflight_ports')],
                  min_python_version='three', supported_os=['Debian'], extra_disk_paths=['opt'])
    assert host_checks.input_problems(bad, 'preflight_') == [
        'preflight_min_cpus: found 0, need an integer >= 1',
        'preflight_min_memory_mb: found -1, need an integer >= 0',
        'preflight_ports: found 70000, 0, need ports in 1-65535',
        'preflight_min_python_version: found "three", need a version like "3.8"',
        'preflight_supported_os: found ["Debian"], need entries like "Debian 12"',
        'preflight_extra_disk_paths: found ["opt"], need absolute paths',
    ]
    assert host_checks.input_problems(request()) == []


@pytest.mark.parametrize('cpus,mem,free,cmd', [(1, 256, 10, None), (2, 600, 5000, '/bin/curl'),
                                               (4, 4096, 1024, '/bin/curl'), (None, None, None, None)])
def test_validate_and_preflight_judge_the_machine_alike(cpus: Any, mem: Any, free: Any, cmd: Any) -> None:
    s = dict(checks.DEFAULT_SETTINGS, required_commands=['curl'])
    obs = dict(system=dict(os_id='debian', os_name='Debian', os_version='12.7', cpu_count=cpus, mem_total_mb=mem,
                           disk=dict(path='/var/lib', free_mb=free), commands={'curl': cmd}))
    records = dict((r['name'], r['status']) for r in checks.eval_prerequisites(obs, s))
    assert records['cpu'] == host_checks.cpus(cpus, s['min_cpus'], 'v', s['recommended_cpus'])['status']
    assert records['memory'] == host_checks.memory(mem, s['min_memory_mb'], 'v', s['recommended_memory_mb'])['status']
    result = host_checks.judge(
        request(min_cpus=s['min_cpus'], min_memory_mb=s['min_memory_mb'], min_disk_mb=s['min_disk_mb'],
                required_commands=['curl'], disk_paths=['/var/lib'], extra_disk_paths=[]),
        seen(cpus=cpus, memory=dict(total_mb=mem), commands={'curl': cmd},
             disks=[dict(path='/var/lib', checked='/var/lib', device=1, free_mb=free)]), {})
    preflight = dict((c['name'], c['status']) for c in result['checks'])
    assert records['disk'] == preflight['disk'] and records['commands'] == preflight['commands']
    if cpus is not None and cpus >= s['recommended_cpus']:
        assert records['cpu'] == preflight['cpus'] == 'pass'
    assert records['os'] == 'pass'


# -- ports --------------------------------------------------------------------------

@pytest.fixture(name='node_port')
def fixture_node_port() -> Iterator[int]:
    """A process whose argv[0] is ollama-distributed, started with --config /etc/x/other.yaml, listening."""
    proc = subprocess.Popen(['ollama-distributed', '-c', LISTENER, 'start', '--config', '/etc/x/other.yaml'],
                            executable=sys.executable, stdout=subprocess.PIPE, text=True)
    try:
        yield int(proc.stdout.readline())
    finally:
        proc.kill()
        proc.wait()


def port_check(port: int, configs: List[str], names: Any = ('ollama-distributed',)) -> Dict[str, Any]:
    seen_ports = host_observe.port_holders([port])
    return host_checks.port(port, 'layout_api_port_base', seen_ports[port], list(names), configs)


def test_another_clusters_node_is_not_ours(node_port: int) -> None:
    item = port_check(node_port, ['/etc/x/mine.yaml'])
    assert item['status'] == 'fail'
    assert item['found'].startswith('port %d held by ollama-distributed (pid ' % node_port) or \
        item['found'].startswith('port %d held by python' % node_port)
    assert "another node's service (config /etc/x/other.yaml), not this node's" in item['found']
    assert item['need'] == "it free or held by this node's own service (ollama-distributed --config /etc/x/mine.yaml)"


def test_our_own_node_is_ours(node_port: int) -> None:
    item = port_check(node_port, ['/etc/x/other.yaml'])
    assert item['status'] == 'pass' and 'held by our own service' in item['found']
    assert port_check(node_port, [])['status'] == 'pass'


def test_a_foreign_process_and_a_free_port(node_port: int) -> None:
    item = port_check(node_port, ['/etc/x/other.yaml'], names=['something-else'])
    assert item['status'] == 'fail' and "another node's service" not in item['found']
    free = host_checks.port(1, 'v', dict(listening=False, holders=[]), ['x'], [])
    assert (free['status'], free['found']) == ('pass', 'port 1 free')
    unseen = host_checks.port(2, 'v', dict(listening=True, holders=[]), ['x'], [])
    assert unseen['status'] == 'fail' and 'cannot see (run the role with become)' in unseen['found']
