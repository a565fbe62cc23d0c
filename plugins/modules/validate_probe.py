#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) ollama_lab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
---
module: validate_probe
short_description: Observe one Ollama Distributed node on its machine (system, binary, service, process, config, logs)
version_added: 0.1.0
description:
  - Runs on the machine of one node and reports what it sees, without judging it and without changing anything.
    The validate role turns the observations into checks (C(module_utils/checks.py)); the monitor role reads the
    system, service, process and log parts.
  - C(system) - OS, CPU count, memory, free disk, load, required commands, and the Go toolchain against the C(go)
    directive of a C(go.mod) when O(go_mod) is set.
  - C(binary) - the node binary, its mode, C(--help) and C(--version).
  - C(service) - the systemd unit or supervisor program of the node, whether it is installed, enabled and active,
    its main pid and restart count.
  - C(process) - the node process (user, resident memory, age) and the TCP ports it listens on, read from
    C(/proc/<pid>/fd) and C(/proc/net/tcp*); a port held by another process is reported with that process.
  - C(config) - the config file's mode, owner and group, whether the service user can read it, and the result of
    C(ollama-distributed validate --config). The file content is never read or returned.
  - C(dirs) - whether each data directory exists and is writable by the service user.
  - C(logs) - error-level lines since the process started, from the systemd journal or from log files.
author:
  - ollama_lab maintainers (@ollama-lab)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Only reads; runs the same in check mode.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  sections:
    description: What to observe.
    type: list
    elements: str
    choices: [system, binary, service, process, config, dirs, logs]
    default: [system, binary, service, process, config, dirs, logs]
  binary:
    description: Path of the node binary.
    type: path
    default: /usr/local/bin/ollama-distributed
  command_timeout:
    description: Seconds any command run by the probe may take.
    type: float
    default: 15
  service_manager:
    description: What runs the node.
    type: str
    choices: [systemd, supervisor]
    required: true
  service_name:
    description: The systemd unit (C(ollama-distributed@<id>.service)) or supervisor program (C(ollama-distributed-<id>)).
    type: str
    required: true
  supervisor_program_file:
    description:
      - The supervisor program file, read for C(autostart) (the supervisor meaning of enabled).
      - Defaults to C(/etc/supervisor/conf.d/<service_name>.conf).
    type: path
  config_file:
    description: The node config file.
    type: path
  service_user:
    description: The account the node runs as.
    type: str
    default: ollama
  dirs:
    description: Directories the node must be able to write.
    type: list
    elements: path
    default: []
  ports:
    description: The TCP ports the node process must hold, each C({name, port}).
    type: list
    elements: dict
    default: []
  log_files:
    description:
      - Log files to scan (supervisor nodes; systemd nodes read the journal of O(service_name) and these files too).
      - Missing files are ignored.
    type: list
    elements: path
    default: []
  log_lines:
    description: How many of the most recent log lines to scan at most.
    type: int
    default: 1000
  log_window:
    description:
      - Only lines of the last this many seconds count; C(0) means since the node process started.
    type: int
    default: 0
  disk_path:
    description: The path whose file system must have free space (the data root); the nearest existing parent is used.
    type: path
    default: /var/lib
  required_commands:
    description: Commands that must be on the PATH.
    type: list
    elements: str
    default: []
  go_mod:
    description:
      - The C(go.mod) of the source a build uses; its C(go) directive is the minimum Go version needed.
      - Leave empty when no source build is configured (the Go check is then skipped).
    type: path
  go_binary:
    description: The Go toolchain used for the build.
    type: path
    default: go
'''

EXAMPLES = r'''
- name: Observe this node
  ollama_lab.distributed.validate_probe:
    service_manager: "{{ layout_node.service_manager }}"
    service_name: "{{ layout_node.service_name }}"
    config_file: "{{ layout_node.config_file }}"
    dirs: ["{{ layout_node.data_dir }}", "{{ layout_node.models_dir }}"]
    ports:
      - {name: api, port: "{{ layout_node.api_port }}"}
      - {name: p2p, port: "{{ layout_node.p2p_port }}"}
  register: node_observations

- name: Only resources and logs (monitoring)
  ollama_lab.distributed.validate_probe:
    sections: [system, service, process, logs]
    service_manager: supervisor
    service_name: ollama-distributed-node1
    log_files: [/var/log/ollama-distributed/node1.supervisor.log]
    log_window: 900
