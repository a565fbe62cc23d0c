# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The preflight module through main(): one read of this machine judged for several nodes, each with its own
thresholds and ports (a real process holds one of them); bad input named per node; never a change."""

from __future__ import annotations

import socket
import subprocess
import sys
from typing import Iterator, Tuple

import pytest

from ansible_collections.ollama_lab.distributed.plugins.modules import preflight

LISTENER = ("import socket,sys,time\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen()\n"
            "print(s.getsockname()[1],flush=True)\ntime.sleep(60)\n")


@pytest.fixture(name='held')
def fixture_held() -> Iterator[Tuple[int, int]]:
    """(a port held by node n1's own service started with --config /etc/x/n1.yaml, a free port)."""
    proc = subprocess.Popen(['ollama-distributed', '-c', LISTENER, '--config', '/etc/x/n1.yaml'],
                            executable=sys.executable, stdout=subprocess.PIPE, text=True)
    probe = socket.socket()
    probe.bind(('127.0.0.1', 0))
    free = probe.getsockname()[1]
    probe.close()
    try:
        yield int(proc.stdout.readline()), free
    finally:
        proc.kill()
        proc.wait()


def node(name: str, **over):
    base = dict(name=name, min_cpus=1, min_memory_mb=1, min_disk_mb=1, disk_paths=['/tmp/does/not/exist'],
                supported_os_families=['Debian', 'RedHat', 'Suse', 'Archlinux', 'Alpine'],
                os_version_strict=False, required_commands=['sh'], own_config_files=['/etc/x/%s.yaml' % name])
    base.update(over)
    return base


def test_two_nodes_of_one_machine_each_get_their_own_result(run_module, held) -> None:
    mine, free = held
    run = run_module(preflight, dict(variable_prefix='preflight_', nodes=[
        node('n1', ports=[[mine, 'layout_api_port_base'], free]),
        node('n2', ports=[dict(port=mine, variable='layout_api_port')], min_memory_mb=10 ** 9),
    ]), check_mode=True)
    assert run.rc == 0 and run['changed'] is False and run['passed'] is False
    n1, n2 = run['nodes']['n1'], run['nodes']['n2']
    assert n1['passed'] and n1['failures'] == [] and n1['input_problems'] == []
    ours = [c for c in n1['checks'] if c['name'] == 'port %d' % mine][0]
    assert ours['status'] == 'pass' and ours['variable'] == 'layout_api_port_base'
    assert ours['found'].startswith('port %d held by our own service ' % mine)
    assert [c['variable'] for c in n1['checks'] if c['name'] == 'port %d' % free] == ['preflight_ports']
    # n2's config is another: the same process is another node's service, and its memory threshold is its own
    assert not n2['passed'] and len(n2['failures']) == 2
    assert n2['failures'][0].startswith('preflight_min_memory_mb: found ')
    assert n2['failures'][1].startswith('layout_api_port: found port %d held by ' % mine)
    assert "another node's service (config /etc/x/n1.yaml), not this node's" in n2['failures'][1]
    assert "need it free or held by this node's own service (ollama-distributed --config /etc/x/n2.yaml)" \
        in n2['failures'][1]


def test_bad_input_is_named_per_node_and_nothing_is_checked_for_it(run_module) -> None:
    run = run_module(preflight, dict(variable_prefix='preflight_', nodes=[
        node('ok'), node('bad', min_cpus=0, ports=[[70000, 'preflight_ports']])]))
    assert run.rc == 0 and not run['passed']
    assert run['nodes']['ok']['passed']
    bad = run['nodes']['bad']
    assert bad['input_problems'] == ['preflight_min_cpus: found 0, need an integer >= 1',
                                     'preflight_ports: found 70000, need ports in 1-65535']
    assert bad['checks'] == [] and not bad['passed']


def test_unreadable_ports_fail_the_module_naming_the_node(run_module) -> None:
    run = run_module(preflight, dict(nodes=[node('n1', ports=['eighty'])]))
    assert run.rc == 1 and run['failed']
    assert 'nodes[n1].ports' in run['msg'] and 'eighty' in run['msg']


def test_defaults_name_the_module_options(run_module) -> None:
    run = run_module(preflight, dict(nodes=[dict(name='solo', min_cpus=10 ** 6, disk_paths=['/'])]))
    assert run.rc == 0 and run['changed'] is False
    assert 'min_cpus: found ' in run['nodes']['solo']['failures'][0]
    assert [c['variable'] for c in run['nodes']['solo']['checks']][:3] == [
        'supported_os_families', 'supported_os', 'min_cpus']
