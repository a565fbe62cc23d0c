#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) ollama_lab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
---
module: generate
short_description: Run one generate request through an Ollama Distributed cluster
version_added: 0.1.0
description:
  - Sends C(POST /api/generate) with C(stream=false) to one node; its scheduler routes the request to
    an online, non-draining member that has the model.
  - Returns the answer text and its timings. Useful for smoke tests and validation.
  - Never reports a change. It also runs in check mode, because a generate request changes nothing
    on the cluster (it only reads the model).
  - A node without C(backend.ollama_url) answers with a small deterministic built-in generator meant
    for labs and tests, and says so in the answer.
author:
  - ollama_lab maintainers (@ollama-lab)
extends_documentation_fragment:
  - ollama_lab.distributed.connection
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: The request is sent in check mode too; it has no side effect on the cluster.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  model:
    description:
      - Name of a model some member has, for example V(tiny).
    type: str
    required: true
  prompt:
    description:
      - The prompt text.
    type: str
    required: true
  options:
    description:
      - 'Ollama model options passed as they are, for example C({"temperature": 0, "num_predict": 32}).'
    type: dict
  timeout:
    description:
      - Seconds to wait for the answer (inference can be slow). Applies to this request only; a
        timed-out generate is not sent again.
    type: float
    default: 120
'''

EXAMPLES = r'''
- name: Ask the cluster a question
  ollama_lab.distributed.generate:
    url: "{{ layout_node.api_url }}"
    token: "{{ ollama_api_token | default(omit) }}"
    model: tiny
    prompt: Why is the sky blue?
    options:
      temperature: 0
  register: answer

- name: Show the answer and how long it took
  ansible.builtin.debug:
    msg: "{{ answer.response }} ({{ answer.latency_ms }} ms, {{ answer.eval_count }} tokens)"
'''

RETURN = r'''
response:
  description: The generated text.
  returned: success
  type: str
  sample: The sky is blue because ...
model:
  description: The model that answered.
  returned: success
  type: str
  sample: tiny:latest
done:
  description: Whether generation finished.
  returned: success
  type: bool
  sample: true
eval_count:
  description: Tokens generated (null when the node does not say).
  returned: success
  type: int
  sample: 24
total_duration:
  description: Nanoseconds the node spent on the request (null when the node does not say).
  returned: success
  type: int
  sample: 5043500667
served_by:
  description:
    - Id of the member that ran the inference (the C(X-Ollama-Distributed-Node) answer header), which
      may differ from the node asked since the cluster's scheduler picks one.
    - Null when the node does not send the header.
  returned: success
  type: str
  sample: node2
latency_ms:
  description: Milliseconds the whole request took as seen by the module.
  returned: success
  type: float
  sample: 12.7
raw:
  description: The whole decoded generate answer (C(context) left out).
  returned: success
  type: dict
  sample: {"model": "tiny:latest", "response": "...", "done": true, "eval_count": 24}
'''

from typing import Any, Dict

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ollama_lab.distributed.plugins.module_utils.api import (
    NodeAPIError,
    NodeClient,
    connection_argument_spec,
    fail_api,
)


def main() -> None:
    argument_spec = connection_argument_spec()
    argument_spec.update(
        model=dict(type='str', required=True),
        prompt=dict(type='str', required=True),
        options=dict(type='dict'),
    )
    argument_spec['timeout']['default'] = 120.0
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    client = NodeClient.from_module(module)
    model = module.params['model']

    body: Dict[str, Any] = dict(model=model, prompt=module.params['prompt'], stream=False)
    if module.params['options']:
        body['options'] = module.params['options']

    try:
        resp = client.post('/api/generate', body)
    except NodeAPIError as exc:
        if exc.status == 404:
            exc.message = "No online, non-draining member has model '%s' (%s)" % (model, exc.message)
        fail_api(module, exc, model=model)
        return

    data = resp.data if isinstance(resp.data, dict) else {}
    if not isinstance(data.get('response'), str):
        module.fail_json(msg="The generate answer from %s has no 'response' text" % resp.url,
                         raw=data, http_status=resp.status)
    raw = dict((k, v) for k, v in data.items() if k != 'context')
    module.exit_json(
        changed=False,
        response=data['response'],
        model=data.get('model', model),
        done=data.get('done'),
        eval_count=data.get('eval_count'),
        total_duration=data.get('total_duration'),
        served_by=resp.headers.get('x-ollama-distributed-node'),
        latency_ms=resp.latency_ms,
        raw=raw,
    )


if __name__ == '__main__':
    main()