'''

RETURN = r'''
observations:
  description:
    - What was seen, one key per section (C(system), C(binary), C(service), C(process), C(config), C(dirs),
      C(logs)); see C(plugins/module_utils/checks.py) for the fields each check reads.
  returned: always
  type: dict
  sample:
    service: {manager: systemd, name: ollama-distributed@node1.service, installed: true, enabled: true,
              active: true, state: active/running, pid: 4242, restarts: 0}
    process: {pid: 4242, user: ollama, uid: 998, rss_mb: 14, uptime_seconds: 372.4,
              listening: [{address: 127.0.0.1, port: 8080}], others: {}}
'''

import grp
import os
import pwd
import shutil
import stat
import time
from typing import Any, Dict, List, Optional, Tuple

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ollama_lab.distributed.plugins.module_utils import probes
from ansible_collections.ollama_lab.distributed.plugins.module_utils.service import NodeService


def _read(path: str) -> Optional[str]:
    try:
        with open(path, 'r', errors='replace') as handle:
            return handle.read()
    except (IOError, OSError):
        return None


class Prober:
    """Collects the observations of one node."""

    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        self.p = module.params
        self.timeout = self.p['command_timeout']

    # -- helpers ------------------------------------------------------------
    def run(self, argv: List[str]) -> Dict[str, Any]:
        """Run a command (bounded by coreutils timeout); a failure is an observation, never a crash."""
        started = time.monotonic()
        if not shutil.which(argv[0]) and not os.path.exists(argv[0]):
            return dict(rc=127, stdout='', stderr='%s: command not found' % argv[0], duration=0.0)
        wrapped = argv
        if shutil.which('timeout'):
            wrapped = ['timeout', '--kill-after=2', '%g' % self.timeout] + argv
        rc, stdout, stderr = self.module.run_command(wrapped, check_rc=False,
                                                     environ_update=dict(LC_ALL='C', SYSTEMD_PAGER='', PAGER='cat'))
        if rc == 124 and wrapped is not argv:
            stderr = '%s: no answer within %gs' % (argv[0], self.timeout)
        return dict(rc=rc, stdout=stdout[:20000], stderr=stderr[:4000], duration=round(time.monotonic() - started, 3))

    @staticmethod
    def user_ids(name: str) -> Dict[str, Any]:
        try:
            pw = pwd.getpwnam(name)
        except KeyError:
            return dict(uid=None, gids=[])
        gids = set([pw.pw_gid])
        for group in grp.getgrall():
            if name in group.gr_mem:
                gids.add(group.gr_gid)
        return dict(uid=pw.pw_uid, gids=sorted(gids))

    @staticmethod
    def owner(st: os.stat_result) -> Dict[str, str]:
        try:
            user = pwd.getpwuid(st.st_uid).pw_name
        except KeyError:
            user = str(st.st_uid)
        try:
            group = grp.getgrgid(st.st_gid).gr_name
        except KeyError:
            group = str(st.st_gid)
        return dict(owner=user, group=group, mode='%04o' % stat.S_IMODE(st.st_mode))

    # -- sections -------------------------------------------------------------
    def system(self) -> Dict[str, Any]:
        started = time.monotonic()
        osr = probes.parse_os_release(_read('/etc/os-release') or '')
        mem = probes.parse_meminfo(_read('/proc/meminfo') or '')
        path = self.p['disk_path'] or '/'
        while path and path != '/' and not os.path.exists(path):
            path = os.path.dirname(path)
        disk: Dict[str, Any] = dict(path=path, free_mb=None, total_mb=None)
        try:
            vfs = os.statvfs(path)
            disk.update(free_mb=vfs.f_bavail * vfs.f_frsize // 1048576, total_mb=vfs.f_blocks * vfs.f_frsize // 1048576)
        except OSError as exc:
            disk['error'] = str(exc)
        commands = dict((name, shutil.which(name)) for name in self.p['required_commands'])
        out: Dict[str, Any] = dict(os_id=osr.get('ID'), os_version=osr.get('VERSION_ID'),
                                   os_pretty=osr.get('PRETTY_NAME'), cpu_count=os.cpu_count(),
                                   mem_total_mb=mem.get('MemTotal'), mem_available_mb=mem.get('MemAvailable'),
                                   load=probes.parse_loadavg(_read('/proc/loadavg') or ''), disk=disk,
                                   commands=commands, go=None, go_mod=None)
        if self.p['go_mod']:
            text = _read(self.p['go_mod'])
            if text is None:
                out['go_mod'] = dict(path=self.p['go_mod'], error='cannot read it (is the source fetched yet?)')
            else:
                out['go_mod'] = dict(path=self.p['go_mod'], **probes.parse_go_mod(text))
            go = shutil.which(self.p['go_binary']) or (self.p['go_binary'] if os.path.exists(self.p['go_binary'])
                                                       else None)
            if go:
                res = self.run([go, 'version'])
                out['go'] = dict(path=go, version=probes.parse_go_version(res['stdout']),
                                 error=None if res['rc'] == 0 else res['stderr'].strip())
            else:
                out['go'] = dict(path=self.p['go_binary'], version=None, error='not found')
        out['duration'] = round(time.monotonic() - started, 3)
        return out

    def binary(self) -> Dict[str, Any]:
        started = time.monotonic()
        path = self.p['binary']
        out: Dict[str, Any] = dict(path=path, exists=os.path.exists(path), executable=False, mode=None)
        if out['exists']:
            st = os.stat(path)
            out['mode'] = '%04o' % stat.S_IMODE(st.st_mode)
            out['realpath'] = os.path.realpath(path)
            out['executable'] = stat.S_ISREG(st.st_mode) and os.access(path, os.X_OK)
        if out['executable']:
            out['help'] = self.run([path, '--help'])
            out['version'] = self.run([path, '--version'])
        out['duration'] = round(time.monotonic() - started, 3)
        return out

    def service(self) -> Dict[str, Any]:
        started = time.monotonic()
        name = self.p['service_name']

        def run(argv: List[str]) -> Tuple[int, str, str]:
            res = self.run(argv)
            return res['rc'], res['stdout'], res['stderr']

        st = NodeService(run, self.p['service_manager'], name).query()
        out: Dict[str, Any] = dict(manager=st.manager, name=name, installed=st.defined, enabled=bool(st.enabled),
                                   active=st.running, state=st.state, pid=st.pid, restarts=st.restarts,
                                   unit_file=st.unit_file, enabled_state=st.extra.get('enabled_state'))
        if not st.defined:
            out['detail'] = st.detail
        if st.manager == 'supervisor':
            out['uptime_seconds'] = st.uptime_seconds
            program = self.p['supervisor_program_file'] or '/etc/supervisor/conf.d/%s.conf' % name
            out['unit_file'] = program if os.path.exists(program) else None
            autostart = None
            for line in (_read(program) or '').splitlines():
                key, sep, value = line.partition('=')
                if sep and key.strip() == 'autostart':
                    autostart = value.strip().lower()
            # supervisord's default for autostart is true
            out['enabled'] = st.defined and autostart in (None, 'true')
            out['enabled_state'] = 'autostart=%s' % (autostart or 'true (default)')
        out['duration'] = round(time.monotonic() - started, 3)
        return out

    def process(self, pid: Optional[int]) -> Dict[str, Any]:
        started = time.monotonic()
        out: Dict[str, Any] = dict(pid=None, user=None, uid=None, rss_mb=None, uptime_seconds=None, listening=[],
                                   others={})
        status_text = _read('/proc/%d/status' % pid) if pid else None
        listeners = self._listeners()
        if pid and status_text is not None:
            out['pid'] = pid
            out['uid'] = probes.parse_status_uid(status_text)
            out['rss_mb'] = probes.parse_status_rss(status_text)
            try:
                out['user'] = pwd.getpwuid(out['uid']).pw_name if out['uid'] is not None else None
            except KeyError:
                out['user'] = str(out['uid'])
            out['command'] = (_read('/proc/%d/cmdline' % pid) or '').replace('\x00', ' ').strip()[:300]
            out['uptime_seconds'] = probes.process_start_seconds(_read('/proc/%d/stat' % pid) or '',
                                                                 _read('/proc/uptime') or '',
                                                                 os.sysconf('SC_CLK_TCK'))
            inodes_seen = self._socket_inodes(pid)
            if inodes_seen is None:
                inodes_seen = self._socket_inodes_as_owner(pid, out['user'])
                out['fd_access'] = 'as %s' % out['user'] if inodes_seen is not None else 'denied'
            inodes = set(inodes_seen or [])
            out['listening'] = sorted([dict(address=r['address'], port=r['port']) for r in listeners
                                       if r['inode'] in inodes], key=lambda r: (r['port'], r['address']))
        held = set(r['port'] for r in out['listening'])
        wanted = [int(p['port']) for p in self.p['ports'] if int(p['port']) not in held]
        if wanted:
            out['others'] = self._holders(wanted, listeners)
        out['duration'] = round(time.monotonic() - started, 3)
        return out

    @staticmethod
    def _listeners() -> List[Dict[str, Any]]:
        rows = []
        for path, v6 in (('/proc/net/tcp', False), ('/proc/net/tcp6', True)):
            rows.extend(r for r in probes.parse_proc_net_tcp(_read(path) or '', v6) if r['listening'])
        return rows

    @staticmethod
    def _socket_inodes(pid: int) -> Optional[List[int]]:
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

    def _socket_inodes_as_owner(self, pid: int, user: Optional[str]) -> Optional[List[int]]:
        """The same, read as the process owner.

        Root without CAP_SYS_PTRACE (a container) may not read the descriptors
        of another user's process; the owner may.
        """
        if not user or not shutil.which('runuser') or os.geteuid() != 0:
            return None
        res = self.run(['runuser', '-u', user, '--', 'find', '/proc/%d/fd' % pid, '-mindepth', '1', '-maxdepth', '1',
                        '-lname', 'socket:*', '-printf', '%l\\n'])
        if res['rc'] != 0:
            return None
        return probes.socket_inodes(res['stdout'].split())

    def _holders(self, ports: List[int], listeners: List[Dict[str, Any]]) -> Dict[str, str]:
        by_inode = dict((r['inode'], r['port']) for r in listeners if r['port'] in ports)
        found: Dict[str, str] = {}
        if not by_inode:
            return found
        for entry in os.listdir('/proc'):
            if not entry.isdigit():
                continue
            for inode in self._socket_inodes(int(entry)) or []:
                if inode in by_inode:
                    comm = (_read('/proc/%s/comm' % entry) or '?').strip()
                    found[str(by_inode[inode])] = 'pid %s %s' % (entry, comm)
        for port in set(by_inode.values()):
            found.setdefault(str(port), 'a process whose descriptors this probe may not read')
        return found

    def config(self) -> Dict[str, Any]:
        started = time.monotonic()
        path = self.p['config_file']
        out: Dict[str, Any] = dict(path=path, exists=bool(path) and os.path.isfile(path))
        if out['exists']:
            st = os.stat(path)
            out.update(self.owner(st))
            ids = self.user_ids(self.p['service_user'])
            if ids['uid'] is None:
                out['readable_by_service'] = False
            else:
                out['readable_by_service'] = probes.can_read(stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid,
                                                             ids['uid'], ids['gids'])
            if os.access(self.p['binary'], os.X_OK):
                out['validate'] = self.run([self.p['binary'], 'validate', '--config', path])
        out['duration'] = round(time.monotonic() - started, 3)
        return out

    def dirs(self) -> List[Dict[str, Any]]:
        ids = self.user_ids(self.p['service_user'])
        out = []
        for path in self.p['dirs']:
            item: Dict[str, Any] = dict(path=path, exists=os.path.isdir(path), writable=False)
            if item['exists']:
                st = os.stat(path)
                item.update(self.owner(st))
                mode = stat.S_IMODE(st.st_mode)
                # creating entries needs write and search (x) permission in the same class
                item['writable'] = ids['uid'] is not None and probes.can_write(
                    mode, st.st_uid, st.st_gid, ids['uid'], ids['gids']) and probes.can_write(
                    (mode & 0o111) << 1, st.st_uid, st.st_gid, ids['uid'], ids['gids'])
            out.append(item)
        return out

    def logs(self, process_started: Optional[float]) -> Dict[str, Any]:
        """Error lines of the last log_window seconds, or since the process started (epoch seconds)."""
        started = time.monotonic()
        window = self.p['log_window']
        since = None
        if window:
            since = time.time() - window
        elif process_started is not None:
            # a second of slack: log lines carry whole seconds
            since = process_started - 1
        lines: List[str] = []
        sources = []
        errors = []
        if self.p['service_manager'] == 'systemd':
            argv = ['journalctl', '--no-pager', '-o', 'short-iso-precise', '-u', self.p['service_name'],
                    '-n', str(self.p['log_lines'])]
            if since is not None:
                argv += ['--since', '@%d' % int(since)]
            res = self.run(argv)
            sources.append('journal of %s' % self.p['service_name'])
            if res['rc'] == 0:
                lines.extend(line for line in res['stdout'].splitlines()
                             if line.strip() and not line.startswith('-- '))
            else:
                errors.append('journalctl: %s' % (res['stderr'].strip() or 'exit %s' % res['rc']))
        for path in self.p['log_files']:
            if not os.path.isfile(path):
                continue
            sources.append(path)
            text = _tail(path, self.p['log_lines'])
            if text is None:
                errors.append('cannot read %s' % path)
            else:
                lines.extend(text.splitlines())
        if not sources:
            return dict(source='no log found (%s)' % ', '.join(self.p['log_files']) or 'none configured',
                        error='no journal and none of the log files exists', duration=0.0)
        scan = probes.scan_log_errors(lines, since=since)
        out: Dict[str, Any] = dict(source=', '.join(sources), since=since, **scan)
        if errors and not lines:
            out['error'] = '; '.join(errors)
        out['duration'] = round(time.monotonic() - started, 3)
        return out

    def collect(self) -> Dict[str, Any]:
        sections = set(self.p['sections'])
        obs: Dict[str, Any] = {}
        if 'system' in sections:
            obs['system'] = self.system()
        if 'binary' in sections:
            obs['binary'] = self.binary()
        pid = None
        if sections & set(['service', 'process', 'logs']):
            obs['service'] = self.service()
            pid = obs['service'].get('pid') if obs['service'].get('active') else None
        process_started = None
        if 'process' in sections or 'logs' in sections:
            obs['process'] = self.process(pid)
            uptime = obs['process'].get('uptime_seconds')
            # the start as a point in time now, not later: the checks below take a while
            process_started = time.time() - uptime if uptime is not None else None
        if 'config' in sections:
            obs['config'] = self.config()
        if 'dirs' in sections:
            obs['dirs'] = self.dirs()
        if 'logs' in sections:
            obs['logs'] = self.logs(process_started)
        return obs


def _tail(path: str, count: int) -> Optional[str]:
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


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            sections=dict(type='list', elements='str', default=['system', 'binary', 'service', 'process', 'config',
                                                                'dirs', 'logs'],
                          choices=['system', 'binary', 'service', 'process', 'config', 'dirs', 'logs']),
            binary=dict(type='path', default='/usr/local/bin/ollama-distributed'),
            command_timeout=dict(type='float', default=15.0),
            service_manager=dict(type='str', required=True, choices=['systemd', 'supervisor']),
            service_name=dict(type='str', required=True),
            supervisor_program_file=dict(type='path'),
            config_file=dict(type='path'),
            service_user=dict(type='str', default='ollama'),
            dirs=dict(type='list', elements='path', default=[]),
            ports=dict(type='list', elements='dict', default=[]),
            log_files=dict(type='list', elements='path', default=[]),
            log_lines=dict(type='int', default=1000),
            log_window=dict(type='int', default=0),
            disk_path=dict(type='path', default='/var/lib'),
            required_commands=dict(type='list', elements='str', default=[]),
            go_mod=dict(type='path'),
            go_binary=dict(type='path', default='go'),
        ),
        supports_check_mode=True,
    )
    for item in module.params['ports']:
        try:
            port = int(item.get('port'))
        except (TypeError, ValueError):
            port = 0
        if not item.get('name') or not 1 <= port <= 65535:
            module.fail_json(msg='ports: each item needs a name and a port 1-65535, got %r' % (item,))
    if module.params['log_lines'] < 1 or module.params['log_window'] < 0:
        module.fail_json(msg='log_lines must be 1 or more and log_window 0 or more, got %r and %r'
                         % (module.params['log_lines'], module.params['log_window']))
    module.exit_json(changed=False, observations=Prober(module).collect())


if __name__ == '__main__':
    main()
