# -*- coding: utf-8 -*-
# Copyright (c) ollama_lab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The monitor role's filter: observations of every node into a dashboard and alerts."""

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

from typing import Any, Dict, List, Mapping, Optional

from ansible.errors import AnsibleFilterError


def monitor_dashboard(observations: Mapping[str, Mapping[str, Any]], thresholds: Optional[Mapping[str, Any]] = None,
                      expected_size: int = 0) -> Dict[str, Any]:
    """``{status, rows, alerts, table}`` for ``{node: observations}``.

    ``status`` is ``ok``, ``warning`` or ``critical`` (the worst alert).
    """
    # Imported on use: every worker loads every filter file (plugins/filter/config.py).
    from ansible_collections.ollama_lab.distributed.plugins.module_utils import checks

    if not isinstance(observations, Mapping):
        raise AnsibleFilterError('monitor_dashboard: expected a dict of node observations, got %s'
                                 % type(observations).__name__)
    unknown = sorted(set(thresholds or {}) - set(checks.MONITOR_THRESHOLDS))
    if unknown:
        raise AnsibleFilterError('monitor_dashboard: unknown thresholds %s; known: %s'
                                 % (', '.join(unknown), ', '.join(sorted(checks.MONITOR_THRESHOLDS))))
    rows = []
    for node, obs in observations.items():
        if obs.get('unreachable'):
            rows.append(dict(node=node, state='down', service='unreachable: %s' % obs['unreachable']))
            continue
        rows.append(checks.monitor_row(node, obs, int(expected_size or 0)))
    alerts = checks.monitor_alerts(rows, thresholds)
    levels = set(a['level'] for a in alerts)
    status = 'critical' if 'critical' in levels else ('warning' if 'warning' in levels else 'ok')
    return dict(status=status, rows=rows, alerts=alerts, table=checks.monitor_table(rows))


def monitor_threshold_problems(variables: Mapping[str, Any]) -> List[str]:
    """Problems of ``{monitor_<x>_warning_<unit>: value, monitor_<x>_critical_<unit>: value}``, each naming the variable."""
    problems = []
    values: Dict[str, float] = {}
    for name, value in variables.items():
        try:
            number = float(value)
        except (TypeError, ValueError):
            problems.append('%s: found %r, need a number' % (name, value))
            continue
        if number < 0:
            problems.append('%s: found %r, need 0 or more' % (name, value))
        values[name] = number
    for name, number in values.items():
        if '_warning' in name:
            other = name.replace('_warning', '_critical')
            if other in values and number > values[other]:
                problems.append('%s: found %s, above %s (%s); the warning level must not exceed the critical one'
                                % (name, variables[name], other, variables[other]))
    return problems


def monitor_alert_line(alert: Mapping[str, Any]) -> str:
    """An alert as one line: ``CRITICAL node1 disk_used_pct: disk_used_pct is 93.0, critical threshold 90.0``."""
    return '%s %s %s: %s' % (str(alert.get('level')).upper(), alert.get('node'), alert.get('metric'),
                             alert.get('message'))


class FilterModule(object):
    """The monitor role's filters."""

    def filters(self) -> Dict[str, Any]:
        return dict(monitor_dashboard=monitor_dashboard, monitor_threshold_problems=monitor_threshold_problems,
                    monitor_alert_line=monitor_alert_line)
