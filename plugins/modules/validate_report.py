#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) ollama_lab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
---
module: validate_report
short_description: Judge the validation observations of a cluster and write the reports
version_added: 0.1.0
description:
  - Turns what M(ollama_lab.distributed.validate_probe) and M(ollama_lab.distributed.validate_api_probe) observed
    on every node into named checks (C(pass), C(warn), C(fail) or C(skip), each with a message saying what was
    expected and what was found), for the chosen categories, plus the cluster checks across nodes.
  - Writes the reports into O(dest) - C(validation.json) (every check with node, category, name, status,
    message and duration), C(validation.junit.xml) (one testcase per check), C(validation.md) and
    C(validation.html) (one self-contained page with a green/amber/red summary per node and category).
  - Meant to run once on the controller, with C(delegate_to) localhost and C(run_once).
  - Never fails because a check failed; the caller decides (see RV(failed_checks)).
author:
  - ollama_lab maintainers (@ollama-lab)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Judges the observations and returns the checks, but writes no file.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  observations:
    description: Per node (inventory host name), the merged observations of the probes.
    type: dict
    required: true
  settings:
    description:
      - Thresholds and expectations shared by every node (see C(DEFAULT_SETTINGS) in C(module_utils/checks_common.py)),
        for example C(expected_version), C(service_user), C(rss_warn_mb), C(categories).
    type: dict
    default: {}
  node_settings:
    description: Per node, settings that differ from O(settings) (for example its C(ports)).
    type: dict
    default: {}
  dest:
    description: Directory for the reports; created when missing. Empty writes no file.
    type: path
    default: ''
  formats:
    description: Which reports to write.
    type: list
    elements: str
    choices: [json, junit, markdown, html]
    default: [json, junit, markdown, html]
  title:
    description: Title of the reports.
    type: str
    default: Ollama Distributed validation
  meta:
    description: Free key/value pairs shown at the top of the reports (cluster name, time).
    type: dict
    default: {}
'''

EXAMPLES = r'''
- name: Judge and write the reports
  ollama_lab.distributed.validate_report:
    observations: "{{ dict(ansible_play_hosts | zip(ansible_play_hosts | map('extract', hostvars, '_obs'))) }}"
    settings:
      expected_version: 0.1.0
      categories: [installation, startup, api]
    dest: "{{ playbook_dir }}/reports"
  delegate_to: localhost
  run_once: true
  register: validation
'''

RETURN = r'''
checks:
  description: Every check, C({node, category, name, status, message, duration}).
  returned: always
  type: list
  elements: dict
summary:
  description: Counts and the worst status overall, per node and per node and category.
  returned: always
  type: dict
  sample: {status: pass, total: 112, counts: {pass: 100, warn: 4, fail: 0, skip: 8}}
failed_checks:
  description: One line C(node/category/name - message) per failed check.
  returned: always
  type: list
  elements: str
files:
  description: Format to path of each report written (or that would be written in check mode).
  returned: always
  type: dict
  sample: {json: /tmp/reports/validation.json, html: /tmp/reports/validation.html}
'''

import os
import tempfile
from typing import Any, Dict

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ollama_lab.distributed.plugins.module_utils import checks, report


def write_file(path: str, text: str) -> bool:
    """Write ``text`` to ``path`` atomically; return whether the content changed."""
    try:
        with open(path, 'r', encoding='utf-8') as handle:
            if handle.read() == text:
                return False
    except (IOError, OSError, UnicodeDecodeError):
        pass
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix='.validation-')
    try:
        with os.fdopen(fd, 'w', encoding='utf-8') as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return True


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            observations=dict(type='dict', required=True),
            settings=dict(type='dict', default={}),
            node_settings=dict(type='dict', default={}),
            dest=dict(type='path', default=''),
            formats=dict(type='list', elements='str', default=list(report.FORMATS), choices=list(report.FORMATS)),
            title=dict(type='str', default='Ollama Distributed validation'),
            meta=dict(type='dict', default={}),
        ),
        supports_check_mode=True,
    )
    p = module.params
    unknown = [c for c in (p['settings'].get('categories') or []) if c not in checks.CATEGORIES]
    if unknown:
        module.fail_json(msg='settings.categories: unknown %s; choose from %s'
                         % (', '.join(map(str, unknown)), ', '.join(checks.CATEGORIES)))
    try:
        records = checks.evaluate(p['observations'], p['settings'], p['node_settings'])
        summary = report.summarize(records)
        texts: Dict[str, str] = {}
        for fmt in p['formats']:
            texts[fmt] = report.render(fmt, records, p['title'], meta=p['meta'],
                                       timestamp=str(p['meta'].get('time') or '') or None)
    except (ValueError, TypeError, KeyError) as exc:
        module.fail_json(msg='Cannot judge the observations: %s' % exc)
        return
    files: Dict[str, Any] = {}
    changed = False
    if p['dest']:
        files = dict((fmt, os.path.join(p['dest'], report.FILE_NAMES[fmt])) for fmt in p['formats'])
        if not module.check_mode:
            try:
                if not os.path.isdir(p['dest']):
                    os.makedirs(p['dest'], 0o755)
                    changed = True
                for fmt, path in files.items():
                    changed = write_file(path, texts[fmt]) or changed
            except (IOError, OSError) as exc:
                module.fail_json(msg='Cannot write the reports into %s: %s' % (p['dest'], exc))
    module.exit_json(changed=changed, checks=report.normalize(records), summary=summary,
                     failed_checks=['%s/%s/%s - %s' % (r['node'], r['category'], r['name'], r['message'])
                                    for r in records if r['status'] == 'fail'],
                     files=files)


if __name__ == '__main__':
    main()
