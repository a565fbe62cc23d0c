# -*- coding: utf-8 -*-
# Copyright (c) ollama_lab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A node's service under systemd or supervisord: one reading, one meaning of "running".

Everything that asks about or drives a node's service goes through here: the
``node_service`` module (install, configure, cluster roles) and the
``validate_probe`` module. ``run`` is a callable ``argv -> (rc, stdout,
stderr)`` (``AnsibleModule.run_command`` in the modules), so the logic is
tested without a service manager.
"""

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

import re
import shutil
import socket
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

from ansible_collections.ollama_lab.distributed.plugins.module_utils.api_poll import PollResult, poll_until

Runner = Callable[[List[str]], Tuple[int, str, str]]

MANAGERS = ('systemd', 'supervisor')
# The one meaning of "running": the service manager has the process up or is
# bringing it up (a node that is starting must be restarted, not started).
SYSTEMD_RUNNING = ('active', 'activating', 'reloading')
SUPERVISOR_RUNNING = ('RUNNING', 'STARTING', 'BACKOFF')
SYSTEMD_PROPERTIES = 'LoadState,ActiveState,SubState,MainPID,UnitFileState,NRestarts,FragmentPath'
# Seconds between two looks at a port (api_poll.poll_until starts at 0.05 and doubles up to this).
TCP_POLL_SECONDS = 0.1
# `supervisorctl start` waits the program's startsecs before it returns. This
# asks supervisord (through supervisorctl's own options: config file, server
# URL, credentials) to start the program without waiting; readiness is then
# polled (NodeService.wait_ready). Exit 3: no supervisor library here.
SUPERVISOR_START_NOWAIT = '''import sys
try:
    from xmlrpc.client import Fault
    from supervisor.options import ClientOptions
except ImportError:
    sys.exit(3)
options = ClientOptions()
options.realize(args=[])
try:
    options.getServerProxy().supervisor.startProcess(sys.argv[1], False)
except Fault as exc:
    if exc.faultCode != 60:  # ALREADY_STARTED
        sys.exit('%s: ERROR (%s)' % (sys.argv[1], exc.faultString))
'''


class ServiceError(Exception):
    """The service manager refused or failed a command."""


@dataclass
class ServiceState:
    """What the service manager says about one service."""

    manager: str
    name: str
    defined: bool = False
    running: bool = False
    state: Optional[str] = None
    pid: Optional[int] = None
    enabled: Optional[bool] = None
    restarts: Optional[int] = None
    uptime_seconds: Optional[int] = None
    unit_file: Optional[str] = None
    detail: str = ''
    extra: Dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> Dict[str, Any]:
        out = asdict(self)
        out.update(out.pop('extra'))
        return out


def parse_systemctl_show(text: str) -> Dict[str, str]:
    """``Key=Value`` lines of ``systemctl show`` as a dict."""
    out = {}
    for line in (text or '').splitlines():
        if '=' in line:
            key, value = line.split('=', 1)
            out[key] = value
    return out


def parse_supervisor_status(text: str) -> Dict[str, Any]:
    """One line of ``supervisorctl status <name>``.

    ``ollama-distributed-node1   RUNNING   pid 123, uptime 0:01:02`` ->
    ``{state: RUNNING, pid: 123, uptime_seconds: 62}``. ``state`` is None when
    the program is unknown.
    """
    out: Dict[str, Any] = dict(state=None, pid=None, uptime_seconds=None, raw=(text or '').strip())
    line = (text or '').strip().splitlines()[0] if (text or '').strip() else ''
    if 'no such process' in line.lower():
        return out
    fields = line.split(None, 2)
    if len(fields) >= 2 and fields[1].isupper() and fields[1].isalpha():
        out['state'] = fields[1]
    m = re.search(r'pid (\d+)', line)
    if m:
        out['pid'] = int(m.group(1))
    m = re.search(r'uptime (?:(\d+) days?, )?(\d+):(\d+):(\d+)', line)
    if m:
        days = int(m.group(1) or 0)
        out['uptime_seconds'] = days * 86400 + int(m.group(2)) * 3600 + int(m.group(3)) * 60 + int(m.group(4))
    return out


def module_runner(module: Any) -> Runner:
    """``run`` for NodeService from an AnsibleModule: a missing command answers 127, as a shell would."""
    def run(argv: List[str]) -> Tuple[int, str, str]:
        if not module.get_bin_path(argv[0]):
            return 127, '', '%s: command not found' % argv[0]
        return module.run_command(argv, environ_update=dict(LC_ALL='C', SYSTEMD_PAGER=''))
    return run


def supervisor_python() -> Optional[str]:
    """The interpreter of ``supervisorctl`` (its shebang), which has the supervisor library."""
    path = shutil.which('supervisorctl')
    if not path:
        return None
    try:
        with open(path, 'rb') as handle:
            first = handle.readline(200).decode('utf-8', 'replace')
    except OSError:
        return None
    words = first[2:].split() if first.startswith('#!') else []
    if words and words[0].endswith('/env'):
        words = words[1:]
    return words[0] if words and 'python' in words[0] else None


def wait_listening(host: str, port: int, timeout: float) -> PollResult:
    """Poll until ``host:port`` accepts TCP connections; ``value`` is the last refusal when it never did."""
    return poll_until(lambda: tcp_refusal(host, port), lambda refused: refused is None, timeout,
                      interval=TCP_POLL_SECONDS)


def tcp_refusal(host: str, port: int) -> Optional[str]:
    """None when ``host:port`` accepts a TCP connection, else why not."""
    try:
        socket.create_connection((host, port), timeout=1).close()
        return None
    except OSError as exc:
        return str(exc) or exc.__class__.__name__


def _flat(text: str, limit: int = 300) -> str:
    return ' '.join((text or '').split())[:limit]


class NodeService:
    """Query and drive one service (``ollama-distributed@<id>`` or ``ollama-distributed-<id>``)."""

    def __init__(self, run: Runner, manager: str, name: str) -> None:
        if manager not in MANAGERS:
            raise ValueError('manager must be one of %s, got %r' % (', '.join(MANAGERS), manager))
        self.run = run
        self.manager = manager
        self.name = name

    # -- reading -------------------------------------------------------------
    def query(self) -> ServiceState:
        if self.manager == 'systemd':
            return self._query_systemd()
        return self._query_supervisor()

    def _query_systemd(self) -> ServiceState:
        st = ServiceState(self.manager, self.name)
        rc, out, err = self.run(['systemctl', 'show', self.name, '--property=' + SYSTEMD_PROPERTIES])
        if rc != 0:
            st.detail = _flat(err or out) or 'systemctl show failed (rc %d)' % rc
            return st
        props = parse_systemctl_show(out)
        active = props.get('ActiveState', '')
        st.defined = props.get('LoadState') == 'loaded'
        st.running = st.defined and active in SYSTEMD_RUNNING
        st.state = '%s/%s' % (active, props.get('SubState', ''))
        st.pid = int(props.get('MainPID') or 0) or None
        st.unit_file = props.get('FragmentPath') or None
        st.enabled = props.get('UnitFileState') in ('enabled', 'enabled-runtime', 'static', 'alias')
        st.extra['enabled_state'] = props.get('UnitFileState') or None
        restarts = props.get('NRestarts') or ''
        st.restarts = int(restarts) if restarts.isdigit() else None
        st.detail = 'LoadState=%s ActiveState=%s' % (props.get('LoadState'), active)
        return st

    def _query_supervisor(self) -> ServiceState:
        st = ServiceState(self.manager, self.name)
        rc, out, err = self.run(['supervisorctl', 'status', self.name])
        text = (out or '') + (err or '')
        parsed = parse_supervisor_status(text) if rc != 127 else dict(state=None, pid=None, uptime_seconds=None)
        st.state = parsed['state']
        st.defined = st.state is not None
        st.running = st.state in SUPERVISOR_RUNNING
        st.pid = parsed['pid']
        st.uptime_seconds = parsed['uptime_seconds']
        st.detail = _flat(text) or 'supervisorctl gave no answer (rc %d)' % rc
        return st

    # -- driving -------------------------------------------------------------
    def _call(self, argv: List[str]) -> str:
        rc, out, err = self.run(argv)
        text = _flat((out or '') + ' ' + (err or ''))
        # supervisorctl 4 exits 0 on some errors; its answer says "ERROR".
        if rc != 0 or (argv[0] == 'supervisorctl' and 'ERROR' in text
                       and 'already started' not in text and 'not running' not in text):
            raise ServiceError('%s failed (rc %d): %s' % (' '.join(argv), rc, text or 'no output'))
        return text

    def start(self, wait: bool = True) -> None:
        """Start the service; with ``wait=False`` supervisord does not wait the program's startsecs."""
        if self.manager == 'systemd':
            self._call(['systemctl', 'start', self.name])  # Type=simple: returns once forked
            return
        python = None if wait else supervisor_python()
        if python:
            rc, out, err = self.run([python, '-c', SUPERVISOR_START_NOWAIT, self.name])
            if rc != 3:
                if rc != 0:
                    raise ServiceError('supervisord refused to start %s (rc %d): %s'
                                       % (self.name, rc, _flat(out + ' ' + err) or 'no output'))
                return
        self._call(['supervisorctl', 'start', self.name])

    def wait_ready(self, host: str, port: int, timeout: float) -> float:
        """Wait until ``host:port`` accepts TCP connections (the node listens); return the seconds waited.

        The service is read every half second: one that stops running (a bad
        configuration, a taken port: supervisord FATAL, systemd failed) fails
        at once with what its manager says, instead of at the timeout.
        """
        next_read = time.monotonic() + 0.5

        def refusal() -> Optional[str]:
            nonlocal next_read
            refused = tcp_refusal(host, port)
            if refused is not None and time.monotonic() >= next_read:
                st = self.query()
                if not st.running:
                    raise ServiceError('%s stopped while starting (%s), before %s:%d accepted connections: %s'
                                       % (self.name, st.state, host, port, st.detail))
                next_read = time.monotonic() + 0.5
            return refused

        result = poll_until(refusal, lambda refused: refused is None, timeout, interval=TCP_POLL_SECONDS)
        if not result.ok:
            raise ServiceError('%s runs but %s:%d did not accept connections within %ss: %s'
                               % (self.name, host, port, timeout, result.value))
        return round(result.elapsed, 2)

    def stop(self) -> None:
        self._call(['systemctl', 'stop', self.name] if self.manager == 'systemd'
                   else ['supervisorctl', 'stop', self.name])

    def restart(self, wait: bool = True) -> None:
        if self.manager == 'systemd':
            self._call(['systemctl', 'restart', self.name])
        else:
            # stop then start: `supervisorctl restart` is the same, but says less
            self._call(['supervisorctl', 'stop', self.name])
            self.start(wait)

    def enable(self, enabled: bool) -> None:
        if self.manager == 'systemd':
            self._call(['systemctl', 'enable' if enabled else 'disable', self.name])

    def load_definition(self) -> None:
        """Make the manager read a changed unit or program file.

        systemd: ``daemon-reload``. supervisord: ``reread`` then ``update`` of
        this program only (which stops a running program; the caller starts it
        again).
        """
        if self.manager == 'systemd':
            self._call(['systemctl', 'daemon-reload'])
        else:
            self._call(['supervisorctl', 'reread'])
            self._call(['supervisorctl', 'update', self.name])

    def forget(self) -> None:
        """supervisord: drop a program whose file was removed (systemd needs a daemon-reload)."""
        if self.manager == 'supervisor':
            self._call(['supervisorctl', 'reread'])
            self._call(['supervisorctl', 'remove', self.name])
        else:
            self._call(['systemctl', 'daemon-reload'])
