# -*- coding: utf-8 -*-
# Copyright (c) ollama_lab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn what the probes observed on a node into validation check records.

Pure functions: ``evaluate_node(observations, settings)`` and
``evaluate_cluster(nodes, settings)`` return lists of records
``{category, name, status, message, duration}`` where ``status`` is one of
``pass``, ``warn``, ``fail``, ``skip`` and ``message`` says what was expected
and what was found. The observations are those returned by the node_probe
module (plus the few the validate role adds, see ``roles/validate``).

A check whose precondition is broken elsewhere (a route of a stopped node,
say) is skipped and names the check that holds the root cause, so that one
fault turns exactly the check meant for it red.
"""

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

from ansible_collections.ollama_lab.distributed.plugins.module_utils import probes

STATUSES = ('pass', 'warn', 'fail', 'skip')
CATEGORIES = ('prerequisites', 'installation', 'configuration', 'startup', 'api', 'performance',
              'security', 'cluster')
_RANK = {'skip': 0, 'pass': 1, 'warn': 2, 'fail': 3}

#: Default thresholds; the validate role passes its validate_* variables over them.
DEFAULT_SETTINGS: Dict[str, Any] = dict(
    categories=list(CATEGORIES),
    expected_version='',
    service_user='ollama',
    service_group='ollama',
    supported_os=['debian', 'ubuntu', 'rocky', 'almalinux', 'rhel', 'centos', 'fedora'],
    min_cpus=1,
    recommended_cpus=2,
    min_memory_mb=512,
    recommended_memory_mb=2048,
    min_disk_mb=1024,
    required_commands=['curl', 'tar'],
    ports=[],
    restart_window=60,
    log_error_max=0,
    health_p95_warn_ms=200.0,
    health_p95_fail_ms=1000.0,
    generate_p95_warn_ms=2000.0,
    generate_p95_fail_ms=10000.0,
    rss_warn_mb=512,
    rss_fail_mb=2048,
    expected_size=0,
    production=False,
    cors_origin='http://localhost:3000',
)


def record(category: str, name: str, status: str, message: str, duration: float = 0.0) -> Dict[str, Any]:
    if status not in STATUSES:
        raise ValueError('status must be one of %s, got %r' % (', '.join(STATUSES), status))
    if category not in CATEGORIES:
        raise ValueError('category must be one of %s, got %r' % (', '.join(CATEGORIES), category))
    return dict(category=category, name=name, status=status, message=message,
                duration=round(float(duration or 0.0), 3))


def worst(statuses: Sequence[str]) -> str:
    """The most severe status: fail > warn > pass > skip; ``skip`` for an empty list."""
    best = 'skip'
    for status in statuses:
        if _RANK.get(status, 0) > _RANK[best]:
            best = status
    return best


def _settings(settings: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    out = dict(DEFAULT_SETTINGS)
    out.update(dict(settings or {}))
    return out


def _dur(obs: Optional[Mapping[str, Any]]) -> float:
    return float((obs or {}).get('duration') or 0.0)


def _ms(value: Optional[float]) -> str:
    return 'n/a' if value is None else '%.1f ms' % value


# =============================================================================
# 1. prerequisites
# =============================================================================

def eval_prerequisites(obs: Mapping[str, Any], s: Mapping[str, Any]) -> List[Dict[str, Any]]:
    c = 'prerequisites'
    sysobs = obs.get('system')
    if not sysobs:
        return [record(c, 'system_facts', 'fail', 'expected system facts from the node; found none (probe did not run)')]
    d = _dur(sysobs)
    out = []
    os_id = (sysobs.get('os_id') or '').lower()
    pretty = sysobs.get('os_pretty') or os_id or 'unknown'
    supported = [x.lower() for x in s['supported_os']]
    if os_id in supported:
        out.append(record(c, 'os', 'pass', 'expected one of %s; found %s' % (', '.join(supported), pretty), d))
    else:
        out.append(record(c, 'os', 'warn', 'expected one of %s; found %s (untested, may still work)'
                          % (', '.join(supported), pretty), d))

    cpus = sysobs.get('cpu_count')
    if cpus is None:
        out.append(record(c, 'cpu', 'warn', 'expected at least %d CPUs; could not count them' % s['min_cpus'], d))
    elif cpus < s['min_cpus']:
        out.append(record(c, 'cpu', 'fail', 'expected at least %d CPUs; found %d' % (s['min_cpus'], cpus), d))
    elif cpus < s['recommended_cpus']:
        out.append(record(c, 'cpu', 'warn', 'expected %d CPUs or more (recommended); found %d'
                          % (s['recommended_cpus'], cpus), d))
    else:
        out.append(record(c, 'cpu', 'pass', 'expected at least %d CPUs; found %d' % (s['min_cpus'], cpus), d))

    mem = sysobs.get('mem_total_mb')
    if mem is None:
        out.append(record(c, 'memory', 'warn', 'expected at least %d MiB of memory; could not read /proc/meminfo'
                          % s['min_memory_mb'], d))
    elif mem < s['min_memory_mb']:
        out.append(record(c, 'memory', 'fail', 'expected at least %d MiB of memory; found %d MiB'
                          % (s['min_memory_mb'], mem), d))
    elif mem < s['recommended_memory_mb']:
        out.append(record(c, 'memory', 'warn', 'expected %d MiB of memory or more (recommended); found %d MiB'
                          % (s['recommended_memory_mb'], mem), d))
    else:
        out.append(record(c, 'memory', 'pass', 'expected at least %d MiB of memory; found %d MiB'
                          % (s['min_memory_mb'], mem), d))

    disk = sysobs.get('disk') or {}
    if disk.get('free_mb') is None:
        out.append(record(c, 'disk', 'warn', 'expected at least %d MiB free; could not measure %s'
                          % (s['min_disk_mb'], disk.get('path') or 'the data directory'), d))
    else:
        status = 'pass' if disk['free_mb'] >= s['min_disk_mb'] else 'fail'
        out.append(record(c, 'disk', status, 'expected at least %d MiB free on %s; found %d MiB free of %d MiB'
                          % (s['min_disk_mb'], disk.get('path'), disk['free_mb'], disk.get('total_mb') or 0), d))

    commands = sysobs.get('commands') or {}
    missing = [name for name in s['required_commands'] if not commands.get(name)]
    if missing:
        out.append(record(c, 'commands', 'fail', 'expected commands %s on PATH; missing: %s'
                          % (', '.join(s['required_commands']), ', '.join(missing)), d))
    else:
        out.append(record(c, 'commands', 'pass', 'expected commands %s on PATH; found all'
                          % (', '.join(s['required_commands']) or '(none)'), d))

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


# =============================================================================
# 2. installation
# =============================================================================

def eval_installation(obs: Mapping[str, Any], s: Mapping[str, Any]) -> List[Dict[str, Any]]:
    c = 'installation'
    b = obs.get('binary') or {}
    d = _dur(b)
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
    sd = _dur(svc)
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


# =============================================================================
# 3. configuration
# =============================================================================

def eval_configuration(obs: Mapping[str, Any], s: Mapping[str, Any]) -> List[Dict[str, Any]]:
    c = 'configuration'
    cfg = obs.get('config') or {}
    d = _dur(cfg)
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


# =============================================================================
# 4. startup
# =============================================================================

def service_down(obs: Mapping[str, Any]) -> bool:
    """True when the probe saw the service stopped (not merely unknown)."""
    svc = obs.get('service') or {}
    return svc.get('active') is False


def eval_startup(obs: Mapping[str, Any], s: Mapping[str, Any]) -> List[Dict[str, Any]]:
    c = 'startup'
    svc = obs.get('service') or {}
    proc = obs.get('process') or {}
    d = _dur(svc)
    out = []
    name = svc.get('name') or 'the service'
    if svc.get('active'):
        out.append(record(c, 'service_active', 'pass', 'expected %s to be running; found %s (pid %s)'
                          % (name, svc.get('state') or 'active', svc.get('pid') or proc.get('pid')), d))
    else:
        out.append(record(c, 'service_active', 'fail', 'expected %s to be running; found %s'
                          % (name, svc.get('state') or 'not running'), d))
        for check in ('process_user', 'ports_bound', 'no_recent_restarts'):
            out.append(record(c, check, 'skip', 'skipped: the service is not running (see startup/service_active)'))
        out.append(_eval_logs(obs, s))
        return out

    pd = _dur(proc)
    if not proc.get('pid'):
        out.append(record(c, 'process_user', 'fail', 'expected a running ollama-distributed process for %s; '
                          'found none' % name, pd))
    elif proc.get('user') == s['service_user']:
        out.append(record(c, 'process_user', 'pass', 'expected pid %s to run as %s; found %s'
                          % (proc['pid'], s['service_user'], proc.get('user')), pd))
    else:
        out.append(record(c, 'process_user', 'fail', 'expected pid %s to run as %s; found %s'
                          % (proc['pid'], s['service_user'], proc.get('user')), pd))

    out.append(_eval_ports(proc, s['ports'], pd))

    window = s['restart_window']
    uptime = proc.get('uptime_seconds', svc.get('uptime_seconds'))
    restarts = svc.get('restarts')
    if uptime is None:
        out.append(record(c, 'no_recent_restarts', 'warn', 'expected the process to be up for more than %ss; '
                          'could not read its start time' % window, d))
    elif uptime < window and restarts:
        out.append(record(c, 'no_recent_restarts', 'fail', 'expected no restart in the last %ss; found %s restart(s), '
                          'the last %.0fs ago' % (window, restarts, uptime), d))
    elif uptime < window:
        out.append(record(c, 'no_recent_restarts', 'warn', 'expected the process to be up for more than %ss; found '
                          'it started %.0fs ago (just started, or restarting)' % (window, uptime), d))
    else:
        out.append(record(c, 'no_recent_restarts', 'pass', 'expected no restart in the last %ss; found up %.0fs%s'
                          % (window, uptime, (', %s restart(s) before that' % restarts) if restarts else ''), d))
    out.append(_eval_logs(obs, s))
    return out


def _eval_ports(proc: Mapping[str, Any], ports: Sequence[Mapping[str, Any]], d: float) -> Dict[str, Any]:
    c = 'startup'
    if not ports:
        return record(c, 'ports_bound', 'skip', 'no ports to check')
    if not proc.get('pid'):
        return record(c, 'ports_bound', 'fail', 'expected ports %s held by our process; found no process'
                      % ', '.join('%s %s' % (p['name'], p['port']) for p in ports), d)
    held = set(int(x['port']) for x in proc.get('listening') or [])
    others = proc.get('others') or {}
    bad = []
    for p in ports:
        port = int(p['port'])
        if port in held:
            continue
        holder = others.get(str(port)) or others.get(port)
        if holder:
            bad.append('%s port %d is held by another process (%s)' % (p['name'], port, holder))
        else:
            bad.append('%s port %d is not listening' % (p['name'], port))
    expected = 'expected %s bound by pid %s' % (', '.join('%s %s' % (p['name'], p['port']) for p in ports), proc['pid'])
    if bad:
        return record(c, 'ports_bound', 'fail', '%s; found %s' % (expected, '; '.join(bad)), d)
    return record(c, 'ports_bound', 'pass', '%s; found all of them held by it' % expected, d)


def _eval_logs(obs: Mapping[str, Any], s: Mapping[str, Any]) -> Dict[str, Any]:
    c = 'startup'
    logs = obs.get('logs')
    if not logs:
        return record(c, 'no_log_errors', 'skip', 'logs were not read')
    if logs.get('error'):
        return record(c, 'no_log_errors', 'warn', 'expected to read %s; %s' % (logs.get('source'), logs['error']),
                      _dur(logs))
    limit = s['log_error_max']
    where = '%s (%d recent lines since the process started)' % (logs.get('source'), logs.get('scanned') or 0)
    if logs.get('count', 0) > limit:
        return record(c, 'no_log_errors', 'fail', 'expected at most %d error lines in %s; found %d, e.g. %s'
                      % (limit, where, logs['count'], ' | '.join(logs.get('samples') or [])[:400]), _dur(logs))
    return record(c, 'no_log_errors', 'pass', 'expected at most %d error lines in %s; found %d'
                  % (limit, where, logs.get('count', 0)), _dur(logs))


# =============================================================================
# 5. api
# =============================================================================

_NODE_KEYS = ('id', 'address', 'status')
#: route key -> (method path, required keys, extra shape test)
ROUTES: Dict[str, Any] = {
    'health': ('/health', ('status', 'timestamp', 'version', 'node_id', 'uptime', 'uptime_seconds')),
    'version': ('/api/version', ('version',)),
    'tags': ('/api/tags', ('models',)),
    'distributed_status': ('/api/distributed/status', ('node_id', 'cluster_size', 'expected_size', 'connected_peers',
                                                       'leader', 'is_leader', 'term', 'health', 'nodes')),
    'distributed_nodes': ('/api/distributed/nodes', ('nodes', 'total')),
    'distributed_models': ('/api/distributed/models', ('models', 'total')),
    'distributed_metrics': ('/api/distributed/metrics', ('integration', 'inference')),
    'v1_health': ('/api/v1/health', ('status', 'node_id')),
    'v1_version': ('/api/v1/version', ('version',)),
    'v1_cluster_status': ('/api/v1/cluster/status', ('node_id', 'cluster_size', 'leader', 'nodes')),
    'v1_cluster_leader': ('/api/v1/cluster/leader', ('leader', 'term')),
    'v1_nodes': ('/api/v1/nodes', ('nodes', 'total')),
    'v1_models': ('/api/v1/models', ('models',)),
    'v1_metrics': ('/api/v1/metrics', ('node_id', 'connected_peers', 'is_leader', 'uptime_seconds')),
}

#: The route families the api category reports on, one check each.
FAMILIES = (
    ('health', ('health', 'v1_health')),
    ('version', ('version', 'v1_version')),
    ('models', ('tags', 'v1_models', 'distributed_models')),
    ('cluster_status', ('distributed_status', 'v1_cluster_status', 'v1_cluster_leader')),
    ('nodes', ('distributed_nodes', 'v1_nodes')),
    ('metrics', ('distributed_metrics', 'v1_metrics')),
)


#: node metrics as upstream's client types them (contract section 3)
_BYTE_METRICS = ('memory_usage', 'disk_usage', 'network_rx', 'network_tx')
_PERCENT_METRICS = ('cpu_usage', 'memory_percent', 'disk_percent')


def _metric_problems(prefix: str, metrics: Mapping[str, Any]) -> List[str]:
    """Usage figures of the wrong type: bytes must be integers, percentages 0-100."""
    out = []
    for k in _BYTE_METRICS:
        v = metrics.get(k)
        if k in metrics and (isinstance(v, bool) or not isinstance(v, int)):
            out.append('%s%s is %r, not an integer number of bytes' % (prefix, k, v))
    for k in _PERCENT_METRICS:
        v = metrics.get(k)
        if k in metrics and (isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 100):
            out.append('%s%s is %r, not a percentage 0-100' % (prefix, k, v))
    return out


def shape_problems(key: str, data: Any) -> List[str]:
    """What is wrong with the JSON answer of route ``key`` (empty list when right)."""
    if key not in ROUTES:
        return []
    if not isinstance(data, dict):
        return ['answer is %s, not a JSON object' % type(data).__name__]
    problems = ['missing "%s"' % k for k in ROUTES[key][1] if k not in data]
    for list_key in ('models', 'nodes'):
        if list_key in data and list_key in ROUTES[key][1] and not isinstance(data[list_key], list):
            problems.append('"%s" is %s, not a list' % (list_key, type(data[list_key]).__name__))
    if key in ('health', 'v1_health') and data.get('status') not in ('healthy', 'degraded', 'unhealthy'):
        problems.append('status is %r, not healthy/degraded/unhealthy' % (data.get('status'),))
    if key in ('distributed_nodes', 'v1_nodes', 'distributed_status') and isinstance(data.get('nodes'), list):
        for node in data['nodes']:
            missing = [k for k in _NODE_KEYS if not isinstance(node, dict) or k not in node]
            if missing:
                problems.append('a node record lacks %s' % ', '.join(missing))
                break
            if isinstance(node.get('metrics'), dict):
                problems.extend(_metric_problems('node %s: metrics.' % node.get('id'), node['metrics']))
    if key == 'distributed_metrics':
        problems.extend(_metric_problems('', data))
        for part in ('integration', 'inference'):
            if part in data and not isinstance(data[part], dict):
                problems.append('"%s" is not an object' % part)
    return problems


def eval_api(obs: Mapping[str, Any], s: Mapping[str, Any]) -> List[Dict[str, Any]]:
    c = 'api'
    names = [f[0] for f in FAMILIES] + ['prometheus_metrics', 'cors', 'generate']
    if service_down(obs):
        return [record(c, n, 'skip', 'skipped: the service is not running (see startup/service_active)') for n in names]
    api = obs.get('api')
    if not api:
        return [record(c, 'reachable', 'fail', 'expected API observations; the probe could not reach the API')]
    routes = api.get('routes') or {}
    out = []
    for family, keys in FAMILIES:
        bad = []
        good = []
        dur = 0.0
        for key in keys:
            r = routes.get(key)
            if r is None:
                continue
            dur += float(r.get('latency_ms') or 0) / 1000.0
            path = ROUTES[key][0]
            if r.get('status') is None or r.get('status') >= 300 and not (key == 'health' and r.get('status') == 503):
                bad.append('%s answered %s' % (path, r.get('error') or r.get('status')))
                continue
            problems = shape_problems(key, r.get('data'))
            if problems:
                bad.append('%s: %s' % (path, ', '.join(problems)))
            else:
                good.append('%s %s' % (path, r.get('status')))
        expected = 'expected %s to answer with the documented shape' % ', '.join(ROUTES[k][0] for k in keys)
        if bad:
            out.append(record(c, family, 'fail', '%s; found %s' % (expected, '; '.join(bad)), dur))
        elif not good:
            out.append(record(c, family, 'skip', '%s; none was probed' % expected))
        else:
            out.append(record(c, family, 'pass', '%s; found %s' % (expected, ', '.join(good)), dur))

    prom = api.get('prometheus') or {}
    needed = ('ollama_distributed_up', 'ollama_distributed_cluster_size')
    if prom.get('status') != 200:
        out.append(record(c, 'prometheus_metrics', 'fail', 'expected GET /metrics to answer 200 Prometheus text; '
                          'found %s' % (prom.get('error') or prom.get('status')), _dur(prom)))
    else:
        names_found = set(k.split('{', 1)[0] for k in (prom.get('metrics') or {}))
        missing = [n for n in needed if n not in names_found]
        if missing:
            out.append(record(c, 'prometheus_metrics', 'fail', 'expected /metrics to expose %s; missing %s'
                              % (', '.join(needed), ', '.join(missing)), _dur(prom)))
        else:
            out.append(record(c, 'prometheus_metrics', 'pass', 'expected /metrics to expose %s; found %d series'
                              % (', '.join(needed), len(prom.get('metrics') or {})), _dur(prom)))

    cors = (obs.get('http') or {}).get('cors')
    if not cors:
        out.append(record(c, 'cors', 'skip', 'CORS was not probed'))
    elif cors.get('enabled') is False:
        out.append(record(c, 'cors', 'skip', 'api.cors.enabled is false in the config: no CORS answer expected'))
    elif cors.get('status') in (200, 204) and cors.get('allow_origin') in (cors.get('origin'), '*'):
        out.append(record(c, 'cors', 'pass', 'expected OPTIONS with Origin %s to answer 204 with '
                          'Access-Control-Allow-Origin; found %s, %s'
                          % (cors.get('origin'), cors.get('status'), cors.get('allow_origin'))))
    else:
        out.append(record(c, 'cors', 'fail', 'expected OPTIONS with Origin %s to answer 204 with '
                          'Access-Control-Allow-Origin; found %s, allow-origin %r' % (cors.get('origin'),
                                                                                      cors.get('status'),
                                                                                      cors.get('allow_origin'))))

    gen = api.get('generate')
    if not gen:
        out.append(record(c, 'generate', 'skip', 'generate smoke test not run'))
    elif gen.get('skipped'):
        out.append(record(c, 'generate', 'skip', gen['skipped']))
    elif gen.get('status') == 200 and isinstance(gen.get('data'), dict) and gen['data'].get('done') is True \
            and isinstance(gen['data'].get('response'), str):
        out.append(record(c, 'generate', 'pass', 'expected POST /api/generate with model %s to answer done=true and '
                          'a response; found %d characters in %s' % (gen.get('model'), len(gen['data']['response']),
                                                                     _ms(gen.get('latency_ms'))),
                          float(gen.get('latency_ms') or 0) / 1000.0))
    else:
        out.append(record(c, 'generate', 'fail', 'expected POST /api/generate with model %s to answer done=true and '
                          'a response; found %s' % (gen.get('model'), gen.get('error') or gen.get('status')),
                          float(gen.get('latency_ms') or 0) / 1000.0))
    return out


# =============================================================================
# 6. performance
# =============================================================================

def _latency_check(name: str, what: str, summary: Optional[Mapping[str, Any]], warn: float, fail: float,
                   skip_reason: Optional[str] = None) -> Dict[str, Any]:
    c = 'performance'
    if skip_reason:
        return record(c, name, 'skip', skip_reason)
    if not summary:
        return record(c, name, 'skip', '%s latency was not measured' % what)
    d = float(summary.get('elapsed_ms') or 0) / 1000.0
    expected = 'expected p95 of %s under %.0f ms (warn at %.0f ms) over %d requests' % (
        what, fail, warn, summary.get('count') or 0)
    if summary.get('errors'):
        return record(c, name, 'fail', '%s; found %d of %d requests failed (%s)' % (
            expected, summary['errors'], summary.get('count'), summary.get('error') or 'error'), d)
    p95 = summary.get('p95_ms')
    found = 'p50 %s, p95 %s' % (_ms(summary.get('p50_ms')), _ms(p95))
    if p95 is None:
        return record(c, name, 'fail', '%s; found no answer' % expected, d)
    if p95 >= fail:
        return record(c, name, 'fail', '%s; found %s' % (expected, found), d)
    if p95 >= warn:
        return record(c, name, 'warn', '%s; found %s' % (expected, found), d)
    return record(c, name, 'pass', '%s; found %s' % (expected, found), d)


def eval_performance(obs: Mapping[str, Any], s: Mapping[str, Any]) -> List[Dict[str, Any]]:
    c = 'performance'
    names = ('health_latency', 'generate_latency', 'concurrent_burst', 'resident_memory')
    if service_down(obs):
        return [record(c, n, 'skip', 'skipped: the service is not running (see startup/service_active)') for n in names]
    perf = obs.get('performance') or {}
    out = [_latency_check('health_latency', 'GET /health', perf.get('health'), s['health_p95_warn_ms'],
                          s['health_p95_fail_ms'])]
    gen = perf.get('generate') or {}
    out.append(_latency_check('generate_latency', 'POST /api/generate', gen if gen and not gen.get('skipped') else None,
                              s['generate_p95_warn_ms'], s['generate_p95_fail_ms'],
                              skip_reason=gen.get('skipped') if gen else 'generate latency was not measured'))
    burst = perf.get('burst')
    if not burst:
        out.append(record(c, 'concurrent_burst', 'skip', 'no concurrent burst was sent'))
    else:
        expected = 'expected all %d concurrent GET /health (%d at a time) answered' % (
            burst['count'], burst.get('concurrency', 0))
        d = float(burst.get('elapsed_ms') or 0) / 1000.0
        if burst.get('ok') == burst.get('count'):
            out.append(record(c, 'concurrent_burst', 'pass', '%s; found all answered in %s'
                              % (expected, _ms(burst.get('elapsed_ms'))), d))
        else:
            out.append(record(c, 'concurrent_burst', 'fail', '%s; found %d answered, %d failed (%s)'
                              % (expected, burst.get('ok', 0), burst['count'] - burst.get('ok', 0),
                                 burst.get('error') or 'error'), d))
    rss = (obs.get('process') or {}).get('rss_mb')
    if rss is None:
        out.append(record(c, 'resident_memory', 'skip', 'the resident memory of the process could not be read'))
    else:
        expected = 'expected resident memory under %d MiB (warn at %d MiB)' % (s['rss_fail_mb'], s['rss_warn_mb'])
        status = 'fail' if rss >= s['rss_fail_mb'] else ('warn' if rss >= s['rss_warn_mb'] else 'pass')
        out.append(record(c, 'resident_memory', status, '%s; found %d MiB' % (expected, rss)))
    return out


# =============================================================================
# 7. security
# =============================================================================

SECURITY_HEADERS = (('x-content-type-options', 'nosniff'), ('x-frame-options', 'DENY'))


def eval_security(obs: Mapping[str, Any], s: Mapping[str, Any]) -> List[Dict[str, Any]]:
    c = 'security'
    out = []
    sec = obs.get('security') or {}
    doc = obs.get('config_doc') or {}
    auth_on = doc.get('auth_enabled')
    env = doc.get('environment')
    down = service_down(obs)
    skip_down = 'skipped: the service is not running (see startup/service_active)'

    # production profile with auth off
    production = bool(s.get('production')) or env == 'production'
    if auth_on is None:
        out.append(record(c, 'production_auth', 'skip', 'the config was not read, auth state unknown'))
    elif production and not auth_on:
        out.append(record(c, 'production_auth', 'fail', 'expected security.enable_auth: true in a production '
                          'profile; found auth off (environment %s)' % (env or 'production')))
    elif production:
        out.append(record(c, 'production_auth', 'pass', 'expected auth on in a production profile; found it on'))
    else:
        out.append(record(c, 'production_auth', 'pass' if auth_on else 'warn',
                          'expected auth on in production; found environment %s with auth %s%s'
                          % (env or 'unset', 'on' if auth_on else 'off',
                             '' if auth_on else ' (acceptable for a lab, not for production)')))

    # protected routes
    if down:
        out.append(record(c, 'auth_required', 'skip', skip_down))
    elif not auth_on:
        out.append(record(c, 'auth_required', 'skip', 'security.enable_auth is off: protected routes are open by '
                          'configuration'))
    elif not sec.get('protected'):
        out.append(record(c, 'auth_required', 'skip', 'protected routes were not probed'))
    else:
        bad = []
        good = 0
        for item in sec['protected']:
            for case in ('missing_token', 'wrong_token'):
                status = item.get(case)
                if status == 401:
                    good += 1
                else:
                    bad.append('%s %s with %s answered %s' % (item.get('method', 'GET'), item['path'],
                                                              case.replace('_', ' '), status))
        expected = ('expected 401 from %d protected routes without a token and with a wrong token'
                    % len(sec['protected']))
        if bad:
            out.append(record(c, 'auth_required', 'fail', '%s; found %s' % (expected, '; '.join(bad)),
                              _dur(sec)))
        else:
            out.append(record(c, 'auth_required', 'pass', '%s; found 401 for all %d requests' % (expected, good),
                              _dur(sec)))

    # headers
    headers = (obs.get('http') or {}).get('headers')
    if down:
        out.append(record(c, 'security_headers', 'skip', skip_down))
    elif headers is None:
        out.append(record(c, 'security_headers', 'skip', 'response headers were not probed'))
    else:
        h = dict((str(k).lower().replace('_', '-'), str(v)) for k, v in headers.items())
        problems = []
        for name, value in SECURITY_HEADERS:
            if h.get(name, '').lower() != value.lower():
                problems.append('%s is %r' % (name, h.get(name)))
        if 'application/json' not in h.get('content-type', ''):
            problems.append('content-type is %r' % h.get('content-type'))
        server = h.get('server', '')
        if any(ch.isdigit() for ch in server):
            problems.append('server header shows a version (%r)' % server)
        if 'x-powered-by' in h:
            problems.append('x-powered-by is %r' % h['x-powered-by'])
        expected = ('expected X-Content-Type-Options: nosniff, X-Frame-Options: DENY, JSON content type and no '
                    'server version header on GET /health')
        if problems:
            out.append(record(c, 'security_headers', 'fail', '%s; found %s' % (expected, ', '.join(problems))))
        else:
            out.append(record(c, 'security_headers', 'pass', '%s; found them' % expected))

    # leaks
    if down:
        out.append(record(c, 'no_internal_leaks', 'skip', skip_down))
    elif not sec.get('errors'):
        out.append(record(c, 'no_internal_leaks', 'skip', 'error answers were not probed'))
    else:
        bad = []
        for item in sec['errors']:
            what = probes.leaks(item.get('body'))
            if item.get('status') is None or item['status'] < 400 or item['status'] >= 500:
                bad.append('%s answered %s (expected a 4xx)' % (item['what'], item.get('status')))
            if what:
                bad.append('%s shows %s' % (item['what'], ', '.join(what)))
            if not item.get('json_error'):
                bad.append('%s is not a JSON {"error": ...} answer' % item['what'])
        expected = 'expected %s to answer a 4xx JSON error without internals' % ', '.join(
            i['what'] for i in sec['errors'])
        if bad:
            out.append(record(c, 'no_internal_leaks', 'fail', '%s; found %s' % (expected, '; '.join(bad))))
        else:
            out.append(record(c, 'no_internal_leaks', 'pass', '%s; found clean answers (%s)' % (
                expected, ', '.join(str(i.get('status')) for i in sec['errors']))))

    # secrets on disk
    out.append(_eval_secret_files(obs, s))

    # service user
    proc = obs.get('process') or {}
    if down:
        out.append(record(c, 'not_root', 'skip', skip_down))
    elif not proc.get('pid'):
        out.append(record(c, 'not_root', 'skip', 'no process found (see startup/process_user)'))
    elif proc.get('uid') == 0:
        out.append(record(c, 'not_root', 'fail', 'expected the node process not to run as root; found pid %s as root'
                          % proc['pid']))
    else:
        out.append(record(c, 'not_root', 'pass', 'expected the node process not to run as root; found %s (uid %s)'
                          % (proc.get('user'), proc.get('uid'))))
    return out


def _eval_secret_files(obs: Mapping[str, Any], s: Mapping[str, Any]) -> Dict[str, Any]:
    c = 'security'
    files = list((obs.get('security') or {}).get('secret_files') or [])
    cfg = obs.get('config') or {}
    if cfg.get('exists'):
        files.insert(0, dict(path=cfg.get('path'), exists=True, mode=cfg.get('mode'), owner=cfg.get('owner'),
                             group=cfg.get('group')))
    files = [f for f in files if f.get('exists')]
    if not files:
        return record(c, 'secrets_not_world_readable', 'skip', 'no config or secret file found')
    bad = ['%s (mode %s)' % (f['path'], f.get('mode')) for f in files if int(str(f.get('mode') or '0'), 8) & 0o004]
    expected = 'expected %s not readable by everyone' % ', '.join(f['path'] for f in files)
    if bad:
        return record(c, 'secrets_not_world_readable', 'fail', '%s; found world-readable: %s'
                      % (expected, ', '.join(bad)))
    return record(c, 'secrets_not_world_readable', 'pass', '%s; found modes %s' % (
        expected, ', '.join(str(f.get('mode')) for f in files)))


# =============================================================================
# the cluster
# =============================================================================

def evaluate_cluster(nodes: Mapping[str, Mapping[str, Any]], settings: Optional[Mapping[str, Any]] = None
                     ) -> List[Dict[str, Any]]:
    """Cluster checks over every node's observations: ``{node_name: observations}``.

    Returns records with a ``node`` key: ``cluster`` for agreement and size,
    the node name for its reachability of the others.
    """
    s = _settings(settings)
    c = 'cluster'
    out = []
    views = {}
    down = []
    for name, obs in nodes.items():
        if service_down(obs):
            down.append(name)
            continue
        r = ((obs.get('api') or {}).get('routes') or {}).get('distributed_status') or {}
        if isinstance(r.get('data'), dict) and r.get('status') == 200:
            views[name] = r['data']
    expected = int(s.get('expected_size') or len(nodes))

    def add(node: str, name: str, status: str, message: str) -> None:
        rec = record(c, name, status, message)
        rec['node'] = node
        out.append(rec)

    if not views:
        add('cluster', 'agreement', 'fail', 'expected every node to report its cluster view; found no answer from '
            'any node (%s)' % (('stopped: %s' % ', '.join(down)) if down else 'API unreachable'))
        add('cluster', 'members_online', 'fail', 'expected %d members online; no node answered' % expected)
    else:
        leaders = dict((n, v.get('leader')) for n, v in views.items())
        sizes = dict((n, v.get('cluster_size')) for n, v in views.items())
        distinct_leaders = sorted(set(str(x) for x in leaders.values()))
        distinct_sizes = sorted(set(str(x) for x in sizes.values()))
        found = ', '.join('%s: size %s leader %s' % (n, sizes[n], leaders[n]) for n in sorted(views))
        if len(distinct_leaders) == 1 and len(distinct_sizes) == 1 and distinct_leaders[0] not in ('', 'None'):
            add('cluster', 'agreement', 'pass', 'expected all answering nodes to agree on size and leader; found %s'
                % found)
        else:
            add('cluster', 'agreement', 'fail', 'expected all answering nodes to agree on size and leader; found %s'
                % found)
        # the node count, from the cluster's own answer
        ids = set()
        offline = set()
        for v in views.values():
            for n in v.get('nodes') or []:
                if isinstance(n, dict):
                    ids.add(str(n.get('id')))
                    if n.get('status') == 'offline':
                        offline.add(str(n.get('id')))
        online = max(int(x) for x in sizes.values() if isinstance(x, int)) if any(
            isinstance(x, int) for x in sizes.values()) else 0
        detail = 'found cluster_size %s, members known: %s' % (online, ', '.join(sorted(ids)) or 'none')
        if offline:
            detail += '; offline: %s' % ', '.join(sorted(offline))
        if down:
            detail += '; service stopped on %s' % ', '.join(sorted(down))
        add('cluster', 'members_online', 'pass' if online == expected and not down else 'fail',
            'expected %d members online (one per inventory node); %s' % (expected, detail))

    # reachability, from each node to the others
    for name, obs in nodes.items():
        peers = obs.get('peers')
        if peers is None:
            add(name, 'peers_reachable', 'skip', 'reachability was not probed')
            continue
        bad = []
        skipped = []
        for p in peers:
            if p.get('ok'):
                continue
            if p.get('host') in down:
                skipped.append('%s %s' % (p.get('id'), p.get('kind')))
            else:
                bad.append('%s %s %s: %s' % (p.get('id'), p.get('kind'), p.get('target'), p.get('error')))
        targets = ', '.join('%s %s' % (p.get('kind'), p.get('target')) for p in peers) or '(no peers)'
        expected = 'expected %s to connect to %s' % (name, targets)
        if bad:
            add(name, 'peers_reachable', 'fail', '%s; found unreachable: %s' % (expected, '; '.join(bad)))
        else:
            add(name, 'peers_reachable', 'pass', '%s; found all reachable%s' % (
                expected, (' (not counted, service stopped: %s)' % ', '.join(skipped)) if skipped else ''))
    return out


# =============================================================================
# entry points
# =============================================================================

EVALUATORS: Dict[str, Callable[[Mapping[str, Any], Mapping[str, Any]], List[Dict[str, Any]]]] = dict(
    prerequisites=eval_prerequisites,
    installation=eval_installation,
    configuration=eval_configuration,
    startup=eval_startup,
    api=eval_api,
    performance=eval_performance,
    security=eval_security,
)


def evaluate_node(observations: Mapping[str, Any], settings: Optional[Mapping[str, Any]] = None
                  ) -> List[Dict[str, Any]]:
    """Check records for one node, for the categories in ``settings['categories']``."""
    s = _settings(settings)
    out = []
    if observations.get('unreachable'):
        return [record('prerequisites', 'host_reachable', 'fail', 'expected Ansible to reach the host; found: %s'
                       % observations.get('unreachable'))]
    for category in CATEGORIES:
        if category in s['categories'] and category in EVALUATORS:
            out.extend(EVALUATORS[category](observations, s))
    return out


def evaluate(nodes: Mapping[str, Mapping[str, Any]], settings: Optional[Mapping[str, Any]] = None,
             node_settings: Optional[Mapping[str, Mapping[str, Any]]] = None) -> List[Dict[str, Any]]:
    """All records of a cluster: every node's, then the cluster's. Each record has ``node``."""
    s = _settings(settings)
    out = []
    for name in nodes:
        per = dict(s)
        per.update((node_settings or {}).get(name) or {})
        for rec in evaluate_node(nodes[name], per):
            rec['node'] = name
            out.append(rec)
    if 'cluster' in s['categories']:
        out.extend(evaluate_cluster(nodes, s))
    return out


# =============================================================================
# monitoring: a dashboard row per node and alerts on thresholds
# =============================================================================

#: Default monitoring thresholds; the monitor role passes its monitor_* variables over them.
MONITOR_THRESHOLDS: Dict[str, Any] = dict(
    disk_warning_pct=80.0, disk_critical_pct=90.0,
    memory_warning_pct=85.0, memory_critical_pct=95.0,
    load_warning_per_cpu=1.5, load_critical_per_cpu=3.0,
    rss_warning_mb=512, rss_critical_mb=2048,
    log_errors_warning=1, log_errors_critical=10,
    latency_warning_ms=500.0, latency_critical_ms=2000.0,
    failed_requests_warning_pct=5.0, failed_requests_critical_pct=20.0,
)
LEVELS = ('ok', 'warning', 'critical')


def _level(value: Optional[float], warning: float, critical: float) -> str:
    if value is None:
        return 'ok'
    if value >= critical:
        return 'critical'
    if value >= warning:
        return 'warning'
    return 'ok'


def _route_data(obs: Mapping[str, Any], key: str) -> Optional[Dict[str, Any]]:
    r = ((obs.get('api') or {}).get('routes') or {}).get(key) or {}
    if r.get('status') in (200, 503) and isinstance(r.get('data'), dict):
        return r['data']
    return None


def monitor_row(node: str, obs: Mapping[str, Any], expected_size: int = 0) -> Dict[str, Any]:
    """The dashboard figures of one node from validate_probe/validate_api_probe observations."""
    system = obs.get('system') or {}
    svc = obs.get('service') or {}
    proc = obs.get('process') or {}
    logs = obs.get('logs') or {}
    health = _route_data(obs, 'health') or {}
    status = _route_data(obs, 'distributed_status') or {}
    tags = _route_data(obs, 'tags') or {}
    metrics = _route_data(obs, 'distributed_metrics') or {}
    integration = metrics.get('integration') if isinstance(metrics.get('integration'), dict) else {}
    disk = system.get('disk') or {}
    disk_pct = None
    if disk.get('total_mb'):
        disk_pct = round(100.0 * (disk['total_mb'] - (disk.get('free_mb') or 0)) / disk['total_mb'], 1)
    mem_pct = None
    if system.get('mem_total_mb') and system.get('mem_available_mb') is not None:
        mem_pct = round(100.0 * (system['mem_total_mb'] - system['mem_available_mb']) / system['mem_total_mb'], 1)
    load = system.get('load') or []
    cpus = system.get('cpu_count') or 1
    prom = ((obs.get('api') or {}).get('prometheus') or {}).get('metrics') or {}
    total = integration.get('total_requests')
    failed = integration.get('failed_requests')
    peers = obs.get('peers') or []
    models = tags.get('models') if isinstance(tags.get('models'), list) else None
    members = status.get('nodes') if isinstance(status.get('nodes'), list) else []
    if svc.get('active') is False:
        state = 'stopped'
    elif health.get('status'):
        state = health['status']
    else:
        state = 'down'
    return dict(
        node=node, state=state, service=svc.get('state'), version=health.get('version'),
        uptime_seconds=health.get('uptime_seconds'),
        cluster_size=status.get('cluster_size'), expected_size=status.get('expected_size') or expected_size or None,
        leader=status.get('leader'), is_leader=status.get('is_leader'), connected_peers=status.get('connected_peers'),
        models=len(models) if models is not None else None,
        model_names=[m.get('name') for m in (models or []) if isinstance(m, dict)],
        requests_total=total, requests_failed=failed,
        failed_pct=round(100.0 * failed / total, 1) if total and failed is not None else None,
        average_latency_ms=integration.get('average_latency_ms'),
        prometheus_up=prom.get('ollama_distributed_up'),
        rss_mb=proc.get('rss_mb'), disk_used_pct=disk_pct, disk_path=disk.get('path'),
        memory_used_pct=mem_pct, load1=load[0] if load else None, cpus=cpus,
        log_errors=logs.get('count'), log_samples=logs.get('samples') or [],
        peers_unreachable=['%s (%s)' % (p.get('id'), p.get('target')) for p in peers if not p.get('ok')],
        peers_unreachable_hosts=[p.get('host') or p.get('id') for p in peers if not p.get('ok')],
        members_offline=sorted(str(m.get('id')) for m in members
                               if isinstance(m, dict) and m.get('status') == 'offline'),
    )


def monitor_alerts(rows: Sequence[Mapping[str, Any]], thresholds: Optional[Mapping[str, Any]] = None
                   ) -> List[Dict[str, Any]]:
    """Breached thresholds: ``[{node, metric, level, value, threshold, message}]``, critical first."""
    t = dict(MONITOR_THRESHOLDS)
    t.update(dict(thresholds or {}))
    out: List[Dict[str, Any]] = []

    def add(node: str, metric: str, level: str, value: Any, threshold: Any, message: str) -> None:
        if level != 'ok':
            out.append(dict(node=node, metric=metric, level=level, value=value, threshold=threshold,
                            message=message))

    def check(row: Mapping[str, Any], metric: str, key: str, unit: str, scale: float = 1.0) -> None:
        value = row.get(metric)
        if value is None:
            return
        warning, critical = float(t['%s_warning%s' % (key, unit)]) * scale, float(t['%s_critical%s' % (key, unit)]) * scale
        level = _level(float(value), warning, critical)
        add(row['node'], metric, level, value, critical if level == 'critical' else warning,
            '%s is %s, %s threshold %s' % (metric, value, level, critical if level == 'critical' else warning))

    def members(row: Mapping[str, Any]) -> str:
        offline = row.get('members_offline') or []
        return 'sees %s of %s members%s' % (row['cluster_size'], row['expected_size'],
                                            ' (offline: %s)' % ', '.join(offline) if offline else '')

    leaders = set()
    down = set(r['node'] for r in rows if r['state'] in ('stopped', 'down'))
    for row in rows:
        node = row['node']
        if row['state'] in ('stopped', 'down', 'unhealthy'):
            # an unhealthy node answers: say what it sees (a node cut off sees
            # itself alone and reaches no peer)
            why = []
            if row['state'] == 'unhealthy' and row.get('cluster_size') is not None and row.get('expected_size'):
                why.append(members(row))
            if row['state'] == 'unhealthy' and row.get('peers_unreachable'):
                why.append('cannot reach %s' % ', '.join(row['peers_unreachable']))
            add(node, 'health', 'critical', row['state'], 'healthy',
                'node is %s (service %s)%s' % (row['state'], row.get('service') or 'unknown',
                                               ': ' + '; '.join(why) if why else ''))
            continue
        if row['state'] == 'degraded':
            add(node, 'health', 'warning', 'degraded', 'healthy', 'node reports degraded health')
        if row.get('expected_size') and row.get('cluster_size') is not None \
                and row['cluster_size'] < row['expected_size']:
            add(node, 'cluster_size', 'critical', row['cluster_size'], row['expected_size'], members(row))
        if row.get('leader'):
            leaders.add(row['leader'])
        else:
            add(node, 'leader', 'critical', None, 'a leader', 'sees no leader')
        # a peer whose node is down is alerted once, as that node's health
        unreachable = [text for text, host in zip(row.get('peers_unreachable') or [],
                                                  row.get('peers_unreachable_hosts') or [])
                       if host not in down]
        if unreachable:
            add(node, 'reachability', 'critical', len(unreachable), 0, 'cannot reach %s' % ', '.join(unreachable))
        check(row, 'disk_used_pct', 'disk', '_pct')
        check(row, 'memory_used_pct', 'memory', '_pct')
        check(row, 'rss_mb', 'rss', '_mb')
        check(row, 'log_errors', 'log_errors', '')
        check(row, 'average_latency_ms', 'latency', '_ms')
        check(row, 'failed_pct', 'failed_requests', '_pct')
        if row.get('load1') is not None:
            cpus = float(row.get('cpus') or 1)
            check(row, 'load1', 'load', '_per_cpu', cpus)
    if len(leaders) > 1:
        add('cluster', 'leader', 'critical', sorted(leaders), 'one leader',
            'nodes disagree on the leader: %s' % ', '.join(sorted(leaders)))
    out.sort(key=lambda a: (0 if a['level'] == 'critical' else 1, a['node'], a['metric']))
    return out


def monitor_table(rows: Sequence[Mapping[str, Any]]) -> List[str]:
    """A compact fixed-width table, one line per node."""
    def show(value: Any, suffix: str = '') -> str:
        return '-' if value is None else '%s%s' % (value, suffix)

    head = '%-12s %-9s %-7s %-8s %-6s %-6s %-8s %-7s %-6s %-6s %-5s %-4s %s' % (
        'node', 'state', 'size', 'leader', 'peers', 'models', 'req/fail', 'rss', 'disk', 'mem', 'load', 'errs',
        'unreachable')
    lines = [head]
    for r in rows:
        size = '%s/%s' % (show(r.get('cluster_size')), show(r.get('expected_size')))
        lines.append('%-12s %-9s %-7s %-8s %-6s %-6s %-8s %-7s %-6s %-6s %-5s %-4s %s' % (
            str(r['node'])[:12], r['state'], size, show(r.get('leader'))[:8], show(r.get('connected_peers')),
            show(r.get('models')), '%s/%s' % (show(r.get('requests_total')), show(r.get('requests_failed'))),
            show(r.get('rss_mb'), 'M'), show(r.get('disk_used_pct'), '%'), show(r.get('memory_used_pct'), '%'),
            show(r.get('load1')), show(r.get('log_errors')), ', '.join(r.get('peers_unreachable') or []) or '-'))
    return lines
