# -*- coding: utf-8 -*-
# Copyright (c) ollama_lab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation checks of a node's host: the prerequisites, installation and configuration categories."""

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

from typing import Any, Dict, List, Mapping, Optional

from ansible_collections.ollama_lab.distributed.plugins.module_utils import host_checks, probes
from ansible_collections.ollama_lab.distributed.plugins.module_utils.checks_common import obs_duration, record


def eval_prerequisites(obs: Mapping[str, Any], s: Mapping[str, Any]) -> List[Dict[str, Any]]:
    """The machine's checks, judged by ``host_checks`` like the preflight module judges them."""
    c = 'prerequisites'
    sysobs = obs.get('system')
    if not sysobs:
        return [record(c, 'system_facts', 'fail', 'expected system facts from the node; found none (probe did not run)')]
    d = obs_duration(sysobs)
    osinfo = dict(id=sysobs.get('os_id'), name=sysobs.get('os_name') or sysobs.get('os_id'),
                  version=sysobs.get('os_version') or '', pretty=sysobs.get('os_pretty'))
    osinfo['major'] = str(osinfo['version']).split('.', maxsplit=1)[0]
    disk = dict(sysobs.get('disk') or {})
    disk.setdefault('checked', disk.get('path') or 'the data directory')
    judged = [
        ('os', host_checks.os_version(osinfo, s['supported_os'], False, 'validate_supported_os')),
        ('cpu', host_checks.cpus(sysobs.get('cpu_count'), s['min_cpus'], 'validate_min_cpus', s['recommended_cpus'])),
        ('memory', host_checks.memory(sysobs.get('mem_total_mb'), s['min_memory_mb'], 'validate_min_memory_mb',
                                      s['recommended_memory_mb'])),
        ('disk', host_checks.disks([disk], s['min_disk_mb'], 'validate_min_disk_mb')[0]),
        ('commands', host_checks.commands(sysobs.get('commands') or {}, s['required_commands'],
                                          'validate_required_commands')),
    ]
    out = []
    for name, item in judged:
        untested = ' (untested, may still work)' if name == 'os' and item['status'] == 'warn' else ''
        out.append(record(c, name, item['status'], 'expected %s; found %s%s' % (item['need'], item['found'], untested),
                          d))
    out.append(_eval_go(sysobs, d))
    return out


def _eval_go(sysobs: Mapping[str, Any], d: float) -> Dict[str, Any]:
    c = 'prerequisites'
    gomod = sysobs.get('go_mod')
    if not gomod:
        return record(c, 'go_version', 'skip', 'no source build configured: the Go toolchain is not needed', d)
    if gomod.get('error'):
        return record(c, 'go_version', 'fail', 'expected a readable go.mod at %s; %s'
                      % (gomod.get('path'), gomod['error']), d)
    minimum = gomod.get('go')
    if not minimum:
        return record(c, 'go_version', 'fail', 'expected a go directive in %s; found none' % gomod.get('path'), d)
    go = sysobs.get('go') or {}
    found = go.get('version')
    if not found:
        return record(c, 'go_version', 'fail', 'expected Go %s or newer (go directive of %s); found no go command%s'
                      % (minimum, gomod.get('path'), (': %s' % go['error']) if go.get('error') else ''), d)
    if probes.version_at_least(found, minimum):
        return record(c, 'go_version', 'pass', 'expected Go %s or newer (go directive of %s); found %s'
                      % (minimum, gomod.get('path'), found), d)
    return record(c, 'go_version', 'fail', 'expected Go %s or newer (go directive of %s); found %s at %s'
                  % (minimum, gomod.get('path'), found, go.get('path')), d)


