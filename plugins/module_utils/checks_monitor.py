# -*- coding: utf-8 -*-
# Copyright (c) ollama_lab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Monitoring: a dashboard row per node and alerts on thresholds."""

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

from typing import Any, Dict, List, Mapping, Optional, Sequence


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
