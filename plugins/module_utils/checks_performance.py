# -*- coding: utf-8 -*-
# Copyright (c) ollama_lab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation checks of a node's performance: latencies and memory against thresholds."""

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

from typing import Any, Dict, List, Mapping, Optional

from ansible_collections.ollama_lab.distributed.plugins.module_utils.checks_common import fmt_ms, record
from ansible_collections.ollama_lab.distributed.plugins.module_utils.checks_startup import service_down


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
    found = 'p50 %s, p95 %s' % (fmt_ms(summary.get('p50_ms')), fmt_ms(p95))
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
                              % (expected, fmt_ms(burst.get('elapsed_ms'))), d))
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
