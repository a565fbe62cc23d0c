# -*- coding: utf-8 -*-
# Copyright (c) ollama_lab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation checks of a node's API: every route family answers with the documented shape."""

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

from typing import Any, Dict, List, Mapping

from ansible_collections.ollama_lab.distributed.plugins.module_utils.checks_common import fmt_ms, obs_duration, record
from ansible_collections.ollama_lab.distributed.plugins.module_utils.checks_startup import service_down


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
                          'found %s' % (prom.get('error') or prom.get('status')), obs_duration(prom)))
    else:
        names_found = set(k.split('{', 1)[0] for k in (prom.get('metrics') or {}))
        missing = [n for n in needed if n not in names_found]
        if missing:
            out.append(record(c, 'prometheus_metrics', 'fail', 'expected /metrics to expose %s; missing %s'
                              % (', '.join(needed), ', '.join(missing)), obs_duration(prom)))
        else:
            out.append(record(c, 'prometheus_metrics', 'pass', 'expected /metrics to expose %s; found %d series'
                              % (', '.join(needed), len(prom.get('metrics') or {})), obs_duration(prom)))

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
                                                                     fmt_ms(gen.get('latency_ms'))),
                          float(gen.get('latency_ms') or 0) / 1000.0))
    else:
        out.append(record(c, 'generate', 'fail', 'expected POST /api/generate with model %s to answer done=true and '
                          'a response; found %s' % (gen.get('model'), gen.get('error') or gen.get('status')),
                          float(gen.get('latency_ms') or 0) / 1000.0))
    return out
