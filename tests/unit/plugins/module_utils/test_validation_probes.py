# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the probe parsers (module_utils/probes.py)."""

from __future__ import annotations

import pytest

from ansible_collections.ollama_lab.distributed.plugins.module_utils import probes, service

PROC_NET_TCP = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000   999        0 123456 1 0
   1: 0100007F:0FA1 00000000:0000 0A 00000000:00000000 00:00000000 00000000   999        0 123457 1 0
   2: 0100007F:1F90 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000   999        0 0 1 0
   3: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 999 1 0
"""

PROC_NET_TCP6 = """\
  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1F92 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000   999        0 555 1 0
   1: 00000000000000000000000001000000:1F94 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000   999        0 556 1 0
"""


def test_proc_net_tcp_listeners_decode_address_port_inode() -> None:
    rows = probes.parse_proc_net_tcp(PROC_NET_TCP)
    listening = [r for r in rows if r['listening']]
    assert [(r['address'], r['port'], r['inode']) for r in listening] == [
        ('127.0.0.1', 8080, 123456), ('127.0.0.1', 4001, 123457), ('0.0.0.0', 22, 999)]
    assert rows[2]['listening'] is False


def test_proc_net_tcp6() -> None:
    rows = probes.parse_proc_net_tcp(PROC_NET_TCP6, ipv6=True)
    assert [(r['address'], r['port']) for r in rows] == [('::', 8082), ('::1', 8084)]


def test_socket_inodes() -> None:
    assert probes.socket_inodes(['socket:[123456]', '/dev/null', 'pipe:[5]', 'socket:[7]']) == [123456, 7]


def test_meminfo_os_release_status_loadavg() -> None:
    assert probes.parse_meminfo('MemTotal:        8048576 kB\nMemAvailable:    4024288 kB\n') == {
        'MemTotal': 7859, 'MemAvailable': 3929}
    assert probes.parse_os_release('ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n') == {
        'ID': 'debian', 'VERSION_ID': '12', 'PRETTY_NAME': 'Debian GNU/Linux 12 (bookworm)'}
    status = 'Name:\tollama\nUid:\t999\t999\t999\t999\nVmRSS:\t   52344 kB\n'
    assert probes.parse_status_rss(status) == 51
    assert probes.parse_status_uid(status) == 999
    assert probes.parse_status_rss('Name: x\n') is None
    assert probes.parse_loadavg('0.50 0.25 0.10 1/100 42\n') == [0.5, 0.25, 0.1]
    assert probes.parse_loadavg('garbage') == []


def test_process_start_seconds() -> None:
    stat = '42 (ollama-distr) S ' + ' '.join(['0'] * 18) + ' 1000 0 0'
    assert probes.process_start_seconds(stat, '100.00 50.0', clock_ticks=100) == pytest.approx(90.0)
    assert probes.process_start_seconds('bad', '1') is None


@pytest.mark.parametrize('found,minimum,ok', [
    ('1.24.5', '1.24.5', True), ('1.25', '1.24.5', True), ('1.24', '1.24.5', False),
    ('1.22.5', '1.22', True), ('1.21.13', '1.22', False), ('1.100', '1.24', True), (None, '1.22', False),
])
def test_version_at_least(found, minimum, ok) -> None:
    assert probes.version_at_least(found, minimum) is ok


def test_go_version_and_go_mod() -> None:
    assert probes.parse_go_version('go version go1.22.5 linux/amd64') == '1.22.5'
    assert probes.parse_go_version('bash: go: not found') is None
    mod = probes.parse_go_mod('module example.com/x\n\n// comment\ngo 1.24.5 // needs\n\ntoolchain go1.24.6\n'
                              'require (\n\tgo.uber.org/zap v1.0.0\n)\n')
    assert mod == {'module': 'example.com/x', 'go': '1.24.5', 'toolchain': '1.24.6'}
    assert probes.parse_go_mod('')['go'] is None


def test_binary_version() -> None:
    assert probes.parse_binary_version('ollama-distributed version 0.1.0 (reference)\n') == '0.1.0'
    assert probes.parse_binary_version('ollama-distributed version v1.2.3') == 'v1.2.3'
    assert probes.parse_binary_version('unknown flag --version') is None
    assert probes.same_version('v1.2.3', '1.2.3')
    assert not probes.same_version('0.1.0', '0.2.0')
    assert not probes.same_version(None, '0.2.0')


def test_systemctl_show() -> None:
    text = 'ActiveState=active\nSubState=running\nMainPID=42\nNRestarts=0\nUnitFileState=enabled\nExecStart={ path=/x ; }\n'
    out = service.parse_systemctl_show(text)
    assert out['ActiveState'] == 'active' and out['MainPID'] == '42' and out['ExecStart'] == '{ path=/x ; }'


@pytest.mark.parametrize('line,state,pid,uptime', [
    ('ollama-distributed-node1         RUNNING   pid 4242, uptime 0:01:02', 'RUNNING', 4242, 62),
    ('ollama-distributed-node1         RUNNING   pid 1, uptime 2 days, 1:00:00', 'RUNNING', 1, 2 * 86400 + 3600),
    ('ollama-distributed-node2         STOPPED   Nov 24 07:45 PM', 'STOPPED', None, None),
    ('ollama-distributed-node3         FATAL     Exited too quickly (process log may have details)', 'FATAL', None, None),
    ('ollama-distributed-node9: ERROR (no such process)', None, None, None),
    ('', None, None, None),
])
def test_supervisor_status(line, state, pid, uptime) -> None:
    out = service.parse_supervisor_status(line)
    assert (out['state'], out['pid'], out['uptime_seconds']) == (state, pid, uptime)


def test_line_timestamp() -> None:
    assert probes.line_timestamp('2025-11-24T19:00:00Z level=info msg=x') == 1764010800.0
    assert probes.line_timestamp('time=2025-11-24T20:00:00.123456789+01:00 level=error') == pytest.approx(1764010800.123456)
    assert probes.line_timestamp('2025/11/24 no iso') is None


def test_scan_log_errors_counts_error_levels_since_start() -> None:
    lines = [
        '2025-11-24T18:00:00Z level=error msg="old failure"',
        '2025-11-24T19:00:01Z level=info msg="started"',
        '2025-11-24T19:00:02Z level=ERROR msg="bind failed"',
        '{"time":"2025-11-24T19:00:03Z","level":"error","msg":"peer"}',
        'panic: runtime error: index out of range',
        '2025-11-24T19:00:04Z level=warn msg="error budget is fine"',
        '2025-11-24T19:00:05Z INFO errors_total=0',
    ]
    out = probes.scan_log_errors(lines, since=1764010800.0)
    assert out['count'] == 3
    assert out['scanned'] == 6
    assert 'bind failed' in out['samples'][0]
    assert probes.scan_log_errors(lines)['count'] == 4


def test_prometheus() -> None:
    text = ('# HELP ollama_distributed_up up\n# TYPE ollama_distributed_up gauge\nollama_distributed_up 1\n'
            'ollama_distributed_requests_total{route="/health",code="200"} 17\nbad line here\n'
            'ollama_distributed_request_duration_seconds_bucket{le="+Inf"} 3 1700000000\n')
    out = probes.parse_prometheus(text)
    assert out['ollama_distributed_up'] == 1.0
    assert out['ollama_distributed_requests_total{route="/health",code="200"}'] == 17.0
    assert out['ollama_distributed_request_duration_seconds_bucket{le="+Inf"}'] == 3.0


def test_leaks() -> None:
    assert probes.leaks('{"error":"not found","timestamp":"2025-11-24T19:00:00Z"}') == []
    found = probes.leaks('panic: boom\ngoroutine 1 [running]:\nmain.go:42 /home/dev/x go1.22.5')
    assert set(found) >= {'a Go stack trace', 'a panic message', 'a Go source file and line', 'a file system path',
                          'the Go runtime version'}
    assert probes.leaks(None) == []


def test_percentiles() -> None:
    values = list(range(1, 101))
    assert probes.percentile(values, 50) == 50
    assert probes.percentile(values, 95) == 95
    assert probes.percentile([3.0], 95) == 3.0
    assert probes.percentile([], 50) is None
    s = probes.latency_summary([5.0, 1.0, 3.0], errors=1)
    assert s == {'count': 4, 'ok': 3, 'errors': 1, 'p50_ms': 3.0, 'p95_ms': 5.0, 'max_ms': 5.0}


def test_permissions() -> None:
    # root:ollama 0640, reader ollama (uid 999, gid 999)
    assert probes.can_read(0o640, 0, 999, 999, [999])
    assert not probes.can_write(0o640, 0, 999, 999, [999])
    assert not probes.can_read(0o640, 0, 0, 999, [999])
    assert probes.can_read(0o644, 0, 0, 999, [999])
    assert probes.can_write(0o750, 999, 999, 999, [999])
    assert probes.can_write(0o700, 1, 1, 0, [0])
    assert probes.can_write(0o777, 1, 1, 5, [5])
