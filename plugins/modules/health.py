#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) ollama_lab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
---
module: health
short_description: Read (and optionally wait for) the health of one Ollama Distributed node
version_added: 0.1.0
description:
  - Sends C(GET /health) to one node (falls back to C(GET /api/v1/health) when C(/health) answers 404,
    as upstream OllamaMax does) and returns the verdict.
  - A C(503) answer with C(status=unhealthy) is a valid observation, not an error; the module
    succeeds and returns RV(status=unhealthy) unless O(wait_for) asks for something else.
  - With O(wait_for) the module polls until the status is one of the listed values or
    O(wait_timeout) passes. While waiting, connection errors, timeouts and 5xx answers (a node
    still starting) count as observations and polling goes on; C(401) and C(404) fail at once.
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
  wait_for:
    description:
      - Wait until the node status is one of these values.
      - Leave unset to read the status once.
    type: list
    elements: str
    choices: [healthy, degraded, unhealthy]
  wait_timeout:
    description:
      - Seconds to wait for O(wait_for) before failing.
    type: float
    default: 60
  wait_interval:
    description:
      - Seconds between two polls while waiting. The first polls come sooner (0.05 s, then twice
        as long each time up to this), so a node that is ready at once is not waited for.
    type: float
    default: 2
'''

EXAMPLES = r'''
- name: Read the health of this node
  ollama_lab.distributed.health:
    url: "{{ layout_node.api_url }}"
  register: node_health

- name: Wait until the node is healthy or degraded (has quorum)
  ollama_lab.distributed.health:
    url: http://127.0.0.1:8080
    token: "{{ ollama_api_token | default(omit) }}"
    wait_for: [healthy, degraded]
    wait_timeout: 120
  delegate_to: localhost
'''

RETURN = r'''
status:
  description: The node verdict, V(healthy), V(degraded) or V(unhealthy) (no quorum, HTTP 503).
  returned: success
  type: str
  sample: healthy
version:
  description: The node software version.
  returned: success
  type: str
  sample: 0.1.0 (reference)
node_id:
  description: The id of the node that answered.
  returned: success
  type: str
  sample: node1
uptime_seconds:
  description: Seconds since the node started.
  returned: success
  type: float
  sample: 42.5
latency_ms:
  description: Milliseconds the last health request took.
  returned: success
  type: float
  sample: 3.2
http_status:
  description: HTTP status of the last health answer (200, or 503 when unhealthy).
  returned: success
  type: int
  sample: 200
endpoint:
  description: The path that answered, C(/health) or C(/api/v1/health).
  returned: success
  type: str
  sample: /health
attempts:
  description: How many health requests were made (more than one only when waiting).
  returned: success
  type: int
  sample: 1
health:
  description: The whole decoded health answer.
  returned: success
  type: dict
  sample: {"status": "healthy", "node_id": "node1", "version": "0.1.0", "uptime": "42s", "uptime_seconds": 42.5}
'''

from typing import Any, Dict, Optional

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ollama_lab.distributed.plugins.module_utils.api import (
    NodeAPIError,
    NodeClient,
    connection_argument_spec,
    display_url,
    fail_api,
)
from ansible_collections.ollama_lab.distributed.plugins.module_utils.api_poll import poll_until

HEALTH_PATHS = ('/health', '/api/v1/health')


def observe(client: NodeClient, retries: Optional[int] = None) -> Dict[str, Any]:
    """One health reading; a 503 answer is an observation, not an error."""
    endpoint, resp = client.get_first(HEALTH_PATHS, accept_status=(503,), retries=retries)
    data = resp.data if isinstance(resp.data, dict) else {}
    return dict(
        status=data.get('status'),
        version=data.get('version'),
        node_id=data.get('node_id'),
        uptime_seconds=data.get('uptime_seconds'),
        latency_ms=resp.latency_ms,
        http_status=resp.status,
        endpoint=endpoint,
        health=data,
    )


def describe(seen: Optional[Dict[str, Any]], error: Optional[NodeAPIError]) -> str:
    text = 'nothing was seen' if seen is None else (
        "last seen: status %r (HTTP %s)" % (seen.get('status'), seen.get('http_status')))
    if error is not None:
        return 'last error: %s; %s' % (error.message, 'no answer was ever read' if seen is None else text)
    return text


def main() -> None:
    argument_spec = connection_argument_spec()
    argument_spec.update(
        wait_for=dict(type='list', elements='str', choices=['healthy', 'degraded', 'unhealthy']),
        wait_timeout=dict(type='float', default=60.0),
        wait_interval=dict(type='float', default=2.0),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    client = NodeClient.from_module(module)
    wait_for = module.params['wait_for']

    try:
        if not wait_for:
            seen = observe(client)
            module.exit_json(changed=False, attempts=1, **seen)

        wanted = set(wait_for)
        result = poll_until(lambda: observe(client, retries=0),
                            lambda obs: obs.get('status') in wanted,
                            timeout=module.params['wait_timeout'],
                            interval=module.params['wait_interval'])
    except NodeAPIError as exc:
        fail_api(module, exc)
        return

    if result.ok:
        module.exit_json(changed=False, attempts=result.attempts, **result.value)
    last = result.value or {}
    module.fail_json(
        msg='Node at %s did not reach status %s within %gs (%d checks); %s'
            % (display_url(client.base_url), ' or '.join(sorted(wanted)), module.params['wait_timeout'],
               result.attempts, describe(result.value, result.error)),
        attempts=result.attempts, **last)


if __name__ == '__main__':
    main()
