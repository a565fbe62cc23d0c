#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) ollama_lab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
---
module: validate_api_probe
short_description: Probe the HTTP API of one Ollama Distributed node for the validation suite
version_added: 0.1.0
description:
  - Observes one node's API without judging it; the validate role turns the observations into checks
    (C(plugins/module_utils/checks.py)).
  - C(routes) - every JSON route family of the node contract (C(/health), C(/api/version), C(/api/tags),
    C(/api/distributed/*), C(/api/v1/*)) with status, decoded answer and latency.
  - C(generate) - one C(POST /api/generate) smoke test with O(generate_model), or the first model the node lists.
  - C(performance) - O(latency_requests) sequential C(GET /health) (p50/p95), the same for generate when a model
    is there, and a burst of O(burst_requests) concurrent C(GET /health), O(burst_concurrency) at a time.
    Figures are reported, never asserted here.
  - C(security) - protected routes without a token and with a wrong token, and error answers (an unknown route,
    a bad body) for leaked internals.
  - C(peers) - a TCP connection from this node to each address in O(peers).
  - Every request goes through the collection's HTTP client (C(module_utils/api.py)) without retries, so what
    is measured is one request each.
author:
  - ollama_lab maintainers (@ollama-lab)
extends_documentation_fragment:
  - ollama_lab.distributed.connection
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Only reads (the generate smoke test creates no state); runs the same in check mode.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  sections:
    description: What to probe.
    type: list
    elements: str
    choices: [routes, generate, performance, security, peers]
    default: [routes, generate, performance, security, peers]
  generate_model:
    description:
      - Model for the generate smoke test and latency. Empty picks the first model of C(GET /api/tags);
        with none, generate is skipped with a message.
    type: str
    default: ''
  generate_prompt:
    description: Prompt of the generate requests.
    type: str
    default: Say hello in one word.
  latency_requests:
    description: Sequential requests measured for C(/health) latency.
    type: int
    default: 20
  generate_requests:
    description: Sequential generate requests measured for generate latency (0 measures none).
    type: int
    default: 3
  burst_requests:
    description: Concurrent C(GET /health) requests of the burst (0 sends none).
    type: int
    default: 30
  burst_concurrency:
    description: How many burst requests are in flight at a time.
    type: int
    default: 10
  protected_routes:
    description: Routes that need a token when auth is on, each C(METHOD /path).
    type: list
    elements: str
    default: [GET /api/distributed/status, GET /api/distributed/nodes, GET /api/tags, GET /api/v1/metrics,
              POST /api/generate]
  peers:
    description:
      - Addresses this node must reach, each C({id, host, kind, target}) with C(target) as C(host:port).
    type: list
    elements: dict
    default: []
  peer_timeout:
    description: Seconds to wait for each peer TCP connection.
    type: float
    default: 3
  retries:
    description:
      - Retries of a request; V(0) so that every measured request is one request.
    type: int
    default: 0
'''

EXAMPLES = r'''
- name: Probe the API of this node (from the node itself)
  ollama_lab.distributed.validate_api_probe:
    url: "{{ layout_node.local_url }}"
    token: "{{ validate_api_token | default(omit) }}"
    peers: "{{ layout_cluster | rejectattr('id', 'eq', layout_node.id) | map(attribute='p2p_advertise') | list }}"
  register: api_observations
'''

RETURN = r'''
observations:
  description:
    - C(api) (C(routes), C(generate)), C(performance) (C(health), C(generate), C(burst)), C(security)
      (C(protected), C(errors)) and C(peers), as read by C(plugins/module_utils/checks.py).
  returned: always
  type: dict
  sample:
    performance:
      health: {count: 20, ok: 20, errors: 0, p50_ms: 0.9, p95_ms: 1.6, max_ms: 2.1, elapsed_ms: 25.3}
      burst: {count: 30, ok: 30, concurrency: 10, elapsed_ms: 18.2}
'''

import json
import socket
import threading
import time
from typing import Any, Dict, List, Optional, Tuple

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ollama_lab.distributed.plugins.module_utils import checks, probes
from ansible_collections.ollama_lab.distributed.plugins.module_utils.api import (
    NodeAPIError,
    NodeClient,
    connection_argument_spec,
)

#: Every non-2xx status is an answer worth recording, not an error.
_ANY_STATUS = tuple(range(300, 600))
_WRONG_TOKEN = 'validate-wrong-token-0123456789abcdef0123456789'


def call(client: NodeClient, method: str, path: str, body: Any = None) -> Dict[str, Any]:
    """One request, never raising: ``{status, data, latency_ms, error, body}``."""
    started = time.monotonic()
    try:
        resp = client.request(method, path, body=body, accept_status=_ANY_STATUS, retries=0)
        return dict(status=resp.status, data=resp.data, latency_ms=resp.latency_ms, error=None,
                    body=json.dumps(resp.data)[:2000])
    except NodeAPIError as exc:
        return dict(status=exc.status, data=exc.body, latency_ms=round((time.monotonic() - started) * 1000.0, 1),
                    error=exc.message, body=json.dumps(exc.body) if exc.body is not None else exc.message)


def summarize(results: List[Dict[str, Any]], started: float) -> Dict[str, Any]:
    ok = [r['latency_ms'] for r in results if r.get('status') is not None and 200 <= r['status'] < 300]
    bad = [r for r in results if not (r.get('status') is not None and 200 <= r['status'] < 300)]
    out = probes.latency_summary(ok, errors=len(bad))
    out['elapsed_ms'] = round((time.monotonic() - started) * 1000.0, 1)
    if bad:
        out['error'] = bad[0].get('error') or 'HTTP %s' % bad[0].get('status')
    return out


class ApiProber:
    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        self.p = module.params
        self.client = self._client(self.p.get('token'))

    def _client(self, token: Optional[str]) -> NodeClient:
        p = self.p
        try:
            return NodeClient(p['url'], token=token, timeout=p['timeout'], validate_certs=p['validate_certs'],
                              ca_path=p.get('ca_path'), retries=0, retry_delay=p['retry_delay'])
        except ValueError as exc:
            self.module.fail_json(msg='Invalid connection options: %s' % exc)
            raise

    def routes(self) -> Dict[str, Any]:
        out = {}
        for key, spec in checks.ROUTES.items():
            r = call(self.client, 'GET', spec[0])
            r.pop('body', None)
            out[key] = r
        return out

    def model(self, routes: Dict[str, Any]) -> Tuple[Optional[str], Optional[str]]:
        """The model to generate with, or (None, reason)."""
        if self.p['generate_model']:
            return self.p['generate_model'], None
        tags = routes.get('tags') if routes else call(self.client, 'GET', '/api/tags')
        data = (tags or {}).get('data')
        models = data.get('models') if isinstance(data, dict) else None
        if not isinstance(models, list):
            return None, 'GET /api/tags gave no model list (%s), so generate was not tried' % (
                (tags or {}).get('error') or (tags or {}).get('status'))
        names = [m.get('name') for m in models if isinstance(m, dict) and m.get('name')]
        if not names:
            return None, ('no model on this node: generate not tried (seed or pull one, or set '
                          'validate_generate_model)')
        return names[0], None

    def generate_once(self, model: str) -> Dict[str, Any]:
        body = dict(model=model, prompt=self.p['generate_prompt'], stream=False)
        r = call(self.client, 'POST', '/api/generate', body)
        r['model'] = model
        if isinstance(r.get('data'), dict) and isinstance(r['data'].get('response'), str):
            r['data'] = dict(done=r['data'].get('done'), response=r['data']['response'][:200],
                             model=r['data'].get('model'))
        r.pop('body', None)
        return r

    def performance(self, model: Optional[str], reason: Optional[str]) -> Dict[str, Any]:
        p = self.p
        out: Dict[str, Any] = {}
        started = time.monotonic()
        out['health'] = summarize([call(self.client, 'GET', '/health') for dummy in range(p['latency_requests'])],
                                  started) if p['latency_requests'] > 0 else None
        if not model or p['generate_requests'] <= 0:
            out['generate'] = dict(skipped=reason or 'generate latency not measured (generate_requests is 0)')
        else:
            started = time.monotonic()
            out['generate'] = summarize([self.generate_once(model) for dummy in range(p['generate_requests'])],
                                        started)
            out['generate']['model'] = model
        out['burst'] = self.burst() if p['burst_requests'] > 0 else None
        return out

    def burst(self) -> Dict[str, Any]:
        total = self.p['burst_requests']
        concurrency = max(1, min(self.p['burst_concurrency'], total))
        results: List[Dict[str, Any]] = []
        lock = threading.Lock()
        counter = iter(range(total))

        def worker() -> None:
            client = self._client(self.p.get('token'))
            while True:
                with lock:
                    if next(counter, None) is None:
                        return
                r = call(client, 'GET', '/health')
                with lock:
                    results.append(r)

        started = time.monotonic()
        threads = [threading.Thread(target=worker) for dummy in range(concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        out = summarize(results, started)
        ok = sum(1 for r in results if r.get('status') is not None and 200 <= r['status'] < 300)
        out.update(count=total, ok=ok, concurrency=concurrency)
        return out

    def security(self) -> Dict[str, Any]:
        started = time.monotonic()
        anonymous = self._client(None)
        wrong = self._client(_WRONG_TOKEN)
        protected = []
        for item in self.p['protected_routes']:
            method, dummy, path = item.strip().partition(' ')
            path = path.strip() or method
            method = method.upper() if path != method else 'GET'
            body = {} if method in ('POST', 'PUT') else None
            protected.append(dict(method=method, path=path,
                                  missing_token=call(anonymous, method, path, body)['status'],
                                  wrong_token=call(wrong, method, path, body)['status']))
        errors = []
        cases = (('GET /api/validate-no-such-route', 'GET', '/api/validate-no-such-route', None),
                 ('POST /api/generate with a bad body', 'POST', '/api/generate', 'not an object'))
        for what, method, path, body in cases:
            r = call(self.client, method, path, body)
            errors.append(dict(what=what, status=r['status'], body=(r.get('body') or '')[:2000],
                               json_error=isinstance(r.get('data'), dict) and 'error' in r['data']))
        return dict(protected=protected, errors=errors, duration=round(time.monotonic() - started, 3))

    def peers(self) -> List[Dict[str, Any]]:
        out = []
        for peer in self.p['peers']:
            target = str(peer.get('target') or '')
            host, dummy, port = target.rpartition(':')
            item = dict(id=peer.get('id'), host=peer.get('host'), kind=peer.get('kind') or 'p2p', target=target,
                        ok=False, error=None)
            started = time.monotonic()
            try:
                conn = socket.create_connection((host.strip('[]'), int(port)), timeout=self.p['peer_timeout'])
                conn.close()
                item['ok'] = True
            except (OSError, ValueError) as exc:
                item['error'] = str(exc) or exc.__class__.__name__
            item['latency_ms'] = round((time.monotonic() - started) * 1000.0, 1)
            out.append(item)
        return out

    def collect(self) -> Dict[str, Any]:
        sections = set(self.p['sections'])
        obs: Dict[str, Any] = {}
        routes: Dict[str, Any] = {}
        if 'routes' in sections:
            routes = self.routes()
            obs['api'] = dict(routes=routes)
        model, reason = (None, None)
        if sections & set(['generate', 'performance']):
            model, reason = self.model(routes)
        if 'generate' in sections:
            obs.setdefault('api', {})['generate'] = self.generate_once(model) if model else dict(skipped=reason)
        if 'performance' in sections:
            obs['performance'] = self.performance(model, reason)
        if 'security' in sections:
            obs['security'] = self.security()
        if 'peers' in sections:
            obs['peers'] = self.peers()
        return obs


def main() -> None:
    argument_spec = connection_argument_spec()
    argument_spec['retries'] = dict(type='int', default=0)
    argument_spec.update(
        sections=dict(type='list', elements='str', default=['routes', 'generate', 'performance', 'security', 'peers'],
                      choices=['routes', 'generate', 'performance', 'security', 'peers']),
        generate_model=dict(type='str', default=''),
        generate_prompt=dict(type='str', default='Say hello in one word.'),
        latency_requests=dict(type='int', default=20),
        generate_requests=dict(type='int', default=3),
        burst_requests=dict(type='int', default=30),
        burst_concurrency=dict(type='int', default=10),
        protected_routes=dict(type='list', elements='str',
                              default=['GET /api/distributed/status', 'GET /api/distributed/nodes', 'GET /api/tags',
                                       'GET /api/v1/metrics', 'POST /api/generate']),
        peers=dict(type='list', elements='dict', default=[]),
        peer_timeout=dict(type='float', default=3.0),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params
    for name in ('latency_requests', 'generate_requests', 'burst_requests'):
        if not 0 <= p[name] <= 10000:
            module.fail_json(msg='%s must be between 0 and 10000, got %r' % (name, p[name]))
    if not 1 <= p['burst_concurrency'] <= 200:
        module.fail_json(msg='burst_concurrency must be between 1 and 200, got %r' % p['burst_concurrency'])
    for peer in p['peers']:
        target = str(peer.get('target') or '')
        if ':' not in target or not target.rpartition(':')[2].isdigit():
            module.fail_json(msg='peers: each item needs target as host:port, got %r' % (peer,))
    module.exit_json(changed=False, observations=ApiProber(module).collect())


if __name__ == '__main__':
    main()
