#!/usr/bin/env python3
# Copyright (c) 2025, ollama_lab maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The student's lab helper, installed by the ollama_lab.distributed.lab role.

Every command talks to the student's own cluster (ports and token from lab.json
and the token file next to this script's directory):

  lab status                 nodes, leader and health of the cluster
  lab health                 /health of every node
  lab cluster                /api/v1/cluster/status of the first node that answers
  lab nodes                  /api/v1/nodes
  lab version                /api/version of every node
  lab drain NODE             drain one node;   lab uncordon NODE: undo it
  lab token                  get a JWT for the API key (POST /api/v1/auth/token)
  lab start|stop|restart [NODE ...]   drive the node services on this machine
  lab exercises              what to do in each exercise (models ones: lab_models.py)
  lab check [--json] [EXERCISE]      decide, from the cluster, which exercises are done
"""

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import Any, Dict, List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import lab_models  # noqa: E402  (installed next to this script)

HERE = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
CONFIG = os.path.join(HERE, 'lab.json')
METRIC_RE = re.compile(r'^ollama_distributed_requests_total\{(?P<labels>[^}]*)\}\s+(?P<value>[0-9.eE+-]+)$')
LABEL_RE = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def load() -> Dict[str, Any]:
    with open(CONFIG, encoding='utf-8') as handle:
        return json.load(handle)


def token(lab: Dict[str, Any]) -> str:
    try:
        with open(lab['token_file'], encoding='utf-8') as handle:
            return handle.read().strip()
    except OSError:
        return ''


def call(url: str, lab: Dict[str, Any], method: str = 'GET', body: Optional[Dict[str, Any]] = None,
         auth: bool = True, raw: bool = False) -> Tuple[int, Any]:
    """One HTTP request; returns (status, parsed JSON or text); status 0 when nothing answered."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header('Accept', 'application/json')
    if data is not None or method in ('POST', 'PUT', 'DELETE'):
        # the node takes state changes only as JSON (415 otherwise), even without a body
        request.add_header('Content-Type', 'application/json')
    secret = token(lab) if auth else ''
    if secret:
        request.add_header('Authorization', 'Bearer ' + secret)
    try:
        with urllib.request.urlopen(request, timeout=float(lab.get('timeout', 5))) as answer:
            status, text = answer.status, answer.read().decode('utf-8', 'replace')
    except urllib.error.HTTPError as exc:
        status, text = exc.code, exc.read().decode('utf-8', 'replace')
    except (urllib.error.URLError, OSError) as exc:
        return 0, {'error': str(getattr(exc, 'reason', exc))}
    if raw:
        return status, text
    try:
        return status, json.loads(text)
    except ValueError:
        return status, {'error': text[:200]}


def first_answer(lab: Dict[str, Any], path: str) -> Tuple[int, Any]:
    """Ask the nodes in order until one answers 200."""
    last: Tuple[int, Any] = (0, {'error': 'no node answered'})
    for node in lab['nodes']:
        last = call(node['api_url'] + path, lab)
        if last[0] == 200:
            return last
    return last


def counter(text: str, route: str, code: Optional[str] = None) -> float:
    """Sum of ollama_distributed_requests_total for one route (and code)."""
    total = 0.0
    for line in text.splitlines():
        match = METRIC_RE.match(line.strip())
        if not match:
            continue
        labels = dict(LABEL_RE.findall(match.group('labels')))
        if labels.get('route') == route and (code is None or labels.get('code') == code):
            total += float(match.group('value'))
    return total


# -- exercise checks: each decides from the cluster, never from the student -----

def node_metrics(lab: Dict[str, Any]) -> Dict[str, str]:
    texts = {}
    for node in lab['nodes']:
        status, text = call(node['api_url'] + '/metrics', lab, auth=False, raw=True)
        texts[node['id']] = text if status == 200 and isinstance(text, str) else ''
    return texts


def check_installation(lab: Dict[str, Any], state: Dict[str, Any]) -> Tuple[bool, str]:
    asked = [nid for nid, text in state['metrics'].items()
             if counter(text, '/api/version', '200') + counter(text, '/api/v1/version', '200') > 0]
    missing = [n['id'] for n in lab['nodes'] if n['id'] not in asked]
    if missing:
        return False, 'no version request answered yet by ' + ', '.join(missing)
    return True, 'every node answered a version request'


