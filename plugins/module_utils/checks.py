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

The checks live in one module per concern (``checks_common``, ``checks_host``,
``checks_startup``, ``checks_api``, ``checks_performance``,
``checks_security``, ``checks_cluster``, ``checks_monitor``); this module
is their entry point and names everything callers use.
"""

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

from typing import Any, Callable, Dict, List, Mapping, Optional

from ansible_collections.ollama_lab.distributed.plugins.module_utils.checks_api import FAMILIES, ROUTES, eval_api, shape_problems
from ansible_collections.ollama_lab.distributed.plugins.module_utils.checks_cluster import evaluate_cluster
from ansible_collections.ollama_lab.distributed.plugins.module_utils.checks_common import (
    CATEGORIES, DEFAULT_SETTINGS, STATUSES, merged_settings, record, worst)
from ansible_collections.ollama_lab.distributed.plugins.module_utils.checks_host import (
    eval_configuration, eval_installation, eval_prerequisites)
from ansible_collections.ollama_lab.distributed.plugins.module_utils.checks_monitor import (
    LEVELS, MONITOR_THRESHOLDS, monitor_alerts, monitor_row, monitor_table)
from ansible_collections.ollama_lab.distributed.plugins.module_utils.checks_performance import eval_performance
from ansible_collections.ollama_lab.distributed.plugins.module_utils.checks_security import SECURITY_HEADERS, eval_security
from ansible_collections.ollama_lab.distributed.plugins.module_utils.checks_startup import eval_startup, service_down

__all__ = [
    'CATEGORIES', 'DEFAULT_SETTINGS', 'EVALUATORS', 'FAMILIES', 'LEVELS', 'MONITOR_THRESHOLDS', 'ROUTES',
    'SECURITY_HEADERS', 'STATUSES', 'eval_api', 'eval_configuration', 'eval_installation', 'eval_performance',
    'eval_prerequisites', 'eval_security', 'eval_startup', 'evaluate', 'evaluate_cluster', 'evaluate_node',
    'monitor_alerts', 'monitor_row', 'monitor_table', 'record', 'service_down', 'shape_problems', 'worst',
]

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
    s = merged_settings(settings)
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
    s = merged_settings(settings)
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