def eval_installation(obs: Mapping[str, Any], s: Mapping[str, Any]) -> List[Dict[str, Any]]:
    c = 'installation'
    b = obs.get('binary') or {}
    d = obs_duration(b)
    out = []
    path = b.get('path') or '/usr/local/bin/ollama-distributed'
    if not b.get('exists'):
        out.append(record(c, 'binary_present', 'fail', 'expected an executable at %s; found nothing' % path, d))
        for name in ('binary_help', 'binary_version_runs', 'binary_version'):
            out.append(record(c, name, 'skip', 'skipped: the binary is missing (see installation/binary_present)'))
    elif not b.get('executable'):
        out.append(record(c, 'binary_present', 'fail', 'expected %s to be executable; found mode %s'
                          % (path, b.get('mode')), d))
        for name in ('binary_help', 'binary_version_runs', 'binary_version'):
            out.append(record(c, name, 'skip', 'skipped: the binary is not executable (see installation/binary_present)'))
    else:
        out.append(record(c, 'binary_present', 'pass', 'expected an executable at %s; found it (mode %s)'
                          % (path, b.get('mode')), d))
        h = b.get('help') or {}
        text = (h.get('stdout') or '') + (h.get('stderr') or '')
        if h.get('rc') == 0 and 'ollama-distributed' in text:
            out.append(record(c, 'binary_help', 'pass', 'expected `--help` to exit 0 with usage naming '
                              'ollama-distributed; found that', h.get('duration', 0)))
        else:
            out.append(record(c, 'binary_help', 'fail', 'expected `--help` to exit 0 with usage naming '
                              'ollama-distributed; found exit %s: %s' % (h.get('rc'), _short(text)), h.get('duration', 0)))
        v = b.get('version') or {}
        vtext = (v.get('stdout') or '') + (v.get('stderr') or '')
        found = probes.parse_binary_version(vtext)
        if v.get('rc') == 0 and found:
            out.append(record(c, 'binary_version_runs', 'pass', 'expected `--version` to print '
                              '"ollama-distributed version <v>"; found version %s' % found, v.get('duration', 0)))
        else:
            out.append(record(c, 'binary_version_runs', 'fail', 'expected `--version` to exit 0 and print '
                              '"ollama-distributed version <v>"; found exit %s: %s' % (v.get('rc'), _short(vtext)),
                              v.get('duration', 0)))
        expected = s.get('expected_version')
        if not expected:
            out.append(record(c, 'binary_version', 'skip', 'no version asked for (validate_expected_version and '
                              'install_version unset); found %s' % (found or 'none')))
        elif not found:
            out.append(record(c, 'binary_version', 'fail', 'expected version %s; the binary did not report one'
                              % expected))
        elif probes.same_version(found, expected):
            out.append(record(c, 'binary_version', 'pass', 'expected version %s; found %s' % (expected, found)))
        else:
            out.append(record(c, 'binary_version', 'fail', 'expected version %s; found %s at %s'
                              % (expected, found, path)))

    svc = obs.get('service') or {}
    sd = obs_duration(svc)
    name = svc.get('name') or 'the service'
    manager = svc.get('manager') or 'the service manager'
    if svc.get('installed'):
        out.append(record(c, 'service_installed', 'pass', 'expected %s to be known to %s; found %s'
                          % (name, manager, svc.get('unit_file') or 'it'), sd))
        if svc.get('enabled'):
            out.append(record(c, 'service_enabled', 'pass', 'expected %s to start at boot; found it enabled (%s)'
                              % (name, svc.get('enabled_state') or 'enabled'), sd))
        elif svc.get('manager') == 'supervisor':
            # The install role leaves autostart off on purpose (the cluster role starts the nodes in order).
            out.append(record(c, 'service_enabled', 'warn', 'expected %s to start with supervisord; found %s '
                              '(set install_supervisor_autostart: true to bring it back after a reboot)'
                              % (name, svc.get('enabled_state') or 'autostart=false'), sd))
        else:
            out.append(record(c, 'service_enabled', 'fail', 'expected %s to start at boot; found %s'
                              % (name, svc.get('enabled_state') or 'disabled'), sd))
    else:
        out.append(record(c, 'service_installed', 'fail', 'expected %s to be known to %s; found nothing%s'
                          % (name, manager, (': %s' % _short(svc['detail'])) if svc.get('detail') else ''), sd))
        out.append(record(c, 'service_enabled', 'skip', 'skipped: the service is not installed '
                          '(see installation/service_installed)'))
    return out


def _short(text: Optional[str], limit: int = 160) -> str:
    text = ' '.join((text or '').split())
    if not text:
        return '<no output>'
    return text if len(text) <= limit else text[:limit] + '...'


