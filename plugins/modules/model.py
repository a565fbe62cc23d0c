#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) ollama_lab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
---
module: model
short_description: Make sure a model is present on, or absent from, one Ollama Distributed node
version_added: 0.1.0
description:
  - Lists the node models first, C(GET /api/tags) (or C(GET /api/v1/models) when that answers 404),
    and acts only when needed.
  - O(state=present) pulls a missing model, C(POST /api/pull) with C(stream=false); the node copies
    it from a member that has it, or from its Ollama backend.
  - O(state=absent) deletes a present model, C(DELETE /api/delete).
  - Names without a tag mean the C(latest) tag, as in Ollama (V(tiny) and V(tiny:latest) are the
    same model).
author:
  - ollama_lab maintainers (@ollama-lab)
extends_documentation_fragment:
  - ollama_lab.distributed.connection
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Lists the models and reports whether it would pull or delete; sends neither.
  diff_mode:
    support: full
    details: Shows whether the model is present before and after.
  platform:
    platforms: posix
options:
  name:
    description:
      - Model name, optionally with a tag, for example V(tiny) or V(llama3.2:1b).
    type: str
    required: true
  state:
    description:
      - V(present) pulls the model when the node does not have it.
      - V(absent) deletes it when the node has it.
    type: str
    choices: [present, absent]
    default: present
  pull_timeout:
    description:
      - Seconds to wait for the pull answer (pulls copy the whole model). O(timeout) applies to the
        other requests.
      - A timed-out pull is not sent again (the node may still be copying); run the task again later.
    type: float
    default: 600
'''

EXAMPLES = r'''
- name: Make sure the lab model is on every node
  ollama_lab.distributed.model:
    url: "{{ layout_node.api_url }}"
    token: "{{ ollama_api_token | default(omit) }}"
    name: tiny
  register: tiny_model

- name: Remove a model from node3
  ollama_lab.distributed.model:
    url: http://127.0.0.1:8084
    name: llama3.2:1b
    state: absent
  delegate_to: localhost
'''

RETURN = r'''
name:
  description: The model name asked for.
  returned: always
  type: str
  sample: tiny
model:
  description:
    - The model record C({name, size, digest, modified_at, details}) as the node lists it; null when
      the model is absent (or, in check mode, not pulled yet).
  returned: success
  type: dict
  sample: {"name": "tiny:latest", "size": 1024, "digest": "sha256:ab12", "details": {"family": "tiny"}}
pull_status:
  description: The C(status) of the pull answer, normally V(success).
  returned: when a pull was sent
  type: str
  sample: success
endpoint:
  description: The model-list route that answered.
  returned: success
  type: str
  sample: /api/tags
'''

from typing import Any, Dict, Optional, Tuple

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ollama_lab.distributed.plugins.module_utils.api import (
    NodeAPIError,
    NodeClient,
    connection_argument_spec,
    fail_api,
)

LIST_PATHS = ('/api/tags', '/api/v1/models')


def canonical(name: str) -> str:
    """``tiny`` -> ``tiny:latest``; names with a tag are kept."""
    last = name.rsplit('/', 1)[-1]
    return name if ':' in last else name + ':latest'


def find_model(client: NodeClient, name: str) -> Tuple[str, Optional[Dict[str, Any]]]:
    """(list route, record of ``name`` or None)."""
    endpoint, resp = client.get_first(LIST_PATHS)
    models = resp.data.get('models') if isinstance(resp.data, dict) else None
    wanted = canonical(name)
    for record in models or []:
        if isinstance(record, dict) and isinstance(record.get('name'), str) \
                and canonical(record['name']) == wanted:
            return endpoint, record
    return endpoint, None


def main() -> None:
    argument_spec = connection_argument_spec()
    argument_spec.update(
        name=dict(type='str', required=True),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        pull_timeout=dict(type='float', default=600.0),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    client = NodeClient.from_module(module)
    name = module.params['name'].strip()
    state = module.params['state']
    if not name:
        module.fail_json(msg='name must not be empty')
    if module.params['pull_timeout'] <= 0:
        module.fail_json(msg='pull_timeout must be a positive number of seconds')
    result: Dict[str, Any] = dict(changed=False, name=name)

    try:
        endpoint, record = find_model(client, name)
        result.update(model=record, endpoint=endpoint)
        present = record is not None
        if present == (state == 'present'):
            module.exit_json(**result)

        result['changed'] = True
        if module._diff:
            result['diff'] = dict(before=dict(name=name, present=present),
                                  after=dict(name=name, present=not present))
        if module.check_mode:
            if state == 'absent':
                result['model'] = None
            module.exit_json(**result)

        if state == 'present':
            try:
                answer = client.post('/api/pull', {'name': name, 'stream': False},
                                     timeout=module.params['pull_timeout'])
            except NodeAPIError as exc:
                if exc.status == 404:
                    exc.message = ("Cannot pull model '%s': no member and no backend of the node has it (%s)"
                                   % (name, exc.message))
                raise
            data = answer.data if isinstance(answer.data, dict) else {}
            result['pull_status'] = data.get('status')
            result['model'] = find_model(client, name)[1]
            if result['model'] is None:
                module.fail_json(msg="The pull of model '%s' answered %r but the node does not list the "
                                     "model afterwards" % (name, data.get('status')), **result)
        else:
            try:
                client.delete('/api/delete', {'name': record['name'] if record else name})
            except NodeAPIError as exc:
                if exc.status != 404:
                    raise
                result['changed'] = False  # gone in between: nothing was deleted by us
            result['model'] = None
    except NodeAPIError as exc:
        fail_api(module, exc, name=name)
        return

    module.exit_json(**result)


if __name__ == '__main__':
    main()
