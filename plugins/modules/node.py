#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) ollama_lab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
---
module: node
short_description: Drain or bring back one member of an Ollama Distributed cluster
version_added: 0.1.0
description:
  - Reads the member record first, C(GET /api/distributed/nodes/{id}) (or C(/api/v1/nodes/{id}) when
    the first family answers 404), and acts only when needed.
  - O(state=drained) sends C(POST .../nodes/{id}/drain) unless the member status is already
    V(draining); a draining node gets no new generate work.
  - O(state=online) sends C(POST .../nodes/{id}/uncordon) only when the member status is
    V(draining). An V(offline) member cannot be brought back this way (start its service instead);
    the module then changes nothing and warns.
  - C(changed) is true only when the member status moves. The request can go to any member,
    since drain state belongs to the member record that every member sees.
  - Fails with a message naming the node id (and the members the cluster knows) when there is no such
    member.
author:
  - ollama_lab maintainers (@ollama-lab)
extends_documentation_fragment:
  - ollama_lab.distributed.connection
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reads the record and reports whether it would change; sends no POST.
  diff_mode:
    support: full
    details: Shows the member status before and after.
  platform:
    platforms: posix
options:
  node_id:
    description:
      - Id of the member to act on (its C(node.id), C(layout_node.id) in the collection).
    type: str
    required: true
  state:
    description:
      - V(drained) stops new work from being scheduled on the member.
      - V(online) lets a drained member take work again.
    type: str
    choices: [drained, online]
    default: online
'''

EXAMPLES = r'''
- name: Drain node2 before maintenance (asking the bootstrap node)
  ollama_lab.distributed.node:
    url: http://127.0.0.1:8080
    node_id: node2
    state: drained
  delegate_to: localhost

- name: Put this node back into service
  ollama_lab.distributed.node:
    url: "{{ layout_node.api_url }}"
    token: "{{ ollama_api_token | default(omit) }}"
    node_id: "{{ layout_node.id }}"
    state: online
'''

RETURN = r'''
node_id:
  description: The member acted on.
  returned: always
  type: str
  sample: node2
previous_status:
  description: Member status before the module ran (V(online), V(offline) or V(draining)).
  returned: success
  type: str
  sample: online
status:
  description: Member status after the module ran; in check mode, the status it would have.
  returned: success
  type: str
  sample: draining
node:
  description:
    - The member record C({id, address, p2p_address, status, last_seen, tags, capabilities, metrics})
      after the change (before it in check mode).
  returned: success
  type: dict
  sample: {"id": "node2", "address": "127.0.0.1:8082", "status": "draining"}
endpoint:
  description: The member route used.
  returned: success
  type: str
  sample: /api/distributed/nodes/node2
'''

from typing import Any, Dict, List, Tuple

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ollama_lab.distributed.plugins.module_utils.api import (
    NodeAPIError,
    NodeClient,
    connection_argument_spec,
    display_url,
    fail_api,
)

FAMILIES = ('/api/distributed/nodes', '/api/v1/nodes')
ACTIONS = {'drained': 'drain', 'online': 'uncordon'}
TARGET_STATUS = {'drained': 'draining', 'online': 'online'}


def known_node_ids(client: NodeClient) -> List[str]:
    """Ids of the members the cluster lists; empty when the list cannot be read."""
    try:
        resp = client.get_first(FAMILIES, retries=0)[1]
    except NodeAPIError:
        return []
    nodes = resp.data.get('nodes') if isinstance(resp.data, dict) else None
    return [str(n.get('id')) for n in nodes or [] if isinstance(n, dict) and n.get('id')]


def read_node(client: NodeClient, node_id: str) -> Tuple[str, Dict[str, Any]]:
    """(member path, record); NodeAPIError with status 404 naming the node when it does not exist."""
    paths = ['%s/%s' % (family, client.quote(node_id)) for family in FAMILIES]
    try:
        path, resp = client.get_first(paths)
    except NodeAPIError as exc:
        if exc.status != 404:
            raise
        known = known_node_ids(client)
        exc.message = ("No member with node_id '%s' in the cluster seen from %s%s (last answer: %s)"
                       % (node_id, display_url(client.base_url),
                          '; known members: %s' % ', '.join(known) if known else '', exc.message))
        exc.args = (exc.message,)
        raise
    record = resp.data if isinstance(resp.data, dict) else {}
    return path, record


def main() -> None:
    argument_spec = connection_argument_spec()
    argument_spec.update(
        node_id=dict(type='str', required=True),
        state=dict(type='str', choices=['drained', 'online'], default='online'),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    client = NodeClient.from_module(module)
    node_id = module.params['node_id']
    state = module.params['state']
    target = TARGET_STATUS[state]
    result: Dict[str, Any] = dict(changed=False, node_id=node_id)

    try:
        path, record = read_node(client, node_id)
        before = record.get('status')
        result.update(previous_status=before, status=before, node=record, endpoint=path)

        if state == 'drained':
            needed = before != 'draining'
        else:
            needed = before == 'draining'
            if before == 'offline':
                module.warn("Member '%s' is offline: uncordon cannot bring it online; start its service "
                            "instead." % node_id)
        if not needed:
            module.exit_json(**result)

        result.update(changed=True, status=target)
        if module._diff:
            result['diff'] = dict(before=dict(status=before), after=dict(status=target))
        if module.check_mode:
            module.exit_json(**result)

        answer = client.post('%s/%s' % (path, ACTIONS[state]), {})
        after_record = read_node(client, node_id)[1]
    except NodeAPIError as exc:
        fail_api(module, exc, node_id=node_id)
        return

    after = after_record.get('status')
    if after is None and isinstance(answer.data, dict):
        after = answer.data.get('status')
    result.update(status=after, node=after_record, changed=after != before)
    if module._diff:
        result['diff'] = dict(before=dict(status=before), after=dict(status=after))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
