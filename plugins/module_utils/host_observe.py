# -*- coding: utf-8 -*-
# Copyright (c) ollama_lab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a machine offers a node, read without changing anything.

The OS (``/etc/os-release``), the usable CPUs, the memory (``/proc/meminfo``),
the Python running this code, commands on PATH, free space of the filesystem
of each path, and which processes listen on TCP ports (``/proc/net/tcp*`` and
``/proc/<pid>/fd``). No fact gathering and no command is run. Used by the
preflight module and by validate_probe's ``system`` section; the judging is in
``module_utils/host_checks.py``.
"""

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

import os
import sys
from typing import Any, Dict, Iterable, List, Optional

from ansible_collections.ollama_lab.distributed.plugins.module_utils import probes

# os-release ID -> the distribution name Ansible's facts use (ansible_facts.distribution)
DISTRIBUTIONS = {
    'debian': 'Debian', 'ubuntu': 'Ubuntu', 'linuxmint': 'Linux Mint', 'raspbian': 'Debian', 'kali': 'Kali',
    'devuan': 'Devuan', 'pop': 'Pop!_OS', 'rhel': 'RedHat', 'centos': 'CentOS', 'rocky': 'Rocky',
    'almalinux': 'AlmaLinux', 'fedora': 'Fedora', 'ol': 'OracleLinux', 'amzn': 'Amazon', 'sles': 'SLES',
    'opensuse-leap': 'openSUSE Leap', 'opensuse-tumbleweed': 'openSUSE Tumbleweed', 'arch': 'Archlinux',
    'alpine': 'Alpine',
}
# os-release ID or ID_LIKE word -> the OS family Ansible's facts use (ansible_facts.os_family)
FAMILIES = {
    'debian': 'Debian', 'ubuntu': 'Debian', 'linuxmint': 'Debian', 'raspbian': 'Debian', 'kali': 'Debian',
    'devuan': 'Debian', 'pop': 'Debian', 'rhel': 'RedHat', 'centos': 'RedHat', 'rocky': 'RedHat',
    'almalinux': 'RedHat', 'fedora': 'RedHat', 'ol': 'RedHat', 'amzn': 'RedHat', 'sles': 'Suse',
    'opensuse-leap': 'Suse', 'opensuse-tumbleweed': 'Suse', 'suse': 'Suse', 'arch': 'Archlinux',
    'alpine': 'Alpine',
}
# Searched after PATH: a non-login PATH may lack the sbin folders.
EXTRA_PATH = ('/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin')


def read_text(path: str) -> Optional[str]:
    """A file's text, or None when it cannot be read."""
    try:
        with open(path, 'r', errors='replace') as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def os_info(os_release: Optional[str] = None, debian_version: Optional[str] = None) -> Dict[str, Any]:
    """``{id, name, version, major, family, pretty}`` from /etc/os-release (and /etc/debian_version on Debian,
    whose point release os-release leaves out, as Ansible's distribution_version does)."""
    text = read_text('/etc/os-release') if os_release is None else os_release
    osr = probes.parse_os_release(text or read_text('/usr/lib/os-release') or '')
    os_id = (osr.get('ID') or '').lower()
    version = osr.get('VERSION_ID') or ''
    if os_id == 'debian':
        point = (read_text('/etc/debian_version') if debian_version is None else debian_version) or ''
        if point.strip()[:1].isdigit() and point.strip().split('.', maxsplit=1)[0] == version.split('.', maxsplit=1)[0]:
            version = point.strip()
    family = FAMILIES.get(os_id)
    for like in (osr.get('ID_LIKE') or '').lower().split():
        family = family or FAMILIES.get(like)
    name = DISTRIBUTIONS.get(os_id) or osr.get('NAME') or os_id or 'unknown'
    return dict(id=os_id or None, name=name, version=version, major=version.split('.', maxsplit=1)[0],
                family=family or name, pretty=osr.get('PRETTY_NAME') or ('%s %s' % (name, version)).strip())


