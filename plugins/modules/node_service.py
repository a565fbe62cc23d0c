#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) ollama_lab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
---
module: node_service
short_description: Read or drive the service of one Ollama Distributed node (systemd or supervisord)
version_added: 0.2.0
description:
  - The one place where the collection reads and drives a node's service, under systemd
    (C(ollama-distributed@<id>.service)) or supervisord (C(ollama-distributed-<id>)).
  - One meaning of running for both managers, systemd C(ActiveState) C(active), C(activating) or
    C(reloading); supervisord C(RUNNING), C(STARTING) or C(BACKOFF).
  - With O(ready_url), a start or restart does not wait the service manager's start delay
    (supervisord C(startsecs)); the module waits until the node listens on that URL's host and port,
    and fails at once when the service stops running meanwhile. Whether the API answers well is judged
    by the caller (M(ollama_lab.distributed.health), M(ollama_lab.distributed.cluster_info)).
author:
  - ollama_lab maintainers (@ollama-lab)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reads the service and reports what it would do; drives nothing. A service that is not
      defined yet (its install only pretended in check mode) would be started, which is reported
      as a change, not a failure.
  diff_mode:
    support: full
    details: Shows the running state before and after.
  platform:
    platforms: posix
options:
  name:
    description: The systemd unit or supervisord program name.
    type: str
    required: true
  manager:
    description: The service manager that runs the node.
    type: str
    choices: [systemd, supervisor]
    required: true
  state:
    description:
      - V(started) starts a service that is not running; V(stopped) stops a running one (a service
        that is not defined is already stopped).
      - V(restarted) restarts it; with O(only_if_running=true) only when it runs (the try-restart
        of a changed binary or configuration; a stopped node stays stopped).
      - V(read) only reads.
    type: str
    choices: [started, stopped, restarted, read]
    default: read
  only_if_running:
    description: With O(state=restarted), leave a service that is not running alone.
    type: bool
    default: false
  definition_changed:
    description:
      - The unit or program file was just written. systemd reloads its units; supervisord rereads
        and updates this program, which stops it, so a program that was running is started again
        (and counts as restarted).
    type: bool
    default: false
  enabled:
    description: systemd only, enable or disable the unit (start at boot). Ignored for supervisord,
      whose program file says C(autostart).
    type: bool
  ready_url:
    description:
      - The node's API URL (C(layout_node.local_url)). When the service should run (O(state=started)
        or V(restarted)), wait until its host and port accept TCP connections, reading the service
        every half second; a service that stops running fails the task with what its manager says.
      - Without it, supervisord's own start delay is waited and the caller polls readiness.
    type: str
  ready_timeout:
    description: Seconds to wait for O(ready_url), and for O(start_after).
    type: int
    default: 60
  start_after:
    description:
      - C(host:port) addresses that must accept TCP connections before this service is started, e.g.
        the peer address of the cluster's bootstrap node for a joining node, so that one task can start
        a whole cluster, bootstrap node first. Waited for only when the service is to be started.
    type: list
    elements: str
    default: []
'''

EXAMPLES = r'''
- name: Start the node
  ollama_lab.distributed.node_service:
    name: "{{ layout_node.service_name }}"
    manager: "{{ layout_node.service_manager }}"
    state: started

- name: Start the node and wait until its API port accepts connections
  ollama_lab.distributed.node_service:
    name: "{{ layout_node.service_name }}"
    manager: "{{ layout_node.service_manager }}"
    state: started
    ready_url: "{{ layout_node.local_url }}"

- name: Start every node of a cluster in one task, the joiners once the bootstrap node listens
  ollama_lab.distributed.node_service:
    name: "{{ layout_node.service_name }}"
    manager: "{{ layout_node.service_manager }}"
    state: started
    ready_url: "{{ layout_node.local_url }}"
    start_after: "{{ layout_node.bootstrap_peers[:1] }}"

- name: Restart the node if it runs (its configuration changed)
  ollama_lab.distributed.node_service:
    name: "{{ layout_node.service_name }}"
    manager: "{{ layout_node.service_manager }}"
    state: restarted
    only_if_running: true

- name: Read the node's service
  ollama_lab.distributed.node_service:
    name: ollama-distributed@node1.service
    manager: systemd
  register: node1_service
'''

RETURN = r'''
defined:
  description: The service manager knows the service (after the action).
  returned: always
  type: bool
running:
  description: The service runs (after the action; in check mode, what it would be).
  returned: always
  type: bool
was_running:
  description: The service ran before the action.
  returned: always
  type: bool
action:
  description: What was done, or would be in check mode, one of none, started, stopped, restarted, reloaded.
  returned: always
  type: str
  sample: started
state:
  description: The manager's own word, systemd C(ActiveState/SubState) or the supervisord state.
  returned: always
  type: str
  sample: active/running
enabled:
  description: systemd, the unit starts at boot (after the action); supervisord, null
    (its program file says C(autostart)).
  returned: always
  type: bool
pid:
  description: Main process id, when running.
  returned: always
  type: int
detail:
  description: What the manager said, on one line.
  returned: always
  type: str
waited_seconds:
  description: Seconds waited for O(start_after) before the start.
  returned: when O(start_after) was waited for
  type: float
  sample: 0.3
ready_seconds:
  description: Seconds waited until O(ready_url) accepted connections.
  returned: when O(ready_url) was waited for
  type: float
  sample: 0.15
