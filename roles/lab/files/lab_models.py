# Copyright (c) 2025, ollama_lab maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The models exercises of the lab helper (bin/lab imports it from its own folder).

The lab role seeds the exercise model (lab.json: exercise_model) on the
student's last node only. Each check decides from the cluster: which nodes
list the model (/api/distributed/models), and the request counters of every
node (/metrics, /api/distributed/metrics), which the helper never writes.
"""

from typing import Any, Callable, Dict, List, Tuple

Check = Tuple[bool, str]


def gather(lab: Dict[str, Any], call: Callable[..., Tuple[int, Any]], first_answer: Callable[..., Tuple[int, Any]]) -> Dict[str, Any]:
    """What the model checks read: the cluster's models and each node's distributed metrics."""
    status, body = first_answer(lab, '/api/distributed/models')
    models = body.get('models', []) if status == 200 and isinstance(body, dict) else []
    forwarded = {}
    for node in lab['nodes']:
        code, metrics = call(node['api_url'] + '/api/distributed/metrics', lab)
        integration = metrics.get('integration', {}) if code == 200 and isinstance(metrics, dict) else {}
        forwarded[node['id']] = int(integration.get('distributed_requests') or 0)
    return {'models': models, 'forwarded': forwarded}


def _model(lab: Dict[str, Any]) -> str:
    name = str(lab.get('exercise_model') or 'lab-exercise')
    return name if ':' in name.rsplit('/', 1)[-1] else name + ':latest'


def _locations(lab: Dict[str, Any], state: Dict[str, Any]) -> List[str]:
    for entry in state.get('models', []):
        if isinstance(entry, dict) and entry.get('name') == _model(lab):
            return sorted(str(x) for x in entry.get('locations') or [])
    return []


def check_pull(lab: Dict[str, Any], state: Dict[str, Any]) -> Check:
    where = _locations(lab, state)
    seeded = lab.get('exercise_node')
    pulled = [n for n in where if n != seeded]
    if pulled:
        return True, '%s pulled onto %s' % (_model(lab), ', '.join(pulled))
    return False, '%s is only on %s; pull it onto another node' % (_model(lab), ', '.join(where) or 'no node')


def _answered(state: Dict[str, Any], counter: Callable[..., float], route: str) -> int:
    return int(sum(counter(text, route, '200') for text in state['metrics'].values()))


def check_generate(lab: Dict[str, Any], state: Dict[str, Any], counter: Callable[..., float]) -> Check:
    done = _answered(state, counter, '/api/generate')
    if done >= 2:
        return True, '%d generate request(s) answered' % done
    return False, '%d generate request(s) answered; send one plain ("stream": false) and one streamed' % done


def check_chat(lab: Dict[str, Any], state: Dict[str, Any], counter: Callable[..., float]) -> Check:
    done = _answered(state, counter, '/api/chat')
    if done:
        return True, '%d chat request(s) answered' % done
    return False, 'no chat request answered yet (POST /api/chat)'


def check_served_by(lab: Dict[str, Any], state: Dict[str, Any]) -> Check:
    moved = {node: n for node, n in state.get('forwarded', {}).items() if n}
    if moved:
        return True, 'requests passed on to another member by ' + ', '.join(sorted(moved))
    return False, 'no node has passed a request on to another member yet'


def check_delete(lab: Dict[str, Any], state: Dict[str, Any], counter: Callable[..., float]) -> Check:
    done = _answered(state, counter, '/api/delete')
    if done:
        return True, '%d model(s) deleted' % done
    return False, 'no model deleted yet (DELETE /api/delete)'


def exercises(counter: Callable[..., float]) -> List[Tuple[str, str, Callable[[Dict[str, Any], Dict[str, Any]], Check], str]]:
    """(id, title, check, task) of each models exercise, in order."""
    return [
        ('models_pull', 'Models: pull', check_pull,
         'Pull the exercise model onto a node that lacks it: POST /api/pull {"name": MODEL, "stream": false} on that node.'),
        ('models_generate', 'Models: generate', lambda lab, st: check_generate(lab, st, counter),
         'Generate with the exercise model twice: once with "stream": false, once streamed ("stream": true).'),
        ('models_chat', 'Models: chat', lambda lab, st: check_chat(lab, st, counter),
         'Chat with the exercise model: POST /api/chat {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}.'),
        ('models_served_by', 'Models: who served', check_served_by,
         'Generate through a node that lacks the model (or drain the others) and read the X-Ollama-Distributed-Node answer header.'),
        ('models_delete', 'Models: delete', lambda lab, st: check_delete(lab, st, counter),
         'Delete the exercise model from one node: DELETE /api/delete {"name": MODEL}.'),
    ]