def cpu_count() -> Optional[int]:
    """CPUs this process may run on (what ``nproc`` prints), else every CPU of the machine."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count()


def memory(meminfo: Optional[str] = None) -> Dict[str, Optional[int]]:
    """``{total_mb, available_mb}`` from /proc/meminfo (None when unreadable)."""
    mem = probes.parse_meminfo(read_text('/proc/meminfo') if meminfo is None else meminfo or '')
    return dict(total_mb=mem.get('MemTotal'), available_mb=mem.get('MemAvailable'))


def python_info() -> Dict[str, str]:
    """The Python that runs this code: the one Ansible uses on this host."""
    return dict(version='%d.%d.%d' % tuple(sys.version_info[:3]), executable=sys.executable or '?')


def find_commands(names: Iterable[str]) -> Dict[str, str]:
    """Where each command is found on PATH or in the usual bin folders ('' when missing)."""
    search = [p for p in os.environ.get('PATH', '').split(os.pathsep) if p] + list(EXTRA_PATH)
    found = {}
    for name in names:
        found[name] = ''
        for folder in search:
            candidate = os.path.join(folder, name)
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                found[name] = candidate
                break
    return found


def disks(paths: Iterable[str]) -> List[Dict[str, Any]]:
    """Free space of the filesystem of each path's nearest existing ancestor (paths need not exist)."""
    out = []
    for path in paths:
        checked = os.path.abspath(path)
        while not os.path.exists(checked) and checked != os.path.dirname(checked):
            checked = os.path.dirname(checked)
        item: Dict[str, Any] = dict(path=path, checked=checked, device=None, free_mb=None, total_mb=None)
        try:
            vfs = os.statvfs(checked)
            item.update(device=os.stat(checked).st_dev, free_mb=vfs.f_bavail * vfs.f_frsize // 1048576,
                        total_mb=vfs.f_blocks * vfs.f_frsize // 1048576)
        except OSError as exc:
            item['error'] = str(exc)
        out.append(item)
    return out


def listening(ports: Iterable[int]) -> Dict[int, List[int]]:
    """``{port: [socket inode]}`` of the TCP sockets (IPv4 and IPv6) listening on ``ports``."""
    wanted = set(ports)
    found: Dict[int, List[int]] = {}
    for path, v6 in (('/proc/net/tcp', False), ('/proc/net/tcp6', True)):
        for row in probes.parse_proc_net_tcp(read_text(path) or '', v6):
            if row['listening'] and row['port'] in wanted:
                found.setdefault(row['port'], []).append(row['inode'])
    return found


def process(pid: int) -> Dict[str, Any]:
    """A process: its names (executable, comm and argv[0] basenames), command line and ``--config`` files."""
    names = []
    try:
        names.append(os.path.basename(os.readlink('/proc/%d/exe' % pid)).replace(' (deleted)', ''))
    except (IOError, OSError):
        pass
    comm = read_text('/proc/%d/comm' % pid)
    if comm is not None:
        names.append(comm.strip())
    args: List[str] = []
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as stream:
            args = [a.decode('utf-8', 'replace') for a in stream.read().split(b'\0') if a]
    except (IOError, OSError):
        pass
    if args:
        names.append(os.path.basename(args[0]))
    configs = [a.split('=', 1)[-1] for i, a in enumerate(args)
               if a.startswith('--config=') or (i > 0 and args[i - 1] == '--config')]
    return dict(pid=pid, names=names, cmdline=' '.join(args)[:200], configs=configs)


def port_holders(ports: Iterable[int]) -> Dict[int, Dict[str, Any]]:
    """For each port: ``{listening, holders: [process]}``; a listener whose process this user may not see
    has no holder."""
    numbers = sorted(set(int(p) for p in ports))
    inodes = listening(numbers)
    wanted = dict((inode, port) for port, found in inodes.items() for inode in found)
    pids: Dict[int, set] = {}
    if wanted:
        for entry in os.listdir('/proc'):
            if not entry.isdigit():
                continue
            try:
                fds = os.listdir('/proc/%s/fd' % entry)
            except (IOError, OSError):
                continue
            for fd in fds:
                try:
                    target = os.readlink('/proc/%s/fd/%s' % (entry, fd))
                except (IOError, OSError):
                    continue
                inode = probes.socket_inodes([target])
                if inode and inode[0] in wanted:
                    pids.setdefault(wanted[inode[0]], set()).add(int(entry))
    return dict((port, dict(listening=port in inodes, holders=[process(pid) for pid in sorted(pids.get(port, ()))]))
                for port in numbers)


def machine(paths: Iterable[str], commands: Iterable[str]) -> Dict[str, Any]:
    """Everything the machine-level checks read."""
    return dict(os=os_info(), cpus=cpu_count(), memory=memory(), python=python_info(),
                commands=find_commands(commands), disks=disks(paths))
