# -*- coding: utf-8 -*-
# Copyright (c) ollama_lab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The observations of one node, as the validate_probe module returns them.

Sections: the system, the binary, the service, its process (``proc_probe``),
the configuration file, the state directories and the log. Observes only:
``module_utils/checks.py`` judges.
"""

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

import grp
import os
import pwd
import shutil
import stat
import time
from typing import Any, Dict, List, Optional, Tuple

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ollama_lab.distributed.plugins.module_utils import host_observe, probes, proc_probe
from ansible_collections.ollama_lab.distributed.plugins.module_utils.proc_probe import read_text, tail_text
from ansible_collections.ollama_lab.distributed.plugins.module_utils.service import NodeService


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
        osinfo = host_observe.os_info()
        mem = host_observe.memory()
        [seen] = host_observe.disks([self.p['disk_path'] or '/'])
        disk: Dict[str, Any] = dict(path=seen['checked'], free_mb=seen['free_mb'], total_mb=seen['total_mb'])
        if seen.get('error'):
            disk['error'] = seen['error']
        commands = dict((name, found or None) for name, found in
                        host_observe.find_commands(self.p['required_commands']).items())
        out: Dict[str, Any] = dict(os_id=osinfo['id'], os_name=osinfo['name'], os_family=osinfo['family'],
                                   os_version=osinfo['version'], os_pretty=osinfo['pretty'],
                                   cpu_count=host_observe.cpu_count(), mem_total_mb=mem['total_mb'],
                                   mem_available_mb=mem['available_mb'], python=host_observe.python_info(),
                                   load=probes.parse_loadavg(read_text('/proc/loadavg') or ''), disk=disk,
                                   commands=commands, go=None, go_mod=None)
        if self.p['go_mod']:
            text = read_text(self.p['go_mod'])
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
            for line in (read_text(program) or '').splitlines():
                key, sep, value = line.partition('=')
                if sep and key.strip() == 'autostart':
                    autostart = value.strip().lower()
            # supervisord's default for autostart is true
            out['enabled'] = st.defined and autostart in (None, 'true')
            out['enabled_state'] = 'autostart=%s' % (autostart or 'true (default)')
        out['duration'] = round(time.monotonic() - started, 3)
        return out

    def process(self, pid: Optional[int]) -> Dict[str, Any]:
        return proc_probe.observe_process(pid, [int(p['port']) for p in self.p['ports']], self.run)

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
            text = tail_text(path, self.p['log_lines'])
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