def eval_configuration(obs: Mapping[str, Any], s: Mapping[str, Any]) -> List[Dict[str, Any]]:
    c = 'configuration'
    cfg = obs.get('config') or {}
    d = obs_duration(cfg)
    out = []
    path = cfg.get('path') or 'the config file'
    if not cfg.get('exists'):
        out.append(record(c, 'file_present', 'fail', 'expected the node config at %s; found nothing' % path, d))
        for name in ('file_permissions', 'parses', 'binary_validate'):
            out.append(record(c, name, 'skip', 'skipped: no config file (see configuration/file_present)'))
    else:
        out.append(record(c, 'file_present', 'pass', 'expected the node config at %s; found it' % path, d))
        out.append(_eval_config_permissions(cfg, s, d))
        doc = obs.get('config_doc') or {}
        if doc.get('parsed'):
            out.append(record(c, 'parses', 'pass', 'expected %s to be a YAML mapping; found one with keys %s'
                              % (path, ', '.join(sorted(doc.get('keys') or [])) or '(none)')))
        elif doc:
            out.append(record(c, 'parses', 'fail', 'expected %s to be a YAML mapping; found: %s'
                              % (path, doc.get('error') or 'not a mapping')))
        else:
            out.append(record(c, 'parses', 'skip', 'the config was not read (no config_doc observation)'))
        v = cfg.get('validate')
        if not v:
            out.append(record(c, 'binary_validate', 'skip', 'skipped: the binary is missing (see installation)'))
        else:
            text = (v.get('stdout') or '') + '\n' + (v.get('stderr') or '')
            if v.get('rc') == 0 and 'configuration OK' in text:
                out.append(record(c, 'binary_validate', 'pass', 'expected `validate --config %s` to say '
                                  '"configuration OK"; found that' % path, v.get('duration', 0)))
            elif v.get('rc') == 2:
                problems = [line.strip() for line in text.splitlines() if line.strip()]
                out.append(record(c, 'binary_validate', 'fail', 'expected `validate --config %s` to pass; found '
                                  '%d problem(s): %s' % (path, len(problems), '; '.join(problems[:5])),
                                  v.get('duration', 0)))
            else:
                out.append(record(c, 'binary_validate', 'fail', 'expected `validate --config %s` to exit 0; found '
                                  'exit %s: %s' % (path, v.get('rc'), _short(text)), v.get('duration', 0)))

    dirs = obs.get('dirs')
    if dirs is None:
        out.append(record(c, 'dirs_writable', 'skip', 'data directories were not probed'))
    else:
        bad = ['%s (%s)' % (x['path'], 'missing' if not x.get('exists') else 'not writable by %s, owner %s mode %s'
                            % (s['service_user'], x.get('owner'), x.get('mode'))) for x in dirs
               if not (x.get('exists') and x.get('writable'))]
        if bad:
            out.append(record(c, 'dirs_writable', 'fail', 'expected %s to be writable by %s; found %s'
                              % (', '.join(x['path'] for x in dirs), s['service_user'], '; '.join(bad))))
        else:
            out.append(record(c, 'dirs_writable', 'pass', 'expected %s to be writable by %s; found that'
                              % (', '.join(x['path'] for x in dirs) or '(none)', s['service_user'])))
    return out


def _eval_config_permissions(cfg: Mapping[str, Any], s: Mapping[str, Any], d: float) -> Dict[str, Any]:
    c = 'configuration'
    path = cfg.get('path')
    mode = int(str(cfg.get('mode') or '0'), 8)
    problems = []
    if mode & 0o007:
        problems.append('readable by everyone (mode %s)' % cfg.get('mode'))
    if cfg.get('owner') != 'root':
        problems.append('owned by %s, not root' % cfg.get('owner'))
    if cfg.get('group') not in ('root', s['service_group']):
        problems.append('group %s, neither root nor %s' % (cfg.get('group'), s['service_group']))
    if cfg.get('readable_by_service') is False:
        problems.append('%s cannot read it' % s['service_user'])
    expected = 'expected %s readable only by root and %s (e.g. 0640 root:%s)' % (path, s['service_user'],
                                                                                 s['service_group'])
    if problems:
        return record(c, 'file_permissions', 'fail', '%s; found %s' % (expected, ', '.join(problems)), d)
    found = '%s %s:%s' % (cfg.get('mode'), cfg.get('owner'), cfg.get('group'))
    return record(c, 'file_permissions', 'pass', '%s; found %s' % (expected, found), d)