def check_configuration(lab: Dict[str, Any], state: Dict[str, Any]) -> Tuple[bool, str]:
    want = lab['student']
    tagged = [n.get('id') for n in state['nodes'] if (n.get('tags') or {}).get('owner') == want]
    if tagged:
        return True, 'tag owner=%s on %s' % (want, ', '.join(tagged))
    return False, 'no node carries the tag owner=%s' % want


def check_operations(lab: Dict[str, Any], state: Dict[str, Any]) -> Tuple[bool, str]:
    drained = [n.get('id') for n in state['nodes'] if n.get('status') == 'draining']
    if drained:
        return True, 'draining: ' + ', '.join(drained)
    return False, 'no node is draining'


def check_api(lab: Dict[str, Any], state: Dict[str, Any]) -> Tuple[bool, str]:
    issued = sum(counter(text, '/api/v1/auth/token', '200') for text in state['metrics'].values())
    if issued > 0:
        return True, '%d token(s) issued' % issued
    return False, 'no token issued by POST /api/v1/auth/token yet'


def check_validation(lab: Dict[str, Any], state: Dict[str, Any]) -> Tuple[bool, str]:
    path = os.path.join(lab['work_dir'], 'validation.yaml')
    if not os.path.exists(path):
        return False, '%s is missing' % path
    try:
        done = subprocess.run([lab['binary'], 'validate', '--config', path], capture_output=True, text=True,
                              timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, 'cannot run %s: %s' % (lab['binary'], exc)
    lines = (done.stdout + done.stderr).strip().splitlines()
    if done.returncode == 0:
        return True, '%s is valid' % path
    return False, '%d problem(s) left in %s' % (len([x for x in lines if ':' in x]) or 1, path)


EXERCISES = [
    ('installation', 'Installation', check_installation,
     'Ask every node of your cluster for its version (lab version, or GET /api/version on each node).'),
    ('configuration', 'Configuration', check_configuration,
     'Give one node the tag owner=<your id>: add it under node.tags in the node config, then lab restart NODE.'),
    ('cluster_operations', 'Cluster operations', check_operations,
     'Drain one node (lab drain NODE) and watch the cluster keep serving; lab uncordon NODE undoes it.'),
    ('api_integration', 'API integration', check_api,
     'Exchange your API key for a JWT: POST /api/v1/auth/token with {"api_key": "..."} (lab token does it).'),
    ('validation', 'Validation', check_validation,
     'Fix work/validation.yaml until "ollama-distributed validate --config work/validation.yaml" says configuration OK.'),
] + lab_models.exercises(counter)


def health(lab: Dict[str, Any]) -> Dict[str, Any]:
    nodes = []
    for node in lab['nodes']:
        status, body = call(node['api_url'] + '/health', lab, auth=False)
        entry = {'id': node['id'], 'url': node['api_url'], 'http': status}
        if status in (200, 503) and isinstance(body, dict):
            entry.update({k: body.get(k) for k in ('status', 'version', 'uptime_seconds')})
        else:
            entry.update({'status': 'unreachable', 'error': (body or {}).get('error', '') if isinstance(body, dict) else ''})
        nodes.append(entry)
    status, cluster = first_answer(lab, '/api/v1/cluster/status')
    summary: Dict[str, Any] = {'size': None, 'expected_size': lab['expected_size'], 'leader': None, 'health': 'unreachable'}
    if status == 200 and isinstance(cluster, dict):
        summary.update({'size': cluster.get('cluster_size'), 'leader': cluster.get('leader'),
                        'health': cluster.get('health'), 'term': cluster.get('term')})
    elif status:
        summary['health'] = 'error %d' % status
    return {'cluster': summary, 'nodes': nodes}


def check(lab: Dict[str, Any], only: Optional[str]) -> Dict[str, Any]:
    status, body = first_answer(lab, '/api/v1/nodes')
    state = {
        'nodes': body.get('nodes', []) if status == 200 and isinstance(body, dict) else [],
        'metrics': node_metrics(lab),
    }
    if not only or only.startswith('models_'):
        state.update(lab_models.gather(lab, call, first_answer))
    results = []
    for key, title, func, todo in EXERCISES:
        if only and only != key:
            continue
        done, detail = func(lab, state)
        results.append({'id': key, 'title': title, 'done': bool(done), 'detail': detail, 'task': todo})
    return {'class': lab['class'], 'student': lab['student'], 'name': lab['name'],
            'checked_at': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
            'exercises': results, 'health': health(lab)}


# -- services on this machine -----------------------------------------------------

def service(lab: Dict[str, Any], action: str, names: List[str]) -> int:
    nodes = [n for n in lab['nodes'] if n.get('local') and (not names or n['id'] in names)]
    unknown = sorted(set(names) - {n['id'] for n in lab['nodes']})
    if unknown:
        print('unknown node(s): %s (yours: %s)' % (', '.join(unknown), ', '.join(n['id'] for n in lab['nodes'])))
        return 2
    if not nodes:
        print('none of these nodes runs on this machine')
        return 2
    # bootstrap first on start, last on stop
    nodes.sort(key=lambda n: (not n.get('bootstrap')) if action != 'stop' else bool(n.get('bootstrap')))
    sudo = [] if os.geteuid() == 0 else ['sudo']
    rc = 0
    for node in nodes:
        if node['service_manager'] == 'systemd':
            argv = sudo + ['systemctl', action, node['service_name']]
        else:
            argv = sudo + ['supervisorctl', action, node['service_name']]
        print('$ ' + ' '.join(argv))
        rc = max(rc, subprocess.call(argv))
    return rc


def show(value: Any) -> None:
    print(json.dumps(value, indent=2, sort_keys=True))


def main(argv: List[str]) -> int:
    lab = load()
    if not argv or argv[0] in ('-h', '--help', 'help'):
        print(__doc__)
        return 0
    command, args = argv[0], argv[1:]
    if command in ('start', 'stop', 'restart'):
        return service(lab, command, args)
    if command == 'health':
        show(health(lab))
        return 0
    if command == 'status':
        state = health(lab)
        cluster = state['cluster']
        print('cluster %s: %s, %s/%s nodes, leader %s'
              % (lab['student'], cluster['health'], cluster['size'], cluster['expected_size'], cluster['leader']))
        for node in state['nodes']:
            print('  %-20s %-11s %s' % (node['id'], node['status'], node['url']))
        return 0 if cluster['health'] == 'healthy' else 1
    if command == 'cluster':
        status, body = first_answer(lab, '/api/v1/cluster/status')
        show(body)
        return 0 if status == 200 else 1
    if command == 'nodes':
        status, body = first_answer(lab, '/api/v1/nodes')
        show(body)
        return 0 if status == 200 else 1
    if command == 'version':
        rc = 0
        for node in lab['nodes']:
            status, body = call(node['api_url'] + '/api/version', lab)
            print('%-20s %s' % (node['id'], body.get('version') if status == 200 else 'no answer (%s)' % status))
            rc = rc if status == 200 else 1
        return rc
    if command in ('drain', 'uncordon') and len(args) == 1:
        status, body = 0, None
        for node in lab['nodes']:
            status, body = call(node['api_url'] + '/api/v1/nodes/%s/%s' % (args[0], command), lab, method='POST')
            if status:
                break
        show(body)
        return 0 if status == 200 else 1
    if command == 'token':
        status, body = call(lab['nodes'][0]['api_url'] + '/api/v1/auth/token', lab, method='POST',
                            body={'api_key': token(lab)}, auth=False)
        show(body)
        return 0 if status == 200 else 1
    if command == 'exercises':
        for number, (key, title, _func, todo) in enumerate(EXERCISES, start=1):
            print('%d. %s (%s): %s' % (number, title, key, todo))
        return 0
    if command == 'check':
        as_json = '--json' in args
        only = next((a for a in args if not a.startswith('--')), None)
        if only and only not in [e[0] for e in EXERCISES]:
            print('unknown exercise %s (one of %s)' % (only, ', '.join(e[0] for e in EXERCISES)))
            return 2
        report = check(lab, only)
        if as_json:
            show(report)
        else:
            for item in report['exercises']:
                print('[%s] %-20s %s' % ('x' if item['done'] else ' ', item['title'], item['detail']))
        return 0
    print('unknown command %r; try: lab help' % command)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
