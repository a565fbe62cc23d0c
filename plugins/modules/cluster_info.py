#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) ollama_lab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
---
module: cluster_info
short_description: Read (and optionally wait for) the cluster state as one Ollama Distributed node sees it
version_added: 0.1.0
description:
  - Reads the cluster status from one node, C(GET /api/distributed/status), falling back to
    C(GET /api/v1/cluster/status) when that answers 404 (upstream OllamaMax serves only C(/api/v1/*)).
  - Reads the member list, C(GET /api/distributed/nodes) or C(GET /api/v1/nodes); when neither
    exists the C(nodes) of the status answer are used.
  - The leader comes from the status answer; when the status has no C(leader) key,
    C(GET /api/v1/cluster/leader) is asked.
  - With O(wait_for_size) and/or O(wait_for_leader) the module polls until the cluster matches or
    O(wait_timeout) passes, then fails with a message saying what was last seen (size, leader).
    While waiting, connection errors, timeouts and 5xx answers count as observations; C(401) fails
    at once.
  - Never reports a change.
author:
  - ollama_lab maintainers (@ollama-lab)
extends_documentation_fragment:
  - ollama_lab.distributed.connection
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Only reads; runs the same in check mode.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  wait_for_size:
    description:
      - Wait until RV(cluster_size) (online members, this node included) is at least this number.
    type: int
  wait_for_leader:
    description:
      - Wait until the node knows a leader (RV(leader) is not empty).
    type: bool
    default: false
  wait_for_leader_id:
    description:
      - Wait until the node names this leader (implies O(wait_for_leader)), for example the leader
        another node names, so that both agree.
    type: str
  read_health:
    description:
      - Also read the node health, C(GET /health) (or C(/api/v1/health)), first; a C(503) answer
        (no quorum) is a reading, not an error. Adds RV(status) and RV(version).
    type: bool
    default: false
  wait_for_health:
    description:
      - Wait until the health status (RV(status)) is one of these. Implies O(read_health).
    type: list
    elements: str
    choices: [healthy, degraded, unhealthy]
  wait_timeout:
    description:
      - Seconds to wait for O(wait_for_size), O(wait_for_leader) and O(wait_for_health) before failing.
    type: float
    default: 60
  wait_interval:
    description:
      - Seconds between two polls while waiting. The first polls come sooner (0.05 s, then twice
        as long each time up to this), so a node that is ready at once is not waited for.
    type: float
    default: 2
  also_read:
    description:
      - More nodes to read in the same run, a mapping of a name (the inventory host) to the node's
        base URL, with the same connection options and O(read_health) as O(url) - the other nodes of
        a machine, read by one module run instead of one each.
      - Each reading, or the error that stopped it (C(failed), C(msg)), is returned under its name
        in RV(readings); a node that does not answer does not fail the module. The module fails
        only as the reading of O(url) does.
      - Only for a single reading, not with O(wait_for_size), O(wait_for_leader),
        O(wait_for_leader_id) or O(wait_for_health).
    type: dict
    default: {}
'''

EXAMPLES = r'''
- name: Read the cluster as the bootstrap node sees it
  ollama_lab.distributed.cluster_info:
    url: "{{ layout_node.api_url }}"
    token: "{{ ollama_api_token | default(omit) }}"
  register: cluster

- name: Wait until all nodes of the group have joined and agree on a leader
  ollama_lab.distributed.cluster_info:
    url: "{{ layout_node.api_url }}"
    wait_for_size: "{{ layout_cluster | length }}"
    wait_for_leader: true
    wait_timeout: 120
  delegate_to: localhost

- name: Read this node and the other nodes of its machine in one run
  ollama_lab.distributed.cluster_info:
    url: http://127.0.0.1:8080
    also_read:
      node2: http://127.0.0.1:8082
      node3: http://127.0.0.1:8084
    read_health: true
  register: machine

- name: Show who leads
  ansible.builtin.debug:
    msg: "{{ cluster.leader }} leads term {{ cluster.term }} of {{ cluster.cluster_size }} nodes"
'''

RETURN = r'''
cluster_size:
  description: Online members, the answering node included.
  returned: success
  type: int
  sample: 3
expected_size:
  description: The configured C(cluster.expected_size), or the largest size seen.
  returned: success
  type: int
  sample: 3
leader:
  description: Node id of the leader; empty or null when there is none.
  returned: success
  type: str
  sample: node1
leader_address:
  description: API address of the leader when known (from the member list or C(/api/v1/cluster/leader)).
  returned: success
  type: str
  sample: 127.0.0.1:8080
is_leader:
  description: Whether the answering node is the leader.
  returned: success
  type: bool
  sample: true
term:
  description: Leader term; increases when the leader changes.
  returned: success
  type: int
  sample: 1
health:
  description: Cluster verdict, V(healthy), V(degraded) or V(unhealthy).
  returned: success
  type: str
  sample: healthy
node_id:
  description: Id of the answering node.
  returned: success
  type: str
  sample: node1
connected_peers:
  description: Peers the answering node is connected to.
  returned: success
  type: int
  sample: 2
nodes:
  description:
    - Member records C({id, address, p2p_address, status, last_seen, tags, capabilities, metrics}),
      C(status) being V(online), V(offline) or V(draining).
  returned: success
  type: list
  elements: dict
  sample: [{"id": "node1", "address": "127.0.0.1:8080", "status": "online"}]
status_endpoint:
  description: The status route that answered.
  returned: success
  type: str
  sample: /api/distributed/status
nodes_endpoint:
  description: The member-list route that answered, or null when the status C(nodes) were used.
  returned: success
  type: str
  sample: /api/distributed/nodes
latency_ms:
  description: Milliseconds the last status request took.
  returned: success
  type: float
  sample: 2.4
status:
  description: The health status, C(healthy), C(degraded) or C(unhealthy).
  returned: when O(read_health) or O(wait_for_health) is set
  type: str
  sample: healthy
version:
  description: The node version its health answer names.
  returned: when O(read_health) or O(wait_for_health) is set
  type: str
  sample: 0.1.0
readings:
  description:
    - Per name of O(also_read), what the node answered (the keys above, with RV(status) and
      RV(version) when O(read_health) is set) or why it did not (C(failed) true, C(msg),
      C(http_status) when it answered with an error).
  returned: when O(also_read) is set, also when the reading of O(url) fails
  type: dict
  sample: {"node2": {"cluster_size": 3, "leader": "node1", "status": "healthy"}}
attempts:
  description: How many readings were made (more than one only when waiting).
  returned: success
  type: int
  sample: 1
'''

from typing import Any, Dict, List, Optional

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ollama_lab.distributed.plugins.module_utils.api import (
    NodeAPIError,
    NodeClient,
    connection_argument_spec,
    display_url,
    fail_api,
)
from ansible_collections.ollama_lab.distributed.plugins.module_utils.api_poll import poll_until

STATUS_PATHS = ('/api/distributed/status', '/api/v1/cluster/status')
NODES_PATHS = {
    '/api/distributed/status': ('/api/distributed/nodes', '/api/v1/nodes'),
    '/api/v1/cluster/status': ('/api/v1/nodes', '/api/distributed/nodes'),
}
LEADER_PATH = '/api/v1/cluster/leader'
HEALTH_PATHS = ('/health', '/api/v1/health')


def _as_dict(data: Any) -> Dict[str, Any]:
    return data if isinstance(data, dict) else {}


def read_health(client: NodeClient, retries: Optional[int] = None) -> Dict[str, Any]:
    """The health status and version; a 503 (no quorum) is a reading."""
    resp = client.get_first(HEALTH_PATHS, accept_status=(503,), retries=retries)[1]
    data = _as_dict(resp.data)
    return dict(status=data.get('status'), version=data.get('version'))


def observe(client: NodeClient, retries: Optional[int] = None, health: bool = False) -> Dict[str, Any]:
    """One reading of status, members and leader (and health)."""
    seen = read_health(client, retries) if health else {}
    seen.update(observe_status(client, retries))
    return seen


def observe_status(client: NodeClient, retries: Optional[int] = None) -> Dict[str, Any]:
    """One reading of status, members and leader."""
    status_endpoint, resp = client.get_first(STATUS_PATHS, retries=retries)
    status = _as_dict(resp.data)

    nodes: List[Any] = status.get('nodes') or []
    nodes_endpoint: Optional[str] = None
    try:
        nodes_endpoint, nresp = client.get_first(NODES_PATHS[status_endpoint], retries=retries)
        listed = _as_dict(nresp.data).get('nodes')
        if isinstance(listed, list):
            nodes = listed
    except NodeAPIError as exc:
        if exc.status != 404:
            raise
        nodes_endpoint = None

    leader = status.get('leader')
    leader_address: Optional[str] = None
    if 'leader' not in status:
        try:
            lead = _as_dict(client.get(LEADER_PATH, retries=retries).data)
            leader = lead.get('leader')
            leader_address = lead.get('address')
            if status.get('term') is None:
                status['term'] = lead.get('term')
        except NodeAPIError as exc:
            if exc.status != 404:
                raise
    if leader and leader_address is None:
        for node in nodes:
            if isinstance(node, dict) and node.get('id') == leader:
                leader_address = node.get('address')
                break

    return dict(
        cluster_size=status.get('cluster_size'),
        expected_size=status.get('expected_size'),
        leader=leader,
        leader_address=leader_address,
        is_leader=status.get('is_leader'),
        term=status.get('term'),
        health=status.get('health'),
        node_id=status.get('node_id'),
        connected_peers=status.get('connected_peers'),
        nodes=nodes,
        status_endpoint=status_endpoint,
        nodes_endpoint=nodes_endpoint,
        latency_ms=resp.latency_ms,
    )


def read_others(module: Any, urls: Dict[str, str], health: bool) -> Dict[str, Dict[str, Any]]:
    """One reading (or its error) per name of ``also_read``, with the module's connection options."""
    readings: Dict[str, Dict[str, Any]] = {}
    for name, url in urls.items():
        try:
            readings[name] = observe(NodeClient.from_module(module, url=url), health=health)
        except NodeAPIError as exc:
            readings[name] = dict(exc.to_result(), failed=True)
    return readings


def matches(seen: Dict[str, Any], size: Optional[int], want_leader: bool,
            health: Optional[List[str]] = None, leader_id: Optional[str] = None) -> bool:
    if leader_id and seen.get('leader') != leader_id:
        return False
    if health and seen.get('status') not in health:
        return False
    if size is not None:
        current = seen.get('cluster_size')
        if not isinstance(current, int) or current < size:
            return False
    if want_leader and not seen.get('leader'):
        return False
    return True


def describe(seen: Optional[Dict[str, Any]]) -> str:
    if seen is None:
        return 'no status was ever read'
    return ('last seen: %scluster_size %s (expected %s), leader %s, health %s, nodes %s'
            % ('health status %s, ' % seen['status'] if 'status' in seen else '',
               seen.get('cluster_size'), seen.get('expected_size'), repr(seen.get('leader') or None),
               seen.get('health'),
               ', '.join('%s=%s' % (n.get('id'), n.get('status')) for n in seen.get('nodes') or []
                         if isinstance(n, dict)) or 'none'))


def main() -> None:
    argument_spec = connection_argument_spec()
    argument_spec.update(
        wait_for_size=dict(type='int'),
        wait_for_leader=dict(type='bool', default=False),
        wait_for_leader_id=dict(type='str'),
        read_health=dict(type='bool', default=False),
        wait_for_health=dict(type='list', elements='str', choices=['healthy', 'degraded', 'unhealthy']),
        wait_timeout=dict(type='float', default=60.0),
        wait_interval=dict(type='float', default=2.0),
        also_read=dict(type='dict', default={}),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    client = NodeClient.from_module(module)
    size = module.params['wait_for_size']
    leader_id = module.params['wait_for_leader_id'] or None
    want_leader = module.params['wait_for_leader'] or bool(leader_id)
    want_health = module.params['wait_for_health']
    health = module.params['read_health'] or bool(want_health)
    if size is not None and size < 1:
        module.fail_json(msg='wait_for_size must be 1 or more, got %d' % size)
    also = module.params['also_read']
    waiting = size is not None or want_leader or bool(want_health)
    if also and waiting:
        module.fail_json(msg='also_read is for a single reading: not with wait_for_size, wait_for_leader, '
                             'wait_for_leader_id or wait_for_health')
    extra = dict(readings=read_others(module, {str(k): str(v) for k, v in also.items()}, health)) if also else {}

    try:
        if not waiting:
            module.exit_json(changed=False, attempts=1, **dict(observe(client, health=health), **extra))
        result = poll_until(lambda: observe(client, retries=0, health=health),
                            lambda seen: matches(seen, size, want_leader, want_health, leader_id),
                            timeout=module.params['wait_timeout'],
                            interval=module.params['wait_interval'])
    except NodeAPIError as exc:
        fail_api(module, exc, **extra)
        return

    if result.ok:
        module.exit_json(changed=False, attempts=result.attempts, **result.value)

    wanted = []
    if size is not None:
        wanted.append('a size of at least %d' % size)
    if leader_id:
        wanted.append('the leader %s' % leader_id)
    elif want_leader:
        wanted.append('a leader')
    if want_health:
        wanted.append('health %s' % ' or '.join(want_health))
    text = describe(result.value)
    if result.error is not None:
        text = 'last error: %s; %s' % (result.error.message, text)
    module.fail_json(
        msg='Cluster seen from %s did not reach %s within %gs (%d checks); %s'
            % (display_url(client.base_url), ' and '.join(wanted), module.params['wait_timeout'],
               result.attempts, text),
        attempts=result.attempts, **(result.value or {}))


if __name__ == '__main__':
    main()
