# -*- coding: utf-8 -*-
# Copyright (c) ollama_lab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation checks across the nodes of a cluster: agreement, size, leader and reachability."""

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

from typing import Any, Dict, List, Mapping, Optional

from ansible_collections.ollama_lab.distributed.plugins.module_utils.checks_common import merged_settings, record
from ansible_collections.ollama_lab.distributed.plugins.module_utils.checks_startup import service_down


def evaluate_cluster(nodes: Mapping[str, Mapping[str, Any]], settings: Optional[Mapping[str, Any]] = None
                     ) -> List[Dict[str, Any]]:
    """Cluster checks over every node's observations: ``{node_name: observations}``.

    Returns records with a ``node`` key: ``cluster`` for agreement and size,
    the node name for its reachability of the others.
    """
    s = merged_settings(settings)
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
