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
      - Seconds to wait for one pull answer (pulls copy the whole model). O(timeout) applies to the
        other requests.
      - After a timed-out pull the module lists the models again before any retry, so a pull the node
        finished in the meantime is not sent twice.
    type: float
    default: 600
  pull_retries:
    description:
      - How many times a failed pull is tried again, with exponential backoff (O(pull_retry_delay),
        then twice that, and so on, at most 30 seconds between two tries).
      - Retried failures are V(404) (no member has the model yet, for example while a freshly seeded
        model is still being announced to the cluster), connection errors, timeouts and 5xx answers.
        Other answers (such as 400, 401, 501 or 507 when storage is full) fail at once.
      - Before each retry the models are listed again; a model that arrived in the meantime ends the retries.
      - V(0) tries once.
    type: int
    default: 3
  pull_retry_delay:
    description:
      - Seconds before the first pull retry; each further retry waits twice as long (capped at 30 seconds).
    type: float
    default: 2
'''

EXAMPLES = r'''
- name: Make sure the lab model is on every node
  ollama_lab.distributed.model:
    url: "{{ layout_node.api_url }}"
    token: "{{ ollama_api_token | default(omit) }}"
    name: tiny
  register: tiny_model

- name: Pull a model, retrying while the cluster learns who has it
  ollama_lab.distributed.model:
    url: "{{ layout_node.local_url }}"
    name: lab-tiny
    pull_timeout: 120
    pull_retries: 5
    pull_retry_delay: 1

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
pull_attempts:
  description: How many pulls were sent (1 when the first one succeeded).
  returned: when a pull was sent
  type: int
  sample: 2
models:
  description:
    - Every model the node lists (canonical names, C(name:tag)), sorted, as listed at the end of the task.
    - In check mode nothing is sent, so this is the node's list as it is, not as it would be.
  returned: success
  type: list
  elements: str
  sample: ["lab-tiny:latest", "tiny:latest"]
endpoint:
  description: The model-list route that answered.
  returned: success
  type: str
  sample: /api/tags
'''

import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ollama_lab.distributed.plugins.module_utils.api import (
    MAX_RETRIES,
    NodeAPIError,
    NodeClient,
    backoff_seconds,
    connection_argument_spec,
    fail_api,
)

LIST_PATHS = ('/api/tags', '/api/v1/models')


def canonical(name: str) -> str:
    """``tiny`` -> ``tiny:latest``; names with a tag are kept."""
    last = name.rsplit('/', 1)[-1]
    return name if ':' in last else name + ':latest'


def list_models(client: NodeClient) -> Tuple[str, List[Dict[str, Any]]]:
    """(list route, the model records the node lists)."""
    endpoint, resp = client.get_first(LIST_PATHS)
    models = resp.data.get('models') if isinstance(resp.data, dict) else None
    records = [r for r in models or [] if isinstance(r, dict) and isinstance(r.get('name'), str)]
    return endpoint, records


def pick(records: List[Dict[str, Any]], name: str) -> Optional[Dict[str, Any]]:
    """The record of ``name`` (tag-insensitive to a missing ``:latest``), or None."""
    wanted = canonical(name)
    return next((r for r in records if canonical(r['name']) == wanted), None)


def names(records: List[Dict[str, Any]]) -> List[str]:
    return sorted(set(canonical(r['name']) for r in records))


def find_model(client: NodeClient, name: str) -> Tuple[str, Optional[Dict[str, Any]]]:
    """(list route, record of ``name`` or None)."""
    endpoint, records = list_models(client)
    return endpoint, pick(records, name)


#: 5xx answers that a retry cannot fix: not implemented, storage full (storage.max_size).
_FINAL_5XX = frozenset((501, 507))


def retryable(exc: NodeAPIError) -> bool:
    """A pull failure that may go away: nobody has the model *yet*, or the node or a peer is struggling."""
    return exc.status == 404 or (exc.transient and exc.status not in _FINAL_5XX)


def pull(client: NodeClient, name: str, timeout: float, retries: int, delay: float,
         sleep: Callable[[float], Any] = time.sleep) -> Tuple[Dict[str, Any], int]:
    """Pull ``name`` until it succeeds, retrying retryable failures with backoff.

    Returns (the pull answer, pulls sent). Between two tries the models are
    listed again: a model that arrived meanwhile (a timed-out pull the node
    finished) ends the loop with the answer ``{'status': 'present'}``.
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            answer = client.post('/api/pull', {'name': name, 'stream': False}, timeout=timeout, retries=0)
            return (answer.data if isinstance(answer.data, dict) else {}), attempt
        except NodeAPIError as exc:
            if not retryable(exc) or attempt > retries:
                if exc.status == 404:
                    exc.message = ("Cannot pull model '%s': no member and no backend of the node has it (%s)"
                                   % (name, exc.message))
                if attempt > 1:
                    exc.message = '%s (gave up after %d pulls)' % (exc.message, attempt)
                exc.args = (exc.message,)
                raise
        sleep(backoff_seconds(delay, attempt))
        if find_model(client, name)[1] is not None:
            return {'status': 'present'}, attempt


def main() -> None:
    argument_spec = connection_argument_spec()
    argument_spec.update(
        name=dict(type='str', required=True),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        pull_timeout=dict(type='float', default=600.0),
        pull_retries=dict(type='int', default=3),
        pull_retry_delay=dict(type='float', default=2.0),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    client = NodeClient.from_module(module)
    name = module.params['name'].strip()
    state = module.params['state']
    p = module.params
    if not name:
        module.fail_json(msg='name must not be empty')
    if p['pull_timeout'] <= 0:
        module.fail_json(msg='pull_timeout must be a positive number of seconds, got %r' % p['pull_timeout'])
    if not 0 <= p['pull_retries'] <= MAX_RETRIES:
        module.fail_json(msg='pull_retries must be between 0 and %d, got %r' % (MAX_RETRIES, p['pull_retries']))
    if p['pull_retry_delay'] < 0:
        module.fail_json(msg='pull_retry_delay must be zero or more seconds, got %r' % p['pull_retry_delay'])
    result: Dict[str, Any] = dict(changed=False, name=name)

    try:
        endpoint, records = list_models(client)
        record = pick(records, name)
        result.update(model=record, endpoint=endpoint, models=names(records))
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
            data, attempts = pull(client, name, p['pull_timeout'], p['pull_retries'], p['pull_retry_delay'])
            result['pull_status'] = data.get('status')
            result['pull_attempts'] = attempts
        else:
            try:
                client.delete('/api/delete', {'name': record['name'] if record else name})
            except NodeAPIError as exc:
                if exc.status != 404:
                    raise
                result['changed'] = False  # gone in between: nothing was deleted by us
        records = list_models(client)[1]
        result['model'], result['models'] = pick(records, name), names(records)
        if state == 'present' and result['model'] is None:
            module.fail_json(msg="The pull of model '%s' answered %r but the node does not list the "
                                 "model afterwards" % (name, result.get('pull_status')), **result)
        if state == 'absent' and result['model'] is not None:
            module.fail_json(msg="The delete of model '%s' succeeded but the node still lists it" % name, **result)
    except NodeAPIError as exc:
        fail_api(module, exc, name=name)
        return

    module.exit_json(**result)


if __name__ == '__main__':
    main()
