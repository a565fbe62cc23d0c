# -*- coding: utf-8 -*-
# Copyright (c) ollama_lab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation checks of a node's startup: the service, its process, its ports and its log."""

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

from typing import Any, Dict, List, Mapping, Sequence

from ansible_collections.ollama_lab.distributed.plugins.module_utils.checks_common import obs_duration, record


def service_down(obs: Mapping[str, Any]) -> bool:
    """True when the probe saw the service stopped (not merely unknown)."""
    svc = obs.get('service') or {}
    return svc.get('active') is False


def eval_startup(obs: Mapping[str, Any], s: Mapping[str, Any]) -> List[Dict[str, Any]]:
    c = 'startup'
    svc = obs.get('service') or {}
    proc = obs.get('process') or {}
    d = obs_duration(svc)
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

    pd = obs_duration(proc)
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
                      obs_duration(logs))
    limit = s['log_error_max']
    where = '%s (%d recent lines since the process started)' % (logs.get('source'), logs.get('scanned') or 0)
    if logs.get('count', 0) > limit:
        return record(c, 'no_log_errors', 'fail', 'expected at most %d error lines in %s; found %d, e.g. %s'
                      % (limit, where, logs['count'], ' | '.join(logs.get('samples') or [])[:400]), obs_duration(logs))
    return record(c, 'no_log_errors', 'pass', 'expected at most %d error lines in %s; found %d'
                  % (limit, where, logs.get('count', 0)), obs_duration(logs))
