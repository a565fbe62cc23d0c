# -*- coding: utf-8 -*-
# Copyright (c) ollama_lab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the validate_probe module reads from files and /proc on a node.

A node's process (its user, memory, uptime and the ports it listens on) and
who else holds the ports it should. Every failure to read is an observation,
never a crash. The parsing itself is in ``module_utils/probes.py``.
"""

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

import os
import pwd
import shutil
import time
from typing import Any, Callable, Dict, List, Optional

from ansible_collections.ollama_lab.distributed.plugins.module_utils import probes

#: runs a command: argv -> {rc, stdout, stderr, duration}
Runner = Callable[[List[str]], Dict[str, Any]]


def read_text(path: str) -> Optional[str]:
    """A file's text, or None when it cannot be read."""
    try:
        with open(path, 'r', errors='replace') as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def tail_text(path: str, count: int) -> Optional[str]:
    """The last ``count`` lines of a file, reading at most 4 MiB from its end."""
    try:
        with open(path, 'rb') as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 4 * 1048576))
            data = handle.read().decode('utf-8', 'replace')
    except (IOError, OSError):
        return None
    return '\n'.join(data.splitlines()[-count:])


def observe_process(pid: Optional[int], ports: List[int], run: Runner) -> Dict[str, Any]:
    """The process ``pid`` (None: not running), and who holds those of ``ports`` it does not."""
    started = time.monotonic()
    out: Dict[str, Any] = dict(pid=None, user=None, uid=None, rss_mb=None, uptime_seconds=None, listening=[],
                               others={})
    status_text = read_text('/proc/%d/status' % pid) if pid else None
    found = listeners()
    if pid and status_text is not None:
        out['pid'] = pid
        out['uid'] = probes.parse_status_uid(status_text)
        out['rss_mb'] = probes.parse_status_rss(status_text)
        try:
            out['user'] = pwd.getpwuid(out['uid']).pw_name if out['uid'] is not None else None
        except KeyError:
            out['user'] = str(out['uid'])
        out['command'] = (read_text('/proc/%d/cmdline' % pid) or '').replace('\x00', ' ').strip()[:300]
        out['uptime_seconds'] = probes.process_start_seconds(read_text('/proc/%d/stat' % pid) or '',
                                                             read_text('/proc/uptime') or '',
                                                             os.sysconf('SC_CLK_TCK'))
        inodes_seen = socket_inodes(pid)
        if inodes_seen is None:
            inodes_seen = socket_inodes_as_owner(pid, out['user'], run)
            out['fd_access'] = 'as %s' % out['user'] if inodes_seen is not None else 'denied'
        inodes = set(inodes_seen or [])
        out['listening'] = sorted([dict(address=r['address'], port=r['port']) for r in found
                                   if r['inode'] in inodes], key=lambda r: (r['port'], r['address']))
    held = set(r['port'] for r in out['listening'])
    wanted = [port for port in ports if port not in held]
    if wanted:
        out['others'] = holders(wanted, found)
    out['duration'] = round(time.monotonic() - started, 3)
    return out


def listeners() -> List[Dict[str, Any]]:
    """Every listening TCP socket of the machine (IPv4 and IPv6)."""
    rows = []
    for path, v6 in (('/proc/net/tcp', False), ('/proc/net/tcp6', True)):
        rows.extend(r for r in probes.parse_proc_net_tcp(read_text(path) or '', v6) if r['listening'])
    return rows


def socket_inodes(pid: int) -> Optional[List[int]]:
    """Socket inodes of a process, or None when its descriptors cannot be read."""
    fd_dir = '/proc/%d/fd' % pid
    targets = []
    try:
        for fd in os.listdir(fd_dir):
            try:
                targets.append(os.readlink(os.path.join(fd_dir, fd)))
            except PermissionError:
                return None
            except OSError:
                continue
    except PermissionError:
        return None
    except OSError:
        return []
    return probes.socket_inodes(targets)


def socket_inodes_as_owner(pid: int, user: Optional[str], run: Runner) -> Optional[List[int]]:
    """The same, read as the process owner.

    Root without CAP_SYS_PTRACE (a container) may not read the descriptors
    of another user's process; the owner may.
    """
    if not user or not shutil.which('runuser') or os.geteuid() != 0:
        return None
    res = run(['runuser', '-u', user, '--', 'find', '/proc/%d/fd' % pid, '-mindepth', '1', '-maxdepth', '1',
               '-lname', 'socket:*', '-printf', '%l\\n'])
    if res['rc'] != 0:
        return None
    return probes.socket_inodes(res['stdout'].split())


def holders(ports: List[int], found: List[Dict[str, Any]]) -> Dict[str, str]:
    """``{port: 'pid N name'}`` for the processes that listen on ``ports``."""
    by_inode = dict((r['inode'], r['port']) for r in found if r['port'] in ports)
    out: Dict[str, str] = {}
    if not by_inode:
        return out
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        for inode in socket_inodes(int(entry)) or []:
            if inode in by_inode:
                comm = (read_text('/proc/%s/comm' % entry) or '?').strip()
                out[str(by_inode[inode])] = 'pid %s %s' % (entry, comm)
    for port in set(by_inode.values()):
        out.setdefault(str(port), 'a process whose descriptors this probe may not read')
    return out