'''

import time
from typing import Any, Dict, List, Tuple
from urllib.parse import urlsplit

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ollama_lab.distributed.plugins.module_utils.service import (
    MANAGERS,
    NodeService,
    ServiceError,
    ServiceState,
    module_runner,
    wait_listening,
)


def target_running(before: ServiceState, state: str, only_if_running: bool) -> bool:
    """Whether the service should run when the module is done."""
    if state in ('started', 'restarted'):
        return before.running if (state == 'restarted' and only_if_running) else True
    if state == 'stopped':
        return False
    return before.running  # read: as it was (a supervisord update must not leave it stopped)


def converge(svc: NodeService, before: ServiceState, current: ServiceState, state: str, target: bool,
             wait: bool = True) -> str:
    """Drive the service from ``current`` to ``target``; return the action taken.

    ``wait=False``: supervisord does not wait the start delay (the caller polls readiness).
    """
    if target and current.running and state == 'restarted':
        svc.restart(wait)
        return 'restarted'
    if target and not current.running:
        svc.start(wait)
        return 'restarted' if before.running else 'started'
    if not target and current.running:
        svc.stop()
        return 'stopped'
    return 'none'


def predict(before: ServiceState, state: str, target: bool, definition_changed: bool) -> str:
    """The action converge() would take, for check mode (a supervisord update stops the program)."""
    updated = definition_changed and before.defined and before.manager == 'supervisor'
    if target and before.running and (state == 'restarted' or updated):
        return 'restarted'
    if target != before.running:
        return 'started' if target else 'stopped'
    return 'reloaded' if definition_changed else 'none'


def enable_change(manager: str, enabled: Any, st: ServiceState) -> bool:
    """systemd only: the unit is defined and its enablement differs from the wanted one."""
    return enabled is not None and manager == 'systemd' and st.defined and st.enabled != enabled


def peer_address(peer: str) -> Tuple[str, int]:
    """``host:port`` (``[v6]:port`` too) as a pair."""
    host, sep, port = peer.rpartition(':')
    if not sep or not host or not port.isdigit():
        raise ValueError('start_after: found %r; need host:port addresses, e.g. 10.0.0.1:4001' % peer)
    return host.strip('[]'), int(port)


def ready_address(url: str) -> Tuple[str, int]:
    """Host and port of the node's API URL (the port of its scheme when the URL names none)."""
    parts = urlsplit(url)
    if parts.scheme not in ('http', 'https') or not parts.hostname:
        raise ValueError('ready_url: found %r; need the node API URL, e.g. http://127.0.0.1:8080' % url)
    return parts.hostname, parts.port or (443 if parts.scheme == 'https' else 80)


def wait_for_peers(peers: List[Tuple[str, int]], timeout: float, name: str) -> float:
    """Wait until every peer accepts TCP connections; return the seconds waited."""
    start = time.monotonic()
    for host, port in peers:
        result = wait_listening(host, port, max(timeout - (time.monotonic() - start), 0))
        if not result.ok:
            raise ServiceError('%s was not started: %s:%d, which it starts after, did not accept '
                               'connections within %ss (%s)' % (name, host, port, timeout, result.value))
    return round(time.monotonic() - start, 2)


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type='str', required=True),
            manager=dict(type='str', required=True, choices=list(MANAGERS)),
            state=dict(type='str', default='read', choices=['started', 'stopped', 'restarted', 'read']),
            only_if_running=dict(type='bool', default=False),
            definition_changed=dict(type='bool', default=False),
            enabled=dict(type='bool'),
            ready_url=dict(type='str'),
            ready_timeout=dict(type='int', default=60),
            start_after=dict(type='list', elements='str', default=[]),
        ),
        supports_check_mode=True,
    )
    p = module.params

    svc = NodeService(module_runner(module), p['manager'], p['name'])
    before = svc.query()
    target = target_running(before, p['state'], p['only_if_running'])
    result: Dict[str, Any] = dict(was_running=before.running)
    ready = None
    try:
        peers = [peer_address(peer) for peer in p['start_after']]
        if p['ready_url'] and p['state'] in ('started', 'restarted') and target:
            ready = ready_address(p['ready_url'])
    except ValueError as exc:
        module.fail_json(msg=str(exc), **before.as_dict(), **result)

    if module.check_mode:
        action = predict(before, p['state'], target, p['definition_changed'])
        if target and not before.defined:
            # the install role only pretended in check mode: a real run would start it
            result['msg'] = '%s is not defined yet; a real run would start it' % p['name']
        wants_enable = enable_change(p['manager'], p['enabled'], before)
        after = ServiceState(**dict(vars(before), running=target))
    else:
        try:
            current = before
            if p['definition_changed']:
                svc.load_definition()  # supervisord: this stops a running program
                current = svc.query()
            if target and not current.defined:
                module.fail_json(msg='%s is not defined in %s (install the node first): %s'
                                 % (p['name'], p['manager'], current.detail), **current.as_dict(), **result)
            if target and not current.running and peers:
                result['waited_seconds'] = wait_for_peers(peers, p['ready_timeout'], p['name'])
            action = converge(svc, before, current, p['state'], target, wait=ready is None)
            if ready:
                result['ready_seconds'] = svc.wait_ready(ready[0], ready[1], p['ready_timeout'])
            if action == 'none' and p['definition_changed']:
                action = 'reloaded'
            wants_enable = enable_change(p['manager'], p['enabled'], current)
            if wants_enable:
                svc.enable(p['enabled'])
        except ServiceError as exc:
            module.fail_json(msg=str(exc), **svc.query().as_dict(), **result)
        after = svc.query() if action != 'none' or wants_enable else before
    result.update(action=action, changed=action != 'none' or wants_enable)
    if module._diff:
        result['diff'] = dict(before='%s: %s\n' % (p['name'], 'running' if before.running else 'stopped'),
                              after='%s: %s\n' % (p['name'], 'running' if after.running else 'stopped'))
    module.exit_json(**after.as_dict(), **result)


if __name__ == '__main__':
    main()
